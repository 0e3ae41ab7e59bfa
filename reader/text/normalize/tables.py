"""Data tables for :mod:`reader.text.normalize`: readings of letters, symbols and units.

Kept apart from the rules so that the rules module reads as logic. Every reading here is made only of
characters in U+4E00–U+9FA5 whose pypinyin syllables exist in the Baker phone inventory (checked against the
offline engine's own front end: ``BakerProcessor.text_to_phone``).
"""

from __future__ import annotations

import re

# The characters the engine can read: CJK unified ideographs U+4E00–U+9FA5 plus the full-width punctuation
# below (the engine phrases at ，。！？、：；; quotes, title marks, brackets, dashes and ellipses are harmless).
SPEAKABLE_PUNCTUATION = "，。！？、：；“”‘’《》（）—…"
CJK_RANGE = "\u4e00-\u9fa5"

DIGITS = "零一二三四五六七八九"
DIGITS_YAO = "零幺二三四五六七八九"

# Letter names. Based on the table in the design brief (A 诶 … Z 贼德), with six letters moved closer to the
# English letter name: M 艾姆 (em; 姆 is the standard transcription of a final m, cf. 汤姆), N 恩 (en),
# O 欧 (oh), R 阿尔 (ar), Q 丘 (cue; the usual reading in "Q版"), U 优 (you), W 达布留 (double-u),
# Y 歪 (why). All syllables are in the Baker inventory.
LETTERS: dict[str, str] = {
    "A": "诶", "B": "比", "C": "西", "D": "迪", "E": "伊", "F": "艾弗", "G": "吉", "H": "艾尺", "I": "艾",
    "J": "杰", "K": "开", "L": "艾勒", "M": "艾姆", "N": "恩", "O": "欧", "P": "屁", "Q": "丘", "R": "阿尔",
    "S": "艾丝", "T": "提", "U": "优", "V": "维", "W": "达布留", "X": "艾克斯", "Y": "歪", "Z": "贼德",
}  # fmt: skip

# Latin words and acronyms that Chinese broadcasters say as a word or by a fixed Chinese name rather than
# letter by letter. Everything else (GDP, CPI, APP, AI, NBA, iPhone …) is spelled with LETTERS.
WORDS: dict[str, str] = {
    "wifi": "歪费",
    "qq": "扣扣",
    "rmb": "人民币",
    "nato": "北约",
    "opec": "欧佩克",
    "asean": "东盟",
    "apec": "亚太经合组织",
    "fifa": "国际足联",
    "unesco": "联合国教科文组织",
    "omicron": "奥密克戎",
    "delta": "德尔塔",
}
# Case-insensitive for words, but NATO/OPEC etc. only when written in capitals (``nato`` alone is unlikely).
WORDS_PATTERN = r"(?<![A-Za-z])(?:[Ww][Ii]-?[Ff][Ii]|QQ|RMB|NATO|OPEC|ASEAN|APEC|FIFA|UNESCO|Omicron|Delta)(?![A-Za-z])"

GREEK: dict[str, str] = {
    "α": "阿尔法", "β": "贝塔", "γ": "伽马", "δ": "德尔塔", "ε": "艾普西隆", "ζ": "泽塔", "η": "伊塔",
    "θ": "西塔", "ι": "约塔", "κ": "卡帕", "λ": "兰布达", "μ": "缪", "ν": "纽", "ξ": "克西",
    "ο": "奥密克戎", "π": "派", "ρ": "柔", "σ": "西格玛", "ς": "西格玛", "τ": "陶", "υ": "宇普西隆",
    "φ": "斐", "χ": "希", "ψ": "普西", "ω": "欧米伽",
}  # fmt: skip
GREEK.update({k.upper(): v for k, v in list(GREEK.items()) if k != "ς"})
GREEK["µ"] = "缪"  # MICRO SIGN, NFKC-equivalent to Greek mu

