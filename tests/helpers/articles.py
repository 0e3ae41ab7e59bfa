"""Articles that several test packages narrate, and the large inputs that tests and benchmarks read."""

from __future__ import annotations

from pathlib import Path

from reader.models import Article, Chapter

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"

#: Lines of one pattern repeated, the cases a rule gone quadratic would show (tests/text/test_normalize.py,
#: benchmarks/large_inputs.py).
PATHOLOGICAL_CHUNKS = [
    "1", "1,", "1-", "1.", "1:", "a", "a1", "a.", "a@", "1+", " ", "- ", "%", "年", "1 ", "1/", "\"'", "①", "〇",
    "2021年", "07/", "1-1", "以1-", "$1", "USD 1", "a.b.", "-1", "+1", "1 x ", "7am ",
]  # fmt: skip

#: A lead and two chapters: short enough for any engine, long enough for chapters and sentences.
SHORT = Article(
    title="测试标题",
    date="2023-10-01",
    source="某某日报",
    chapters=[
        Chapter(None, ["这是导语，用来测试朗读。"]),
        Chapter("第一部分", ["第一部分的正文有两句话。这是第二句话。"]),
        Chapter("第二部分", ["第二部分的正文，到此结束。"]),
    ],
)


def padded_page(target: int) -> bytes:
    """Page 002 with its article paragraphs repeated and a table of menu links, to ``target`` bytes."""
    page = (PAGES / "002.html").read_text("utf-8")
    paragraphs = (PAGES / "002.expected.txt").read_text("utf-8").split("\n\n")
    menu = '<table class="list">' + "".join(
        "<tr>" + "".join(f'<td><a href="/n/{r}_{c}.html">栏目{c}</a></td>' for c in range(10)) + "</tr>"
        for r in range(200)
    ) + "</table>"
    block = "".join(f"<p>{p.strip()}</p>\n" for p in paragraphs if p.strip())
    end = page.rfind("</body>")
    room = target - len((page + menu).encode("utf-8")) - 11
    copies = room // len(block.encode("utf-8")) + 1
    return (page[:end] + "<div>" + block * copies + "</div>" + menu + page[end:]).encode("utf-8")
