"""Issue 14 — hostile local inputs and a hostile shell: devices, pipes and FIFOs (item 3), closed stdin (13) and
stdout (17), usage errors (17), a NUL byte and a short title (18). The CLI runs as a real process where the
shell's file descriptors matter; every case ends in one line and the right exit status, never a traceback."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from reader.cli import cli
from reader.errors import ReaderError, UsageError
from reader.extraction import extract
from reader.source.discover import discover
from reader.source.fetch import MAX_BYTES, read_file

TEXT = "公告\n本单位定于下周一上午九点召开全体职工大会，请各部门按时参加，不得缺席。\n会议地点在三楼会议室。\n"


def run(args: list[str], *, close: tuple[int, ...] = (), pass_fds: tuple[int, ...] = (),
        limit_memory: bool = False, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``reader ARGS`` in a process of its own, with some of its standard descriptors closed (as the shell's
    ``<&-`` does), stderr captured."""

    def prepare() -> None:
        for fd in close:
            os.close(fd)
        if limit_memory:  # a reader that reads without end dies here instead of taking the machine
            resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    return subprocess.run([sys.executable, "-m", "reader", *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=timeout, preexec_fn=prepare, pass_fds=pass_fds)


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("reader: error: "), stderr
    return lines[0]


# -- item 3: devices, pipes and FIFOs ---------------------------------------------------------------------------


@pytest.mark.timeout(120)  # before the fix: 6 GB of memory in 8 s, then a MemoryError traceback
def test_a_device_is_refused() -> None:
    result = run(["extract", "/dev/zero"], limit_memory=True)
    assert result.returncode == 2
    assert "is a device or socket, not a file" in one_line(result.stderr)
    with pytest.raises(UsageError, match="device"):
        read_file(Path("/dev/zero"))


@pytest.mark.timeout(120)
def test_a_pipe_is_read_up_to_the_cap() -> None:
    """``reader extract <(cat big.html)``: the shell passes /dev/fd/N, a pipe with no size to check first."""
    read_end, write_end = os.pipe()

    def feed() -> None:
        try:
            with os.fdopen(write_end, "wb") as out:
                chunk = b"<p>" + "很长的页面。".encode() * 5000 + b"</p>"
                for _ in range(MAX_BYTES // len(chunk) + 2):
                    out.write(chunk)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        result = run(["extract", f"/dev/fd/{read_end}"], pass_fds=(read_end,))
    finally:
        os.close(read_end)
    writer.join(10)
    assert result.returncode == 1
    assert "larger than 10 MB" in one_line(result.stderr)


@pytest.mark.timeout(60)  # before the fix: open() of a FIFO nobody writes to blocks for ever
def test_a_fifo_nobody_writes_to_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "page.html"
    os.mkfifo(fifo)
    with pytest.raises(ReaderError, match="is empty"):
        extract(read_file(fifo))
    result = run(["extract", str(fifo)])
    assert result.returncode == 1 and "is empty" in one_line(result.stderr)


def test_a_fifo_in_a_batch_folder_is_left_out_and_reported(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    os.mkfifo(tmp_path / "x.html")
    found = discover(str(tmp_path))
    assert found.items == [str((tmp_path / "a.txt").resolve())]
    assert found.ignored == [f"{(tmp_path / 'x.html').resolve()}: not a regular file (a named pipe, device or socket)"]
    with pytest.raises(UsageError, match="not a regular file"):
        discover(str(tmp_path / "x.html"))


# -- items 13 and 17: the shell closed a standard descriptor ----------------------------------------------------


@pytest.mark.parametrize("args", [["normalize"], ["extract", "-"], ["narrate", "-", "--voice", "espeak"]],
                         ids=["normalize", "extract", "narrate"])
def test_closed_stdin_is_a_usage_error(args: list[str]) -> None:
    result = run(args, close=(0,))
    assert result.returncode == 2, result.stderr
    assert "standard input" in one_line(result.stderr) and "closed" in result.stderr


def test_closed_stdout_is_a_failure_not_silence(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text(TEXT, encoding="utf-8")
    result = run(["extract", str(article)], close=(1,))
    assert result.returncode == 1
    assert "standard output" in one_line(result.stderr)


def test_a_full_stdout_is_one_line(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text(TEXT, encoding="utf-8")
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "reader", "extract", str(article)], stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 1
    assert "No space left on device" in one_line(result.stderr)


@pytest.mark.parametrize("option", [["--loudness", "nan"], ["--rate", "nan"], ["--sentence-pause", "inf"]])
def test_not_a_number_is_a_usage_error(option: list[str], tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text(TEXT, encoding="utf-8")
    result = CliRunner().invoke(cli, ["narrate", str(article), "--voice", "espeak", *option])
    assert result.exit_code == 2, result.output
    assert any(why in result.output for why in ("not a finite number", "out of range", "not in the range"))


# -- item 18: over-strict reading ------------------------------------------------------------------------------


def test_one_nul_byte_does_not_make_a_text_binary(tmp_path: Path) -> None:
    paragraphs = [f"这是第{i}段正文，用来凑够十一千字节的长度，讲述了本地第{i}个方面的发展情况。" for i in range(110)]
    text = "长文章的标题在这里\n" + "\n".join(paragraphs)
    data = text[:1500].encode("utf-8") + b"\x00" + text[1500:].encode("utf-8")
    assert len(data) > 11_000
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    article = extract(read_file(path))
    assert article.title == "长文章的标题在这里"
    assert "\x00" not in article.text() and len(article.text()) > 3000


@pytest.mark.parametrize("title", ["公告", "通知", "简讯"])
def test_a_title_of_two_han_characters(title: str, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(TEXT.replace("公告", title), encoding="utf-8")
    article = extract(read_file(path))
    assert article.title == title
    assert article.paragraphs()[0].startswith("本单位定于下周一")
