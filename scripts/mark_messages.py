"""Mark the messages of ReaderError calls for translation: ``UsageError(f"{path}: no such file")`` becomes
``UsageError(_("{path}: no such file").format(path=path))``, and ``from reader.i18n import _`` is added.

The one-off rewrite that marked reader's library messages, kept for merging code written before them:
``.venv/bin/python scripts/mark_messages.py reader/source/fetch.py …`` rewrites the calls whose message is a
string or an f-string (others are listed, to mark by hand), then ``make i18n`` and translate the new entries
of ``reader/locale/zh_CN/LC_MESSAGES/reader.po``. Check the result with ruff and mypy: a throwaway variable
named ``_`` in the same function hides the translation function (rename it ``_sep`` or the like).
"""

from __future__ import annotations

import ast
import keyword
import sys
from pathlib import Path

ERRORS = {"ReaderError", "UsageError", "FetchError", "DecodeError", "ExtractError", "SegmentError", "ConfigError",
          "BackendUnavailable", "SynthesisError", "AudioError", "OutputError", "RecordError", "PageError",
          "LibraryError", "BatchInterrupted", "PlaybackError"}
CONVERSIONS = {-1: "", 115: "!s", 114: "!r", 97: "!a"}
WIDTH = 110


def placeholder(expr: ast.expr) -> str:
    """A name for the placeholder of ``expr`` that a translator can read."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "len" and expr.args:
        return placeholder(expr.args[0]) + "_count"
    if isinstance(expr, ast.Call):
        func = expr.func
        return (func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else "value")
    if isinstance(expr, ast.Subscript | ast.BoolOp):
        return placeholder(expr.value if isinstance(expr, ast.Subscript) else expr.values[0])
    return "value"


def template(node: ast.JoinedStr, source: str) -> tuple[str, dict[str, str]] | None:
    parts: list[str] = []
    kwargs: dict[str, str] = {}
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value).replace("{", "{{").replace("}", "}}"))
            continue
        assert isinstance(value, ast.FormattedValue)
        text = ast.get_source_segment(source, value.value) or ""
        base = placeholder(value.value).strip("_") or "value"
        base += "_" if keyword.iskeyword(base) else ""
        name, n = base, 2
        while name in kwargs and kwargs[name] != text:
            name, n = f"{base}{n}", n + 1
        kwargs[name] = text
        spec = ""
        if value.format_spec is not None:
            if not all(isinstance(v, ast.Constant) for v in value.format_spec.values):  # type: ignore[attr-defined]
                return None
            spec = ":" + "".join(str(v.value) for v in value.format_spec.values)  # type: ignore[attr-defined]
        parts.append("{" + name + CONVERSIONS[value.conversion] + spec + "}")
    return "".join(parts), kwargs


def marked(arg: ast.expr) -> bool:
    """Whether ``arg`` is already ``_("…")`` or ``_("…").format(…)``."""
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "format":
        arg = arg.func.value
    return isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == "_"


def literal(text: str) -> str:
    quoted = repr(text)
    return '"' + quoted[1:-1].replace("\\'", "'") + '"' if quoted.startswith("'") and '"' not in text else quoted


def mark(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(lineno: int, col: int) -> int:  # ast columns count UTF-8 bytes
        return starts[lineno - 1] + len(lines[lineno - 1].encode()[:col].decode())

    edits, by_hand = [], []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERRORS
                and node.args):
            continue
        arg = node.args[0]
        if marked(arg):
            continue
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "{" not in arg.value:
            made: tuple[str, dict[str, str]] | None = (arg.value, {})
        elif isinstance(arg, ast.JoinedStr):
            made = template(arg, source)
        else:
            made = None
        if made is None:
            by_hand.append(arg.lineno)
            continue
        text, kwargs = made
        call = f"_({literal(text)})"
        if kwargs:
            call += ".format(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"
        assert arg.end_lineno is not None and arg.end_col_offset is not None
        edits.append((offset(arg.lineno, arg.col_offset), offset(arg.end_lineno, arg.end_col_offset), call))
    for start, end, call in sorted(edits, reverse=True):
        source = source[:start] + call + source[end:]
    if edits and "from reader.i18n import" not in source:
        at = source.index("\nfrom reader.") + 1
        source = source[:at] + "from reader.i18n import _\n" + source[at:]
    path.write_text(source, encoding="utf-8")
    print(f"{path}: {len(edits)} marked" + (f"; by hand: lines {sorted(by_hand)}" if by_hand else ""))


if __name__ == "__main__":
    for name in sys.argv[1:]:
        mark(Path(name))
