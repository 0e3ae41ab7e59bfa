"""The paragraphs of the corpus whose spoken form differs between two checkouts of reader, as text articles.

Used to measure a normalizer change with the intelligibility benchmark where it matters: a page whose spoken
text is the same gives the same audio (the engines are deterministic), so only the changed paragraphs can
score differently. The article files hold the original text; each checkout normalizes it its own way.

    python benchmarks/changed_paragraphs.py OLD_CHECKOUT NEW_CHECKOUT OUT_DIR
    # then, in each checkout (PYTHONPATH=that checkout):
    python benchmarks/intelligibility.py --articles OUT_DIR/c006.txt,... --extra-voice kokoro-yunjian

Each checkout is run in a subprocess of its own (``PYTHONPATH``), so the two readers never share a process.
English pages are left out, as the intelligibility benchmark leaves them out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

# Run inside each checkout: every Chinese page's paragraphs, original and spoken, as JSON on stdout.
_SPOKEN = """
import json, sys
from pathlib import Path
from reader.source.fetch import fetch
from reader.text.normalize import normalize
try:
    from reader.extraction import extract
except ImportError:  # before the layout of issue 11
    from reader.extract import extract
out = {}
for page in sorted(Path(sys.argv[1]).glob("*/page.html")):
    try:
        article = extract(fetch(str(page)))
    except Exception as exc:  # a page one checkout cannot read is reported, not fatal
        print(f"{page.parent.name}: {exc}", file=sys.stderr)
        continue
    if sum("\\u4e00" <= ch <= "\\u9fff" for ch in article.title + "".join(article.paragraphs())) < 50:
        continue  # not a Chinese page
    paragraphs = article.paragraphs()
    out[page.parent.name] = [paragraphs, [normalize(p) for p in paragraphs]]
json.dump(out, sys.stdout, ensure_ascii=False)
"""


def spoken(checkout: Path, corpus: Path) -> dict[str, list[list[str]]]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    # cwd too: "python -c" puts the working directory first on the path, before PYTHONPATH
    done = subprocess.run([sys.executable, "-c", _SPOKEN, str(corpus.resolve())], env=env, cwd=checkout,
                          capture_output=True, text=True, check=True)
    result: dict[str, list[list[str]]] = json.loads(done.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    old, new = spoken(args.old, args.corpus), spoken(args.new, args.corpus)
    args.out.mkdir(parents=True, exist_ok=True)
    files, total = [], 0
    for page in sorted(old.keys() & new.keys()):
        (original, before), (same, after) = old[page], new[page]
        if original != same:
            print(f"{page}: the two checkouts extract different paragraphs; left out", file=sys.stderr)
            continue
        changed = [p for p, b, a in zip(original, before, after, strict=True) if b != a and len(p) >= 20]
        if not changed:
            continue
        path = args.out / f"c{page}.txt"
        path.write_text(f"{page} 改动的段落\n\n" + "\n\n".join(changed) + "\n", encoding="utf-8")
        files.append(str(path))
        total += sum(map(len, changed))
        print(f"{page}: {len(changed)} paragraph(s), {sum(map(len, changed))} characters")
    print(f"{len(files)} page(s), {total} characters")
    print("--articles " + ",".join(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
