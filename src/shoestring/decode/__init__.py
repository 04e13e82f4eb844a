"""decode layer (see ../shared/docs/ARCHITECTURE.md)."""
