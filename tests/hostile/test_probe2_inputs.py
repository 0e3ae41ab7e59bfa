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
