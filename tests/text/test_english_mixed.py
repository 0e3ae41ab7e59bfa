"""English inside Chinese (issue 22 §4): the spoken form each kind of voice is given for mixed sentences.

baker: a voice that says only Chinese characters (Baker, espeak): acronyms and single letters are spelled in
Chinese syllables, established readings are used, English words are skipped (never thirty letter names);
latin: a voice that says Latin (Edge's and, since issue 22, Kokoro's): Latin kept as written, numbers in
Chinese. Kokoro's phonemes for the kept words are tested in tests/speech/engines/test_kokoro_english.py.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from reader.cli import cli
from reader.narration.pipeline import spoken_abilities
from reader.text.normalize import CHINESE, CHINESE_AND_LATIN, normalize
from reader.text.normalize.rules import is_acronym

# written, baker, latin
CASES = [
    ("苹果发布了iPhone 16 Pro Max", "苹果发布了，十六", "苹果发布了iPhone十六Pro Max"),
    ("NBA总决赛今晚开打", "恩比诶总决赛今晚开打", "NBA总决赛今晚开打"),
    ("COVID-19疫情持续蔓延", "西欧维艾迪十九疫情持续蔓延", "COVID十九疫情持续蔓延"),
    ("研究发表在British Journal of Sports Medicine上", "研究发表在，上",
     "研究发表在British Journal of Sports Medicine上"),
    ("世界卫生组织WHO发布指南", "世界卫生组织发布指南", "世界卫生组织发布指南"),
    ("世界卫生组织（WHO）发布指南", "世界卫生组织（）发布指南", "世界卫生组织（）发布指南"),
    ("国际货币基金组织IMF下调预期", "国际货币基金组织下调预期", "国际货币基金组织下调预期"),
    ("WHO发布指南", "世界卫生组织发布指南", "世界卫生组织发布指南"),
    ("GDP同比增长5.2%", "国内生产总值同比增长百分之五点二", "GDP同比增长百分之五点二"),
    ("国内生产总值(GDP)增长", "国内生产总值（）增长", "国内生产总值（GDP）增长"),
    ("WTO总干事发表讲话", "世界贸易组织总干事发表讲话", "世界贸易组织总干事发表讲话"),
    ("5G基站超过三百万个", "五吉基站超过三百万个", "五G基站超过三百万个"),
    ("A股三大指数集体收涨", "诶股三大指数集体收涨", "A股三大指数集体收涨"),
    ("医生建议拍X光片", "医生建议拍艾克斯光片", "医生建议拍X光片"),
    ("多吃富含维生素C的水果", "多吃富含维生素西的水果", "多吃富含维生素C的水果"),
    ("PM2.5浓度下降", "细颗粒物浓度下降", "PM二点五浓度下降"),
    ("用U盘拷贝文件", "用优盘拷贝文件", "用U盘拷贝文件"),
    ("一件T恤卖99元", "一件提恤卖九十九元", "一件T恤卖九十九元"),
    ("限速80km/h", "限速八十千米每小时", "限速八十千米每小时"),
    ("特斯拉CEO宣布Tesla降价", "特斯拉首席执行官宣布降价", "特斯拉CEO宣布Tesla降价"),
    ("微软发布Windows更新", "微软发布更新", "微软发布Windows更新"),
    ("论文登上Nature封面", "论文登上封面", "论文登上Nature封面"),
    ("mRNA疫苗获批上市", "艾姆阿尔恩诶疫苗获批上市", "mRNA疫苗获批上市"),
    ("iOS系统更新", "艾欧艾丝系统更新", "iOS系统更新"),
    ("他在YouTube发布视频", "他在发布视频", "他在YouTube发布视频"),
    ("ChatGPT引发热潮", "引发热潮", "ChatGPT引发热潮"),
    ("NATO峰会开幕", "北约峰会开幕", "北约峰会开幕"),
    ("联系邮箱abc@gov.cn", "联系邮箱诶比西艾特吉欧维点西恩", "联系邮箱abc艾特gov点cn"),
    ("详见www.gov.cn", "详见达布留达布留达布留点吉欧维点西恩", "详见www点gov点cn"),
]


@pytest.mark.parametrize(("written", "baker", "latin"), CASES, ids=[c[0] for c in CASES])
def test_mixed_sentence_per_voice(written: str, baker: str, latin: str) -> None:
    assert normalize(written, CHINESE) == baker
    assert normalize(written, CHINESE_AND_LATIN) == latin


@pytest.mark.parametrize(("word", "spelled"), [
    ("A", True), ("NBA", True), ("COVID", True), ("UNESCO", True), ("mRNA", True), ("iOS", True), ("PhD", True),
    ("iPhone", False), ("Tesla", False), ("of", False), ("YouTube", False), ("Medicine", False),
])
def test_which_latin_words_a_chinese_only_voice_spells(word: str, spelled: bool) -> None:
    assert is_acronym(word) is spelled


def test_kokoro_voices_keep_latin_words() -> None:
    assert spoken_abilities("kokoro") == CHINESE_AND_LATIN
    assert spoken_abilities("kokoro", "offline") == CHINESE  # a Baker fallback may have to say any chunk


def test_normalize_shows_each_voices_spoken_form_and_kokoros_phonemes() -> None:
    text = "NBA总决赛，COVID-19疫情"
    kokoro = CliRunner().invoke(cli, ["normalize", "--voice", "kokoro-yunjian", text])
    assert kokoro.exit_code == 0 and kokoro.output == "NBA总决赛，COVID十九疫情\n"
    baker = CliRunner().invoke(cli, ["normalize", "--voice", "baker", text])
    assert baker.exit_code == 0 and baker.output == "恩比诶总决赛，西欧维艾迪十九疫情\n"
    phonemes = CliRunner().invoke(cli, ["normalize", "--voice", "kokoro-yunjian", "--phonemes", text])
    assert phonemes.exit_code == 0, phonemes.output
    assert phonemes.output == "ˌɛnbˌiˈA ʦʊ↓ŋʨɥe↗sai↘, kˈOvˌɪd ʂɨ↗ʨjou↓ i↘ʨʰi↗ŋ\n"  # jieba words: 总决赛, 十九, 疫情
    refused = CliRunner().invoke(cli, ["normalize", "--voice", "baker", "--phonemes", text])
    assert refused.exit_code == 2 and "Kokoro" in refused.output and "Traceback" not in refused.output
