"""The kokoro backend against the real engine: Kokoro-82M v1.0 (the four PyPI parts) on ONNX Runtime.

The model loads once for the whole test session (the registry's shared instance); tests that need another
lexicon, voice folder or model parts build their own backend, which only loads a model when one of them
synthesizes. Short sentences only: the engine costs about 0.4 CPU-seconds per second of audio.
"""

from __future__ import annotations

import math
import re
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from reader._system import cpu_signature as _cpu_signature
from reader.errors import BackendUnavailable, ConfigError, SynthesisError
from reader.models import Audio
from reader.settings import load_presets, voices_dir
from reader.speech import models, registry
from reader.speech.backend import Backend
from reader.text.lexicon import Lexicon, default_lexicon

onnxruntime = pytest.importorskip("onnxruntime")
pytest.importorskip("misaki.transcription")

from reader.speech.engines.kokoro import (  # noqa: E402
    _DERIVE_REVISION,
    DERIVED_MODELS,
    MAX_TOKENS,
    MODEL_SHA256,
    KokoroBackend,
    _find_parts,
    syllable_ipa,
)

SENTENCES = [
    "两江潮起，平湖浪涌。",
    "区县对口协同发展，是重庆推进全市协调发展的重要抓手。",
    "你好。",
]
VOICE = "zm_yunxi"


@pytest.fixture(scope="module")
def backend() -> KokoroBackend:
    """The registry's instance: the same one the end-to-end narration test uses, so the model loads once."""
    b = registry.get("kokoro")
    assert isinstance(b, KokoroBackend)
    return b


def samples(audio: Audio) -> np.ndarray:
    return np.frombuffer(audio.pcm, dtype="<i2").astype(np.float64)


