"""The language of every track of an MP4 file, written into its ``mdhd`` boxes in place.

ffmpeg's mov muxer gives the QuickTime chapter track it makes no language: 0, which players and ffprobe read
as the Macintosh code for English (``eng``), and offers no option to set it. The field is two bytes in each
track's media header (ISO 639-2/T, three 5-bit letters), so it is set here after the file is written,
without moving anything.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

_CONTAINERS = {b"moov", b"trak", b"mdia"}


def _boxes(f: BinaryIO, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, offset of the payload, end) of the boxes between ``start`` and ``end``."""
    found = []
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        size, kind = struct.unpack(">I4s", f.read(8))
        header = 8
        if size == 1:
            size = struct.unpack(">Q", f.read(8))[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            break  # damaged: leave the rest alone
        found.append((kind, pos + header, pos + size))
        pos += size
    return found


def packed(language: str) -> int:
    """ISO 639-2/T code → the 15-bit value of ``mdhd`` ("zho" → 0x690F)."""
    code = language.lower()
    if len(code) != 3 or not all("a" <= c <= "z" for c in code):
        raise ValueError(f"not an ISO 639-2 code: {language!r}")
    return (ord(code[0]) - 0x60) << 10 | (ord(code[1]) - 0x60) << 5 | (ord(code[2]) - 0x60)


def set_track_languages(path: Path, language: str) -> int:
    """Every track of the MP4 file at ``path`` in ``language`` (ISO 639-2/T); the number of tracks set."""
    value = packed(language)
    count = 0
    with path.open("r+b") as f:
        f.seek(0, 2)
        todo = [(0, f.tell())]
        while todo:
            start, end = todo.pop()
            for kind, payload, box_end in _boxes(f, start, end):
                if kind in _CONTAINERS:
                    todo.append((payload, box_end))
                elif kind == b"mdhd":
                    f.seek(payload)
                    version = f.read(1)[0]
                    offset = payload + (4 + 8 + 8 + 4 + 8 if version == 1 else 4 + 4 + 4 + 4 + 4)
                    if offset + 2 <= box_end:
                        f.seek(offset)
                        f.write(struct.pack(">H", value))
                        count += 1
    return count
