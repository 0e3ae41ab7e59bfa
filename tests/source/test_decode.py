from __future__ import annotations

import codecs

import pytest
from conftest import FIXTURES

from reader.errors import DecodeError
from reader.source.decode import declared_charsets, decode

TEXT = "推进协作当样板，同心共融经济圈。两江潮起，平湖浪涌。"


def html(body: str, charset: str) -> str:
    return f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}"></head>' \
           f"<body><p>{body}</p></body></html>"


@pytest.mark.parametrize("label", ["gb2312", "GBK", "gb18030"])
def test_gb_pages_decode_as_gb18030(label: str) -> None:
    data = html(TEXT + "镕", label).encode("gb18030")  # 镕 is GBK, not GB2312: the label lies a little
    result = decode(data)
    assert result.encoding == "gb18030" and TEXT + "镕" in result.text


def test_utf8_bytes_declared_as_gb2312() -> None:
    result = decode(html(TEXT, "gb2312").encode("utf-8"))
    assert result.encoding == "utf-8" and result.declared == "gb2312" and TEXT in result.text


def test_gb_bytes_declared_as_utf8_in_header_and_meta() -> None:
    result = decode(html(TEXT, "utf-8").encode("gb18030"), header_charset="utf-8")
    assert result.encoding == "gb18030" and TEXT in result.text


def test_bom_wins() -> None:
    assert decode(codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le")).text == TEXT
    assert decode(codecs.BOM_UTF8 + TEXT.encode()).encoding == "utf-8"


def test_big5_page() -> None:
    result = decode(html("新竹尖石美樹營地賞楓，藍天白雲。", "big5").encode("big5"))
    assert "新竹尖石美樹營地賞楓" in result.text


def test_declarations_in_order() -> None:
    data = b'<meta charset="utf-8"><meta http-equiv="Content-Type" content="text/html; charset=gbk">'
    assert declared_charsets(data, "gb2312") == ["gb2312", "utf-8", "gbk"]


def test_a_few_bad_bytes_in_a_truncated_gb_page_are_tolerated() -> None:
    data = (TEXT * 200).encode("gb18030")
    data = data[:1001] + b"\xff" + data[1001:]
    result = decode(data)
    assert result.encoding == "gb18030" and TEXT in result.text


@pytest.mark.parametrize("data", [b"", b"   \n\t", b"\x00\x01\x02binary\x00" * 50])
def test_empty_and_binary_refused(data: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(data, name="x.bin")


def test_mislabelled_fixture_047() -> None:
    result = decode((FIXTURES / "pages" / "047.html").read_bytes())
    assert result.encoding == "gb18030" and "约定无期限" in result.text