def hanzi(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


def syllables_in_order(phonemes: str, text: str, lexicon: Lexicon) -> bool:
    """Every Chinese character's syllable, as IPA, appears in ``phonemes`` in reading order."""
    position = 0
    for _char, syllable in lexicon.to_pinyin(text):
        if syllable is None:
            continue
        found = phonemes.find(syllable_ipa(syllable), position)
        if found < 0:
            return False
        position = found + len(syllable_ipa(syllable))
    return True


def test_attributes(backend: KokoroBackend) -> None:
    assert isinstance(backend, Backend)
    assert backend.name == "kokoro" and backend.sample_rate == 24000
    assert 60 <= backend.max_chunk_chars <= 130
    assert backend.max_workers >= 1
    # The cache key changes with the model, the voice files, the front end's packages and the lexicon.
    assert re.fullmatch(
        rf"kokoro-82m-v1\.0/(float|int8)/model-{MODEL_SHA256[:12]}/voices-[0-9a-f]{{12}}/r\d+/ort-[\w.]+/"
        r"misaki-[\w.]+/espeakng-[\w.]+/pypinyin-[\w.]+/lexicon-[0-9a-f]{16}",
        backend.version,
    )
    ids = [v.id for v in backend.voices()]
    assert ids == sorted(ids) and VOICE in ids and "zf_xiaoxiao" in ids
    assert "zf_xiaoni" not in ids  # measured unusable: not shipped
    assert {v.gender for v in backend.voices()} == {"female", "male"}


def test_presets_name_shipped_voices_and_do_not_collide(backend: KokoroBackend) -> None:
    presets = load_presets()
    kokoro = {name: p for name, p in presets.items() if p.backend == "kokoro"}
    assert set(p.voice for p in kokoro.values()) == {v.id for v in backend.voices()}
    assert all(name.startswith("kokoro-") and p.display for name, p in kokoro.items())
    displays = [p.display for p in presets.values() if p.display]
    assert len(displays) == len(set(displays))
    info = registry.info("kokoro")
    assert not info.online and info.speed == "slow"
    assert registry.info("edge").online


def test_phonemes_follow_misaki(backend: KokoroBackend) -> None:
    """The IPA of Kokoro v1.0's front end: tone arrows after the vowel, words separated by spaces,
    Chinese punctuation as ASCII."""
    assert syllable_ipa("zhong1") == "ꭧʊ→ŋ"
    assert syllable_ipa("shi4") == "ʂɨ↘"
    assert syllable_ipa("si1") == "sɨ→"
    assert syllable_ipa("de5") == "tɤ"
    assert syllable_ipa("lue4") == syllable_ipa("lve4") == "lɥe↘"
    assert syllable_ipa("xiao3") == "ɕjau↓"
    phonemes = backend.phonemes("两江潮起，平湖浪涌。")
    assert phonemes.endswith(".") and ", " in phonemes and "，" not in phonemes
    assert all(ch in backend._vocab for ch in phonemes)


def test_phoneme_words_are_real_words(backend: KokoroBackend) -> None:
    """Words as jieba (misaki's front end) cuts them, not single characters where pypinyin has no phrase."""
    words = backend.phonemes("岁月的年轮记录着足迹和刻印。").split(" ")
    assert words[2] == syllable_ipa("nian2") + syllable_ipa("lun2")  # 年轮, one word
    assert words[-1] == syllable_ipa("ke4") + syllable_ipa("yin4") + "."  # 刻印
    assert len(words) == 8


@pytest.mark.parametrize("text", SENTENCES + ["这是两江新区、万州区推进城乡互动的一个缩影。", "新的一年，两地将踔厉奋发！"])
def test_phonemes_cover_the_text(backend: KokoroBackend, text: str) -> None:
    assert syllables_in_order(backend.phonemes(text), text, backend.lexicon)


def test_over_long_chunk_is_split_not_truncated(backend: KokoroBackend) -> None:
    text = "区县对口协同发展，是重庆推进全市协调发展的重要抓手。" * 6 + "两江潮起平湖浪涌" * 4
    pieces = backend.phoneme_pieces(text)
    assert len(pieces) >= 2
    assert all(len(backend.tokens(p)) <= MAX_TOKENS for p in pieces)
    assert pieces[0].endswith(".")  # cut after a sentence, not in the middle of one
    assert syllables_in_order(" ".join(pieces), text, backend.lexicon)
    # ... and one over-long word with no punctuation at all is cut too, nothing lost
    long_run = "平湖浪涌" * 60
    pieces = backend.phoneme_pieces(long_run)
    assert len(pieces) >= 2 and all(len(backend.tokens(p)) <= MAX_TOKENS for p in pieces)
    assert syllables_in_order(" ".join(pieces), long_run, backend.lexicon)


def test_sentences_sound_plausible(backend: KokoroBackend) -> None:
    for text in (SENTENCES[0], SENTENCES[2]):
        audio = backend.synthesize(text, VOICE)
        assert audio.sample_rate == 24000 and len(audio.pcm) % 2 == 0
        n = hanzi(text)
        assert n / 8 <= audio.duration <= n / 2.5 + 0.4, (text, audio.duration)  # 2.5-8 characters a second
        x = samples(audio)
        assert np.sqrt(np.mean(x**2)) > 1000, text  # about -30 dBFS
        frame = 240  # 10 ms: no more than ~60 ms of near silence left at either end
        peaks = np.abs(x[: len(x) // frame * frame]).reshape(-1, frame).max(axis=1)
        loud = np.flatnonzero(peaks >= 32767 * 10 ** (-45 / 20))
        assert loud[0] <= 6 and len(peaks) - 1 - loud[-1] <= 6


def test_split_chunk_is_spoken_whole(backend: KokoroBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk over the token limit becomes several model calls whose audio adds up to the whole text
    (the limit lowered so that a short sentence needs two calls)."""
    text = SENTENCES[1]
    whole = backend.synthesize(text, VOICE).duration
    monkeypatch.setattr(backend, "max_tokens", 80)
    pieces = backend.phoneme_pieces(text)
    assert len(pieces) == 2 and pieces[0].endswith(",")
    split = backend.synthesize(text, VOICE).duration
    assert 0.85 <= split / whole <= 1.25, (split, whole)


def test_rate_scales_duration(backend: KokoroBackend) -> None:
    text = SENTENCES[1]
    normal = backend.synthesize(text, VOICE, 1.0).duration
    fast = backend.synthesize(text, VOICE, 1.5).duration
    assert 0.55 <= fast / normal <= 0.8, (fast, normal)  # ideally 0.67


def test_the_user_lexicon_applies(backend: KokoroBackend) -> None:
    """A [pinyin] entry changes what this engine says, as it does for the offline voice."""
    text = "重庆推进全市协调发展。"
    shipped = default_lexicon()
    custom = KokoroBackend(Lexicon(pinyin={**shipped.pinyin, "重庆": ("zhong4", "qing4")}))
    assert syllable_ipa("chong2") in backend.phonemes(text)
    assert syllable_ipa("zhong4") in custom.phonemes(text) and syllable_ipa("chong2") not in custom.phonemes(text)
    assert custom.version != backend.version  # and so the cache keys differ


def test_threads_give_the_same_audio_as_sequential(backend: KokoroBackend) -> None:
    texts = [SENTENCES[0], SENTENCES[2]]
    sequential = [backend.synthesize(t, VOICE).pcm for t in texts]
    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded = list(pool.map(lambda t: backend.synthesize(t, VOICE).pcm, texts))
    assert threaded == sequential


@pytest.mark.parametrize("rate", [0.49, 2.01, 0.0, math.nan, math.inf])
def test_rate_out_of_range(backend: KokoroBackend, rate: float) -> None:
    with pytest.raises(ConfigError, match="rate"):
        backend.synthesize("你好", VOICE, rate)


@pytest.mark.parametrize("voice", ["alice", "zf_xiaoni", "../zm_yunxi", "baker"])
def test_unknown_voice(backend: KokoroBackend, voice: str) -> None:
    with pytest.raises(ConfigError, match="no voice"):
        backend.synthesize("你好", voice)


@pytest.mark.parametrize("text", ["", "   ", "123 456", "，。！？", "2.5%"])
def test_nothing_speakable(backend: KokoroBackend, text: str) -> None:
    with pytest.raises(SynthesisError, match="nothing speakable"):
        backend.synthesize(text, VOICE)


def test_character_without_reading_names_the_lexicon(backend: KokoroBackend) -> None:
    with pytest.raises(SynthesisError, match="no reading for '㐇'.*lexicon") as info:
        backend.synthesize("吃㐇面", VOICE)  # a character pypinyin has no reading for
    assert "\n" not in str(info.value)
    fixed = KokoroBackend(Lexicon(pinyin={"㐇": ("ku4",)}))
    assert syllable_ipa("ku4") in fixed.phonemes("吃㐇面")


# -- faults ----------------------------------------------------------------------------------------------


def test_the_derived_model_is_the_recorded_one(backend: KokoroBackend) -> None:
    """``float_model`` with this onnx still makes what DERIVED_MODELS records (else it is made on every load)."""
    backend.load()
    model = backend._model_path()
    assert isinstance(model, Path) and model.stat().st_size == DERIVED_MODELS["float"][0]


def test_the_runtime_chooses_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The derived float model by default; ``READER_KOKORO_RUNTIME=onnxruntime-int8`` runs the model as
    published (nothing derived), under another version: never the other's cached chunks."""
    monkeypatch.delenv("READER_KOKORO_RUNTIME", raising=False)
    default = KokoroBackend()
    assert default.variant == "float" and default.openvino is None and "/float/" in default.version
    monkeypatch.setenv("READER_KOKORO_RUNTIME", "onnxruntime-int8")
    chosen = KokoroBackend()
    assert chosen.variant == "int8" and chosen.openvino is None and "/int8/" in chosen.version
    assert isinstance(chosen._model_path(), bytes) and chosen.version != default.version


def test_each_call_runs_on_up_to_two_threads_unless_told(backend: KokoroBackend,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """ONNX Runtime's session gets one intra-op thread per usable core, at most 2 (a lone call, the first
    sound, runs on both); ``READER_KOKORO_THREADS`` sets it, and a bad value is one clear error."""
    from reader._system import usable_cores

    backend.load()
    assert backend._session.get_session_options().intra_op_num_threads == min(2, usable_cores())
    monkeypatch.setenv("READER_KOKORO_THREADS", "1")
    assert KokoroBackend()._threads == 1
    monkeypatch.setenv("READER_KOKORO_THREADS", "two")
    with pytest.raises(ConfigError, match="READER_KOKORO_THREADS must be a whole number from 1, not 'two'"):
        KokoroBackend()


def _kept_optimized(backend: KokoroBackend) -> tuple[str, Path]:
    """The optimized graph the engine's load kept, and that cache made the one in force for this test (the
    engine may have been loaded under another test's --cache-dir; conftest puts the location back)."""
    backend.load()
    name = backend._optimized_name()
    assert name is not None and _cpu_signature() in name and f"ort{onnxruntime.__version__}" in name
    assert backend.model_file is not None
    kept = backend.model_file.parent / name
    models.use_cache_dir(kept.parent.parent)
    return name, kept


def test_onnx_runtimes_optimized_graph_is_kept_and_opened_next_time(backend: KokoroBackend) -> None:
    """The graph ONNX Runtime optimized for this CPU is kept beside the float model, with its size and SHA-256,
    and a new process's engine opens it instead (0.4 s sooner): same audio."""
    name, kept = _kept_optimized(backend)
    assert models.find_made_here(name) == kept
    again = KokoroBackend()
    try:
        assert again.synthesize(SENTENCES[0], VOICE).pcm == backend.synthesize(SENTENCES[0], VOICE).pcm
        assert again.model_file == kept
    finally:
        again.close()


def test_a_damaged_optimized_graph_is_not_opened_but_made_again(backend: KokoroBackend) -> None:
    name, kept = _kept_optimized(backend)
    with kept.open("r+b") as fh:  # one bit changed in the middle: the size is right, the SHA-256 is not
        fh.seek(kept.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 1]))
    assert models.find_made_here(name) is None
    again = KokoroBackend()
    try:
        again.load()
        assert again.model_file is not None and again.model_file.name.endswith(f"-r{_DERIVE_REVISION}.onnx")
        assert models.find_made_here(name) == kept  # made again, from the checked float model
    finally:
        again.close()


def test_the_int8_model_speaks_like_the_float_one(backend: KokoroBackend) -> None:
    """The same sentence from both models: about the same length and loudness, and not the same samples."""
    other = KokoroBackend(variant="float" if backend.variant == "int8" else "int8")
    text = SENTENCES[1]
    ours, theirs = backend.synthesize(text, VOICE), other.synthesize(text, VOICE)
    assert abs(theirs.duration - ours.duration) < 0.05 * ours.duration
    assert 0.7 < np.sqrt(np.mean(samples(theirs) ** 2) / np.mean(samples(ours) ** 2)) < 1.4
    assert theirs.pcm != ours.pcm
    other.close()


def test_preload_loads_in_the_background_and_synthesize_waits_for_it() -> None:
    ahead = KokoroBackend()
    ahead.preload()
    ahead.preload()  # a second call starts nothing more
    thread = ahead._preloading
    assert thread is not None and thread.name == "kokoro-load"
    audio = ahead.synthesize(SENTENCES[2], VOICE)  # waits for the load
    assert audio.duration > 0.2 and not thread.is_alive() and ahead._session is not None
    ahead.close()
    ahead.preload()  # after close: nothing, and no error
    with pytest.raises(BackendUnavailable, match="closed"):
        ahead.synthesize(SENTENCES[2], VOICE)


def test_preload_failure_is_raised_by_synthesize(tmp_path: Path) -> None:
    parts = _find_parts()
    bad = tmp_path / "part4.bin"
    bad.write_bytes(b"not the model")
    ahead = KokoroBackend(parts=[*parts[:3], bad], cache_dir=tmp_path / "cache")
    ahead.preload()
    assert ahead._preloading is not None
    ahead._preloading.join(60)
    with pytest.raises(BackendUnavailable, match="SHA-256"):
        ahead.synthesize(SENTENCES[2], VOICE)


def test_unknown_runtime_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="runtime must be one of") as info:
        KokoroBackend(runtime="tensorflow")
    assert "\n" not in str(info.value)
    monkeypatch.setenv("READER_KOKORO_RUNTIME", "cuda")
    with pytest.raises(ConfigError, match="'cuda'"):
        KokoroBackend()


@pytest.mark.parametrize("runtime", ["openvino", "auto"])
def test_without_openvino_onnx_runtime_speaks(monkeypatch: pytest.MonkeyPatch, runtime: str) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino now fails
    monkeypatch.setenv("READER_KOKORO_RUNTIME", runtime)
    fallback = KokoroBackend()
    assert fallback.openvino is None and "/ort-" in fallback.version


def test_openvino_speaks_like_onnx_runtime(backend: KokoroBackend) -> None:
    """OpenVINO (where installed; not a dependency) says the same sentence, in about the same time."""
    pytest.importorskip("openvino")
    other = KokoroBackend(runtime="openvino")
    assert other.openvino is not None and "/openvino-" in other.version and other.version != backend.version
    text = SENTENCES[1]
    ours, theirs = backend.synthesize(text, VOICE), other.synthesize(text, VOICE)
    assert abs(theirs.duration - ours.duration) < 0.05 * ours.duration
    assert 0.5 < np.sqrt(np.mean(samples(theirs) ** 2) / np.mean(samples(ours) ** 2)) < 2
    other.close()


def test_missing_model_part_is_one_line(tmp_path: Path) -> None:
    parts = _find_parts()
    with pytest.raises(BackendUnavailable, match=r"part 3/4.*missing") as info:
        KokoroBackend(parts=[parts[0], parts[1], tmp_path / "nope.bin", parts[3]])
    assert "\n" not in str(info.value) and "pip install" in str(info.value)


@pytest.mark.parametrize("variant", ["int8", "float"])
def test_corrupt_model_part_is_refused(tmp_path: Path, variant: str) -> None:
    parts = _find_parts()
    copies = []
    for i, part in enumerate(parts):
        copy = tmp_path / f"part{i}.bin"
        shutil.copyfile(part, copy)
        copies.append(copy)
    data = bytearray(copies[2].read_bytes())
    data[1000] ^= 0xFF
    copies[2].write_bytes(bytes(data))
    corrupt = KokoroBackend(parts=copies, variant=variant, cache_dir=tmp_path / "cache")
    with pytest.raises(BackendUnavailable, match="SHA-256.*refusing") as info:
        corrupt.synthesize("你好。", VOICE)
    assert "\n" not in str(info.value)
    assert not list((tmp_path / "cache").glob("models/*"))  # nothing derived from it


def test_onnxruntime_missing_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now fails
    with pytest.raises(BackendUnavailable, match="onnxruntime.*pip install") as info:
        KokoroBackend()
    assert "\n" not in str(info.value)


def _voices_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "voices"
    shutil.copytree(voices_dir() / "kokoro", folder)
    return folder


def test_missing_voice_file_is_one_line(tmp_path: Path, backend: KokoroBackend) -> None:
    folder = _voices_copy(tmp_path)
    (folder / f"{VOICE}.bin").unlink()
    b = KokoroBackend(voices_folder=folder)
    with pytest.raises(BackendUnavailable, match=rf"{VOICE}\.bin is missing") as info:
        b.synthesize("你好。", VOICE)
    assert "\n" not in str(info.value)


def test_corrupt_voice_file_is_refused(tmp_path: Path) -> None:
    folder = _voices_copy(tmp_path)
    data = bytearray((folder / f"{VOICE}.bin").read_bytes())
    data[5] ^= 0x01
    (folder / f"{VOICE}.bin").write_bytes(bytes(data))
    with pytest.raises(BackendUnavailable, match="does not match its SHA-256"):
        KokoroBackend(voices_folder=folder).synthesize("你好。", VOICE)


def test_missing_checksums_is_one_line(tmp_path: Path) -> None:
    folder = _voices_copy(tmp_path)
    (folder / "SHA256SUMS").unlink()
    with pytest.raises(BackendUnavailable, match="SHA256SUMS") as info:
        KokoroBackend(voices_folder=folder)
    assert "\n" not in str(info.value)


def test_closed_backend_refuses() -> None:
    b = KokoroBackend()
    b.close()
    with pytest.raises(BackendUnavailable, match="closed"):
        b.synthesize("你好。", VOICE)
