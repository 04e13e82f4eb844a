"""intel layer (see ../shared/docs/ARCHITECTURE.md)."""
