"""geo layer (see ../shared/docs/ARCHITECTURE.md)."""
