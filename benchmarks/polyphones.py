"""Polyphones: how often each candidate front end reads the marked character of the case table as expected.

    .venv/bin/python benchmarks/polyphones.py                      # every candidate that is installed
    PYTHONPATH=/tmp/extra .venv/bin/python benchmarks/polyphones.py --candidate g2pm

The cases are ``tests/fixtures/text/polyphones.tsv`` (news sentences, one marked character each, with its
expected reading). Each candidate runs in a fresh interpreter, so that its import time and memory (peak RSS
after converting every sentence) are its own, and so that candidates which change pypinyin's process-global
phrase table (pypinyin-dict) do not touch the others. Candidates:

- ``reader``: ``Lexicon.to_pinyin`` with the shipped lexicon (forward maximum matching over pypinyin's
  phrases), what the Baker voice reads;
- ``reader-words``: the same with ``words="jieba"`` (rjieba words, readings inside each word as before), what
  the Kokoro voices read;
- ``jieba-reader``: rjieba words, each given to ``Lexicon.to_pinyin`` (phrases never cross a jieba word);
- ``pypinyin``: ``pypinyin.pinyin`` on the whole sentence (its own maximum matching);
- ``jieba-pypinyin``: rjieba words, each given to ``pypinyin.pinyin`` (misaki's ``ZHG2P`` does this with
  jieba);
- ``pypinyin-dict-*``: pypinyin after pypinyin-dict has replaced its phrase table (``large_pinyin``,
  ``cc_cedict``, ``zdic``: zdic_cibs + zdic_cybs) and, for ``+8105``, its character table (kMandarin_8105);
- ``g2pm``: g2pM (a small BiLSTM whose weights are in its wheel: no download).

Prints a table of accuracy, import seconds and peak RSS, and the cases each candidate gets wrong.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "fixtures" / "text" / "polyphones.tsv"
CANDIDATES = ("reader", "reader-words", "jieba-reader", "pypinyin", "jieba-pypinyin", "pypinyin-dict-large", "pypinyin-dict-cedict",
              "pypinyin-dict-zdic", "pypinyin-dict-large+8105", "g2pm")


def load_cases(path: Path = CASES) -> list[tuple[str, int, str]]:
    """(sentence, index of the marked character, expected reading) for each case."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        reading, marked = line.split("\t")
        index = marked.index("[")
        cases.append((marked.replace("[", "").replace("]", ""), index, reading))
    return cases


def _norm(syllable: str | None) -> str:
    return (syllable or "").lower().replace("u:", "v").replace("ü", "v")


def converter(name: str) -> Callable[[str], list[str | None]]:
    """A function sentence → one reading per character, for candidate ``name``."""
    if name in ("reader", "reader-words"):
        from reader.text.lexicon import default_lexicon

        lexicon = default_lexicon()
        if name == "reader":
            return lambda s: [p for _c, p in lexicon.to_pinyin(s)]
        if name == "jieba-reader":
            import rjieba

            return lambda s: [p for w in rjieba.cut(s, hmm=True) for _c, p in lexicon.to_pinyin(w)]
        return lambda s: [p for _w, pairs in lexicon.to_pinyin_words(s, words="jieba") for _c, p in pairs]
    if name == "g2pm":
        from g2pM import G2pM

        model = G2pM()
        return lambda s: model(s, tone=True, char_split=False)
    from pypinyin import Style, pinyin

    if name.startswith("pypinyin-dict-"):
        from pypinyin.seg import mmseg
        from pypinyin_dict.phrase_pinyin_data import (
            cc_cedict,
            large_pinyin,
            zdic_cibs,
            zdic_cybs,
        )
        from pypinyin_dict.pinyin_data import kmandarin_8105

        spec = name.removeprefix("pypinyin-dict-")
        {"large": large_pinyin.load, "cedict": cc_cedict.load, "large+8105": large_pinyin.load,
         "zdic": lambda: (zdic_cibs.load(), zdic_cybs.load())}[spec]()
        if spec.endswith("+8105"):
            kmandarin_8105.load()
        mmseg.retrain(mmseg.seg)

    def one(text: str) -> list[str | None]:
        # characters with no reading: one None each, so that readings stay aligned with characters
        def none(chars: str) -> Any:
            return [None] * len(chars)

        return [x[0] for x in pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors=none)]

    if name == "jieba-pypinyin":
        import rjieba

        return lambda s: [p for w in rjieba.cut(s, hmm=True) for p in one(w)]
    return one


def run_one(name: str) -> dict[str, object]:
    cases = load_cases()
    start = time.perf_counter()
    convert = converter(name)
    convert("预热")
    loaded = time.perf_counter() - start
    wrong = []
    for sentence, index, expected in cases:
        readings = convert(sentence)
        got = _norm(readings[index]) if len(readings) == len(sentence) else f"<{len(readings)} readings>"
        if got != expected:
            wrong.append(f"{sentence[index]} {expected}→{got} {sentence}")
    return {"candidate": name, "cases": len(cases), "right": len(cases) - len(wrong), "load_s": round(loaded, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "wrong": wrong}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidate", action="append", choices=CANDIDATES)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--show-wrong", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.candidate[0]), ensure_ascii=False))
        return
    results = []
    for name in args.candidate or CANDIDATES:
        done = subprocess.run([sys.executable, __file__, "--child", "--candidate", name], capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{name}: not measured ({done.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
            continue
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print("| candidate | right | accuracy | load s | peak RSS MB |\n|---|---|---|---|---|")
    for r in results:
        print(f"| {r['candidate']} | {r['right']}/{r['cases']} | {r['right'] / r['cases']:.3f} | {r['load_s']} | {r['peak_rss_mb']} |")
    if args.show_wrong:
        for r in results:
            print(f"\n{r['candidate']}:")
            for w in r["wrong"]:
                print("  ", w)


if __name__ == "__main__":
    main()
