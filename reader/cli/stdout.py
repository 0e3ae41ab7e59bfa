"""``-o -``: the audio on standard output (as edge-tts does), made in a temporary folder and copied there.

The formats need a seekable file (MP3's chapter tags, M4B's index at the end), so the audio is finished first
and then streamed; no sidecars are written, and progress and messages go to stderr.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from reader.cli.app import require_stdout
from reader.i18n import _

#: What ``-o -`` is parsed to.
DASH = Path("-")


def wants_stdout(output: Path | None) -> bool:
    return output == DASH


@contextmanager
def scratch_output(name: str) -> Iterator[Path]:
    """A path in a temporary folder to write the audio to (``name``, without a suffix: the format adds it);
    the folder is removed when the block ends. Refused when stdout is closed or a terminal."""
    require_stdout()
    if sys.stdout.isatty():
        raise click.UsageError(_("-o -: the standard output is a terminal; redirect it (> a.mp3) or pipe it "
                                 "(| mpv -)"))
    with tempfile.TemporaryDirectory(prefix="reader-stdout-") as folder:
        yield Path(folder) / name


def copy_to_stdout(path: Path) -> None:
    """The file's bytes to standard output."""
    out = sys.stdout.buffer
    with path.open("rb") as f:
        shutil.copyfileobj(f, out, 1 << 16)
    out.flush()
