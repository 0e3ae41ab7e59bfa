"""Progress that reads at 80 columns: the views drawn with an injected clock at 80 and 120 columns, and
``reader batch`` / ``reader narrate`` run in a pseudo-terminal of those widths, the screen read back by a
terminal emulator (pyte)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pexpect
import pyte
import pytest
from rich.cells import cell_len
from rich.console import Console

from reader.cli.progress import BatchView, NarrateView
from reader.library.batch import BatchEvent, Outcome
from reader.speech.synthesize import Progress

TITLE = "重庆市万州区人民政府关于二〇二三年度城市基础设施建设工作情况的通报第一批"  # 80 columns


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def drawn(view: object, width: int) -> list[str]:
    console = Console(width=width, record=True, file=open(os.devnull, "w"), color_system=None)  # noqa: SIM115
    console.print(view)
    return console.export_text().splitlines()


def cells(text: str) -> int:
    return cell_len(text)


def test_batch_view_at_80_and_120_columns() -> None:
    clock = FakeClock()
    view = BatchView(clock)
    view.update(BatchEvent("planned", total=4))
    view.update(BatchEvent("started", "/in/a.txt"))
    view.update(BatchEvent("started", "/in/b.txt"))
    view.update(BatchEvent("finished", "/in/b.txt", outcome=Outcome("/in/b.txt", "skipped")))
    view.update(BatchEvent("chunks", "/in/a.txt", title=TITLE, chunks=Progress(10, 20, 300, 600, 0)))
    view.update(BatchEvent("started", "https://example.gov.cn/news/art_9.html"))
    clock.t += 45  # b was unchanged (no time); half of a's chunks, 0.4 of its work, in 45 s: 2.6 to go in 4:52
    for width in (80, 120):
        lines = drawn(view, width)
        assert [cells(line) for line in lines] == [width] * 4  # every line fits, none wraps
        assert lines[0].startswith("articles 1/4 ━") and lines[0].endswith("elapsed 0:45  ETA 4:52")
        assert lines[1].strip() == "0 narrated · 1 unchanged · 0 failed"
        assert lines[2].startswith("1/4 重庆市万州区") and lines[2].endswith("chunks 10/20   ━━━━━━━━━━")
        assert lines[3].startswith("3/4 art_9.html") and lines[3].rstrip().endswith("fetch")
    assert "…" in drawn(view, 80)[2] and TITLE + " " in drawn(view, 120)[2]
    narrow = drawn(view, 40)
    assert [cells(line) for line in narrow] == [40] * 4 and "10/20" in narrow[2]


def test_batch_eta_counts_the_encoding_and_not_the_unchanged() -> None:
    """A resumed batch: eight unchanged articles at once, then one narrated; its last chunk is spoken at 5 s
    and its encoding takes 10 s more. The ETA grows while nothing moves, never sits at 0:01 (issue 23 A7)."""
    clock = FakeClock()
    view = BatchView(clock)
    view.update(BatchEvent("planned", total=10))
    for n in range(8):
        view.update(BatchEvent("started", f"/in/{n}.txt"))
        view.update(BatchEvent("finished", f"/in/{n}.txt", outcome=Outcome(f"/in/{n}.txt", "skipped")))
    view.update(BatchEvent("started", "/in/8.txt"))
    clock.t += 5
    view.update(BatchEvent("chunks", "/in/8.txt", title="标题", chunks=Progress(10, 10, 500, 500, 0)))
    view.update(BatchEvent("stage", "/in/8.txt", stage="encode"))
    etas = []
    for _ in range(10):
        clock.t += 1
        remaining = view.remaining()
        assert remaining is not None
        etas.append(remaining)
    assert etas == sorted(etas) and etas[0] > 5  # 9 - 0.8 = 1.2 articles left at 0.8 per 6 s: 9 s
    assert drawn(view, 80)[0].endswith("elapsed 0:15  ETA 0:22")
    view.update(BatchEvent("finished", "/in/8.txt", outcome=Outcome("/in/8.txt", "done")))
    assert view.remaining() == pytest.approx(15.0)  # one article narrated in 15 s, one to go


def test_narrate_view_labels_its_eta() -> None:
    clock = FakeClock()
    view = NarrateView(clock)
    view.set_stage("segment")
    assert drawn(view, 80)[0].endswith("elapsed 0:00  ETA --:--")
    view.set_stage("synthesize")
    clock.t += 4
    view.update(Progress(5, 20, 250, 1000, 0))  # a quarter of the characters in 4 s: 12 s to go
    for width in (80, 120):
        [line] = drawn(view, width)
        assert cells(line) == width
        assert line.startswith("synthesize ━") and line.endswith(" 5/20 chunks  elapsed 0:04  ETA 0:12")


# ---------------------------------------------------------------------------------------------------------
# In a pseudo-terminal

ARTICLE = (f"{TITLE}\n\n日期：2024-05-01 来源：万州区人民政府\n\n"
           + "".join(f"第{n}段，全区共完成投资{n}亿元。\n\n" for n in range(1, 7)))


def run_in_terminal(args: list[str], width: int, cwd: Path) -> list[list[str]]:
    """``reader ARGS`` in a pseudo-terminal ``width`` columns wide; every screen it showed, as lines."""
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(width), "LINES": "24"}
    child = pexpect.spawn(sys.executable, ["-m", "reader", *args], env=env, cwd=str(cwd), dimensions=(24, width),
                          timeout=120)
    screen = pyte.Screen(width, 24)
    stream = pyte.ByteStream(screen)
    frames: list[list[str]] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            stream.feed(child.read_nonblocking(65536, timeout=0.5))
        except pexpect.TIMEOUT:
            continue
        except pexpect.EOF:
            break
        frames.append([line.rstrip() for line in screen.display])
    child.close()
    assert child.exitstatus == 0, "\n".join(frames[-1] if frames else [])
    return frames


@pytest.mark.parametrize("width", [80, 120])
def test_batch_progress_in_a_terminal(tmp_path: Path, width: int) -> None:
    for name in ("a", "b"):  # the same article twice: the second is a copy out of the narration store
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / f"{name}.txt").write_text(ARTICLE, encoding="utf-8")
    frames = run_in_terminal(["batch", str(tmp_path / "in"), "-o", str(tmp_path / "lib"), "--cache-dir",
                              str(tmp_path / "cache")], width, tmp_path)
    shown = [f for f in frames if f[0].startswith("articles ")]
    assert shown, frames[-1]
    for frame in shown:  # the head line is whole: elapsed and ETA on it, never wrapped onto the next
        assert "elapsed " in frame[0] and " ETA " in frame[0], frame
    working = [line for f in shown for line in f if line.startswith("1/2 重庆市万州区") and "chunks " in line]
    assert working, shown[-1]
    if width == 80:
        assert all("…" in line and cells(line) <= 80 for line in working)
    else:
        assert all(TITLE in line for line in working)
    assert any(f[0].startswith("articles 0/2") for f in shown)
    assert "2 narrated, 0 unchanged, 0 failed" in "\n".join(frames[-1])  # the summary when it is done


@pytest.mark.parametrize("width", [80, 120])
def test_narrate_progress_in_a_terminal(tmp_path: Path, width: int) -> None:
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    frames = run_in_terminal(["narrate", "a.txt", "--cache-dir", str(tmp_path / "cache")], width, tmp_path)
    lines = [line for f in frames for line in f if line.startswith("synthesize ") and "chunks" in line]
    assert lines, frames[-1]
    for line in lines:
        assert " ETA " in line and "elapsed " in line and cells(line) <= width
