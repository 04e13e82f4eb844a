"""web layer (see ../shared/docs/ARCHITECTURE.md)."""
