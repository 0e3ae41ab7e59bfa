"""ffprobe (Debian's ``ffmpeg`` package: the bundled ffmpeg has none) as an independent reader of our files.

Missing ffprobe skips the tests that need it, unless ``READER_REQUIRE_FFPROBE=1`` (set by ``.ci/run``, which
installs it): then they fail, saying how to install it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest


def ffprobe() -> str:
    found = shutil.which("ffprobe")
    if found is None:
        why = "ffprobe is not installed (apt-get install ffmpeg; .ci/run does)"
        if os.environ.get("READER_REQUIRE_FFPROBE") == "1":
            pytest.fail(f"READER_REQUIRE_FFPROBE=1 but {why}")
        pytest.skip(why)
    return found


def probe(path: Path) -> dict[str, Any]:
    """``ffprobe -show_chapters -show_format -show_streams -of json``."""
    out = subprocess.run([ffprobe(), "-v", "error", "-show_chapters", "-show_format", "-show_streams",
                          "-of", "json", str(path)], capture_output=True, check=True, timeout=60).stdout
    data: dict[str, Any] = json.loads(out)
    return data


def chapters(path: Path) -> list[tuple[str, float, float]]:
    """(title, start, end) of each chapter ffprobe lists."""
    return [(c.get("tags", {}).get("title", ""), float(c["start_time"]), float(c["end_time"]))
            for c in probe(path)["chapters"]]


def tags(path: Path) -> dict[str, str]:
    """The file's tags as ffprobe lists them: the format's, and the audio stream's (where Ogg keeps them),
    keys lower-cased."""
    data = probe(path)
    found = {k.lower(): v for k, v in data["format"].get("tags", {}).items()}
    for stream in data["streams"]:
        if stream.get("codec_type") == "audio":
            found.update({k.lower(): v for k, v in stream.get("tags", {}).items()})
    return found