# Units that follow a number. (regex, reading, kind). Longest first; matched case-sensitively and never
# followed by another Latin letter. kind: "metric" (a bare 2 before it reads 两), "percent" (the reading is a
# prefix: 百分之…), "temp" (a minus sign reads 零下), "plain".
UNITS: list[tuple[str, str, str]] = [
    (r"%", "百分之", "percent"),
    (r"‰", "千分之", "percent"),
    (r"‱", "万分之", "percent"),
    (r"℃|°C|°c", "摄氏度", "temp"),
    (r"℉|°F", "华氏度", "temp"),
    (r"°", "度", "plain"),
    (r"′", "分", "plain"),
    (r"″", "秒", "plain"),
    (r"(?:km|KM|Km|千米|公里)/(?:h|H|小时)", "千米每小时", "metric"),
    (r"m/s", "米每秒", "metric"),
    (r"(?:μ|µ|u)g/m(?:³|3)", "微克每立方米", "metric"),
    (r"mg/(?:L|l)", "毫克每升", "metric"),
    (r"mg/m(?:³|3)", "毫克每立方米", "metric"),
    (r"kW·h|kw·h|kWh|KWh|kwh|KWH", "千瓦时", "metric"),
    (r"MWh|MWH", "兆瓦时", "metric"),
    (r"GWh|GWH", "吉瓦时", "metric"),
    (r"TWh", "太瓦时", "metric"),
    (r"mAh", "毫安时", "metric"),
    (r"mmHg", "毫米汞柱", "plain"),
    (r"Mbps", "兆比特每秒", "plain"),
    (r"Gbps", "吉比特每秒", "plain"),
    (r"rpm|RPM|r/min", "转每分", "plain"),  # engine speed: 6000rpm
    (r"N·m|N\.m|Nm", "牛米", "plain"),  # torque: 95N.m
    (r"kcal", "千卡", "metric"),
    (r"km²|km2|KM²|KM2", "平方千米", "metric"),
    (r"cm²|cm2", "平方厘米", "metric"),
    (r"m²|m2", "平方米", "metric"),
    (r"cm³|cm3", "立方厘米", "metric"),
    (r"m³|m3", "立方米", "metric"),
    (r"km|KM|Km", "千米", "metric"),
    (r"cm|CM", "厘米", "metric"),
    (r"mm|MM", "毫米", "metric"),
    (r"nm", "纳米", "metric"),
    (r"μm|µm|um", "微米", "metric"),
    (r"kg|KG|Kg", "千克", "metric"),
    (r"mg", "毫克", "metric"),
    (r"μg|µg|ug", "微克", "metric"),
    (r"mL|ml", "毫升", "metric"),
    (r"MW", "兆瓦", "metric"),
    (r"GW", "吉瓦", "metric"),
    (r"kW|KW|kw|Kw", "千瓦", "metric"),
    (r"kV|KV|kv", "千伏", "metric"),
    (r"mA", "毫安", "metric"),
    (r"kHz|KHz", "千赫兹", "plain"),
    (r"MHz", "兆赫兹", "plain"),
    (r"GHz", "吉赫兹", "plain"),
    (r"Hz", "赫兹", "plain"),
    (r"kPa", "千帕", "plain"),
    (r"MPa", "兆帕", "plain"),
    (r"hPa", "百帕", "plain"),
    (r"Pa", "帕", "plain"),
    (r"dB", "分贝", "plain"),
    (r"min", "分钟", "metric"),
    (r"ms", "毫秒", "metric"),
    (r"m", "米", "metric"),
    (r"g", "克", "metric"),
    (r"t", "吨", "metric"),
    (r"L", "升", "metric"),
    (r"W", "瓦", "metric"),
    (r"V", "伏", "metric"),
    (r"h", "小时", "metric"),
    (r"s", "秒", "metric"),
]

