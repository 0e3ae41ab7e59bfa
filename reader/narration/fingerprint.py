"""The one fingerprint that decides whether a narration must be made again, for narrate, batch, play and the
narration store alike.

A narration is a function of the article and of the settings that decide the audio. The settings part
(``settings_fingerprint``) covers: the engine (backend, voice, rate, engine version: which names its
models), the user's lexicon (pronunciations and replacements), the pauses, loudness, format, bitrate and
cover art, whether the header is read, and reader's own code that turns text into audio
(``code_fingerprint``: the ``text``, ``speech``, ``audio`` and ``narration`` packages and the cross-stage
models, so an upgrade that changes the normalizer or the assembler redoes stale narrations, and one that
changes only the CLI or the listen page does not). The narration's key (``narration_fingerprint``) adds
the article's content.

A batch library stores the settings part per article (so it can skip an unchanged article from its raw
bytes before extracting it) and compares the key's parts; the narration store is keyed by the whole.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from reader._version import __version__
from reader.models import Article
from reader.settings import Pauses

#: Bump when what a fingerprint covers changes shape.
_SCHEME = 2
#: The packages whose code decides the audio (relative to reader/), and the single modules.
_AUDIO_CODE = ("text", "speech", "audio", "narration", "models.py", "settings.py", "_files.py")


@functools.cache
def code_fingerprint() -> str:
    """A hash of the source of reader's code that turns text into audio (see the module docstring)."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for part in _AUDIO_CODE:
        root = package / part
        paths = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in paths:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class AudioSettings:
    """Everything besides the article that decides the audio of a narration."""

    backend: str
    voice: str
    rate: float
    engine_version: str
    lexicon: str  # the lexicon's digest
    pauses: Pauses
    target_lufs: float
    bitrate: str
    header: bool
    format: str = "mp3"
    spoken_form: str = ""
    cover: str = ""  # the cover art's digest ("": none)
    short_first: bool = False  # the first sentence cut short for a quick start (``NarrateOptions.short_first``)


def settings_fingerprint(settings: AudioSettings) -> str:
    material = [_SCHEME, __version__, code_fingerprint(), {**asdict(settings), "rate": round(settings.rate, 4)}]
    return _sha256(json.dumps(material, sort_keys=True, ensure_ascii=False))


def content_hash(article: Article) -> str:
    """The article as it is read: everything extracted but the encoding it came in."""
    data = {k: v for k, v in article.to_dict().items() if k != "encoding"}
    return _sha256(json.dumps(data, sort_keys=True, ensure_ascii=False))


def narration_fingerprint(settings_fp: str, content: str) -> str:
    """The key of one narration: its settings' fingerprint and its article's content hash."""
    return _sha256(f"{settings_fp}:{content}")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
