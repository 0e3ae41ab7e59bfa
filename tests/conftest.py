from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# The same examples on every run and every machine: `make test` passes or fails for the code, never for the
# draw. (Exploring new examples is for a deliberate run: HYPOTHESIS_PROFILE=explore.)
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = ROOT / "examples" / "wanzhou-2022-01-28.txt"
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's cache or config: each test session gets its own; messages in English."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("READER_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("READER_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("READER_LANG", "en")  # the tests read English messages unless they ask for Chinese
    # Engines write derived models under the cache directory of the last Narrator made (--cache-dir): each
    # test starts from the session's cache, so the 256 MB Kokoro model is derived once per session, not once
    # per temporary cache directory a test used before it (reader.speech.models).
    from reader.speech import models

    models.use_cache_dir(None)


@pytest.fixture(autouse=True, scope="session")
def _no_proxy() -> Iterator[None]:
    """The test servers on 127.0.0.1 are never reached through a proxy of the environment (httpx, aiohttp and
    the processes the tests start honour NO_PROXY); for the whole session, so that module-scoped fixtures
    (a batch run once for a module's tests) have it too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NO_PROXY", "127.0.0.1,localhost")
        patch.setenv("no_proxy", "127.0.0.1,localhost")
        yield


@pytest.fixture
def sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where reader play's sound goes instead of a sound device: a WAV file, written as fast as it comes."""
    path = tmp_path / "played.wav"
    monkeypatch.setenv("READER_AUDIO_SINK", str(path))
    monkeypatch.setenv("READER_AUDIO_SINK_PACE", "0")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, one per test module (skipped, or failed with READER_REQUIRE_BROWSER=1, when it is
    not installed): helpers.browser.browser_session."""
    from helpers.browser import browser_session

    yield from browser_session()
