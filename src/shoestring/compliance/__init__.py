"""compliance layer (see ../shared/docs/ARCHITECTURE.md)."""
