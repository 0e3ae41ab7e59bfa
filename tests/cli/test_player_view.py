"""The terminal player, driven as a person would: ``reader play`` in a pseudo-terminal (pexpect), keys typed,
the screen read back, and what it played read from the WAV sink."""

from __future__ import annotations

import io
import os
import re
import sys
import time
import wave
from pathlib import Path

import pexpect
import pytest
from helpers.play_helpers import ARTICLE_TEXT, RATE, Narrated, locate, narrate_short, read_wav

from reader._format import clock
from reader.cli.player_view import HELP, KEYS, Screen, split_keys
from reader.play.player import Player
from reader.play.tracks import FileTrack

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\x1b[=>]|\r")


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Narrated:
    return narrate_short(tmp_path_factory.mktemp("ui"))


class Terminal:
    """``reader ARGS`` in a 100×30 pseudo-terminal; ``frame()`` is the last screen it drew, as plain text."""

    def __init__(self, args: list[str], sink: Path, cwd: Path) -> None:
        env = {**os.environ, "READER_AUDIO_SINK": str(sink), "READER_AUDIO_SINK_PACE": "1", "TERM": "xterm-256color",
               "COLUMNS": "100", "LINES": "30"}
        self.sink = sink
        self.child = pexpect.spawn(sys.executable, ["-m", "reader", *args], env=env, cwd=str(cwd), dimensions=(30, 100),
                                   encoding="utf-8", timeout=30)
        self.text = ""

    def _read(self) -> None:
        try:
            while True:
                self.text += _ANSI.sub("", self.child.read_nonblocking(65536, timeout=0.05))
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass

    def frame(self) -> str:
        """The last whole screen: what was drawn between the last two help lines."""
        frames = self.text.split(HELP)
        return frames[-2] if len(frames) >= 2 else ""

    def wait_for(self, *fragments: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._read()
            frame = self.frame()
            if all(f in frame for f in fragments):
                return frame
        raise AssertionError(f"never showed {fragments}; last screen:\n{self.frame()}\n(all: {self.text[-3000:]})")

    def played(self) -> int:
        """How many samples the player has written to the sink so far (a valid WAV at any moment)."""
        try:
            return len(read_wav(self.sink))
        except (OSError, EOFError, wave.Error):
            return 0  # not opened yet, or its header not written yet

    def wait_played(self, samples: int, timeout: float = 20) -> int:
        """Wait until the sink holds ``samples`` samples: the player has played that far (not a guess of how
        long that takes)."""
        deadline = time.monotonic() + timeout
        while (now := self.played()) < samples:
            if time.monotonic() > deadline:
                raise AssertionError(f"played {now} samples, never {samples}; last screen:\n{self.frame()}")
            self._read()  # keeps the terminal's output flowing while it plays
        return now

    def press(self, keys: str) -> None:
        self.child.send(keys)

    def exit_status(self, timeout: float = 20) -> int:
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.text += _ANSI.sub("", self.child.before or "")
        self.child.close()
        assert self.child.exitstatus is not None, self.child.signalstatus
        return self.child.exitstatus


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_keys_chapters_pause_speed_seek_quit(short: Narrated, tmp_path: Path) -> None:
    sink = tmp_path / "ui.wav"
    starts = [c.start for c in short.narration.chapters]
    term = Terminal(["play", str(short.mp3)], sink, tmp_path)
    screen = term.wait_for("▶  1  播放测试", "▶ playing", "1×", f"/ {clock(short.narration.duration)}")
    assert "   2  第一部分" in screen and "   3  第二部分" in screen  # the chapter list, the first one marked
    assert lines(screen)[0] == "播放测试"  # the title
    term.wait_played(RATE // 2)  # half a second of chapter 1, for the check below
    term.press("n")
    screen = term.wait_for("▶  2  第一部分", "   1  播放测试")
    term.wait_played(term.played() + RATE)  # a second of chapter 2
    term.press(" ")
    screen = term.wait_for("❚❚ paused", "▶  2  第一部分")
    after_chapters = lines(screen.split("3  第二部分", 1)[1])  # the rest of that line is the chapter's time
    assert after_chapters[1] in ("第一部分", "第一部分的正文有两句话。")  # the sentence being read: the heading or the next
    term.press("+")
    term.wait_for("1.25×")
    term.press("\x1b[C")  # → 10 s: from chapter 2 into chapter 3
    screen = term.wait_for("▶  3  第二部分", "1.25×", "paused")
    term.press("-")
    term.press("-")
    term.wait_for("0.75×")
    term.press(" ")
    term.wait_for("▶ playing", "0.75×")
    term.wait_played(term.played() + RATE // 4)  # it plays again before it quits
    term.press("q")
    assert term.exit_status() == 0

    played = read_wav(sink)
    assert 1.0 < len(played) / RATE < short.narration.duration  # it played, in real time, and stopped at q
    # It played the start of chapter 1, then, after "n", chapter 2 from its first sample.
    found, score = locate(played[: RATE // 2], short.reference)
    assert score > 0.99 and found < 0.001
    jump = round(starts[1] * RATE)
    at, score = locate(short.reference[jump : jump + RATE // 2], played)
    assert score > 0.99 and 0.4 < at < 2.5, (at, score)


def test_ctrl_c_restores_the_terminal_and_exits_130(short: Narrated, tmp_path: Path) -> None:
    term = Terminal(["play", str(short.mp3)], tmp_path / "ui.wav", tmp_path)
    term.wait_for("▶ playing")
    term.press("\x03")
    assert term.exit_status() == 130
    assert "reader: interrupted" in term.text and "Traceback" not in term.text


def test_an_article_plays_in_the_terminal_while_it_is_narrated(tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE_TEXT.replace("流式播放测试", "终端流式测试"), encoding="utf-8")
    sink = tmp_path / "ui.wav"
    term = Terminal(["play", str(article), "--cache-dir", str(tmp_path / "cache")], sink, tmp_path)
    term.wait_for("▶  1  终端流式测试", "▶ playing")
    # The chapters still to come are listed, and get their start times as they are synthesized.
    term.wait_for("▶  1  终端流式测试", "2  一、开始部分  0:", "3  二、结束部分  0:")
    term.press("q")
    assert term.exit_status() == 0
    assert 0 < len(read_wav(sink)) and "Traceback" not in term.text


def test_screen_without_a_terminal(short: Narrated) -> None:
    """What is drawn, rendered into a string: a track without chapters or sentences still shows."""
    from rich.console import Console

    player = Player(FileTrack(short.mp3), start_chapter=1)
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(Screen(player).render())
    text = console.export_text()
    assert "▶  2  第一部分" in text and f"0:{int(short.narration.chapters[1].start):02d} /" in text
    assert HELP in text


def test_keys() -> None:
    assert split_keys(b" n\x1b[C+\x1b[Dq") == [b" ", b"n", b"\x1b[C", b"+", b"\x1b[D", b"q"]
    assert split_keys(b"\x1b") == [b"\x1b"]
    assert set(split_keys(b" np\x1b[C\x1b[D+-q")) <= set(KEYS)
    assert clock(3725) == "1:02:05" and clock(59.9) == "0:59"
