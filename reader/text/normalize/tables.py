"""Data tables for :mod:`reader.text.normalize`: readings of letters, words, symbols, units and currencies,
and the context words that decide between readings (a date or a range, a year or a duration, a score …).

Kept apart from the rules so that the rules module reads as logic: a new unit, currency, word or context word
is a line here. Every reading is made only of characters in U+4E00–U+9FA5 whose pypinyin syllables exist in
the Baker phone inventory (tests/text/test_normalize.py checks each with the lexicon's syllable list).
"""

from __future__ import annotations

import re

# The characters the engine can read: CJK unified ideographs U+4E00–U+9FA5 plus the full-width punctuation
# below (the engine phrases at ，。！？、：；; quotes, title marks, brackets, dashes and ellipses are harmless).
SPEAKABLE_PUNCTUATION = "，。！？、：；“”‘’《》（）—…"
CJK_RANGE = "\u4e00-\u9fa5"

DIGITS = "零一二三四五六七八九"
DIGITS_YAO = "零幺二三四五六七八九"

# Letter names, for a voice that cannot say Latin letters. Each is the English letter name in syllables
# the Baker voice has, in characters a listener takes for a letter and not for a word: P is 批 (pī; 屁, the
# usual "pì", is heard as "fart"), Z is 泽德 (zed; 贼 means "thief"), L is 艾乐 (el; 勒 reads lēi by
# itself, "ai-lei"). The others are the forms in common use: M 艾姆 (姆 is the standard transcription of a
# final m, cf. 汤姆), N 恩, O 欧, R 阿尔, Q 丘 (cue, as in "Q版"), U 优, W 达布留 (double-u), Y 歪 (why).
LETTERS: dict[str, str] = {
    "A": "诶", "B": "比", "C": "西", "D": "迪", "E": "伊", "F": "艾弗", "G": "吉", "H": "艾尺", "I": "艾",
    "J": "杰", "K": "开", "L": "艾乐", "M": "艾姆", "N": "恩", "O": "欧", "P": "批", "Q": "丘", "R": "阿尔",
    "S": "艾丝", "T": "提", "U": "优", "V": "维", "W": "达布留", "X": "艾克斯", "Y": "歪", "Z": "泽德",
}  # fmt: skip

# Latin words that every voice says by a Chinese name: a Chinese newsreader says 北约, not "NATO", even
# where the text has the letters. Matched case-sensitively as whole words.
NAMED_WORDS: dict[str, str] = {
    "NATO": "北约", "OPEC": "欧佩克", "ASEAN": "东盟", "APEC": "亚太经合组织", "FIFA": "国际足联",
    "UNESCO": "联合国教科文组织", "WHO": "世界卫生组织", "WTO": "世界贸易组织", "IMF": "国际货币基金组织",
    "Omicron": "奥密克戎", "Delta": "德尔塔",
}  # fmt: skip

# Latin words with an established Chinese reading, for a voice that cannot say Latin letters; a voice that
# can keeps the letters (GDP, WiFi, PM2.5 → PM二点五). Everything else is spelled with LETTERS (5G → 五吉).
CHINESE_READINGS: dict[str, str] = {
    "GDP": "国内生产总值", "CPI": "居民消费价格指数", "PPI": "工业生产者出厂价格指数",
    "CEO": "首席执行官", "CFO": "首席财务官", "CTO": "首席技术官", "COO": "首席运营官",
    "APP": "应用", "App": "应用", "app": "应用",
    "WiFi": "无线网络", "Wi-Fi": "无线网络", "WIFI": "无线网络", "WI-FI": "无线网络", "Wifi": "无线网络",
    "wifi": "无线网络", "wi-fi": "无线网络",
    "QQ": "扣扣", "PM2.5": "细颗粒物", "PM10": "可吸入颗粒物",
}  # fmt: skip


