"""English words inside Chinese: are they heard? Kokoro before/after, Baker spelled vs skipped, by Whisper.

    make bench-english          # both steps below, Whisper base
    .venv/bin/python benchmarks/english_words.py synthesize DIR        # reader's venv: the audio
    .venv-bench/bin/python benchmarks/english_words.py score DIR      # the Whisper venv: the scores

``synthesize`` speaks each sentence of ``SENTENCES`` (one engine call each) in every condition and writes
DIR/<condition>/NN.wav and DIR/manifest.json (the spoken forms, the durations):

- kokoro-before/<voice>: the spoken form reader gave a Kokoro voice before it said Latin (every letter
  spelled in Chinese syllables: iPhone → 艾批艾尺欧恩伊), through the same engine;
- kokoro-after/<voice>: Latin kept, English words said as English (``reader/speech/engines/kokoro_english``);
- baker-spelled: Baker with every Latin word spelled (as before);
- baker-skip-long: Baker skipping only words of more than five letters that are not acronyms;
- baker-skip: Baker skipping every word that is not an acronym (``rules.is_acronym``): what ships.

``score`` transcribes each WAV (Whisper, language zh, cached) and prints per condition: the share of the
English words found in the transcript (letters only, case folded: "NBA" is found in "N.B.A."), and the CER of
the Chinese around them (reference: the sentence without its Latin words, in the canonical spoken form;
hypothesis: the transcript without Latin letters; so letters heard as Chinese syllables count as insertions),
and the seconds of audio. One run, one recognizer: compare conditions with each other, not across runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SENTENCES = (
    "苹果公司发布了iPhone 16 Pro Max，起售价为九千九百九十九元。",
    "在今年的NBA总决赛中，凯尔特人队赢得了总冠军。",
    "COVID-19疫情对全球经济造成了严重冲击。",
    "这项研究发表在British Journal of Sports Medicine上。",
    "特斯拉首席执行官宣布，Tesla将在上海扩建工厂。",
    "世界卫生组织WHO当天发布了新的防控指南。",
    "这款手机支持5G网络，售价不到两千元。",
    "微软推出了新版Windows操作系统和Office软件。",
    "谷歌的Android系统占据了大部分手机市场。",
    "这两篇论文分别刊登在Nature和Science杂志上。",
    "他在YouTube和Facebook上发布了这段视频。",
    "国际货币基金组织IMF预计今年经济增长放缓。",
    "华为发布了Mate 60手机，搭载新一代芯片。",
    "这次会议由World Bank和联合国共同主办。",
    "ChatGPT的出现引发了新一轮人工智能热潮。",
    "新款MacBook Air搭载了苹果自研芯片。",
)
KOKORO_VOICES = ("zm_yunjian", "zf_xiaoxiao")
_LATIN = re.compile(r"[A-Za-z]+")


def english_words(sentence: str) -> list[str]:
    """The Latin words of two letters or more a voice that says Latin is given (not WHO: 世界卫生组织)."""
    from reader.text.normalize import CHINESE_AND_LATIN, normalize

    return [w for w in _LATIN.findall(normalize(sentence, CHINESE_AND_LATIN)) if len(w) > 1]


def _write_wav(path: Path, pcm: bytes, rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part")
    with wave.open(str(part), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    part.replace(path)  # whole or absent: --resume trusts what is there


def synthesize(folder: Path, resume: bool = False) -> None:
    from reader.speech import registry
    from reader.text.normalize import CHINESE, CHINESE_AND_LATIN, normalize, rules

    shipped = rules.is_acronym

    def baker_form(predicate: Callable[[str], bool]) -> Callable[[str], str]:
        def form(text: str) -> str:
            rules.is_acronym = predicate
            try:
                return normalize(text, CHINESE)
            finally:
                rules.is_acronym = shipped
        return form

    kokoro = registry.get("kokoro")
    baker = registry.get("offline")
    conditions: list[tuple[str, Any, str, Callable[[str], str]]] = []
    spelled = baker_form(lambda w: True)  # every Latin word spelled: what every Chinese-only form was before
    for voice in KOKORO_VOICES:
        conditions.append((f"kokoro-before/{voice}", kokoro, voice, spelled))
        conditions.append((f"kokoro-after/{voice}", kokoro, voice, lambda t: normalize(t, CHINESE_AND_LATIN)))
    conditions += [
        ("baker-spelled", baker, "baker", spelled),
        ("baker-skip-long", baker, "baker", baker_form(lambda w: shipped(w) or len(w) <= 5)),
        ("baker-skip", baker, "baker", baker_form(shipped)),
    ]
    manifest: dict[str, Any] = {"sentences": list(SENTENCES), "conditions": {}}
    for name, backend, voice, form in conditions:
        spoken, seconds = [], []
        for index, sentence in enumerate(SENTENCES):
            text = form(sentence)
            path = folder / name / f"{index:02d}.wav"
            if not path.is_file() or not resume:  # --resume: keep the audio of an interrupted run
                audio = backend.synthesize(text, voice)
                _write_wav(path, audio.pcm, audio.sample_rate)
            with wave.open(str(path), "rb") as made:
                seconds.append(made.getnframes() / made.getframerate())
            spoken.append(text)
        manifest["conditions"][name] = {"spoken": spoken, "seconds": seconds}
        print(f"{name}: {sum(seconds):.1f} s of audio", flush=True)
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def score(folder: Path, model: str, verbose: bool = False) -> None:
    from intelligibility import decode
    from intelligibility_score import align, canonical
    from whisper_asr import Settings, Transcriber

    logging.getLogger("faster_whisper").setLevel(logging.ERROR)
    sentences = list(SENTENCES)
    asr = Transcriber(Settings(model), ROOT / ".bench-cache" / "english")
    print(f"{len(sentences)} sentences, {sum(len(english_words(s)) for s in sentences)} English words; "
          f"{asr.settings.describe()}")
    print(f"{'condition':28} {'English words heard':>20} {'CER of the Chinese':>19} {'audio s':>8}")
    names = [f"kokoro-{when}/{voice}" for voice in KOKORO_VOICES for when in ("before", "after")]
    for name in names + ["baker-spelled", "baker-skip-long", "baker-skip"]:
        paths = [folder / name / f"{index:02d}.wav" for index in range(len(sentences))]
        if not all(path.is_file() for path in paths):
            print(f"{name:28} (not synthesized)")
            continue
        audio_seconds = 0.0
        for path in paths:
            with wave.open(str(path), "rb") as made:
                audio_seconds += made.getnframes() / made.getframerate()
        found = total = errors = reference = 0
        missed: list[str] = []
        for index, sentence in enumerate(sentences):
            heard = asr.transcribe(decode(paths[index]))
            if verbose:
                print(f"    {heard}")
            letters = re.sub(r"[^a-z]", "", heard.lower())
            for word in english_words(sentence):
                total += 1
                if word.lower() in letters:
                    found += 1
                else:
                    missed.append(word)
            ref = canonical(_LATIN.sub(" ", sentence))
            tally = align(ref, canonical(_LATIN.sub(" ", heard))).tally()
            errors += tally.errors
            reference += len(ref)
        print(f"{name:28} {found:>4}/{total:<3} = {found / total:5.0%} {errors / reference:19.3f} "
              f"{audio_seconds:8.1f}")
        if missed and name.startswith("kokoro-after"):
            print(f"{'':28} missed: {' '.join(missed)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("step", choices=["synthesize", "score"])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", choices=["base", "small"], default="base")
    parser.add_argument("--verbose", action="store_true", help="score: print every transcript")
    parser.add_argument("--resume", action="store_true", help="synthesize: keep the WAVs already in FOLDER")
    args = parser.parse_args(argv)
    if args.step == "synthesize":
        logging.getLogger("reader").setLevel(logging.ERROR)
        synthesize(args.folder, args.resume)
    else:
        score(args.folder, args.model, args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
