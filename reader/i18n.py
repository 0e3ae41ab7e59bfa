"""Messages in the user's language: Simplified Chinese or English, from gettext catalogs.

Every message a user reads (errors, summaries, progress labels, the player's screen, ``--help``) is written
in English in the code and marked: ``_("unknown voice {name!r}").format(name=name)`` translates it now,
``N_("…")`` only marks a string that is translated later, where it is shown (a command's help, a stage's
name). ``pybabel extract`` collects the marked strings into ``reader/locale/reader.pot``; the translations are
``reader/locale/<locale>/LC_MESSAGES/reader.po``, compiled to ``reader.mo`` beside them (both committed:
``make i18n`` updates them, and a test checks that every message is translated and every ``.mo`` is current).
At run time only the standard library's ``gettext`` reads the ``.mo`` files.

The language (``language()``): ``READER_LANG`` (zh or en) wins; then what the command line was told (the
``language`` of config.toml, through ``set_language``); then the locale, the first of ``LC_ALL``,
``LC_MESSAGES``, ``LANG`` that is set (``zh_*`` is Chinese, anything else English); English otherwise.

The library may import this module (it imports nothing of reader's, and not click): its errors are
translated when they are raised, in the language of the moment, so that ``str(error)`` is what the user
reads wherever it is shown.
"""

from __future__ import annotations

import errno
import functools
import gettext as _gettext
import os
import re
from http import HTTPStatus
from pathlib import Path

DOMAIN = "reader"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("zh", "en")
#: The catalog of each language.
CATALOGS = {"zh": "zh_CN", "en": "en"}
ENV = "READER_LANG"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")

_chosen: str | None = None


class LanguageError(ValueError):
    """``READER_LANG`` names no language of ours."""


