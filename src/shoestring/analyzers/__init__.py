"""analyzers layer (see ../shared/docs/ARCHITECTURE.md)."""
