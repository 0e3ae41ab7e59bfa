"""The voice benchmark's bookkeeping (benchmarks/voices.py): figures, issue 22 item 5's verdict, the table.

Nothing is narrated, transcribed or scored here (Whisper and DistillMOS live in venvs of their own): the
numbers are given, and what is tested is what the benchmark concludes from them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from intelligibility_score import Tally

from voices import (
    BAKER,
    Figures,
    Run,
    choose,
    criteria,
    figures,
    gender,
    parse_mos,
    report,
    row,
    table,
    to_json,
    verdict,
)


def _run(text: str, voice: str, *, audio: float = 100.0, wall: float = 10.0, cer: tuple[int, int] = (10, 100),
         mos: float | None = 4.0, peak: float = 700.0) -> Run:
    return Run(text, voice, audio_s=audio, wall_s=wall, cpu_s=wall * 1.5, peak_mib=peak, cer=Tally(*cer),
               syllables=Tally(cer[0] // 2, cer[1]), mos=mos)


def _runs() -> list[Run]:
    return [
        _run("seed", BAKER, wall=10.0, cer=(20, 100), mos=4.0),
        _run("seed", "kokoro-a", audio=90.0, wall=15.0, cer=(18, 100), mos=4.6, peak=1000.0),
        _run("002", BAKER, audio=50.0, wall=5.0, cer=(5, 50), mos=3.9),
        _run("002", "kokoro-a", audio=60.0, wall=20.0, cer=(6, 50), mos=4.3),
        _run("032", "kokoro-a", audio=40.0, wall=40.0, cer=(40, 40), mos=1.0),  # no Baker run: left out
    ]


def test_figures_cover_only_the_texts_baker_narrated_too() -> None:
    f = figures(_runs(), "kokoro-a", {"kokoro-a": [1.2, 1.6, 1.4]})
    assert f.texts == 2 and f.audio_s == 150.0
    assert f.cer == Tally(24, 150)
    assert f.mos == pytest.approx((4.6 * 90 + 4.3 * 60) / 150)  # weighted by each text's audio
    assert f.rtf == pytest.approx(35.0 / 150.0)
    assert f.cpu_rtf == pytest.approx(52.5 / 150.0)
    assert f.peak_mib == 1000.0
    assert f.wall_ratios == [1.5, 4.0] and f.wall_ratio == 2.75  # per text, median
    assert f.first_sound_s == 1.4


BAKER_CER = Tally(16, 100)


def test_first_sound_is_compared_with_the_baker_turn_beside_it() -> None:
    f = figures(_runs(), "kokoro-a", {"kokoro-a": [2.0, 9.0, 3.0]}, {"kokoro-a": [2.0, 1.5, 3.0]})
    assert f.first_sound_s == 3.0
    assert f.first_sound_ratio(BAKER_FIGURES) == 2.0  # the median of the pairs, not 3.0 ÷ Baker's median
    assert "3.00 s, 2.00 × Baker's (≤ 1.5 s)" in [c.figure for c in criteria(f, BAKER_FIGURES)]
    assert row(f, BAKER_FIGURES)[-1] == "3.00 s (2.00 ×)"


def _figures(voice: str, *, cer: Tally = BAKER_CER, mos: float | None = 4.5, rtf: float = 0.15,
             peak: float = 900.0, ratios: tuple[float, ...] = (3.0, 3.2, 3.4), first: tuple[float, ...] = (1.2,)) -> Figures:
    return Figures(voice, len(ratios), 300.0, cer, Tally(5, 100), mos, rtf, rtf * 1.8, peak, list(ratios), list(first))


BAKER_FIGURES = Figures(BAKER, 3, 320.0, BAKER_CER, Tally(7, 100), 4.0, 0.05, 0.09, 650.0, [1.0] * 3, [1.0])


def test_a_voice_on_every_bar_meets_item_5() -> None:
    found = criteria(_figures("kokoro-a"), BAKER_FIGURES, make_test_s=540.0)
    assert [c.met for c in found] == [True] * 7
    assert verdict(found) == "meets item 5"
    by_name = {c.name: c.figure for c in found}
    assert by_name["CER"] == "0.160 = 1.00 × Baker's 0.160 (≤ 1 ×)"
    assert by_name["DistillMOS"] == "4.50 = Baker's 4.00 +0.50 (≥ +0.3)"
    assert by_name["narrate time"] == "3.20 × Baker's (median, texts 3.00–3.40; ≤ 3.5 ×)"
    assert by_name["first sound"] == "1.20 s, 1.20 × Baker's (≤ 1.5 s)"
    assert by_name["make test"] == "9.0 min (< 10 min)"


@pytest.mark.parametrize(("changes", "failed"), [
    ({"cer": Tally(17, 100)}, "CER"),  # 1.06 × Baker's
    ({"mos": 4.29}, "DistillMOS"),  # +0.29
    ({"ratios": (3.4, 3.6, 3.7)}, "narrate time"),  # median 3.6 ×
    ({"rtf": 0.21}, "real-time factor"),
    ({"peak": 1300.0}, "peak memory"),  # over 1.2 GiB
    ({"first": (1.4, 1.6, 1.7)}, "first sound"),  # median 1.6 s
])
def test_each_bar_alone_fails_the_voice(changes: dict[str, object], failed: str) -> None:
    found = criteria(_figures("kokoro-a", **changes), BAKER_FIGURES, make_test_s=540.0)  # type: ignore[arg-type]
    assert [c.name for c in found if c.met is False] == [failed]
    assert verdict(found) == f"fails: {failed}"


def test_the_bars_hold_at_their_edges() -> None:
    edge = _figures("kokoro-a", cer=Tally(16, 100), mos=4.3, rtf=0.2, peak=1.2 * 1024, ratios=(3.5,), first=(1.5,))
    assert all(c.met for c in criteria(edge, BAKER_FIGURES, make_test_s=599.0))
    assert criteria(edge, BAKER_FIGURES, make_test_s=600.0)[-1].met is False  # "under 10 minutes"


def test_what_was_not_measured_is_said_and_not_held_against_a_voice() -> None:
    voice = _figures("kokoro-a", mos=None, first=())
    found = criteria(voice, BAKER_FIGURES)
    assert {c.name for c in found if c.met is None} == {"DistillMOS", "first sound", "make test"}
    assert verdict(found) == "meets what was measured (not measured: DistillMOS, first sound, make test)"
    assert choose([voice], BAKER_FIGURES) == "kokoro-a"


def test_the_candidate_is_the_lowest_cer_that_fails_nothing_then_the_higher_mos() -> None:
    voices = [
        _figures("kokoro-best-but-slow", cer=Tally(12, 100), ratios=(5.0,)),
        _figures("kokoro-b", cer=Tally(15, 100), mos=4.4),
        _figures("kokoro-c", cer=Tally(15, 100), mos=4.6),
        _figures("kokoro-d", cer=Tally(16, 100), mos=4.9),
    ]
    assert choose(voices, BAKER_FIGURES, 500.0) == "kokoro-c"
    assert choose(voices[:1], BAKER_FIGURES, 500.0) is None


def test_gender_comes_from_the_kokoro_voice_id() -> None:
    assert gender("zm_yunjian") == "male" and gender("zf_xiaoxiao") == "female"
    assert gender("baker") is None and gender("zh-CN-YunyangNeural") is None


def test_table_rows_and_columns() -> None:
    voice = _figures("kokoro-a", cer=Tally(15, 100))
    cells = row(voice, BAKER_FIGURES)
    assert cells == ["kokoro-a", "0.150", "0.94", "0.050", "4.50", "+0.50", "0.150", "3.20 (3.00–3.40)", "0.270",
                     "900", "1.20 s (1.20 ×)"]
    assert row(BAKER_FIGURES, BAKER_FIGURES)[:6] == ["baker", "0.160", "1.00", "0.070", "4.00", ""]
    lines = table([row(BAKER_FIGURES, BAKER_FIGURES), cells])
    assert len({len(line) for line in lines}) == 1  # every line as wide as the header
    assert lines[0].startswith("voice   ") and lines[2].startswith("baker   ") and lines[3].startswith("kokoro-a")
    assert lines[3].endswith("1.20 s (1.20 ×)")
    markdown = table([cells], markdown=True)
    assert markdown[0].startswith("| voice | CER | × Baker |") and markdown[1] == "|" + "---|" * 11
    assert markdown[2] == "| " + " | ".join(cells) + " |"


def test_unmeasured_cells_show_a_dash() -> None:
    cells = row(_figures("kokoro-a", mos=None, first=()), BAKER_FIGURES)
    assert cells[4] == cells[5] == cells[10] == "-"


def test_report_puts_baker_first_then_the_best_and_names_the_voices_to_choose() -> None:
    found = [_figures("kokoro-yunxi", cer=Tally(17, 100)), BAKER_FIGURES, _figures("kokoro-xiaoxiao", cer=Tally(14, 100))]
    genders = {"kokoro-yunxi": "male", "kokoro-xiaoxiao": "female", BAKER: None}
    lines = report(found, genders, make_test_s=500.0)
    assert [line.split()[0] for line in lines[2:5]] == [BAKER, "kokoro-xiaoxiao", "kokoro-yunxi"]
    assert "kokoro-yunxi: fails: CER" in lines
    assert "kokoro-xiaoxiao: meets item 5" in lines
    assert "  ✗ CER               0.170 = 1.06 × Baker's 0.160 (≤ 1 ×)" in lines
    assert lines[-3:] == ["default candidate: kokoro-xiaoxiao", "best male voice by the table: kokoro-yunxi",
                          "best female voice by the table: kokoro-xiaoxiao"]


def test_mos_output_is_read_per_file() -> None:
    files = [Path("/tmp/a b/seed-baker.wav"), Path("/tmp/a b/seed-kokoro-yunxi.wav")]
    output = (f"{'file':<30}   distillmos     mfcc_sqa\n"
              f"{files[0]}        3.987       3.100\n"
              f"{files[1]}        4.701       3.500\n"
              "MEAN (n=2)                      4.344       3.300\n")
    assert parse_mos(output, files) == {files[0]: (3.987, 3.1), files[1]: (4.701, 3.5)}
    assert parse_mos("nothing here\n", files) == {}


def test_json_holds_every_run_and_each_voices_verdict() -> None:
    runs = _runs()
    found = [figures(runs, v) for v in (BAKER, "kokoro-a")]
    out = to_json(runs, found, None, {"texts": ["seed", "002", "032"]})
    assert out["texts"] == ["seed", "002", "032"] and len(out["runs"]) == 5
    assert out["runs"][0]["cer"] == {"rate": 0.2, "errors": 20, "chars": 100}
    assert "criteria" not in out["voices"][BAKER]
    kokoro = out["voices"]["kokoro-a"]
    assert kokoro["verdict"] == "fails: real-time factor"  # 35 s of wall for 150 s of audio
    assert [c["name"] for c in kokoro["criteria"]][:3] == ["CER", "DistillMOS", "narrate time"]
    assert out["default_candidate"] is None
