"""The command line (``reader``): see ``reader.cli.commands``."""

from reader.cli.commands import cli, main

__all__ = ["cli", "main"]
