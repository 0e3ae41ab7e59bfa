"""File names: the template and its fields, empty fields and their separators, the rules that make a name
safe (full-width forms, forbidden characters, white space, length in bytes, reserved names), pinyin names,
and both through the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from reader.cli import cli
from reader.errors import UsageError
from reader.models import Article, Chapter
from reader.narration.naming import (
    MAX_NAME_BYTES,
    article_id,
    ascii_filename,
    check_template,
    default_name,
    default_stem,
    safe_filename,
)

BODY = [Chapter(None, ["这是正文。"])]
DATED = Article("万州区：关于《２０２３年Ｑ１》工作的通知/公告", BODY, date="2023-10-01", source="万州区人民政府",
                url="https://www.wz.gov.cn/art/2023/10/1/art_1.html")
UNDATED = Article("停水通知", BODY)


@pytest.mark.parametrize(("template", "dated", "undated"), [
    ("{date}-{title}", "2023-10-01-万州区：关于《2023年Q1》工作的通知_公告", "停水通知"),
    ("{title}-{date}", "万州区：关于《2023年Q1》工作的通知_公告-2023-10-01", "停水通知"),
    ("{source} {date} {title}", "万州区人民政府 2023-10-01 万州区：关于《2023年Q1》工作的通知_公告", "停水通知"),
    ("{year}/{month}", None, None),
    ("{host}_{id}", f"www.wz.gov.cn_{article_id(DATED)}", article_id(UNDATED)),
    ("[{date}] {title}", "[2023-10-01] 万州区：关于《2023年Q1》工作的通知_公告", "[] 停水通知"),
])
def test_template_fields_and_empty_ones(template: str, dated: str | None, undated: str | None) -> None:
    if dated is None:
        with pytest.raises(UsageError):
            check_template(template)
        return
    assert default_stem(DATED, check_template(template)) == dated
    assert default_stem(UNDATED, template) == undated


def test_id_is_stable_and_short() -> None:
    assert article_id(DATED) == article_id(Article("another title", BODY, url=DATED.url))  # the URL decides
    assert article_id(UNDATED) == article_id(Article("停水通知", [Chapter(None, ["这是正文。"])]))
    assert article_id(UNDATED) != article_id(Article("停水通知", [Chapter(None, ["别的正文。"])]))
    assert len(article_id(UNDATED)) == 8 and int(article_id(UNDATED), 16) >= 0


@pytest.mark.parametrize(("text", "expected"), [
    ("ＡＢＣ１２３：第一期", "ABC123：第一期"),  # full-width letters and digits fold; Chinese punctuation stays
    ("标题\u3000\u3000副标题\xa0 完", "标题 副标题 完"),  # any white space is one space
    ('a\\b/c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),  # what Windows forbids
    ("a//\\\\b\x00\x07c", "a_bc"),  # runs of them are one _; control characters go (reader._clean)
    ("  ..._-标题-_...  ", "标题"),  # no hidden files, nothing dangling
    ("CON", "CON_"), ("nul.txt", "nul.txt_"), ("COM3", "COM3_"),
    ("", "article"), ("///", "article"),
])
def test_safe_filename_rules(text: str, expected: str) -> None:
    assert safe_filename(text) == expected


def test_long_titles_are_cut_in_bytes_and_fit_the_file_system(tmp_path: Path) -> None:
    title = "长" * 100 + "。" + "标题" * 100
    stem = safe_filename(title)
    assert len(stem.encode("utf-8")) <= MAX_NAME_BYTES and stem.startswith("长" * 60)
    assert "\ufffd" not in stem  # never half a character
    # The name, a collision's number, its suffix and the temporary files' ".<random>-<pid>.part" (two layers
    # while a narration is written: the output group's and the encoder's) are accepted by the file system.
    (tmp_path / f"{stem} (999).html.0123abcd-4194304.part.0123abcd-4194304.part").write_bytes(b"")
    (tmp_path / f"{ascii_filename(title)}.json").write_bytes(b"")
    assert len(os.listdir(tmp_path)) == 2


@pytest.mark.parametrize(("text", "expected"), [
    ("2023-10-01-重庆市万州区：发布通知", "2023-10-01-chongqingshi-wanzhouqu-fabu-tongzhi"),
    ("银行行长谈绿色金融", "yinhanghangzhang-tan-lvse-jinrong"),  # polyphones read as in their words
    ("ＧＤＰ增长３．５％", "gdp-zengzhang-3.5"),
    ("Café 新闻", "cafe-xinwen"),
    ("《》！？", "article"),
])
def test_ascii_names_are_pinyin_slugs(text: str, expected: str) -> None:
    assert ascii_filename(text) == expected


def test_bad_templates() -> None:
    for template, fragment in [("{titel}", "did you mean title?"), ("{date}", "needs {title} or {id}"),
                               ("{title!r}", "without a format"), ("{title", "expected '}'"),
                               ("{date}/{title}", "not a path")]:
        with pytest.raises(UsageError, match=fragment.replace("?", r"\?").replace("{", r"\{")):
            check_template(template)


def write_article(path: Path, title: str, date: str, source: str) -> Path:
    path.write_text(f"{title}\n日期:{date} 来源:{source}\n\n这是一篇用于测试文件名的短文。\n", encoding="utf-8")
    return path


def test_narrate_and_batch_name_their_files_by_the_template(tmp_path: Path) -> None:
    article = write_article(tmp_path / "a.txt", "绿色出行：周末公交加密", "2024-05-01", "重庆日报")
    cache = ["--cache-dir", str(tmp_path / "cache")]
    result = CliRunner().invoke(cli, ["narrate", str(article), "--output-dir", str(tmp_path / "out"), "-q",
                                      "--name-template", "{source}-{date}-{title}", *cache])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"重庆日报-2024-05-01-绿色出行：周末公交加密{s}" for s in (".json", ".mp3", ".vtt")]

    result = CliRunner().invoke(cli, ["batch", str(article), "-o", str(tmp_path / "lib"), "-q", "--ascii-names",
                                      *cache])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "lib").iterdir() if p.stem.startswith("2024"))
    assert names == [f"2024-05-01-lvse-chuxing-zhoumo-gongjiao-jiami{s}" for s in (".html", ".json", ".mp3",
                                                                                   ".vtt")]

    bad = CliRunner().invoke(cli, ["batch", str(article), "-o", str(tmp_path / "lib"), "--name-template", "{x}"])
    assert bad.exit_code == 2 and "unknown field {x}" in bad.output and bad.output.count("\n") == 1


def test_default_name_keeps_the_suffix() -> None:
    assert default_name(UNDATED) == "停水通知.mp3"
    assert default_name(DATED, ".m4b", "{id}") == article_id(DATED) + ".m4b"
