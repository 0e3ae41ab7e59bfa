"""Does a short first chunk (``reader.text.segment.short_first``, what `reader play` synthesizes first) sound
worse with a Kokoro voice? Whisper's character error rate on the same sentences spoken both ways, one run.

    .venv-bench/bin/python benchmarks/first_chunk_cer.py [--voice kokoro-yunxi] [--limit 24] [--model base]

For each article (the seed and the Chinese pages of ../shared/corpus), the first sentence that
``short_first`` would cut (the first chunk longer than ``FIRST_CHUNK_CHARS`` when the article is segmented
for the voice, header included, as play segments it):

- whole: the sentence in one call, as ``reader narrate`` speaks it;
- cut: the head alone, the clause pause (``Pauses.clause``), then the rest in one call, as `reader play`
  now speaks it.

Prints CER (Whisper, ``intelligibility_score``'s comparable form) over all sentences both ways, over the heads
only (the reference span of the head, aligned in each transcript), and the ratio cut ÷ whole. Kokoro picks its
style vector by token count, so the head is where a short input would show.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", default="kokoro-yunxi")
    parser.add_argument("--limit", type=int, default=24, help="articles at most (24)")
    parser.add_argument("--model", default="base", help="Whisper model (base)")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".bench-cache" / "first-chunk")
    args = parser.parse_args()
    os.environ["READER_CONFIG_DIR"] = tempfile.mkdtemp(prefix="reader-bench-config-")
    logging.getLogger("reader").setLevel(logging.ERROR)
    logging.getLogger("faster_whisper").setLevel(logging.ERROR)

    from intelligibility import CORPUS, SEED, Source, corpus_pages
    from intelligibility_score import Tally, align, canonical
    from whisper_asr import Settings, Transcriber

    from reader.errors import ReaderError
    from reader.extraction import extract
    from reader.narration.pipeline import NarrateOptions, Narrator, spoken_form
    from reader.settings import Pauses
    from reader.source.fetch import read_file
    from reader.text.segment import FIRST_CHUNK_CHARS, segment, short_first

    narrator = Narrator(NarrateOptions(voice=args.voice))
    chosen = narrator.preset
    backend = narrator.backend
    spoken = spoken_form(narrator.lexicon, narrator.abilities)
    pairs = []
    for source in [Source("seed", SEED), *corpus_pages(CORPUS)]:
        try:
            chunks = segment(extract(read_file(source.path)), backend.max_chunk_chars, spoken)
        except ReaderError:
            continue
        for i, chunk in enumerate(chunks):
            if len(chunk.spoken) > FIRST_CHUNK_CHARS:
                cut = short_first(chunks[i:], spoken)
                if len(cut) > len(chunks[i:]):
                    pairs.append((source.id, chunk, cut[0], cut[1]))
                break
        if len(pairs) >= args.limit:
            break

    asr = Transcriber(Settings(args.model), args.cache_dir)
    gap = np.zeros(round(Pauses().clause * backend.sample_rate), dtype=np.float32)

    def pcm(text: str) -> np.ndarray:
        audio = backend.synthesize(text, chosen.voice, chosen.rate)
        return np.frombuffer(audio.pcm, dtype="<i2").astype(np.float32) / 32768

    def heard(samples: np.ndarray) -> str:
        # Whisper takes 16 kHz; Kokoro speaks 24 kHz: resample by linear interpolation (speech band intact).
        n = round(len(samples) * 16000 / backend.sample_rate)
        return asr.transcribe(np.interp(np.linspace(0, len(samples) - 1, n), np.arange(len(samples)),
                                        samples).astype(np.float32))

    totals = {"whole": Tally(), "cut": Tally(), "whole head": Tally(), "cut head": Tally()}
    lengths = []
    for name, chunk, head, rest in pairs:
        ref, ref_head = canonical(chunk.text), canonical(head.text)
        if not ref.startswith(ref_head):
            continue
        lengths.append(len(head.spoken))
        whole = align(ref, canonical(heard(pcm(chunk.spoken))))
        cut = align(ref, canonical(heard(np.concatenate([pcm(head.spoken), gap, pcm(rest.spoken)]))))
        totals["whole"] += whole.tally()
        totals["cut"] += cut.tally()
        totals["whole head"] += whole.tally(0, len(ref_head))
        totals["cut head"] += cut.tally(0, len(ref_head))
        print(f"{name:6} head {len(head.spoken):2} chars: whole {whole.tally().rate:.3f} cut {cut.tally().rate:.3f}"
              f"  (head {whole.tally(0, len(ref_head)).rate:.3f} / {cut.tally(0, len(ref_head)).rate:.3f})"
              f"  {head.text}|{rest.text[:20]}…", flush=True)
    print(f"{args.voice}, {len(lengths)} first sentences, heads of {min(lengths)}-{max(lengths)} spoken characters "
          f"(median {sorted(lengths)[len(lengths) // 2]}); {asr.settings.describe()}")
    for span in ("", " head"):
        a, b = totals["whole" + span], totals["cut" + span]
        what = "the heads only" if span else "whole sentences"
        print(f"  CER over {what}: whole {a.rate:.3f}, cut {b.rate:.3f}; ratio cut ÷ whole "
              f"{b.rate / a.rate if a.rate else float('nan'):.2f}  ({a.chars} characters)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
