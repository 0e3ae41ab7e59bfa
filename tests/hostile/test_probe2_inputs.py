"""Issue 23 part B — inputs that crashed or hung reader: a config.toml nested 5000 deep (B8). Each test failed
before the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reader.cli import cli


@pytest.mark.parametrize("value", ["[" * 5000 + "]" * 5000, "{a=" * 5000 + "1" + "}" * 5000])
def test_a_config_nested_5000_deep_is_one_line(value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER_CONFIG_DIR", str(tmp_path))
    (tmp_path / "config.toml").write_text(f"voice = {value}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["config"])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 or result.exit_code == 1, result.output
    assert len(lines) == 1 and "nested too deeply" in lines[0], result.output


# -- B9: the segmenter's work grows with the text, not with its square -------------------------------------------

from reader.models import Article, Chapter  # noqa: E402
from reader.text.normalize import normalize  # noqa: E402
from reader.text.segment import segment  # noqa: E402


@pytest.mark.timeout(300)  # a hang guard; the speed itself is benchmarks/segment_hostile.py's
@pytest.mark.parametrize("body", [("1." * 1500)[:3000], ("1234567890" * 300)],
                         ids=["dotted", "digits"])
def test_unpunctuated_numbers_cost_a_few_normalizations_per_character(body: str) -> None:
    calls: list[int] = []

    def counted(text: str) -> str:
        calls.append(len(text))
        return normalize(text)

    chunks = segment(Article("数字", [Chapter(None, [body])]), 100, counted, header=False)
    assert "".join(c.text for c in chunks) == body  # nothing lost
    # Before the fix: about 75 normalizations of a whole candidate chunk per character (one per pair of cut
    # points a chunk could join); now at most two per cut point, and one per chunk at the end.
    assert len(calls) <= 3 * len(body), len(calls)


# -- B8: --cluster addresses that cannot work: one line at once, never the password --------------------------------


@pytest.mark.timeout(60)  # a hang guard: before the fix, a minute and a traceback
@pytest.mark.parametrize("spec", ["tcp://[::1:8786", "tcp://user:pw@127.0.0.1:1", "tls://127.0.0.1:1",
                                  "tcp://127.0.0.1:99999", "tcp://\x1b]0;x\x07:1"])
def test_a_cluster_address_that_cannot_work_is_one_line(spec: str, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("测试文章的标题\n\n今天上午，市里召开了一次重要的工作会议。\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "lib"), "--voice", "espeak",
                                      "--cluster", spec])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and "--cluster" in lines[0], result.output
    assert "pw" not in result.output and "\x1b" not in result.output


# -- B11: quiet wrongs --------------------------------------------------------------------------------------------


def test_config_with_stdout_closed_says_so() -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "READER_LANG": "en"}
    result = subprocess.run(["bash", "-c", f"'{sys.executable}' -m reader config >&-"], env=env, capture_output=False,
                            stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    assert result.returncode == 1 and "standard output" in result.stderr, result.stderr


XHTML = ('<?xml version="1.0" encoding="utf-8"?>\n<!-- ' + "x" * 5000 + ' -->\n'
         '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
         '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>市里召开工作会议</title></head><body>'
         '<h1>市里召开工作会议</h1><p>今天上午，市里召开了一次重要的工作会议，安排了今年的任务。会议要求各部门抓好落实，'
         '确保各项工作顺利推进。</p></body></html>')


def test_an_xhtml_page_with_a_long_comment_is_read_without_bs4s_advice(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    page = tmp_path / "a.html"
    page.write_text(XHTML, encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "READER_LANG": "en"}
    result = subprocess.run([sys.executable, "-m", "reader", "extract", str(page)], env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0 and "今天上午" in result.stdout
    assert result.stderr == ""  # before the fix: XMLParsedAsHTMLWarning, seven lines