def from_environment() -> tuple[str | None, str]:
    """``(language, what said so)`` from ``READER_LANG`` alone: ``(None, "")`` when it is not set;
    ``LanguageError`` when it is not zh or en (zh_CN, en_US and the like count as zh, en)."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return None, ""
    lang = value.lower().replace("-", "_").split("_")[0]
    if lang not in LANGUAGES:
        raise LanguageError(f"{ENV}={value}: must be one of {', '.join(LANGUAGES)}")
    return lang, ENV


def from_locale() -> tuple[str, str]:
    """``(language, what said so)`` from the locale variables, English when none is set."""
    for variable in LOCALE_VARIABLES:
        value = os.environ.get(variable, "")
        if value:
            return ("zh" if value.lower().startswith("zh") else "en"), f"{variable}={value}"
    return "en", "default"


def detect(configured: str | None = None, source: str = "config") -> tuple[str, str]:
    """The language and what chose it: ``READER_LANG``, else ``configured`` (config.toml's), else the locale."""
    lang, why = from_environment()
    if lang is not None:
        return lang, why
    if configured in LANGUAGES:
        return configured, source
    return from_locale()


def set_language(lang: str | None) -> None:
    """Use ``lang`` from now on (the command line does, once it has read config.toml); None: detect again."""
    global _chosen
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of {LANGUAGES}")
    _chosen = lang


def language() -> str:
    """The language messages are in now: zh or en."""
    if _chosen is not None:
        return _chosen
    try:
        return detect()[0]
    except LanguageError:
        return "en"  # the command line reports the bad variable; a library user just gets English


@functools.cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The catalog of ``lang`` (English: the messages as written, when its catalog has nothing else)."""
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[CATALOGS[lang]], fallback=True)


def gettext(message: str) -> str:
    """``message`` in the current language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for ``n``, in the current language."""
    return translations(language()).ngettext(singular, plural, n)


_ = gettext


def N_(message: str) -> str:  # noqa: N802  (gettext's name for it)
    """Mark ``message`` for translation where it is shown, not here."""
    return message


# ---------------------------------------------------------------------------------------------------------
# Reasons given in English by the system, the network and libraries, inside our messages


#: What the operating system says (``os.strerror``), by errno, as the user reads it.
ERRNO_REASONS = {
    errno.ECONNREFUSED: N_("connection refused"), errno.ECONNRESET: N_("connection reset by the other side"),
    errno.ETIMEDOUT: N_("connection timed out"), errno.ENETUNREACH: N_("network is unreachable"),
    errno.EHOSTUNREACH: N_("no route to host"), errno.ENOENT: N_("no such file or directory"),
    errno.EACCES: N_("permission denied"), errno.EPERM: N_("operation not permitted"),
    errno.ENOSPC: N_("no space left on device"), errno.EROFS: N_("read-only file system"),
    errno.EISDIR: N_("is a directory"), errno.ENOTDIR: N_("not a directory"), errno.EEXIST: N_("file exists"),
    errno.EPIPE: N_("broken pipe"), errno.EFBIG: N_("file too large"), errno.EDQUOT: N_("disk quota exceeded"),
    errno.EADDRINUSE: N_("address already in use"), errno.EADDRNOTAVAIL: N_("address not available"),
    errno.ENAMETOOLONG: N_("file name too long"), errno.ELOOP: N_("too many levels of symbolic links"),
    errno.EIO: N_("input/output error"), errno.EBADF: N_("bad file descriptor"),
}
#: What other libraries say: the resolver (``socket.gaierror``), time-outs, miniaudio.
PHRASE_REASONS = {
    "Name or service not known": N_("unknown host name"),
    "Temporary failure in name resolution": N_("the host name cannot be looked up now (no network?)"),
    "No address associated with hostname": N_("the host name has no address"),
    "failed to init device": N_("the sound device cannot be opened"),
    "Connect call failed": N_("connection failed"),
    "timed out": N_("timed out"),
}
#: The HTTP statuses a fetch meets, by code (the standard reason phrase is what is replaced).
HTTP_REASONS = {
    400: N_("bad request"), 401: N_("login required"), 403: N_("forbidden"), 404: N_("not found"),
    410: N_("gone"), 429: N_("too many requests"), 500: N_("server error"), 502: N_("bad gateway"),
    503: N_("service unavailable"), 504: N_("gateway timeout"),
}
_ERRNO = re.compile(r"\[Errno (-?\d+)\] ([^\]\[()（）;；,，:：]+?)(?=$|[\]()（）;；,，:：])")
_HTTP = re.compile(r"HTTP (\d{3}) ([A-Z][A-Za-z-]*(?: [A-Z][A-Za-z-]*)*)")


def localize_reasons(message: str) -> str:
    """``message`` with the English reasons inside it (``[Errno 111] Connection refused``, ``HTTP 404 Not
    Found``, ``failed to init device``) in the current language, by the tables above; English: as it is."""
    if language() == "en":
        return message

    def errno_reason(m: re.Match[str]) -> str:
        reason = ERRNO_REASONS.get(int(m.group(1)))
        if reason is None:
            phrase = PHRASE_REASONS.get(m.group(2).strip())
            return gettext(phrase) if phrase else m.group(0)
        return gettext(reason)

    def http_reason(m: re.Match[str]) -> str:
        code = int(m.group(1))
        try:
            standard = HTTPStatus(code).phrase
        except ValueError:
            return m.group(0)
        if code not in HTTP_REASONS or m.group(2) != standard:
            return m.group(0)
        return f"HTTP {code} {gettext(HTTP_REASONS[code])}"

    message = _HTTP.sub(http_reason, _ERRNO.sub(errno_reason, message))
    for code, reason in ERRNO_REASONS.items():
        message = message.replace(os.strerror(code), gettext(reason))
    for phrase, reason in PHRASE_REASONS.items():
        message = re.sub(rf"(?<![A-Za-z]){re.escape(phrase)}(?![A-Za-z])", gettext(reason), message)
    return message
