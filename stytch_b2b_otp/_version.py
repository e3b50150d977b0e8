"""The package version: the single place it is defined (hatch reads it from here)."""

__version__ = "0.1.0"
