"""The command line under a Chinese locale leaves nothing in English that reader or click writes: help of every
command (``library`` too), ``--version``, click's metavars and punctuation, the reasons the system gives inside
our messages, plural forms; help wrapped in terminal columns without breaking words (issue 23 A6)."""

from __future__ import annotations

import re
import socket
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.local_server import QuietHandler, running
from rich.cells import cell_len

from reader import __version__, i18n
from reader.cli import cli
from reader.source.discover import discover
from reader.speech import registry

COMMANDS = [[], ["narrate"], ["batch"], ["voices"], ["play"], ["library"], ["library", "repair"], ["config"],
            ["doctor"], ["extract"], ["normalize"]]


@pytest.fixture
def zh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER_LANG", "zh")


def _help(args: list[str], width: int = 80) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="reader", terminal_width=width,
                                max_content_width=width)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a) or "reader")
def test_help_is_chinese_and_fits_80_columns(zh: None, args: list[str]) -> None:
    text = _help(args)
    assert text.startswith("用法：reader") and "选项：" in text and "Options" not in text and ":\n" not in text
    for english in ("[OPTIONS]", "COMMAND [ARGS]", " TEXT ", "FLOAT RANGE", "INTEGER RANGE", "Show this message",
                    "Look after", "Rebuild FOLDER"):
        assert english not in text
    assert all(cell_len(line) <= 80 for line in text.splitlines()), text
    # Wrapping breaks between words or Chinese characters, never inside a word ("onl⏎ine", "--output-⏎dir").
    wide = set(re.findall(r"[A-Za-z0-9][\w./-]*", _help(args, width=1000)))
    assert set(re.findall(r"[A-Za-z0-9][\w./-]*", text)) <= wide


def test_help_speaks_of_every_option(zh: None) -> None:
    text = _help(["narrate"])
    assert "用法：reader narrate [选项] [SOURCE]" in text and "--text 文字" in text and "--rate 数字" in text
    for name, words in (("sentence", "每句之后的停顿"), ("paragraph", "每段之后的停顿"), ("chapter", "每章结束时的停顿")):
        assert re.search(rf"--{name}-pause 数字\s+{words}", text)
    top = _help([])
    assert "用法：reader [选项] 命令 [参数]..." in top and re.search(r"library\s+维护批量处理的文库", top)


def test_version_and_usage_errors(zh: None) -> None:
    assert CliRunner().invoke(cli, ["--version"], prog_name="reader").output == f"reader，版本 {__version__}\n"
    result = CliRunner().invoke(cli, ["narrate"])
    assert result.exit_code == 2 and result.stderr == "reader：错误：请给出 SOURCE 或 --text 文字（二者选一）\n"


def test_hints_and_ignored_lines(zh: None, tmp_path: Path) -> None:
    i18n.set_language("zh")
    try:
        assert i18n.gettext(registry.info("espeak").install_hint) == (
            "pip install espeakng-loader（或：apt-get install espeak-ng）")
        urls = tmp_path / "urls.txt"
        urls.write_text("https://example.com/a.html\nhttps://example.com/b.html\nhttps://example.com/c.html\n"
                        "ftp://example.com/d\n", encoding="utf-8")
        assert discover(str(urls)).ignored == [f"{urls}:4：不是 http(s) 网址：'ftp://example.com/d'"]
    finally:
        i18n.set_language(None)


def test_reasons_from_the_system_are_chinese_too(zh: None) -> None:
    i18n.set_language("zh")
    try:
        assert i18n.localize_reasons("x（[Errno 111] Connection refused）") == "x（连接被拒绝）"
        assert i18n.localize_reasons("a: HTTP 404 Not Found") == "a: HTTP 404 未找到"
        assert i18n.localize_reasons("没有可用的声卡（failed to init device）") == "没有可用的声卡（无法打开声卡）"
        assert i18n.localize_reasons("a.txt: No such file or directory") == "a.txt: 没有这个文件或目录"
        assert i18n.localize_reasons("HTTP 418 I'm a teapot, timed outside") == "HTTP 418 I'm a teapot, timed outside"
        i18n.set_language("en")
        assert i18n.localize_reasons("[Errno 111] Connection refused") == "[Errno 111] Connection refused"
    finally:
        i18n.set_language(None)


def test_a_refused_connection_and_a_404_in_chinese(zh: None) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    refused = CliRunner().invoke(cli, ["narrate", f"http://127.0.0.1:{port}/a.html", "--timeout", "5"])
    assert refused.exit_code == 1 and "连接被拒绝" in refused.stderr and "Connection refused" not in refused.stderr

    class Missing(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 (the base class's name)
            self.send_error(404)

    handler: type[BaseHTTPRequestHandler] = Missing
    with running(handler) as server:
        missing = CliRunner().invoke(cli, ["narrate", f"http://127.0.0.1:{server.server_port}/a.html"])
    assert missing.exit_code == 1 and "404" in missing.stderr and "Not Found" not in missing.stderr
    assert "未找到" in missing.stderr


def test_plural_forms_in_english(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["narrate", "--text", "明天上午八点停水。", "-o", str(tmp_path / "a.mp3")])
    assert result.exit_code == 0, result.output
    assert "1 chapter ·" in result.output and "1 chunk (" in result.output and "chapters" not in result.output
