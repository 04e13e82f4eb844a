"""hunt layer (see ../shared/docs/ARCHITECTURE.md)."""
