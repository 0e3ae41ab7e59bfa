"""Tests for reader.text.normalize: the case table, properties (hypothesis), speed, and the seed article.

``CASES`` is also imported by benchmarks/normalize_compare.py, which compares this normalizer with cn2an and
WeTextProcessing on the same rows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reader.text.normalize.normalizer as normalize_module
from reader.text.normalize.normalizer import SPEAKABLE_PUNCTUATION, is_speakable, normalize, unspeakable

ROOT = Path(__file__).resolve().parents[2]
SEED_ARTICLE = ROOT / "examples" / "wanzhou-2022-01-28.txt"

# (written text, expected spoken form). Each row pins one decision; see the module docstring of
# reader/normalize.py for the reasoning behind the choices (两 vs 二, 至 for ranges, 幺 in codes …).
CASES: list[tuple[str, str]] = [
    # dates: years digit by digit, months and days never 两
    ("2021年5月14日", "二零二一年五月十四日"),
    ("2022-01-28", "二零二二年一月二十八日"),
    ("2023/10/01", "二零二三年十月一日"),
    ("2021.5.14", "二零二一年五月十四日"),
    ("2月2日", "二月二日"),
    ("1月11日", "一月十一日"),
    ("去年9月16日", "去年九月十六日"),
    ("12月31日", "十二月三十一日"),
    ("2021年", "二零二一年"),
    ("2021—2025年", "二零二一年至二零二五年"),
    ("2021-2025年", "二零二一年至二零二五年"),
    ("2021年—2025年", "二零二一年至二零二五年"),
    ("2021-2022赛季", "二零二一至二零二二赛季"),
    ("1990年代", "一九九零年代"),
    ("2022年度", "二零二二年度"),
    ("98年5月", "九八年五月"),
    ("5月1日-5日", "五月一日至五日"),
    ("80后", "八零后"),
    ("1990s", "一九九零年代"),
    ("二〇二一年", "二零二一年"),
    # cardinals and decimals
    ("3.71亿元", "三点七一亿元"),
    ("8848.86米", "八千八百四十八点八六米"),
    ("1,000,000元", "一百万元"),
    ("37131万元", "三万七千一百三十一万元"),
    ("2000平方米", "两千平方米"),
    ("2个", "两个"),
    ("2名", "两名"),
    ("12人", "十二人"),
    ("20人", "二十人"),
    ("200人", "两百人"),
    ("204人", "两百零四人"),
    ("1200人", "一千二百人"),
    ("2万人", "两万人"),
    ("2.5万", "二点五万"),
    ("1亿2000万", "一亿两千万"),
    ("10余家", "十余家"),
    ("4200多万元", "四千二百多万元"),
    ("0.5", "零点五"),
    ("10", "十"),
    ("110", "一百一十"),
    ("110个", "一百一十个"),
    ("100010", "十万零一十"),
    ("1001", "一千零一"),
    ("100000001", "一亿零一"),
    ("2年级", "二年级"),
    ("-3", "负三"),
    # percentages and ranges
    ("15.2%", "百分之十五点二"),
    ("20%—30%", "百分之二十至百分之三十"),
    ("20%-30%", "百分之二十至百分之三十"),
    ("20-30%", "百分之二十至百分之三十"),
    ("2-3天", "二至三天"),
    ("3‰", "千分之三"),
    ("100%", "百分之一百"),
    ("-5%", "负百分之五"),
    ("第1-3名", "第一至三名"),
    # fractions
    ("1/3", "三分之一"),
    ("2/5", "五分之二"),
    ("½", "二分之一"),
    # times and scores
    ("14:30", "十四点三十分"),
    ("8:00至18:00", "八点至十八点"),
    ("8:00-18:00", "八点至十八点"),
    ("9:05", "九点零五分"),
    ("14:30:15", "十四点三十分十五秒"),
    ("下午2:30", "下午两点三十分"),
    ("比分3:1", "比分三比一"),
    # temperatures
    ("-5℃", "零下五摄氏度"),
    ("30℃", "三十摄氏度"),
    ("-5~3℃", "零下五至三摄氏度"),
    ("-5℃~3℃", "零下五摄氏度至三摄氏度"),
    ("气温-5°C", "气温零下五摄氏度"),
    # ordinals
    ("第1季度", "第一季度"),
    ("第35届", "第三十五届"),
    ("第2", "第二"),
    ("第200名", "第二百名"),
    ("No.1", "第一"),
    ("№5", "第五"),
    # phone, hotline, postcode and other codes: digit by digit, 1 as 幺
    ("023-58888888", "零二三，五八八八八八八八"),
    ("12345热线", "幺二三四五热线"),
    ("拨打110", "拨打幺幺零"),
    ("报警电话110", "报警电话幺幺零"),
    ("13812345678", "幺三八幺二三四五六七八"),
    ("400-820-8820", "四零零，八二零，八八二零"),
    ("邮编404000", "邮编四零四零零零"),
    ("编号0012", "编号零零幺二"),
    ("拨打电话12次", "拨打电话十二次"),
    ("G318国道", "吉三幺八国道"),
    ("3号线", "三号线"),
    ("1号楼", "一号楼"),
    ("101路", "幺零幺路"),
    ("15路", "十五路"),
    # arithmetic
    ("“1+3”", "“一加三”"),
    ("1+1=2", "一加一等于二"),
    ("3×4", "三乘四"),
    ("1920x1080", "一千九百二十乘一千零八十"),
    ("±0.5", "正负零点五"),
    # units
    ("5km", "五千米"),
    ("2km", "两千米"),
    ("10kg", "十千克"),
    ("100m²", "一百平方米"),
    ("50㎡", "五十平方米"),
    ("80km/h", "八十千米每小时"),
    ("5cm", "五厘米"),
    ("3mm", "三毫米"),
    ("100MW", "一百兆瓦"),
    ("5kWh", "五千瓦时"),
    ("128GB", "一百二十八吉比"),
    ("50Hz", "五十赫兹"),
    ("3.71亿m³", "三点七一亿立方米"),
    ("5000元/吨", "五千元每吨"),
    ("北纬30°", "北纬三十度"),
    # units in the capitals car reviews write them in (corpus page 016; the intelligibility benchmark)
    ("车速可达80Km/h", "车速可达八十千米每小时"),
    ("最大功率：51Kw", "最大功率：五十一千瓦"),
    ("95N.m", "九十五牛米"),
    ("超过5000rpm", "超过五千转每分"),
    ("身高：168CM", "身高：一百六十八厘米"),
    # Latin letters and acronyms
    ("GDP", "吉迪屁"),
    ("CPI", "西屁艾"),
    ("PPI", "屁屁艾"),
    ("5G", "五吉"),
    ("4G", "四吉"),
    ("APP", "诶屁屁"),
    ("WiFi", "歪费"),
    ("Wi-Fi", "歪费"),
    ("AI", "诶艾"),
    ("PM2.5", "屁艾姆二点五"),
    ("CBD", "西比迪"),
    ("VR/AR", "维阿尔，诶阿尔"),
    ("NBA", "恩比诶"),
    ("iPhone", "艾屁艾尺欧恩伊"),
    ("iPhone 13", "艾屁艾尺欧恩伊，十三"),
    ("A股", "诶股"),
    ("NATO", "北约"),
    ("ＧＤＰ增长", "吉迪屁增长"),
    ("www.gov.cn", "达布留达布留达布留点吉欧维点西恩"),
    ("邮箱abc@gov.cn", "邮箱诶比西艾特吉欧维点西恩"),
    ("C++", "西加加"),
    # Roman numerals in Latin capitals after Chinese text (corpus page 006): not letters; V, X alone are
    ("微观经济学II", "微观经济学二"),
    ("金融学I", "金融学一"),
    ("国际贸易 III", "国际贸易三"),
    ("宏观经济学IV。", "宏观经济学四。"),
    ("X光", "艾克斯光"),
    ("大V", "大维"),
    ("学IPO", "学艾屁欧"),
    # versions, eras, "more than"
    ("1.2.3版本", "一点二点三版本"),
    ("192.168.1.1", "一九二点一六八点一点一"),
    ("公元前221年", "公元前二二一年"),
    ("10万+", "十万多"),
    # symbols
    ("α粒子", "阿尔法粒子"),
    ("1#楼", "一号楼"),
    ("R&D", "阿尔和迪"),
    ("邮箱@", "邮箱艾特"),
    ("¥100", "一百元"),
    ("$2", "两美元"),
    ("看成效·数字说话", "看成效数字说话"),
    ("①重庆两江。②探索", "一、重庆两江。二、探索"),
    ("见注①。", "见注一。"),
    ("Ⅱ型", "二型"),
    ("⑴总则", "（一）总则"),
    # punctuation and spaces
    ("你好,世界!", "你好，世界！"),
    ("真的?是的;如下:", "真的？是的；如下："),
    ("推进协作当样板 同心共融经济圈", "推进协作当样板同心共融经济圈"),
    ('他说"好"。', "他说“好”。"),
    ("等等...", "等等……"),
    ("中国政府网 | 重庆市人民政府网 | |", "中国政府网，重庆市人民政府网"),
    ("万州(两江新区)", "万州（两江新区）"),
    ("1.重庆", "一、重庆"),
    ("万州-涪陵", "万州—涪陵"),
    ("２０２１年", "二零二一年"),
    # already speakable text is unchanged
    ("万州区两江新区对口协同发展谱新篇。", "万州区两江新区对口协同发展谱新篇。"),
    ("“一区两群”《通知》……——（好）！", "“一区两群”《通知》……——（好）！"),
]


@contextmanager
def strict() -> Iterator[None]:
    """Make handler bugs raise instead of falling back to the digit-by-digit reading."""
    saved = normalize_module._STRICT
    normalize_module._STRICT = True
    try:
        yield
    finally:
        normalize_module._STRICT = saved


_SPEAKABLE_CHECK = re.compile(f"[\u4e00-\u9fa5{SPEAKABLE_PUNCTUATION}\r\n]*")


def speakable(text: str) -> bool:
    """Independent of reader.text.normalize: only CJK U+4E00–U+9FA5, the allowed punctuation and line breaks."""
    return _SPEAKABLE_CHECK.fullmatch(text) is not None


@pytest.mark.parametrize(("written", "spoken"), CASES, ids=[c[0] for c in CASES])
def test_case_table(written: str, spoken: str) -> None:
    with strict():
        assert normalize(written) == spoken


def test_case_table_is_large_and_consistent() -> None:
    assert len(CASES) >= 80
    assert len({written for written, _ in CASES}) == len(CASES)
    assert all(speakable(spoken) for _, spoken in CASES)


def test_cn2an_on_the_same_table() -> None:
    """The comparison asked for by the issue: cn2an runs over the same rows; only ours must pass them all."""
    cn2an = pytest.importorskip("cn2an")
    cn2an_matches = 0
    for written, spoken in CASES:
        try:
            cn2an_matches += cn2an.transform(written, "an2cn") == spoken
        except Exception:  # cn2an raises on some inputs; that row simply does not match
            pass
    ours = sum(normalize(written) == spoken for written, spoken in CASES)
    assert ours == len(CASES)
    # cn2an reads years as numbers (2021年 → 二千零二十一年), leaves ℃, %, phone numbers and Latin letters
    # as they are: it must fall well short on this table, or the table no longer tests anything hard.
    assert cn2an_matches < 0.5 * len(CASES), cn2an_matches


def test_unspeakable() -> None:
    assert unspeakable("GDP增长3.5%，拨打110。") == ""
    assert unspeakable("こんにちは世界") == "こんにちは"
    assert unspeakable("𠀀字") == "𠀀"  # CJK extension B is outside U+4E00–U+9FA5
    assert unspeakable("好😀★") == ""  # symbols and emoji are dropped silently
    assert normalize("こんにちは世界😀") == "世界"


def test_is_speakable() -> None:
    assert is_speakable("你好，世界。\n第二行")
    assert not is_speakable("你好, 世界")
    assert not is_speakable("2021年")


def test_line_breaks_are_kept() -> None:
    assert normalize("2021年\n第2\r\n\r\n3个\r") == "二零二一年\n第二\r\n\r\n三个\r"


def test_pause_markers_never_leak() -> None:
    assert normalize("| a | b |") == "诶，比"
    assert normalize("A B C") == "诶，比，西"
    assert normalize("/") == ""


def test_engine_crash_characters_are_removed() -> None:
    # the offline engine's front end asserts on 〇 (its pinyin is not in the Baker inventory)
    assert "〇" not in normalize("二〇二二年")


_SEED_LINES = SEED_ARTICLE.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("line", _SEED_LINES, ids=[f"line{i + 1}" for i in range(len(_SEED_LINES))])
def test_seed_article_lines_are_speakable(line: str) -> None:
    with strict():
        spoken = normalize(line)
    assert speakable(spoken), [c for c in spoken if not speakable(c)]
    # nothing readable is lost: every ASCII digit or letter of the original has become speech
    if re.search(r"[0-9A-Za-z]", line):
        assert len(spoken) > 0


def test_seed_article_samples() -> None:
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    spoken = normalize(text)
    assert speakable(spoken)
    assert spoken.count("\n") == text.count("\n")
    for fragment in [
        "日期：二零二二年一月二十八日",
        "建立“一加三”工作机制",
        "时间回拨到去年一月十一日。",
        "二月二日，万州区党政代表团",
        "首期投用两千平方米。",
        "累计到位资金三点七一亿元",
        "同比增长百分之十五点二",
        "到位资金三万七千一百三十一万元",
        "完成消费帮扶四千二百多万元",
        "一、重庆两江数字经济产业园万州园。",
    ]:
        assert fragment in spoken


def test_threads_agree() -> None:
    inputs = [written for written, _ in CASES] * 20
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(normalize, inputs))
    assert results == [normalize(x) for x in inputs]


# ---------------------------------------------------------------------------------------------------------
# Properties

_INTERESTING = list(
    "0123456789０１２.,，.。-—–~～:：/%‰℃°+×=±#&@·|\"' \t年月日号第个万亿元点分秒路线拨打热线电话"
    "abcGDPkmgsxXNo①②Ⅱα²³…（）()【】《》〇○$¥"
)
_TEXT = st.text(alphabet=st.one_of(st.sampled_from(_INTERESTING), st.characters()), max_size=80)
_SPOKEN = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), st.sampled_from(list(SPEAKABLE_PUNCTUATION))
    ),
    max_size=80,
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_any_text_normalizes_to_speakable_text(text: str) -> None:
    with strict():
        once = normalize(text)
    assert speakable(once), repr(once)
    assert normalize(once) == once
    assert re.findall(r"\r\n|\r|\n", once) == re.findall(r"\r\n|\r|\n", text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_on_arbitrary_unicode(text: str) -> None:
    spoken = normalize(text)
    assert speakable(spoken)
    unspeakable(text)


_FLAT_MASTER = normalize_module._compile_master(bucketed=False)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_bucketed_rule_pass_equals_the_flat_one(text: str) -> None:
    """The speed-up of splitting the rule alternation by first character must not change any result."""
    folded = normalize_module._fold(text.replace("\r", "").replace("\n", ""))
    with strict():
        assert normalize_module._apply_rules(folded) == normalize_module._apply_rules(folded, _FLAT_MASTER)


def test_bucketed_rule_pass_equals_the_flat_one_on_the_table() -> None:
    for written, _ in CASES:
        folded = normalize_module._fold(written)
        assert normalize_module._apply_rules(folded) == normalize_module._apply_rules(folded, _FLAT_MASTER)


@settings(max_examples=300, deadline=None)
@given(_SPOKEN)
def test_speakable_text_is_a_fixed_point(text: str) -> None:
    assert normalize(text) == text
    assert unspeakable(text) == ""


# ---------------------------------------------------------------------------------------------------------
# Speed


def test_one_megabyte_is_fast() -> None:
    """CPU time (not wall time) so that a busy machine does not fail the test."""
    article = SEED_ARTICLE.read_text(encoding="utf-8")
    mixed = " ".join(written for written, _ in CASES) + "\n"
    text = (article + mixed) * (1_000_000 // len(article + mixed) + 1)
    assert len(text) >= 1_000_000
    start = time.process_time()
    spoken = normalize(text)
    elapsed = time.process_time() - start
    assert speakable(spoken)
    assert elapsed < 3.0, f"{elapsed:.2f}s CPU for {len(text)} characters"


@pytest.mark.parametrize(
    "chunk",
    ["1", "1,", "1-", "1.", "1:", "a", "a1", "a.", "a@", "1+", " ", "- ", "%", "年", "1 ", "1/", "\"'", "①", "〇", "2021年"],
)
def test_pathological_long_lines_are_linear(chunk: str) -> None:
    text = chunk * (100_000 // len(chunk))
    start = time.process_time()
    spoken = normalize(text)
    elapsed = time.process_time() - start
    assert speakable(spoken)
    assert elapsed < 2.0, f"{elapsed:.2f}s CPU for {chunk!r} × {len(text) // len(chunk)}"
