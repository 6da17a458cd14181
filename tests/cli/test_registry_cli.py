"""``resonance <concept> list|show|add|update|delete`` and ``resonance space init`` through the real typer app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import resonance.cli.app as cli_app
from resonance.cli._common import console
from resonance.settings import get_settings

runner = CliRunner()


def _app() -> Any:
    if not any(group.name == "dataset" for group in cli_app.app.registered_groups):
        cli_app._mount()
    return cli_app.app


def run(*args: str) -> Any:
    return runner.invoke(_app(), list(args))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RESONANCE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RESONANCE_DATABASE_URL", raising=False)
    monkeypatch.setattr(console, "width", 200)  # a wide terminal, so tables do not fold names
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def test_commands_refuse_an_uninitialised_registry_and_say_how_to_fix_it(home):
    result = run("dataset", "list")
    assert result.exit_code == 1
    assert "resonance space init" in result.output
    assert "Traceback" not in result.output


def test_init_is_idempotent_and_reports_the_revision(home):
    first = json.loads(run("space", "init", "--json").output)
    second = json.loads(run("space", "init", "--json").output)
    assert first["before"] is None and first["after"] == second["before"] == second["after"]
    assert (home / "registry.sqlite").is_file()


def test_add_list_show_update_delete_round_trip_with_json(home, tmp_path):
    run("space", "init")
    assert run("entity", "add", "--data", '{"code":"js","name_zh":"江苏省","kind":"省级地区","industries":["钢铁"]}')
    payload = tmp_path / "org.yaml"
    payload.write_text(
        "code: mill\nname_zh: 苏锡精密机床有限公司\nentity: 江苏省\nroles: [数据企业]\n", encoding="utf-8"
    )
    assert run("org", "add", "--file", str(payload)).exit_code == 0
    ds = '{"code":"strip","name_zh":"热轧钢板表面缺陷数据集","kind":"行业通识","industry":"钢铁","owner":"mill"}'
    assert run("dataset", "add", "--data", ds).exit_code == 0

    listing = json.loads(run("dataset", "list", "--industry", "steel", "-q", "轧钢", "--json").output)
    assert listing["total"] == 1 and listing["items"][0]["owner"] == "mill"
    assert json.loads(run("dataset", "list", "--kind", "specialised", "--json").output)["total"] == 0

    assert run("dataset", "update", "strip", "--data", '{"status":"published"}').exit_code == 0
    shown = json.loads(run("dataset", "show", "strip@1", "--json").output)
    assert shown["status"] == "published" and shown["kind"] == "common"

    human = run("dataset", "list")
    assert "热轧钢板表面缺陷数据集" in human.output

    refused = run("org", "delete", "mill", "--yes")
    assert refused.exit_code == 1 and "still referenced" in refused.output
    assert run("dataset", "delete", "strip", "--yes").exit_code == 0
    assert json.loads(run("dataset", "list", "--json").output)["total"] == 0


def test_bad_input_gets_one_clear_error_without_traceback(home):
    run("space", "init")
    cases = [
        (("dataset", "add", "--data", "{not json"), "not valid JSON"),
        (("dataset", "add"), "--data JSON or with --file"),
        (("dataset", "add", "--file", "/nonexistent.yaml"), "no file"),
        (("dataset", "show", "nope"), "no dataset"),
        (("dataset", "list", "--filter", "colour=red"), "cannot be filtered by colour"),
        (("dataset", "list", "--filter", "nokeyvalue"), "KEY=VALUE"),
        (("entity", "add", "--data", '{"code":"x","name_zh":"x","kind":"城市"}'), "not a known entity kind"),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_industries_are_read_only_and_listed_in_the_notice_order(home):
    run("space", "init")
    listing = json.loads(run("industry", "list", "--page-size", "20", "--json").output)
    assert [i["name_zh"] for i in listing["items"]][:3] == ["钢铁", "石化化工", "有色金属"]
    assert run("industry", "add", "--data", "{}").exit_code != 0