# Measure words (and magnitudes) after which a bare 2 reads 两: 2个 → 两个, 2万 → 两万.
LIANG_BEFORE = re.compile(
    r"(?:个|名|位|次|家|人|天|年|岁|周|小时|分钟|秒|种|项|件|条|只|头|匹|辆|台|架|艘|座|所|本|张|份|批|轮|场|层|倍"
    r"|元|块|角|毛|斤|吨|亩|米|公里|公斤|千克|千米|克|升|点|类|篇|首|句|段|把|双|对|套|支|枝|间|栋|幢|户|口|成|趟"
    r"|遍|回|届|部|笔|枚|颗|粒|根|片|方|国|岸|地|股|组|队|百|千|万|亿|大|星期|个月)"
)
# … but not these, where the number is a rank or a name: 2年级, 2号, 2期 (二期工程), 2路.
LIANG_NOT_BEFORE = re.compile(r"年级|点[零一二三四五六七八九\d]")

# Money written with a symbol before the number: ¥100 → 一百元.
CURRENCIES: dict[str, str] = {
    "US$": "美元", "HK$": "港元", "NT$": "新台币", "$": "美元", "¥": "元", "￥": "元", "€": "欧元",
    "£": "英镑", "₩": "韩元", "₽": "卢布", "₹": "卢比",
}  # fmt: skip

# Symbols read the same wherever they stand.
SYMBOLS: dict[str, str] = {
    "+": "加", "=": "等于", "×": "乘", "÷": "除以", "±": "正负", "≈": "约等于", "≠": "不等于",
    "≤": "小于等于", "≥": "大于等于", "&": "和", "@": "艾特", "℃": "摄氏度", "℉": "华氏度", "°": "度",
    "%": "百分号", "‰": "千分号", "²": "平方", "³": "立方", "∞": "无穷大", "√": "根号",
}  # fmt: skip

# Words before a number that make it a code, read digit by digit with 1 as 幺 (拨打110, 邮编404000).
CODE_CONTEXT = re.compile(
    r"(?:拨打|致电|电话|热线|手机|号码|传真|邮编|邮政编码|编号|代码|工号|账号|帐号|卡号|车次|航班|房间|房号|报警|"
    r"求助|呼叫|短信|QQ|QQ群|群号|微信|尾号|批号|型号|证号|密码|验证码|Tel|TEL|tel)[：:\s]*(?:是|为)?[：:\s]*$"
)
# Words after a number that make it a code: 12345热线, 110报警, 120急救.
CODE_AFTER = re.compile(r"(?:热线|报警|急救|服务热线|指挥中心|服务台|政务服务)")


def small_number(n: int) -> str:
    """0–99 as read in a list: 1 → 一, 10 → 十, 21 → 二十一."""
    if n < 10:
        return DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")


def _numbered(spans: list[tuple[int, int, int, str]]) -> dict[str, str]:
    """Readings of runs of numbered characters: (first code point, count, first number, template)."""
    table: dict[str, str] = {}
    for first, count, base, template in spans:
        for i in range(count):
            table[chr(first + i)] = template.format(small_number(base + i))
    return table


# Circled numbers (a rule reads them, adding 、 when they introduce text).
CIRCLED: dict[str, str] = _numbered([
    (0x2460, 20, 1, "{}"),  # ① … ⑳
    (0x3251, 15, 21, "{}"),  # ㉑ … ㉟
    (0x32B1, 15, 36, "{}"),  # ㊱ … ㊿
    (0x2776, 10, 1, "{}"),  # ❶ … ❿
    (0x2780, 10, 1, "{}"),  # ➀ … ➉
    (0x278A, 10, 1, "{}"),  # ➊ … ➓
    (0x24EB, 10, 11, "{}"),  # ⓫ … ⓴
    (0x3280, 10, 1, "{}"),  # ㊀ … ㊉
])  # fmt: skip
CIRCLED["⓪"] = CIRCLED["⓿"] = "零"

# Parenthesised and full-stop numbers (folded before the rules): ⑴ → （一）, ⒈ → 一、.
ENCLOSED: dict[str, str] = _numbered([
    (0x2474, 20, 1, "（{}）"),  # ⑴ … ⒇
    (0x2488, 20, 1, "{}、"),  # ⒈ … ⒛
    (0x3220, 10, 1, "（{}）"),  # ㈠ … ㈩
])  # fmt: skip