def words_pattern(words: dict[str, str]) -> str:
    """A whole-word alternation of the keys of ``words``, longest first."""
    keys = "|".join(re.escape(k) for k in sorted(words, key=len, reverse=True))
    return f"(?<![A-Za-z])(?:{keys})(?![A-Za-z0-9])"


GREEK: dict[str, str] = {
    "α": "阿尔法", "β": "贝塔", "γ": "伽马", "δ": "德尔塔", "ε": "艾普西隆", "ζ": "泽塔", "η": "伊塔",
    "θ": "西塔", "ι": "约塔", "κ": "卡帕", "λ": "兰布达", "μ": "缪", "ν": "纽", "ξ": "克西",
    "ο": "奥密克戎", "π": "派", "ρ": "柔", "σ": "西格玛", "ς": "西格玛", "τ": "陶", "υ": "宇普西隆",
    "φ": "斐", "χ": "希", "ψ": "普西", "ω": "欧米伽",
}  # fmt: skip
GREEK.update({k.upper(): v for k, v in list(GREEK.items()) if k != "ς"})
GREEK["µ"] = "缪"  # MICRO SIGN, NFKC-equivalent to Greek mu

# Units that follow a number. (regex, reading, kind). Longest first; matched case-sensitively and never
# followed by another Latin letter. An empty reading means the unit has no Chinese name in use (GB, dpi): its
# letters are said, spelled for a voice that cannot say Latin letters. kind: "metric" (a bare 2 before it
# reads 两), "percent" (the reading is a prefix: 百分之…), "temp" (a minus sign reads 零下), "plain".
# A unit, a slash and a unit read 每 between them (kg/m³ → 千克每立方米).
UNITS: list[tuple[str, str, str]] = [
    (r"%", "百分之", "percent"),
    (r"‰", "千分之", "percent"),
    (r"‱", "万分之", "percent"),
    (r"ppm", "百万分之", "percent"),
    (r"ppb", "十亿分之", "percent"),
    (r"℃|°C|°c", "摄氏度", "temp"),
    (r"℉|°F", "华氏度", "temp"),
    (r"°", "度", "plain"),
    (r"′", "分", "plain"),
    (r"″", "秒", "plain"),
    (r"(?:km|KM|Km|千米|公里)/(?:h|H|小时)", "千米每小时", "metric"),
    (r"kW·h|kw·h|kWh|KWh|kwh|KWH", "千瓦时", "metric"),
    (r"MWh|MWH", "兆瓦时", "metric"),
    (r"GWh|GWH", "吉瓦时", "metric"),
    (r"TWh", "太瓦时", "metric"),
    (r"mAh", "毫安时", "metric"),
    (r"mmHg", "毫米汞柱", "plain"),
    (r"kbps|Kbps", "千比特每秒", "plain"),
    (r"Mbps", "兆比特每秒", "plain"),
    (r"Gbps", "吉比特每秒", "plain"),
    (r"rpm|RPM|r/min", "转每分", "plain"),  # engine speed: 6000rpm
    (r"N·m|N\.m|Nm", "牛米", "plain"),  # torque: 95N.m
    (r"kcal", "千卡", "metric"),
    (r"km²|km2|KM²|KM2", "平方千米", "metric"),
    (r"cm²|cm2", "平方厘米", "metric"),
    (r"mm²|mm2", "平方毫米", "metric"),
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
    (r"mph", "英里每小时", "metric"),
    (r"ft", "英尺", "metric"),
    (r"oz", "盎司", "metric"),
    (r"lbs|lb", "磅", "metric"),
    (r"ha", "公顷", "metric"),
    (r"mol", "摩尔", "metric"),
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
    (r"fps", "帧每秒", "plain"),
    (r"TB|GB|MB|KB|kB", "", "metric"),
    (r"dpi|ppi", "", "plain"),
    (r"min", "分钟", "metric"),
    (r"μs|µs", "微秒", "metric"),
    (r"ns", "纳秒", "metric"),
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

# A leading zero before these is a padded date or time (05月, 09时), not a code read digit by digit.
PADDED_AFTER = re.compile(r"\s*[月日号时点分秒期届版楼层]")
# An amount after digits that would otherwise be a code: they are a cardinal (13000000000元, 拨打电话12次).
AMOUNT_AFTER = re.compile(rf"\s*(?:{LIANG_BEFORE.pattern}|元|多|余)")
# Money after digits that follow Latin letters: an amount, not a code (A股3000亿元).
MONEY_AFTER = re.compile(r"\s*(?:[万亿元]|多|余|美元|欧元)")

# Money written with a symbol before the number: ¥100 → 一百元, HK$10 → 十港元.
CURRENCIES: dict[str, str] = {
    "US$": "美元", "HK$": "港元", "NT$": "新台币", "A$": "澳元", "AU$": "澳元", "C$": "加元", "CA$": "加元",
    "S$": "新加坡元", "NZ$": "新西兰元", "R$": "巴西雷亚尔", "MOP$": "澳门元", "$": "美元", "¥": "元",
    "￥": "元", "€": "欧元", "£": "英镑", "￡": "英镑", "₩": "韩元", "₽": "卢布", "₹": "卢比", "฿": "泰铢",
}  # fmt: skip

# ISO currency codes: code → (the name alone, the name after an amount). RMB 500 → 五百元人民币, USD → 美元.
CURRENCY_CODES: dict[str, tuple[str, str]] = {
    "CNY": ("人民币", "元人民币"), "RMB": ("人民币", "元人民币"), "USD": ("美元", "美元"),
    "EUR": ("欧元", "欧元"), "GBP": ("英镑", "英镑"), "JPY": ("日元", "日元"), "HKD": ("港元", "港元"),
    "AUD": ("澳元", "澳元"), "CAD": ("加元", "加元"), "CHF": ("瑞士法郎", "瑞士法郎"),
    "KRW": ("韩元", "韩元"), "SGD": ("新加坡元", "新加坡元"), "TWD": ("新台币", "新台币"),
    "MOP": ("澳门元", "澳门元"), "NZD": ("新西兰元", "新西兰元"), "RUB": ("卢布", "卢布"),
    "INR": ("卢比", "卢比"), "THB": ("泰铢", "泰铢"),
}  # fmt: skip
# Codes that are also common words or abbreviations (CAD: computer-aided design) are money only next to a
# number; these are read as currencies wherever they stand.
LONE_CURRENCY_CODES = ("CNY", "RMB", "USD", "EUR", "GBP", "JPY", "HKD", "AUD", "KRW", "SGD", "TWD", "NZD")
# A currency name written after an amount that already has a symbol or code: ¥100元 says 元 once.
CURRENCY_NAMES = sorted({*CURRENCIES.values(), *(v for pair in CURRENCY_CODES.values() for v in pair)},
                        key=len, reverse=True)  # fmt: skip
# English scale words after an amount: $1.5 billion → 十五亿美元 (the power of ten).
SCALES: dict[str, int] = {"thousand": 3, "million": 6, "mln": 6, "mn": 6, "billion": 9, "bn": 9, "trillion": 12}

# am/pm: the part of the day said before the hour, by the hour on a 24-hour clock (12 am is 0, 1 pm is 13).
DAY_PARTS: tuple[tuple[int, int, str], ...] = (
    (0, 5, "凌晨"), (6, 11, "上午"), (12, 12, "中午"), (13, 17, "下午"), (18, 23, "晚上"),
)  # fmt: skip

# Symbols read the same wherever they stand.
SYMBOLS: dict[str, str] = {
    "+": "加", "=": "等于", "×": "乘", "÷": "除以", "±": "正负", "≈": "约等于", "≠": "不等于",
    "≤": "小于等于", "≥": "大于等于", "&": "和", "@": "艾特", "℃": "摄氏度", "℉": "华氏度", "°": "度",
    "%": "百分号", "‰": "千分号", "²": "平方", "³": "立方", "∞": "无穷大", "√": "根号",
}  # fmt: skip

# Words before a number that make it a code, read digit by digit with 1 as 幺 (拨打110, 邮编404000).
CODE_CONTEXT = re.compile(
    r"(?:拨打|致电|电话|热线|手机|号码|传真|邮编|邮政编码|编号|代码|工号|账号|帐号|卡号|车次|航班|房间|房号|报警|"
    r"求助|呼叫|短信|QQ|QQ群|群号|微信|尾号|批号|型号|证号|密码|验证码|Tel|TEL|tel|波音|空客)[：:\s]*(?:是|为)?[：:\s]*$"
)
# Words after a number that make it a code: 12345热线, 110报警, 120急救.
CODE_AFTER = re.compile(r"(?:热线|报警|急救|服务热线|指挥中心|服务台|政务服务|打个电话|打电话|来电)")

# ---- Context: words around a number that decide how it is read. Each is matched against the original text
# right before (a pattern ending in $) or right after (matched at the start) the number.

# A month/day pair (7-9, 7/9, 8.15) is a date after these words or before a weekday; otherwise a range,
# fraction or decimal. A zero-padded month (07/09) is a date anywhere.
DATE_BEFORE = re.compile(
    r"(?:日期|截至|截止|定于|将于|拟于|已于|始于|生于|出生于|成立于|发布于|更新于|发表于|生效|起止|今天是)"
    r"[：:\s]*(?:为|是)?[：:\s]*$"
)
DATE_AFTER = re.compile(r"\s*[（(]?(?:周|星期|礼拜)[一二三四五六日天]")

# Two numbers joined by - or : are a score (3-1 → 三比一) after or before these words.
SCORE_BEFORE = re.compile(
    r"(?:比分|比数|战胜|击败|打败|负于|输给|不敌|力克|逆转|战平|打平|憾负)"
    r"(?:为|是|定格在|定格为|最终|扳成|追成|改写为)?[：:\s]*$"
)
# … and after these, unless the pair is shaped like a clock time (以9:30为准).
SCORE_BEFORE_WEAK = re.compile(r"(?:以|队)[：:\s]*$")
SCORE_AFTER = re.compile(
    r"\s*(?:战胜|击败|打败|取胜|获胜|胜出|力克|大胜|完胜|险胜|惜败|告负|落败|负于|输给|不敌|战平|打平|逼平|领先|落后"
    r"|的比分|的总比分|收官|逆转|淘汰|晋级|胜|负|赢|输)"
)
# … but never when a time or a measure follows (以2:30的成绩, 以3-5人为一组).
NOT_SCORE_AFTER = re.compile(r"\s*(?:的?(?:成绩|时间|用时|速度))")

# h:mm:ss after these words is a duration (成绩为2:05:30 → 两小时零五分三十秒), not a time of day.
DURATION_BEFORE = re.compile(r"(?:成绩|用时|耗时|时长|历时|跑出|完赛|净时间|计时)(?:为|是|达)?[：:\s]*$")

# A two-digit number before 年 is a year (19年 → 一九年) unless these words make it a duration (工作了19年).
YEARS_BEFORE = re.compile(
    r"(?:了|近|约|达|长达|历时|满|共|整整|超过|逾|多|前|每|用|花|经过|已|已经|耗时|至少|最多|将近|大约|成立|建成"
    r"|工作|服役|坚持|执教|判处|判|历经|相隔|时隔|过去|未来|今后|这|那|连续|累计|持续|仅|才|足足|几乎|高达|有|头)\s*$"
)
YEARS_AFTER = re.compile(
    r"年(?:来|多|间|后|前|之久|以来|以上|以内|左右|里|之内|内|半|时间|的时间|历史|的历史|之后|之前|有期徒刑|徒刑"
    r"|光景|以后|以前|了)"
)

# … and it is a year only with evidence: a month or a part of the year after it (19年5月, 19年底), an event of
# that year (22年冬奥会), a word of time before it (在19年, 截至19年), or no Chinese word before it (a clause
# that starts with it). Elsewhere it is a duration: 八成20年的贷款, 年轻12年.
YEAR_AFTER = re.compile(
    r"年(?:\d|[底初末中春夏秋冬]|上半年|下半年|前三季度|[一二三四]季度|第|度|全年|冬奥|奥运|世界杯|亚运|全运|高考|两会"
    r"|春节|国庆|元旦)"
)
YEAR_BEFORE = re.compile(r"(?:在|于|到|至|从|自|截至|截止|是|去|直到|早在|等到|进入|迈入|回到|直至|始于|生于)\s*$")

# A sign before a number (or 百分之…): after 同比/环比 it says which way (同比+3.5% → 同比增长百分之三点五);
# after a word that already says which way, the sign that agrees is not read (增长+3.5%, 跌-0.12%); elsewhere
# + is 正 and - is 负. (sign, context) → reading; the context is the first of these that the text before matches.
SIGN_CONTEXTS: dict[str, re.Pattern[str]] = {
    "same period": re.compile(r"(?:同比|环比)[：:\s]*$"),
    "up": re.compile(r"(?:增长|上涨|上升|提高|增加|增幅|涨幅|增速|升幅|涨|增|升)[：:\s]*(?:为|了|达)?[：:\s]*$"),
    "down": re.compile(r"(?:下降|下跌|下滑|回落|减少|降低|降幅|跌幅|跌|降|减)[：:\s]*(?:为|了|达)?[：:\s]*$"),
}
SIGN_READINGS: dict[tuple[str, str], str] = {
    ("+", "same period"): "增长", ("-", "same period"): "下降", ("+", "up"): "", ("-", "down"): "",
    ("+", ""): "正", ("-", ""): "负",
}  # fmt: skip

# A measure word, unit or magnitude right after a number: it is a quantity (3-5人, 7-9月), not a date or score.
MEASURE_AFTER = re.compile(
    r"\s*(?:[%‰℃°月日号点万亿]|" + LIANG_BEFORE.pattern + r"|(?:" + "|".join(p for p, _, _ in UNITS) + r")(?![A-Za-z]))"
)

# Three or four digits read digit by digit before a P: a video resolution (1080P → 一零八零P).
RESOLUTIONS = ("480", "576", "720", "1080", "1440", "2160", "4320")

# Years before/after these: 221BC → 公元前二二一年, 1066AD / AD 1066 → 公元一零六六年.
ERAS: dict[str, str] = {"BC": "公元前", "BCE": "公元前", "B.C.": "公元前", "AD": "公元", "CE": "公元", "A.D.": "公元"}

# A full stop and a space after these, or after a single letter (R. Boyer), are not the end of a sentence: a
# pause (Mr. Smith → 艾姆阿尔，艾丝艾姆艾提艾尺). After any other Latin word ". " ends a sentence: 。.
ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr", "Sr", "Inc", "Co", "Ltd", "Corp", "vs", "Gov", "Sen",
                 "Rep", "Gen", "Lt", "Col", "Capt", "Mt", "No", "Fig", "Vol", "Jan", "Feb", "Mar", "Apr", "Aug",
                 "Sept", "Sep", "Oct", "Nov", "Dec")  # fmt: skip

# Two-character comparison operators (one-character ones are in SYMBOLS).
OPERATORS: dict[str, str] = {">=": "大于等于", "<=": "小于等于", "=>": "大于等于", "=<": "小于等于", "!=": "不等于",
                             "==": "等于", "<>": "不等于"}  # fmt: skip


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
        "ﹳ": "", "º": "°", "˚": "°", "∶": ":", "・": "·", "‧": "·", "∙": "·", "⋅": "·", "﹢": "+",
        "﹤": "<", "﹥": ">", "﹦": "=",
    }.items()})  # fmt: skip
    table.update({ord(k): v for k, v in ROMAN.items()})
    table.update({ord(k): v for k, v in ENCLOSED.items()})
    return table
