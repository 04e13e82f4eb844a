"""logs layer (see ../shared/docs/ARCHITECTURE.md)."""
