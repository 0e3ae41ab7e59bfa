"""Subtitle cues that video players can show: short lines, at most two of them, a few seconds each.

A sentence of a government article runs to 60-100 characters and 15 seconds; as one cue it covers half a
phone screen and stays there. Broadcasters' rule for Chinese subtitles is about 20 characters a line, two
lines at most, and a cue no longer than about 7 seconds. So each sentence of the record is cut into cues:

1. Its chunks (whose times are exact: where the assembler placed them) are cut at clause punctuation
   (，、；：). A piece inside a chunk gets a share of the chunk's time in proportion to how long it takes to
   say (the length of its spoken form: 2021年 says 二零二一年), so cue times stay on the audio within a
   fraction of a second, and exactly at every chunk boundary.
2. Pieces are packed greedily into cues of at most ``LINE_CHARS`` × ``MAX_LINES`` characters and
   ``MAX_SECONDS``; a piece longer than that alone is cut at ``LINE_CHARS`` characters.
3. A cue's text is wrapped into at most two lines, broken after punctuation near the middle when there is
   some, else at ``LINE_CHARS``.

A cue never spans two sentences. The sentence-level times stay in the record for the listen page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from reader.models import Cue
from reader.narration.record import ChunkRecord, NarrationRecord

LINE_CHARS = 20
MAX_LINES = 2
MAX_SECONDS = 7.0
_CLAUSE = re.compile(r"(?<=[，、；：,;:。！？!?…])")
_BREAK_AFTER = "，、；：,;:。！？!?…”」』）)"


@dataclass(frozen=True)
class _Piece:
    text: str
    start: float
    end: float


def _spoken_length(text: str) -> int:
    from reader.text.normalize import normalize

    return max(1, len(re.sub(r"[^\w]", "", normalize(text))))


def _pieces(chunk: ChunkRecord, weight: Callable[[str], int]) -> list[_Piece]:
    """``chunk`` cut at clause punctuation (and at ``LINE_CHARS * MAX_LINES`` characters), each piece timed in
    proportion to how long its spoken form is."""
    limit = LINE_CHARS * MAX_LINES
    parts: list[str] = []
    for part in _CLAUSE.split(chunk.text):
        while len(part) > limit:
            parts.append(part[:LINE_CHARS])
            part = part[LINE_CHARS:]
        if part:
            parts.append(part)
    weights = [weight(p) for p in parts]
    total = sum(weights) or 1
    span = chunk.end - chunk.start
    out: list[_Piece] = []
    at = chunk.start
    for part, w in zip(parts, weights, strict=True):
        end = at + span * w / total
        out.append(_Piece(part, at, end))
        at = end
    if out:
        out[-1] = _Piece(out[-1].text, out[-1].start, chunk.end)  # exact at the chunk's end
    return out


def wrap(text: str, width: int = LINE_CHARS) -> str:
    """``text`` on one line if it fits ``width``, else two lines broken after punctuation near the middle
    (else at ``width``)."""
    text = text.strip()
    if len(text) <= width:
        return text
    middle = len(text) / 2
    breaks = [i + 1 for i, ch in enumerate(text[:-1]) if ch in _BREAK_AFTER and len(text) - i - 1 <= width
              and i + 1 <= width]
    cut = min(breaks, key=lambda i: abs(i - middle)) if breaks else min(width, len(text))
    return f"{text[:cut].rstrip()}\n{text[cut:].lstrip()}"


def subtitle_cues(record: NarrationRecord, weight: Callable[[str], int] = _spoken_length) -> list[Cue]:
    """The record's sentences as short cues for video players (see the module docstring)."""
    cues: list[Cue] = []
    for sentence in record.sentences():
        chunks = [c for c in record.chunks if c.place == (sentence.chapter, sentence.paragraph, sentence.kind)
                  and c.start >= sentence.start and c.end <= sentence.end]
        pieces = [piece for chunk in chunks for piece in _pieces(chunk, weight)]
        cues.extend(_pack(pieces))
    return cues


def _pack(pieces: list[_Piece]) -> list[Cue]:
    """Pieces of one sentence packed greedily into cues of at most two lines and ``MAX_SECONDS``."""
    limit = LINE_CHARS * MAX_LINES
    cues: list[Cue] = []
    pending: list[_Piece] = []
    for piece in pieces + [_Piece("", -1.0, -1.0)]:  # a sentinel flushes the last cue
        full = pending and (sum(len(p.text) for p in pending) + len(piece.text) > limit
                            or piece.end - pending[0].start > MAX_SECONDS or not piece.text)
        if full:
            cues.append(Cue(pending[0].start, pending[-1].end, wrap("".join(p.text for p in pending))))
            pending = []
        if piece.text:
            pending.append(piece)
    return cues
