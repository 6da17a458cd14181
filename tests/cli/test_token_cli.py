"""``resonance token create|list|revoke`` through the real typer app, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

import resonance.cli.app as cli_app
from resonance import tokens
from resonance.cli._common import console
from resonance.registry import models as m
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.db import transaction
from resonance.settings import get_settings

runner = CliRunner()


def _app() -> Any:
    if not any(group.name == "token" for group in cli_app.app.registered_groups):  # mount once per process
        cli_app._mount()
    return cli_app.app


def run(*args: str) -> Any:
    return runner.invoke(_app(), list(args))


@pytest.fixture
def cli(registry: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("RESONANCE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RESONANCE_DATABASE_URL", registry.url)
    monkeypatch.setattr(console, "width", 200)
    get_settings.cache_clear()
    with transaction(registry.sessions) as session:
        services.create(session, CONCEPTS["entities"], {"code": "js", "name_zh": "江苏省", "kind": "province"})
        services.create(session, CONCEPTS["organisations"], {"code": "mill", "name_zh": "苏锡精密机床有限公司"})
    yield registry
    get_settings.cache_clear()


def test_create_prints_the_secret_once_and_stores_only_its_hash(cli):
    result = run("token", "create", "--role", "provider", "--org", "苏锡精密机床有限公司", "--json")
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["role"] == "provider" and created["org"] == "mill" and created["state"] == "active"
    assert created["secret"].startswith(f"rs_{created['prefix']}_") and created["name"] == "provider mill"
    with cli.session() as session:
        principal = tokens.verify(session, created["secret"])
        stored = session.execute(text("SELECT * FROM api_tokens")).mappings().one()
    assert (principal.role, principal.org_code) == ("provider", "mill")
    assert all(created["secret"] not in str(value) for value in stored.values())

    listed = run("token", "list", "--json")
    assert listed.exit_code == 0 and created["secret"] not in listed.output and created["prefix"] in listed.output
    assert [(t["id"], t["role"], t["org"], t["state"]) for t in json.loads(listed.output)] == [
        (created["id"], "provider", "mill", "active")
    ]
    assert "secret" not in json.loads(listed.output)[0] and "secret_hash" not in json.loads(listed.output)[0]


def test_create_without_json_shows_the_secret_and_the_expiry(cli):
    result = run(
        "token", "create", "--role", "authority", "--entity", "js", "--name", "江苏工信厅", "--expires-in-days", "30"
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("rs_") and "江苏工信厅" in result.output and "expires at" in result.output
    with cli.session() as session:
        principal = tokens.verify(session, secret)
    assert (principal.role, principal.entity_code, principal.token_name) == ("authority", "js", "江苏工信厅")
    table = run("token", "list")
    assert table.exit_code == 0 and "江苏工信厅" in table.output and secret not in table.output


def test_revoke_by_id_or_prefix_and_the_token_stops_working(cli):
    first = json.loads(run("token", "create", "--role", "viewer", "--json").output)
    second = json.loads(run("token", "create", "--role", "operator", "--json").output)
    revoked = run("token", "revoke", str(first["id"]), "--json")
    assert revoked.exit_code == 0 and json.loads(revoked.output)["state"] == "revoked"
    assert run("token", "revoke", second["prefix"]).exit_code == 0
    again = json.loads(run("token", "revoke", str(first["id"]), "--json").output)
    assert again["revoked_at"] == json.loads(revoked.output)["revoked_at"]  # the first revocation is kept
    states = {t["id"]: t["state"] for t in json.loads(run("token", "list", "--json").output)}
    assert states == {first["id"]: "revoked", second["id"]: "revoked"}
    with cli.session() as session, pytest.raises(Exception, match="was revoked"):
        tokens.verify(session, first["secret"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "provider"], "must be bound to an organisation"),
        (["--role", "authority"], "must be bound to an action entity"),
        (["--role", "viewer", "--org", "mill"], "cannot be bound to an organisation"),
        (["--role", "provider", "--org", "ghost"], "ghost"),
        (["--role", "emperor"], "not a known token role"),
        (["--role", "viewer", "--expires-in-days", "0"], "cannot expire in 0 days"),
    ],
)
def test_bad_tokens_are_refused_in_two_lines_and_nothing_is_stored(cli, args, message):
    result = run("token", "create", *args)
    assert result.exit_code == 1
    assert message in result.output and "fix:" in result.output and "Traceback" not in result.output
    with cli.session() as session:
        assert session.scalars(select(m.ApiToken)).all() == []


def test_revoking_an_unknown_token_says_how_to_find_one(cli):
    result = run("token", "revoke", "42")
    assert result.exit_code == 1 and "no token" in result.output and "resonance token list" in result.output


def test_token_commands_refuse_an_uninitialised_registry(tmp_path, monkeypatch):
    monkeypatch.setenv("RESONANCE_HOME", str(tmp_path / "empty"))
    monkeypatch.delenv("RESONANCE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = run("token", "list")
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1 and "resonance space init" in result.output
