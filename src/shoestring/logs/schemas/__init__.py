"""One module per log, each declaring ``SCHEMA`` (see logs/schema.py)."""
