"""Where a narration's files go: a name of its own in a shared folder, and no leftovers of a killed run.

``reader narrate --output-dir DIR`` names files ``DATE-TITLE``; two different articles can share a date and
a title (two notices called 公告 on one day). ``own_name`` picks ``DATE-TITLE.mp3`` when it is free or holds
this same article's earlier narration (which is then replaced), and otherwise ``DATE-TITLE (2).mp3``, ``(3)``…,
as a batch library does. What a name holds is read from its record (``NAME.json``): the same article is the
same source (a path or a URL), or, for a record without one, the same narration fingerprint, or the same
article URL, or else the same title, date and body text.
A name whose files have no readable record is never taken over: reader cannot tell whose they are.

``-o OUT.mp3`` names the audio, which is replaced as asked; the files a narration writes beside it are not
named by the user, so ``check_beside`` refuses (before any work) to replace one that is not reader's own: the
record and subtitles only when ``OUT.json`` is a record of a narration to ``OUT.mp3``, the listen page only when
it is a reader listen page (``reader narrate a.html -o a.mp3 --html`` would replace the article itself).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from reader.errors import OutputError, RecordError
from reader.i18n import _
from reader.models import Article
from reader.narration.record import NarrationRecord

#: The files one narration may publish beside its audio (subtitles, record, listen page).
SIDECAR_SUFFIXES = (".vtt", ".json", ".html")


def files_of(audio: Path) -> list[Path]:
    """``audio`` and the sidecars a narration may write beside it."""
    return [audio, *(audio.with_suffix(suffix) for suffix in SIDECAR_SUFFIXES)]


def numbered(audio: Path, n: int) -> Path:
    """``audio`` for n = 1, else ``STEM (n).SUFFIX``."""
    return audio if n == 1 else audio.with_name(f"{audio.stem} ({n}){audio.suffix}")


def own_name(audio: Path, is_own: Callable[[NarrationRecord], bool]) -> Path:
    """``audio`` or the first of ``STEM (2)``, ``STEM (3)``… whose files are absent or are, by their record,
    a narration ``is_own`` recognises (see the module docstring)."""
    for n in range(1, 1000):
        candidate = numbered(audio, n)
        present = [p for p in files_of(candidate) if p.exists() or p.is_symlink()]
        if not present:
            return candidate
        try:
            record = NarrationRecord.read(candidate.with_suffix(".json"))
        except RecordError:
            continue
        if is_own(record):
            return candidate
    raise OutputError(_("{parent}: no free file name for {name}").format(parent=audio.parent, name=audio.name))


#: What a listen page of reader's carries in its head (reader/publish/templates/listen.html.j2).
PAGE_MARK = b'<meta name="generator" content="reader'


def check_beside(audio: Path, suffixes: Iterable[str]) -> None:
    """``OutputError`` (one line) when ``audio.with_suffix(s)`` exists for one of ``suffixes`` and is not reader's
    own (see the module docstring), so that narrating to ``audio`` would replace a file of the user's."""
    for suffix in suffixes:
        path = audio.with_suffix(suffix)
        if not (path.exists() or path.is_symlink()):
            continue
        own = _is_reader_page(path) if suffix == ".html" else _records(audio)
        if not own:
            raise OutputError(_("{path}: not replaced: it is not reader's (no narration to {name} wrote it); move "
                                "it, or choose another output name").format(path=path, name=audio.name))


def _records(audio: Path) -> bool:
    """Whether the sidecars beside ``audio`` are a narration's of this name, in any format: narrating one
    article to NAME.m4b and then NAME.opus replaces the first one's subtitles and record, as it always did."""
    try:
        return Path(NarrationRecord.read(audio.with_suffix(".json")).audio.file).stem == audio.stem
    except RecordError:
        return False


def _is_reader_page(path: Path) -> bool:
    if path.is_symlink() or not path.is_file():  # not a pipe either: reading it could wait forever
        return False
    try:
        with path.open("rb") as fh:
            return PAGE_MARK in fh.read(4096)
    except OSError:
        return False


def same_article(record: NarrationRecord, *, source: str | None, fingerprint: str, article: Article) -> bool:
    """Whether ``record`` is a narration of the article named ``source`` (None: stdin, no name)."""
    if record.fingerprint and record.fingerprint == fingerprint:
        return True
    if record.source is not None or source is not None:
        return record.source is not None and record.source == source
    if article.url or record.article.url:
        return record.article.url == article.url
    # Neither has a source nor a URL (an Article given to the library, text from stdin): the same title and
    # date and the same words in the body (the record keeps the text of each chunk, not the paragraphs).
    spoken = "".join(c.text for c in record.chunks if c.kind == "body")
    return ((record.article.title, record.article.date) == (article.title, article.date)
            and _words(spoken) == _words("".join(article.paragraphs())))


def _words(text: str) -> str:
    """``text``'s letters and digits: what stays the same however it was cut into chunks."""
    return re.sub(r"\W+", "", text)
