"""The podcast's artwork: the user's image (``--feed-image``: a PNG or JPEG file, or an http(s) URL), or the
default cover shipped with reader (``cover.png``, 1400 × 1400, made by ``scripts/make_cover.py``).

A file is copied into the library as ``cover-<hash>.png`` (or ``.jpg``): Apple Podcasts asks that a changed
image get a new name, and a podcast app caches artwork by URL. Older covers are removed. Apple wants square
artwork of 1400 to 3000 pixels, JPEG or PNG, RGB: the format is checked (a ``UsageError`` otherwise, before
any article is narrated) and a size or shape Apple would refuse is logged as a warning.

The width and height are read from the file's header here rather than with an imaging library: PNG keeps
them at fixed offsets of its first chunk and JPEG in its start-of-frame segment, and nothing else of the
image is needed.
"""

from __future__ import annotations

import hashlib
import logging
import struct
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from reader._files import check_regular, reason, write_atomic
from reader.errors import UsageError
from reader.i18n import _

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 10 * 1024 * 1024
APPLE_MIN, APPLE_MAX = 1400, 3000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def default_cover() -> bytes:
    return (resources.files("reader.publish") / "cover.png").read_bytes()


def image_info(data: bytes) -> tuple[str, int, int]:
    """(format, width, height) of a PNG or JPEG; ``ValueError`` for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                raise ValueError(_("a damaged JPEG"))
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
                i += 2
                continue
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start of frame
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return "jpg", width, height
            i += 2 + length
        raise ValueError(_("a JPEG without a frame"))
    raise ValueError(_("not a PNG or JPEG image"))


def check_image(spec: str) -> str:
    """``spec`` (``--feed-image``) if it can be the artwork: an http(s) URL ending in .png/.jpg/.jpeg, or a PNG
    or JPEG file; a one-line ``UsageError`` otherwise."""
    if "://" in spec:
        parts = urlsplit(spec)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(_("--feed-image {spec!r}: give an http(s) URL or a file").format(spec=spec))
        if not parts.path.lower().endswith(IMAGE_SUFFIXES):
            raise UsageError(_("--feed-image {spec!r}: podcast apps want the URL of a .png or "
                                ".jpg image").format(spec=spec))
        return spec
    _read_image(Path(spec))
    return spec


def _read_image(path: Path) -> tuple[bytes, str]:
    check_regular(path, "--feed-image")  # a named pipe would be waited on forever
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        raise UsageError(_("--feed-image {path}: cannot read ({strerror})").format(
            path=path, strerror=reason(exc))) from exc
    if len(data) > MAX_IMAGE_BYTES:
        raise UsageError(_("--feed-image {path}: larger than {value} MB").format(
            path=path, value=MAX_IMAGE_BYTES // (1024 * 1024)))
    try:
        kind, width, height = image_info(data)
    except ValueError as exc:
        raise UsageError(_("--feed-image {path}: {exc}").format(path=path, exc=exc)) from exc
    if width != height or not APPLE_MIN <= width <= APPLE_MAX:
        log.warning(_("%s is %d × %d pixels: Apple Podcasts wants a square of %d to %d"), path, width, height,
                    APPLE_MIN, APPLE_MAX)
    return data, kind


def publish_cover(library: Path, spec: str | None) -> str:
    """Put the artwork ``spec`` (None: the default cover) where the feed can point at it; returns its URL
    (as given) or its file name in ``library``."""
    if spec is not None and "://" in spec:
        return check_image(spec)
    if spec is None:
        data, kind = default_cover(), "png"
    else:
        data, kind = _read_image(Path(spec))
    name = f"cover-{hashlib.sha256(data).hexdigest()[:12]}.{kind}"
    if not (library / name).is_file():
        write_atomic(library / name, data)
    for old in library.glob("cover-*.*"):
        if old.name != name and old.suffix in (".png", ".jpg"):
            old.unlink(missing_ok=True)
    return name
