"""Messages in Chinese or English: the catalogs (complete, placeholders intact, compiled), how the language is
chosen, and the command line, its errors, --help, tables, progress, summary and player screen in both."""

from __future__ import annotations

import gettext
import io
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from click.testing import CliRunner
from conftest import ROOT
from rich.console import Console

from reader import i18n
from reader.cli import cli
from reader.cli.batch_view import print_summary
from reader.cli.progress import BatchView, NarrateView
from reader.errors import ConfigError
from reader.library.batch import BatchEvent, BatchResult, Outcome
from reader.settings import preset
from reader.speech.synthesize import Progress

LOCALE = ROOT / "reader" / "locale"
CATALOGS = sorted(LOCALE.glob("*/LC_MESSAGES/reader.po"))


def extracted() -> set[str | tuple[str, str]]:
    """Every message marked in reader/, as ``make i18n`` extracts them."""
    found: set[str | tuple[str, str]] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT / "reader"), method_map=[("**.py", "python")]):
        found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


def catalog(path: Path) -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    with path.open("rb") as fh:
        po = read_po(fh)
    assert not po.fuzzy
    return {(m.id if isinstance(m.id, str) else (m.id[0], m.id[1])): m.string for m in po if m.id
            and "fuzzy" not in m.flags}


def fields(text: str) -> list[str]:
    """The placeholders of a message: str.format fields (with conversion and spec) and %-specifiers."""
    found = [f"{{{name}!{conv}:{spec}}}" for _, name, spec, conv in string.Formatter().parse(text)
             if name is not None]
    return sorted(found) + re.findall(r"%[-#0 +]*\d*(?:\.\d+)?[sdrf]", text)


def test_there_are_chinese_and_english_catalogs() -> None:
    assert [p.parent.parent.name for p in CATALOGS] == ["en", "zh_CN"]


def test_every_message_is_translated_into_chinese_with_its_placeholders() -> None:
    messages = extracted()
    zh = catalog(LOCALE / "zh_CN" / "LC_MESSAGES" / "reader.po")
    assert sorted(map(str, messages - set(zh))) == []  # run `make i18n` and translate the new ones
    assert sorted(map(str, set(zh) - messages)) == []  # and no message is left over from old code
    for msgid, msgstr in zh.items():
        forms = [msgstr] if isinstance(msgstr, str) else list(msgstr)
        assert all(forms), f"untranslated: {msgid!r}"
        originals = [msgid] if isinstance(msgid, str) else list(msgid)
        for form in forms:
            # Every placeholder the translation uses must be one the code fills in (the plural's, for plurals).
            assert set(fields(form)) <= set(fields(originals[-1])) | set(fields(originals[0])), (msgid, form)
            if isinstance(msgid, str):
                assert fields(form) == fields(msgid), (msgid, form)
        for form in forms:  # Chinese, unless the message is only placeholders and symbols
            bare = re.sub(r"\{[^}]*\}|%\w|--?[\w-]+|[^\s：（）]*[._/=][^\s：（）]*|\b[A-Z0-9]+\b", "", form)
            assert re.search(r"[\u4e00-\u9fff]", bare) or not re.search(r"[A-Za-z]{3,}", bare), (msgid, form)


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_compiled_catalogs_are_up_to_date(po: Path) -> None:
    with po.open("rb") as fh:
        source = read_po(fh)
    compiled = io.BytesIO()
    write_mo(compiled, source)
    compiled.seek(0)
    expected = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]
    with po.with_suffix(".mo").open("rb") as fh:
        committed = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    assert committed == expected, f"{po.with_suffix('.mo')} is stale: run `make i18n`"


