"""The curated public API: every name in reader.__all__ resolves, and a narration runs through it alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import reader


def test_every_public_name_resolves() -> None:
    for name in reader.__all__:
        assert getattr(reader, name) is not None
    with pytest.raises(AttributeError):
        reader.no_such_thing  # noqa: B018


def test_import_reader_is_cheap() -> None:
    """The CLI imports the package first: it must not pull in numpy, httpx or the engines by itself."""
    code = "import sys, reader; print(' '.join(m for m in ('numpy', 'httpx', 'ai_edge_litert') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_extract_normalize_narrate_through_the_api(tmp_path: Path) -> None:
    page = tmp_path / "a.txt"
    page.write_text("停水通知公告\n\n日期：2024-05-01\n\n因管网维修，5月3日停水8小时，敬请谅解。\n", encoding="utf-8")
    article = reader.extract(reader.fetch(str(page)))
    assert article.title == "停水通知公告" and article.date == "2024-05-01"
    assert reader.normalize("8小时") == "八小时"
    narration = reader.narrate(str(page), reader.NarrateOptions(output_dir=tmp_path))
    assert narration.audio.is_file() and narration.record.audio.duration > 1.0
    assert isinstance(reader.NarrationRecord.read(narration.audio.with_suffix(".json")), reader.NarrationRecord)
