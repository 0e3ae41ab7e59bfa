"""reader: Mandarin text-to-speech for Chinese news and government articles.

The public API, curated (everything else is reachable but may change)::

    import reader
    article = reader.extract(reader.fetch("https://…/art_1.html"))
    print(reader.normalize("同比增长15.2%"))
    narration = reader.narrate("page.html", reader.NarrateOptions(voice="baker", output_dir=Path("out")))
    narration.record.chapters, narration.audio
    # a library: the same narration options, held by the batch's own
    reader.run_batch("urls.txt", reader.BatchOptions(Path("lib"), narration=reader.NarrateOptions(voice="baker")))

Names are imported on first use (PEP 562), so ``import reader`` stays cheap for the command line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from reader._version import __version__

# name → module that defines it
_API = {
    # stages
    "fetch": "reader.source.fetch",
    "extract": "reader.extraction",
    "normalize": "reader.text.normalize",
    "segment": "reader.text.segment",
    "narrate": "reader.narration.pipeline",
    "narrate_article": "reader.narration.pipeline",
    "Narrator": "reader.narration.pipeline",
    "NarrateOptions": "reader.narration.pipeline",
    "Narration": "reader.narration.pipeline",
    "NarrationRecord": "reader.narration.record",
    "run_batch": "reader.library.batch",
    "BatchOptions": "reader.library.batch",
    "write_page": "reader.publish.page",
    # the models that cross stages
    "Source": "reader.models",
    "Article": "reader.models",
    "Chapter": "reader.models",
    "Chunk": "reader.models",
    "Audio": "reader.models",
    "ChapterMark": "reader.models",
    "Cue": "reader.models",
    # engines
    "Backend": "reader.speech.backend",
    "VoiceInfo": "reader.speech.backend",
    # errors
    "ReaderError": "reader.errors",
    "UsageError": "reader.errors",
    "FetchError": "reader.errors",
    "ExtractError": "reader.errors",
    "ConfigError": "reader.errors",
    "BackendUnavailable": "reader.errors",
    "SynthesisError": "reader.errors",
    "OutputError": "reader.errors",
    "RecordError": "reader.errors",
}

__all__ = ["__version__", "fetch", "extract", "normalize", "segment", "narrate", "narrate_article",
          "Narrator", "NarrateOptions", "Narration", "NarrationRecord", "run_batch", "BatchOptions",
          "write_page", "Source", "Article", "Chapter", "Chunk", "Audio", "ChapterMark", "Cue", "Backend",
          "VoiceInfo", "ReaderError", "UsageError", "FetchError", "ExtractError", "ConfigError",
          "BackendUnavailable", "SynthesisError", "OutputError", "RecordError"]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'reader' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from reader.errors import (
        BackendUnavailable,
        ConfigError,
        ExtractError,
        FetchError,
        OutputError,
        ReaderError,
        RecordError,
        SynthesisError,
        UsageError,
    )
    from reader.extraction import extract
    from reader.library.batch import BatchOptions, run_batch
    from reader.models import Article, Audio, Chapter, ChapterMark, Chunk, Cue, Source
    from reader.narration.pipeline import NarrateOptions, Narration, Narrator, narrate, narrate_article
    from reader.narration.record import NarrationRecord
    from reader.publish.page import write_page
    from reader.source.fetch import fetch
    from reader.speech.backend import Backend, VoiceInfo
    from reader.text.normalize import normalize
    from reader.text.segment import segment