# -- the language ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "expected"), [
    ({}, ("en", "default")),
    ({"LANG": "zh_CN.UTF-8"}, ("zh", "LANG=zh_CN.UTF-8")),
    ({"LANG": "zh_TW.UTF-8"}, ("zh", "LANG=zh_TW.UTF-8")),
    ({"LANG": "C.UTF-8"}, ("en", "LANG=C.UTF-8")),
    ({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, ("en", "LC_MESSAGES=en_US.UTF-8")),
    ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8", "LC_MESSAGES": "en_US"}, ("zh", "LC_ALL=zh_CN.UTF-8")),
    ({"LANG": "zh_CN.UTF-8", "READER_LANG": "en"}, ("en", "READER_LANG")),
    ({"LC_ALL": "C", "READER_LANG": "zh_CN"}, ("zh", "READER_LANG")),
])
def test_the_language_comes_from_reader_lang_then_the_locale(monkeypatch: pytest.MonkeyPatch,
                                                            env: dict[str, str], expected: tuple[str, str]) -> None:
    for name in ("READER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert i18n.detect() == expected
    assert i18n.language() == expected[0]
    if "READER_LANG" not in env:
        assert i18n.detect("en" if expected[0] == "zh" else "zh", "config.toml")[1] == "config.toml"


@pytest.fixture
def zh() -> object:
    i18n.set_language("zh")
    yield
    i18n.set_language(None)


def test_library_errors_are_in_the_language_of_the_moment(zh: object) -> None:
    with pytest.raises(ConfigError, match="未知的声音 'yunyan'；您是不是要找 'yunyang'？（见 `reader voices`）"):
        preset("yunyan")
    i18n.set_language("en")
    with pytest.raises(ConfigError, match="unknown voice 'yunyan'; did you mean 'yunyang'"):
        preset("yunyan")


# -- the command line in both languages --------------------------------------------------------------------------

CASES = {
    "en": {"usage": "Usage: cli [OPTIONS] COMMAND", "narrate": "Narrate SOURCE (a URL",
           "rate": "Speaking rate, 0.5–2.0", "help": "Show this message and exit.",
           "missing": "reader: error: /no/such.txt: no such file",
           "range": "reader: error: Invalid value for '--rate': 9.0 is not in the range 0.5<=x<=2.0.",
           "voices": ["preset", "name", "engine", "network", "installed", "speed"],
           "config": ["setting", "value", "from"], "row": r"^baker \*\s+标贝 女声 离线\s+offline\s+offline\s+yes\s+fast"},
    "zh": {"usage": "用法：cli [选项] 命令", "narrate": "朗读 SOURCE（网址",
           "rate": "语速，0.5–2.0（默认：声音自身的语速）", "help": "显示本帮助并退出。",
           "missing": "reader：错误：/no/such.txt：没有这个文件",
           "range": "reader：错误：'--rate' 的值无效：9.0 不在范围 0.5<=x<=2.0 内。",
           "voices": ["预设", "名称", "引擎", "网络", "已安装", "速度"],
           "config": ["设置", "值", "来源"], "row": r"^baker \*\s+标贝 女声 离线\s+offline\s+离线\s+是\s+快"},
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_cli_in_both_languages(lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER_LANG", lang)
    case = CASES[lang]
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"])
    assert top.exit_code == 0 and top.output.startswith(case["usage"]) and case["help"] in top.output
    assert case["narrate"][:4] in top.output  # the commands' short help
    narrate = runner.invoke(cli, ["narrate", "--help"]).output
    assert case["narrate"] in narrate and case["rate"] in narrate and case["help"] in narrate
    for args, expected, code in ((["narrate", "/no/such.txt"], case["missing"], 2),
                                 (["narrate", "x.txt", "--rate", "9"], case["range"], 2)):
        result = runner.invoke(cli, args)
        assert (result.exit_code, result.stderr) == (code, expected + "\n")
    voices = runner.invoke(cli, ["voices"]).output.splitlines()
    assert voices[0].split() == case["voices"] and any(re.match(case["row"], line) for line in voices)
    assert runner.invoke(cli, ["config"]).output.splitlines()[0].split() == case["config"]


def test_the_locale_and_config_toml_choose_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("READER_LANG")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert CliRunner().invoke(cli, ["narrate", "/no/such.txt"]).stderr == CASES["zh"]["missing"] + "\n"
    monkeypatch.setenv("READER_CONFIG_DIR", str(tmp_path))
    (tmp_path / "config.toml").write_text('language = "en"\n', encoding="utf-8")
    assert CliRunner().invoke(cli, ["narrate", "/no/such.txt"]).stderr == CASES["en"]["missing"] + "\n"
    monkeypatch.setenv("READER_LANG", "zh")
    assert CliRunner().invoke(cli, ["narrate", "/no/such.txt"]).stderr == CASES["zh"]["missing"] + "\n"
    # A bad config.toml is reported in the language the environment asks for.
    (tmp_path / "config.toml").write_text('langauge = "en"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["voices"])
    assert result.exit_code == 2 and "未知的设置 'langauge'；您是不是要找 'language'？" in result.stderr


def drawn(view: object, width: int = 80) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(view)
    return console.export_text()


def test_progress_summary_and_player_keys_in_chinese(zh: object) -> None:
    clock = [0.0]
    view = NarrateView(lambda: clock[0])
    view.set_stage("synthesize")
    clock[0] = 4
    view.update(Progress(5, 20, 250, 1000, 0))
    assert drawn(view).rstrip().endswith("片段 5/20  已用 0:04  预计剩余 0:12") and drawn(view).startswith("合成 ━")
    batch = BatchView(lambda: clock[0])
    batch.update(BatchEvent("planned", total=2))
    batch.update(BatchEvent("started", "/in/a.txt"))
    batch.update(BatchEvent("chunks", "/in/a.txt", title="停水通知", chunks=Progress(1, 4, 10, 40, 0)))
    lines = drawn(batch).splitlines()
    assert lines[0].startswith("文章 0/2 ━") and "已用" in lines[0] and "预计剩余" in lines[0]
    assert lines[1].strip() == "朗读 0 · 未变 0 · 失败 0" and "片段 1/4" in lines[2]
    result = BatchResult(Path("lib"), 2, done=[Outcome("/in/a.txt", "done", "停水通知", duration=61.0)],
                         failed=[Outcome("/in/b.txt", "failed", error="/in/b.txt：没有这个文件")], seconds=3.0)
    out = io.StringIO()
    print_summary(result, out)
    assert [line.split() for line in out.getvalue().splitlines()] == [
        ["完成", "停水通知", "1:01"], ["失败", "/in/b.txt", "/in/b.txt：没有这个文件"],
        ["朗读", "1", "篇，未变", "0", "篇，失败", "1", "篇，用时", "3.0", "秒", "→", "lib"]]
    from reader.cli.player_view import HELP

    assert i18n.gettext(HELP) == "空格 暂停 · n/p 章节 · ←/→ 10 秒 · +/− 速度 · q 退出"
