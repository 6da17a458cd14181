"""``resonance agents register|update|list|show|verify|mcp|diagnose`` through the real typer app."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

import resonance.cli.app as cli_app
from conftest import CARD, card_data
from resonance.agents import _process, cards
from resonance.cli._common import console
from resonance.node import keys as node_keys
from resonance.registry import models as m
from resonance.registry.db import transaction
from resonance.settings import get_settings

runner = CliRunner()


def run(*args: str) -> Any:
    if not any(group.name == "agents" for group in cli_app.app.registered_groups):
        cli_app._mount()
    return runner.invoke(cli_app.app, list(args))


@pytest.fixture
def cli(space, tmp_path, monkeypatch):
    monkeypatch.setenv("RESONANCE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RESONANCE_DATABASE_URL", space.url)
    monkeypatch.setattr(console, "width", 200)
    get_settings.cache_clear()
    yield space
    get_settings.cache_clear()


def test_register_list_show_verify(cli, tmp_path):
    out = tmp_path / "signed.json"
    done = run("agents", "register", str(CARD), "--out", str(out), "--json")
    assert done.exit_code == 0, done.output
    view = json.loads(done.stdout)
    assert view["code"] == "mt-maintenance" and view["models"] == ["mt-failure"]
    key = tmp_path / "home" / "agents" / "mt-maintenance" / "agent.key"
    assert key.is_file() and (key.stat().st_mode & 0o077) == 0  # created in the home, owner-only
    signed = json.loads(out.read_text(encoding="utf-8"))
    assert cards.parse(signed).facts.key == view["kid"]
    listed = json.loads(run("agents", "list", "--json", "-q", "维护").stdout)
    assert [a["code"] for a in listed] == ["mt-maintenance"]
    assert json.loads(run("agents", "list", "--json", "--scenario", "JS-MT-01").stdout)[0]["kid"] == view["kid"]
    shown = json.loads(run("agents", "show", "mt-maintenance", "--json").stdout)
    assert shown["card"]["signatures"] == signed["signatures"]
    checks = run("agents", "verify", "--json")
    assert checks.exit_code == 0 and json.loads(checks.stdout) == [
        {"code": "mt-maintenance", "ok": True, "kid": view["kid"], "problems": []}
    ]
    # a row edited behind the registry's back: verify says which field and exits 1
    with transaction(cli.registry.sessions) as session:
        session.scalars(select(m.Agent)).one().endpoint = "http://elsewhere.example/a2a"
    checks = run("agents", "verify", "mt-maintenance", "--json")
    assert checks.exit_code == 1
    assert "endpoint" in json.loads(checks.stdout)[0]["problems"][0]


def test_update_with_the_registered_key_and_refusal_with_another(cli, tmp_path):
    key = tmp_path / "agent.key"
    node_keys.generate(key)
    assert run("agents", "register", str(CARD), "--key", str(key)).exit_code == 0
    newer = card_data()
    newer["version"] = "2.0.0"
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(newer, ensure_ascii=False), encoding="utf-8")
    done = run("agents", "update", "mt-maintenance", str(path), "--key", str(key), "--json")
    assert done.exit_code == 0, done.output
    other = tmp_path / "other.key"
    node_keys.generate(other)
    done = run("agents", "update", "mt-maintenance", str(path), "--key", str(other))
    assert done.exit_code == 1
    assert "registered with key" in done.output
    done = run("agents", "update", "mt-maintenance", str(path))  # no key in the home for it
    assert done.exit_code == 1 and "--key" in done.output
    with transaction(cli.registry.sessions) as session:
        assert session.scalars(select(m.Agent)).one().card["version"] == "2.0.0"


def test_bad_card_files(cli, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "x",\n  "skills": [}', encoding="utf-8")
    done = run("agents", "register", str(broken))
    assert done.exit_code == 1 and "line 2" in done.output
    gbk = tmp_path / "gbk.json"
    gbk.write_bytes(json.dumps(card_data(name_zh="机床智能体"), ensure_ascii=False).encode("gbk"))
    done = run("agents", "register", str(gbk))
    assert done.exit_code == 1 and "UTF-8" in done.output
    done = run("agents", "register", str(tmp_path / "missing.json"))
    assert done.exit_code == 1 and "no file" in done.output
    invalid = tmp_path / "invalid.json"
    data = card_data()
    del data["skills"]
    invalid.write_text(json.dumps(data), encoding="utf-8")
    done = run("agents", "register", str(invalid))
    assert done.exit_code == 1 and "card.skills" in done.output
    bad_key = tmp_path / "bad.key"
    bad_key.write_text("not a key", encoding="utf-8")
    done = run("agents", "register", str(CARD), "--key", str(bad_key))
    assert done.exit_code == 1 and "PEM" in done.output
    assert run("agents", "show", "nobody").exit_code == 1
    assert run("agents", "mcp", "--transport", "carrier-pigeon").exit_code == 1
    with transaction(cli.registry.sessions) as session:
        assert session.scalars(select(m.Agent)).first() is None


def test_diagnose_through_the_http_mcp_server(cli):
    server = _process.start_http(cli.home, cli.url)
    try:
        reading = json.dumps({"air_temperature": 299.0, "process_temperature": 309.5, "rotational_speed": 1600,
                              "torque": 30.0, "tool_wear": 215})  # fmt: skip
        token = cli.token("developer", "model-co")
        done = run("agents", "diagnose", reading, "--url", server.url, "--token", token, "--json")
        assert done.exit_code == 0, done.output
        advice = json.loads(done.stdout)
        assert advice["action"] == "replace_tool" and advice["model"] == "mt-failure@1"
        done = run("agents", "diagnose", reading, "--url", server.url, "--token", token, "--lang", "en")
        assert "Action: Replace the cutting tool" in done.stdout
        done = run("agents", "diagnose", '{"tool_wear": 5}', "--url", server.url, "--token", token)
        assert done.exit_code == 1 and "missing sensor 'Torque [Nm]'" in done.output
        viewer = cli.token("viewer")
        done = run("agents", "diagnose", reading, "--url", server.url, "--token", viewer)
        assert done.exit_code == 1 and "cannot run model predictions" in done.output
    finally:
        server.stop()
