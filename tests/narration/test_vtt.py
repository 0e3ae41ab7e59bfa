"""WebVTT writing and reading: exact output, escaping, ordering, round trips, ffmpeg as a second reader."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.audio.ffmpeg import run_ffmpeg
from reader.errors import OutputError
from reader.models import Cue
from reader.narration.vtt import parse_webvtt, to_webvtt, write_webvtt


def test_exact_output() -> None:
    cues = [Cue(1.0, 3.5, "今天上午，国务院新闻办公室举行新闻发布会。"), Cue(3.9, 3725.0421, "谢谢大家。")]
    assert to_webvtt(cues) == (
        "WEBVTT\n\n"
        "1\n00:00:01.000 --> 00:00:03.500\n今天上午，国务院新闻办公室举行新闻发布会。\n\n"
        "2\n00:00:03.900 --> 01:02:05.042\n谢谢大家。\n"
    )
    assert to_webvtt([]) == "WEBVTT\n"


def test_escaping_and_lines() -> None:
    vtt = to_webvtt([Cue(0, 1, "A & B <b>粗</b> --> x\n\n第二行\r\n  第三  行")])
    assert vtt.splitlines()[4:] == ["A &amp; B &lt;b&gt;粗&lt;/b&gt; --&gt; x", "第二行", "第三 行"]  # no blank line
    assert parse_webvtt(vtt)[0].text == "A & B <b>粗</b> --> x\n第二行\n第三 行"


def test_order_and_overlaps_are_repaired() -> None:
    cues = [
        Cue(5.0, 7.0, "third"),
        Cue(0.0, 2.5, "first"),  # overlaps the next: ends where it starts
        Cue(2.0, 4.0, "second"),
        Cue(-0.5, -0.1, "before the start: dropped"),
        Cue(8.0, 8.0, "no duration: dropped"),
        Cue(9.0, 10.0, "   "),  # blank: dropped
        Cue(10.0004, 11.0, "rounds onto the previous end without overlapping"),
    ]
    parsed = parse_webvtt(to_webvtt(cues))
    assert [(c.start, c.end, c.text) for c in parsed] == [
        (0.0, 2.0, "first"), (2.0, 4.0, "second"), (5.0, 7.0, "third"),
        (10.0, 11.0, "rounds onto the previous end without overlapping"),
    ]
    assert [line for line in to_webvtt(cues).splitlines() if line.isdigit()] == ["1", "2", "3", "4"]


def test_parse_what_other_tools_write() -> None:
    text = (
        "\ufeffWEBVTT - made elsewhere\r\nKind: captions\r\nLanguage: zh\r\n\r\n"
        "STYLE\r\n::cue { color: yellow }\r\n\r\n"
        "NOTE a comment\r\nover two lines\r\n\r\n"
        "00:01.000 --> 00:02.500 align:start position:10%\r\n<v 主播>你好，&lt;世界&gt;&nbsp;!</v>\r\n第二行\r\n\r\n"
        "intro-2\r\n00:00:03.000 --> 00:00:04.000\r\n<c.red>红</c> <00:00:03.500>字\r\n\r\n"
        "broken\r\n00:05 --> 00:06\r\nno valid timing: skipped\r\n"
    )
    assert parse_webvtt(text) == [Cue(1.0, 2.5, "你好，<世界>\u00a0!\n第二行"), Cue(3.0, 4.0, "红 字")]
    with pytest.raises(ValueError, match="WEBVTT"):
        parse_webvtt("1\n00:00:01.000 --> 00:00:02.000\nhi\n")
    with pytest.raises(ValueError):
        parse_webvtt("WEBVTTX\n")


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 5000), st.floats(0, 30), texts), max_size=25))
def test_round_trip_properties(raw: list[tuple[float, float, str]]) -> None:
    cues = [Cue(start, start + length, text) for start, length, text in raw]
    parsed = parse_webvtt(to_webvtt(cues))
    for cue in parsed:
        assert cue.end > cue.start and cue.text and "\n\n" not in cue.text
    for a, b in zip(parsed, parsed[1:], strict=False):
        assert a.end <= b.start
    # the model: valid cues sorted by start; of several starting in the same millisecond the last one stays
    def lines(text: str) -> str:
        return "\n".join(x for x in (" ".join(part.split()) for part in text.splitlines()) if x)

    valid = sorted(((round(c.start * 1000), lines(c.text)) for c in cues
                    if c.text.split() and round(c.end * 1000) > round(c.start * 1000)), key=lambda v: v[0])
    kept = [(start / 1000, text) for i, (start, text) in enumerate(valid)
            if i + 1 == len(valid) or valid[i + 1][0] > start]
    assert [(c.start, c.text) for c in parsed] == kept


def test_write_is_atomic_and_readable_by_ffmpeg(tmp_path: Path) -> None:
    out = tmp_path / "article.vtt"
    out.write_text("old")
    cues = [Cue(0.5, 2.0, "第一句 & <第二句>"), Cue(2.4, 4.0, "第三句。")]
    write_webvtt(out, cues)
    assert parse_webvtt(out.read_text(encoding="utf-8")) == [
        Cue(0.5, 2.0, "第一句 & <第二句>"), Cue(2.4, 4.0, "第三句。")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["article.vtt"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    srt = run_ffmpeg(["-i", str(out), "-f", "srt", "-"]).decode("utf-8")
    assert "00:00:00,500 --> 00:00:02,000" in srt and "第一句 & <第二句>" in srt and "第三句。" in srt


def test_write_into_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="nowhere"):
        write_webvtt(tmp_path / "nowhere" / "a.vtt", [Cue(0, 1, "x")])
