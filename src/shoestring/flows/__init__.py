"""flows layer (see ../shared/docs/ARCHITECTURE.md)."""