# Roman numerals written with Latin capitals right after Chinese text (微观经济学II, 金融学I, 宏观经济学IV).
# V and X alone are left out: 大V, X光 and X射线 are letters.
ROMAN_LETTERS: dict[str, int] = {"I": 1, "II": 2, "III": 3, "IV": 4, "VI": 6, "VII": 7, "VIII": 8, "IX": 9}

ROMAN: dict[str, str] = {
    "Ⅰ": "一", "Ⅱ": "二", "Ⅲ": "三", "Ⅳ": "四", "Ⅴ": "五", "Ⅵ": "六", "Ⅶ": "七", "Ⅷ": "八", "Ⅸ": "九",
    "Ⅹ": "十", "Ⅺ": "十一", "Ⅻ": "十二", "Ⅼ": "五十", "Ⅽ": "一百", "Ⅾ": "五百", "Ⅿ": "一千",
}  # fmt: skip


def build_fold_table() -> dict[int, str]:
    """The character-level folding done before any rule (a ``str.translate`` table).

    Full-width ASCII → ASCII, except the full-width punctuation the engine reads (！（），：；？); every kind of
    space → " "; invisible characters → removed; 〇 → 零 (the engine crashes on 〇); dash, quote and bracket
    variants → the canonical ones; parenthesised and Roman numerals → their Chinese reading.
    """
    table: dict[int, str] = {}
    for cp in range(0xFF01, 0xFF5F):
        if chr(cp) not in "！（），：；？":
            table[cp] = chr(cp - 0xFEE0)
    for cp in [*range(0x00, 0x20), *range(0x7F, 0xA0)]:
        table[cp] = ""
    for ch in "\t\x0b\x0c\x1c\x1d\x1e\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000":
        table[ord(ch)] = " "
    for cp in range(0x2000, 0x200B):
        table[cp] = " "
    for ch in "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u034f\u180e":
        table[ord(ch)] = ""
    for cp in [*range(0xFE00, 0xFE10), *range(0xE000, 0xF900)]:  # variation selectors, private use
        table[cp] = ""
    table.update({ord(k): v for k, v in {
        "〇": "零", "–": "-", "‒": "-", "−": "-", "﹣": "-", "‐": "-", "‑": "-", "―": "—", "─": "—",
        "⸺": "——", "⸻": "———", "〜": "~", "∼": "~", "⋯": "…", "‥": "…", "「": "“", "」": "”", "『": "‘",
        "』": "’", "﹁": "“", "﹂": "”", "﹃": "‘", "﹄": "’", "„": "“", "‟": "“", "«": "“", "»": "”",
        "‚": "‘", "‛": "‘", "‹": "‘", "›": "’", "〈": "《", "〉": "》", "【": "（", "】": "）", "〔": "（",
        "〕": "）", "〖": "（", "〗": "）", "［": "（", "］": "）", "｛": "（", "｝": "）", "﹙": "（", "﹚": "）",
        "﹐": "，", "﹑": "、", "﹒": ".", "﹔": "；", "﹕": "：", "﹖": "？", "﹗": "！", "︐": "，", "︑": "、",
        "︒": "。", "︓": "：", "︔": "；", "︕": "！", "︖": "？", "｡": "。", "､": "、", "｢": "“", "｣": "”",
        "№": "No.", "™": "", "®": "", "©": "", "℠": "", "ⅰ": "一", "ⅱ": "二", "ⅲ": "三", "ⅳ": "四",
        "ⅴ": "五", "ⅵ": "六", "ⅶ": "七", "ⅷ": "八", "ⅸ": "九", "ⅹ": "十", "ⅺ": "十一", "ⅻ": "十二",
        "ﹳ": "", "º": "°", "˚": "°",
    }.items()})  # fmt: skip
    table.update({ord(k): v for k, v in ROMAN.items()})
    table.update({ord(k): v for k, v in ENCLOSED.items()})
    return table
