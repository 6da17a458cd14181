"""``resonance import FILE`` and ``resonance export lists`` through the real typer app on a SQLite home."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import resonance.cli.app as cli_app
from resonance.cli._common import console, err_console
from resonance.settings import get_settings

runner = CliRunner()


def _app() -> Any:
    if not any(group.name == "import" for group in cli_app.app.registered_groups):
        cli_app._mount()
    return cli_app.app


def run(*args: str) -> Any:
    return runner.invoke(_app(), [str(a) for a in args])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RESONANCE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RESONANCE_DATABASE_URL", raising=False)
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(err_console, "width", 200)
    get_settings.cache_clear()
    assert run("space", "init").exit_code == 0
    yield tmp_path / "home"
    get_settings.cache_clear()


def _files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "entities": ("行动主体.csv", "utf-8-sig", "编码,名称,主体类型,选定行业\njs,江苏省,省级地区,钢铁、汽车\n"),
        "organisations": (
            "orgs.csv",
            "gbk",
            "编码,单位名称,角色,行动主体\nshagang,沙钢集团,数据企业,江苏省\ncisdi,中冶赛迪,模型企业;算力企业,\n",
        ),
        "datasets": (
            "datasets.csv",
            "gb18030",
            "编码,名称,类型,所属行业,提供方,行动主体,记录数\nbf-ops,高炉运行数据,行业通识,钢铁,shagang,js,1200\n"
            "bf-temp,炉温时序,行业专识,钢铁,cisdi,js,\n",
        ),
    }
    paths = {}
    for concept, (name, encoding, text) in files.items():
        paths[concept] = tmp_path / name
        paths[concept].write_bytes(text.encode(encoding))
    return paths


def test_import_with_json_counts_then_export_both_formats(home, tmp_path):
    files = _files(tmp_path)
    result = run("import", files["entities"], "--concept", "entities", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["created"] == {"entities": 1}
    result = run("import", "--concept", "organisations", files["organisations"], "--json")
    body = json.loads(result.output)
    assert (body["ok"], body["created"], body["encoding"]) == (True, {"organisations": 2}, "gb18030")
    result = run("import", files["datasets"])  # concept from the file name; a human-readable line
    assert result.exit_code == 0 and "imported 2 datasets from datasets.csv" in result.output

    out = tmp_path / "out"
    result = run("export", "lists", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    [xlsx] = json.loads(result.output)["paths"]
    sheet = load_workbook(xlsx)["通识数据集"]
    assert [c.value for c in sheet[2]][:7] == [1, "高炉运行数据", "bf-ops", "1", "钢铁", "江苏省", "沙钢集团"]

    result = run("export", "lists", "--out", out, "--format", "csv", "--encoding", "gb18030", "--entity", "js")
    assert result.exit_code == 0, result.output
    written = sorted(out.glob("*-js.csv"))
    assert len(written) == 5
    special = next(p for p in written if p.name.startswith("4-"))
    rows = list(csv.reader(special.read_bytes().decode("gb18030").splitlines()))
    assert rows[0][:2] == ["序号", "名称"] and rows[1][1:3] == ["炉温时序", "bf-temp"]


def test_failed_import_prints_every_problem_and_writes_nothing(home, tmp_path):
    files = _files(tmp_path)
    run("import", files["entities"], "-c", "entities")
    run("import", files["organisations"], "-c", "organisations")
    bad = tmp_path / "bad.csv"
    bad.write_text("编码,名称,类型,所属行业,提供方,颜色\nx,甲,专用,钢材,nobody,红\nx,乙,通识,钢铁,cisdi,\n", "utf-8")
    result = run("import", bad, "-c", "datasets")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    for fragment in (
        "unknown column '颜色'",
        "bad.csv, row 2, column 类型",
        "bad.csv, row 2, column 所属行业",
        "bad.csv, row 2, column 提供方",
        "rows 2 and 3",
        "nothing was imported",
    ):
        assert fragment in result.output, fragment
    body = json.loads(run("import", bad, "-c", "datasets", "--json").output)
    assert body["ok"] is False and body["error"]["code"] == "import_failed"
    wheres = [p["where"] for p in body["error"]["problems"]]
    assert "bad.csv, row 2, column 所属行业" in wheres
    listed = json.loads(run("dataset", "list", "--json").output)
    assert listed["total"] == 0


def test_dry_run_and_unreadable_files(home, tmp_path):
    files = _files(tmp_path)
    run("import", files["entities"], "-c", "entities")
    result = run("import", files["organisations"], "-c", "organisations", "--dry-run", "--json")
    assert json.loads(result.output)["dry_run"] is True
    assert json.loads(run("org", "list", "--json").output)["total"] == 0
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    result = run("import", broken, "-c", "organisations")
    assert result.exit_code == 1 and "damaged or truncated" in result.output and "Traceback" not in result.output
    result = run("export", "lists", "--out", tmp_path, "--format", "pdf")
    assert result.exit_code == 1 and "unknown format" in result.output
