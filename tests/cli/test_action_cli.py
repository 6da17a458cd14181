"""``resonance action progress`` through the real typer app, on a migrated SQLite registry."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import resonance.cli.app as cli_app
from resonance.registry.models import ActionEntity, Dataset, Industry, KeyCity, Organisation, Report
from resonance.settings import get_settings


def _app() -> Any:
    if not any(group.name == "action" for group in cli_app.app.registered_groups):
        cli_app._mount()
    return cli_app.app


@pytest.fixture
def cli(sqlite_registry: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("RESONANCE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RESONANCE_DATABASE_URL", sqlite_registry.url)
    get_settings.cache_clear()
    with sqlite_registry.session() as s:
        industries = {i.code: i for i in s.scalars(select(Industry))}
        org = Organisation(code="baowu-data", name_zh="宝武数据")
        zj = ActionEntity(code="zj", name_zh="浙江省", name_en="Zhejiang", kind="province")
        zj.industries = [industries["steel"], industries["automobiles"]]
        ce = ActionEntity(code="baowu", name_zh="中国宝武", name_en="China Baowu", kind="central_enterprise")
        ce.industries = [industries["steel"]]
        s.add_all([org, zj, ce])
        s.flush()
        for n in range(3):
            s.add(
                Dataset(
                    code=f"zj-common-{n}",
                    name_zh=f"钢铁通识数据集{n}",
                    kind="common",
                    industry_id=industries["steel"].id,
                    entity_id=zj.id,
                    owner_org_id=org.id,
                )
            )
        s.add_all([KeyCity(entity_id=zj.id, name_zh=name) for name in ("杭州", "宁波", "温州")])
        s.add(Report(entity_id=zj.id, kind="plan", status="submitted", submitted_on=date(2026, 5, 28)))
        s.commit()
    yield CliRunner()
    get_settings.cache_clear()


def _run(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(_app(), ["action", "progress", *args])


def test_progress_json_for_one_entity(cli: CliRunner) -> None:
    result = _run(cli, "--entity", "zj", "--json", "--today", "2026-06-01", "--lang", "en")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["today"] == "2026-06-01" and data["lang"] == "en"
    assert len(data["entities"]) == 1
    zj = data["entities"][0]
    assert zj["entity"]["code"] == "zj" and zj["entity"]["industries"] == ["steel", "automobiles"]
    by_rule = {(r["rule_id"], r["scope_key"]): r for r in zj["rules"]}

    industries = by_rule[("industries_per_province", "zj")]
    assert (industries["current"], industries["required"], industries["missing"]) == (2, 3, 1)

    steel = by_rule[("common_datasets_per_industry", "steel")]
    assert (steel["current"], steel["required"], steel["met"], steel["missing"]) == (3, 5, False, 2)
    assert steel["message"] == "Steel: 3 of 5 common datasets — add 2"
    assert steel["deadline"] == "2026-11-30" and steel["days_left"] == 182
    assert by_rule[("common_datasets_per_industry", "automobiles")]["current"] == 0

    cities = by_rule[("key_cities_without_pilot_zone", "zj")]
    assert (cities["current"], cities["required"], cities["met"], cities["missing"]) == (3, 2, False, 1)
    assert cities["operator"] == "<="

    plan = by_rule[("plan_submitted", "zj")]
    assert (plan["met"], plan["state"], plan["submitted_on"], plan["late"]) == (True, "met", "2026-05-28", False)
    assert by_rule[("phase_report_submitted", "zj")]["days_left"] == 90

    summary = zj["summary"]
    assert summary["checks_total"] == len(zj["rules"]) == 14
    assert summary["checks_met"] == 1  # the plan only
    assert summary["completion_rate"] == round(1 / 14, 4)


def test_progress_json_all_entities_in_chinese(cli: CliRunner) -> None:
    result = _run(cli, "--json", "--today", "2026-06-01")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [e["entity"]["code"] for e in data["entities"]] == ["baowu", "zj"]
    baowu = data["entities"][0]
    ids = {r["rule_id"] for r in baowu["rules"]}
    assert "industries_per_central_enterprise" in ids
    assert not any(i.startswith("key_cities") for i in ids)
    steel = next(r for r in data["entities"][1]["rules"] if r["rule_id"] == "common_datasets_per_industry")
    assert steel["message"] == "钢铁：行业通识数据集 3/5 个，还需 2 个"


def test_progress_table_by_zh_name(cli: CliRunner) -> None:
    result = _run(cli, "--entity", "浙江省", "--today", "2026-06-01")
    assert result.exit_code == 0, result.output
    assert "浙江省" in result.stdout
    assert "达标 1/14 项" in result.stdout
    assert "实施方案已于 2026-05-28 报送" in result.stdout
    assert "各项指标截止 2026-11-30，剩余 182 天" in result.stdout


def test_unknown_entity_and_bad_options_exit_1(cli: CliRunner) -> None:
    result = _run(cli, "--entity", "atlantis", "--json")
    assert result.exit_code == 1
    assert "no action entity with id or code 'atlantis'" in result.stderr
    assert "zj" in result.stderr

    result = _run(cli, "--today", "June 1st")
    assert result.exit_code == 1
    assert "is not a date" in result.stderr

    result = _run(cli, "--lang", "fr")
    assert result.exit_code == 1
    assert "unknown language 'fr'" in result.stderr
