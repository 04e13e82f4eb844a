"""store layer (see ../shared/docs/ARCHITECTURE.md)."""
