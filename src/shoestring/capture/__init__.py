"""capture layer (see ../shared/docs/ARCHITECTURE.md)."""
