"""``resonance report plan|phase|final`` through the real typer app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import resonance.cli.app as cli_app
from resonance.settings import get_settings


def _app() -> Any:
    if not any(group.name == "report" for group in cli_app.app.registered_groups):
        cli_app._mount()
    return cli_app.app


@pytest.fixture
def cli(world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("RESONANCE_DATABASE_URL", world.url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_report_phase_json(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["report", "phase", "--entity", "zj", "--lang", "en", "--out", str(out), "--today", "2026-08-20", "--json"]
    result = cli.invoke(_app(), args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["docx"] == str(out / "zj-phase-en.docx") and Path(data["docx"]).is_file()
    assert Path(data["xlsx"]).is_file() and Path(data["markdown"]).is_file() and len(data["charts"]) == 2
    listed = cli.invoke(_app(), ["report", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)["items"]
    assert [(r["entity"], r["kind"], r["lang"], r["file_sha256"]) for r in rows] == [
        ("zj", "phase", "en", data["sha256"])
    ]


def test_report_plan_prints_the_files(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(_app(), ["report", "plan", "--entity", "浙江省", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "已生成报告" in result.stdout and str(tmp_path / "zj-plan-zh.docx") in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["final", "--entity", "nowhere"], "empty-ce, zj"),
        (["final", "--entity", "zj", "--lang", "de"], "unknown language"),
        (["final", "--entity", "zj", "--today", "30/11/2026"], "is not a date"),
    ],
)
def test_report_errors_are_two_lines(cli: CliRunner, tmp_path: Path, args: list[str], expected: str) -> None:
    result = cli.invoke(_app(), ["report", *args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert expected in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()
