"""The command line (``reader``): thin commands over the library, one family per module.

``app`` holds the group and turns library errors into one-line messages and exit codes; ``options`` the
shared options; ``narrate``, ``inspect`` (extract, normalize), ``voices``, ``doctor``, ``batch``, ``library`` (repair), ``play``
and ``config`` the commands;
``progress``, ``batch_view`` and ``player_view`` how long work looks on a terminal.
"""

from reader.cli import batch, config, doctor, inspect, library, narrate, play, serve, voices  # noqa: F401  (each registers its commands)
from reader.cli.app import cli, main

__all__ = ["cli", "main"]
