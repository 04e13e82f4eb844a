"""Shoestring: a network security monitoring sensor for small organisations."""

__version__ = "0.1.0"
