"""Extraction rules as data: what furniture, metadata lines, captions, headings and site names look like.

The algorithm (``reader.extraction.article``) reads these tables; a new site quirk is an entry here, with its
page as a test fixture in ``tests/extraction/``, not a new branch in the algorithm.
"""

from __future__ import annotations

import re

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

WORDCHAR = re.compile(r"[\w]")

END_PUNCT = "。！？!?…；;”」』\"）)"

SENTENCE_END = re.compile(r"[。！？!?…][”’」』\"）)]*$")

DATE = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?"
)

SOURCE = re.compile(r"(?:来源|来自|稿源|出处|信息来源)\s*[:：]\s*([^\s|｜/丨【】\[\]（）()]{2,30})")

BYLINE_LEAD = re.compile(
    r"^(?:[【\[（(]\s*)?(?:\S{0,8}记者|通讯员|作者|撰稿|撰文|文/|文／|实习生|特约记者|本报记者|本报讯|见习记者)"
)

BYLINE_ANY = re.compile(r"(记者|通讯员|作者[:：]|撰稿|/文|／文|/图|／图|摄影|报道$)")

META_LABEL = re.compile(
    r"(发布时间|发布日期|发表时间|成文日期|日期|时间|来源|作者|编辑|浏览次数|阅读次数|点击数|点击量|字号|阅读量|访问量|信息来源)\s*[:：]"
)

CAPTION = re.compile(
    r"^(?:[①-⑳]|图为|图片为|图：|图:|（图|\(图|▲|△|图片来源|图片由|摄影[:：]|视频[:：]|[（(]?\S{0,12}摄[）)]?$)"
)

# A photo's caption that ends with its credit: "…在献血浆时拍照留念。新华社记者 才扬 摄"
CAPTION_CREDIT = re.compile(r"(?:记者|摄影|通讯员)?\s*[\u4e00-\u9fff]{2,4}(?:\s+[\u4e00-\u9fff]{2,4})*\s+摄[）)]?$")

EDITOR = re.compile(r"^[【\[（(]?\s*(?:责任编辑|责编|编辑|校对|审核|终审|审校|值班编辑|主编|编审)\s*[:：]")

LIST_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)|第[一二三四五六七八九十]+[章节部分])")

# Whole lines that are the site's furniture, never the article.
FURNITURE = re.compile(
    r"""^(?:
        语音播报|播报|朗读|暂停|继续|停止|听新闻|
        扫一扫.*|.*扫一扫在手机.*|在手机打开当前页面|手机扫一扫|手机看|用手机看|微信扫一扫.*|
        我要找政策|我要咨询|我要纠错|我要留言|政策咨询|
        打印(?:本页|此页|文章|页面)?|关闭(?:窗口|本页|页面)?|【\s*打印\s*】.*|【\s*关闭\s*】.*|
        \[\s*打印\s*\].*|\[\s*关闭\s*\].*|
        分享(?:到|至)?[:：]?.*|收藏(?:本页)?|返回(?:顶部|首页|列表|搜狐.*)?|顶部|
        字号[:：]?.*|字体[:：]?.*|[【\[]?\s*[大中小]\s*[】\]]?(?:\s*[【\[]?\s*[大中小]\s*[】\]]?)+|
        上一篇.*|下一篇.*|上一页|下一页|(?:[【\[]\s*\d{1,3}\s*[】\]]\s*){2,}|相关(?:新闻|阅读|链接|文章|推荐).*|延伸阅读.*|推荐阅读.*|热点推荐.*|
        您(?:当前|现在)?的?(?:位置|所在位置).*|当前位置.*|首页\s*[>›»／/].*|
        网站地图|联系我们|关于我们|网站声明|隐私政策|版权(?:所有|声明).*|Copyright.*|©.*|
        .*ICP[备证].*|.*公网安备.*|主办(?:单位)?[:：].*|承办(?:单位)?[:：].*|技术支持[:：].*|
        (?:【|\[)?\s*(?:纠错|打印|关闭|收藏|分享|评论|举报)\s*(?:】|\])?|
        (?:【|\[)\s*详细\s*(?:】|\])|点击进入.*|点击查看.*|展开全文|阅读全文|查看原文|
        \(?（?完）?\)?|【完】|
        .*责任编辑[:：].*|【编辑[:：].*】.*
    )$""",
    re.VERBOSE | re.IGNORECASE,
)

JUNK_CLASSES = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|breadcrumb|crumb|footer|foot|header|sidebar|side|share|bshare|"
    r"comment|comments|related|recommend|copyright|toolbar|tools|print|login|search|advert|ads?|"
    r"banner|topbar|weixin|qrcode|ewm|pagination|pager)(?:$|[\s_-])",
    re.IGNORECASE,
)

