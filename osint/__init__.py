"""osint: a case-file manager for open-source investigators."""

__version__ = "0.1.0"