DROP_TAGS = ("script", "style", "noscript", "iframe", "form", "select", "button", "input", "textarea",
              "nav", "footer", "aside", "svg", "canvas", "video", "audio", "object", "embed", "template")

BLOCK_TAGS = {"p", "div", "section", "article", "main", "td", "th", "li", "ul", "ol", "table", "tr",
               "tbody", "thead", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt", "dl",
               "figure", "figcaption", "center", "pre", "header", "form", "hr", "br", "address"}

HEADING_TAGS = {"h2", "h3", "h4", "h5", "h6"}

NOT_TEXT = {"script", "style", "noscript", "template", "textarea", "select", "option"}

HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}

HALF_PUNCT_NEAR_CJK = re.compile(r"(?<=[\u3400-\u9fff”“])\s*([,;:?!])\s*|\s*([,;:?!])\s*(?=[\u3400-\u9fff“”])")

# Elements whose id or class say what they hold: a subtitle (副标题) or a publication date. Used only for
# what the article container misses, since both often sit in the page header above it.
SUBTITLE_ATTR = re.compile(r"(?:^|[\s_-])(?:sub-?title|subtitle|vice-?title|fbt|futitle)(?:$|[\s_-])", re.IGNORECASE)

DATE_ATTR = re.compile(r"(?:date|pubtime|publish|time)", re.IGNORECASE)

TITLE_PARTS = re.compile(r"(\s*(?:[_|｜]|--|—-|::|\s[-–—@]\s|-(?=[^-]{2,12}$))\s*)")

# A part of a page title that names the site or the channel rather than the article.
SITE_PART = re.compile(
    r"(?:网|网站|门户|频道|官网|官方网站|新闻|日报|晚报|时报|报社|政府|中心|秘书处|公报|PIXNET|News|Times)$|^.{1,2}$"
    r"|^(?:搜狐|新浪|网易|腾讯|凤凰|人民|新华|央视)\S{0,4}$"
    r"|^(?:CN|首页)$",
    re.IGNORECASE,
)

CONTACT = re.compile(r"^(?:联系人|联系电话|电话|传真|手机|邮箱|电子邮件|电子邮箱|E-?mail|地址|邮编)\s*[:：]", re.IGNORECASE)

# Lines that only point elsewhere: to a link whose text the page dropped, an attachment, a QR code, the
# original headline. Never read (issue 13: "（详情请点击链接：" was read seven times in one article).
POINTER_LINE = re.compile(
    r"""^[（(【\[]?\s*(?:
        (?:详情|更多详情|更多信息|更多内容|详细内容|详细信息|全文|原文)?\s*请?\s*(?:点击|点此|戳)\s*(?:链接|这里|此处|下方|阅读原文|查看原文|查看|进入|下载).{0,30}|
        (?:详情|更多)?\s*(?:请)?\s*详见(?:附件|链接|原文|下文|附表|网站).{0,30}|
        (?:请)?(?:扫码|扫描二维码|长按识别二维码|长按二维码|识别二维码)(?:关注|下载|阅读|查看|观看|收听|了解).{0,30}|
        原标题\s*[:：].*|
        附件\s*\d*\s*[:：]?\s*[^。！？]{0,60}\.(?:docx?|xlsx?|pdf|wps|zip|rar|et|ofd|txt|jpg|png)|
        附件\s*\d*\s*[:：]?
    )\s*[）)】\]]?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)

# The same pointer as the tail of a paragraph: "…吹响全年工作冲锋号。（详情请点击链接：" (the link itself dropped).
POINTER_TAIL = re.compile(
    r"[（(]\s*(?:详情|更多详情|更多|全文|原文)?\s*请?\s*(?:点击|点此|详见|戳)\s*(?:链接|原文|这里|此处|查看)?\s*[:：]?\s*"
    r"(?:[A-Za-z]+://\S*)?\s*[）)]?\s*$"
)

# What a page title ends with when the site's separator was left behind: "…的决议_".
TITLE_TRAILING_SEPARATORS = re.compile(r"[\s_|｜\-–—:：·•/\\]+$")
TITLE_LEADING_SEPARATORS = re.compile(r"^[\s_|｜\-–—:：·•/\\]+")

# A media note in a headline, for the page's reader and not the listener: "…当嫁妆（图）", "（组图）", "【视频】".
TITLE_MEDIA_NOTE = re.compile(
    r"\s*[（(【\[]\s*(?:组图|多图|图|附图|图文|高清组图|高清图|视频|图表|附视频|音频|直播)\s*[）)】\]]\s*")

# A line that only credits what came before (a poem's author: "——（宋）陆游"): never a section heading.
ATTRIBUTION = re.compile(r"^(?:——|—|--|－－)")

# An untitled text (one pasted line) is named by its opening, cut at a clause, at most this many characters.
UNTITLED_TITLE_CHARS = 24
CLAUSE_END = re.compile(r"[，。！？；：、,!?;:]")
