"""``resonance contract …`` and ``resonance ledger …`` through the real typer app, on a migrated SQLite registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import _governance as world
import resonance.cli.app as cli_app
from resonance.policy import odrl
from resonance.registry import models as m
from resonance.registry.db import transaction
from resonance.settings import get_settings


def _app() -> Any:
    if not any(group.name == "contract" for group in cli_app.app.registered_groups):
        cli_app._mount()
    return cli_app.app


@pytest.fixture
def cli(sqlite_registry: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("RESONANCE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RESONANCE_DATABASE_URL", sqlite_registry.url)
    get_settings.cache_clear()
    world.build(sqlite_registry)
    runner = CliRunner()
    runner.registry = sqlite_registry  # type: ignore[attr-defined]
    yield runner
    get_settings.cache_clear()


def run(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(_app(), list(args))


def ok_json(runner: CliRunner, *args: str) -> Any:
    result = run(runner, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_negotiation_from_request_to_finalized_and_the_ledger(cli):
    made = ok_json(
        cli,
        "contract",
        "request",
        "ds-1@1",
        "--consumer",
        "cons-a",
        "--purpose",
        "scenario:sc-1",
        "--max-rounds",
        "10",
        "--epsilon",
        "2",
        "--min-nodes",
        "2",
        "--expires",
        "2030-01-01T00:00:00Z",
    )
    cid = str(made["id"])
    assert made["state"] == "REQUESTED" and made["next_steps"] == ["offer", "terminate"]
    for step, state in [
        ("offer", "OFFERED"),
        ("accept", "ACCEPTED"),
        ("agree", "AGREED"),
        ("verify", "VERIFIED"),
        ("finalize", "FINALIZED"),
    ]:
        assert ok_json(cli, "contract", step, cid)["state"] == state
    shown = ok_json(cli, "contract", "show", cid)
    assert shown["compute_node"] == world.NODE_ID and shown["epsilon_budget"] == 2.0
    listed = ok_json(cli, "contract", "list", "--filter", "state=FINALIZED")
    assert [item["id"] for item in listed["items"]] == [int(cid)]  # the generic listing, unchanged
    assert listed["items"][0]["operations"] == ["federatedTrain"]
    events = ok_json(cli, "ledger", "list", "--kind", "contract.")
    assert [e["kind"] for e in events][-1] == "contract.finalized"
    assert ok_json(cli, "ledger", "verify")["ok"] is True
    ended = ok_json(cli, "contract", "terminate", cid, "--reason", "done", "--as", "provider")
    assert ended["state"] == "TERMINATED" and ended["reason"] == "done"


def test_refusals_print_what_and_fix_without_traceback(cli):
    cid = str(ok_json(cli, "contract", "request", "ds-1@1", "--consumer", "cons-a", "--purpose", "sc-1")["id"])
    refused = run(cli, "contract", "finalize", cid)
    assert refused.exit_code == 1
    assert "REQUESTED" in refused.output and "offer, terminate" in refused.output
    assert "Traceback" not in refused.output
    for args, fragment in [
        (("contract", "show", "999"), "no contract"),
        (("contract", "show", "abc"), "no contract"),
        (("contract", "accept", "999"), "no contract"),
        (("contract", "request", "ds-1@1", "--consumer", "cons-a", "--purpose", "sc-1"), "already covers"),
        (("contract", "request", "ds-1@1", "--consumer", "cons-a", "--purpose", "sc-2", "--expires", "x"), "ISO"),
        (("contract", "request", "nope", "--consumer", "cons-a", "--purpose", "sc-2"), "dataset"),
        (("contract", "terminate", cid, "--reason", "x", "--as", "bystander"), "unknown party"),
        (("contract", "offer", cid, "--policy", "/nonexistent.jsonld"), "no file"),
    ]:
        result = run(cli, *args)
        assert result.exit_code != 0, args
        assert fragment in result.output, (args, result.output)


def test_policy_file_offer_and_dataset_policy(cli, tmp_path):
    ceiling = odrl.build(target="ds-1@1", assigner="prov-a", purposes=["industry:steel"], epsilon_budget=3.0)
    path = tmp_path / "policy.jsonld"
    path.write_text(json.dumps(odrl.to_jsonld(ceiling)), encoding="utf-8")
    assert ok_json(cli, "contract", "policy", "set", "ds-1@1", "--file", str(path))["@type"] == "Set"
    shown = run(cli, "contract", "policy", "show", "ds-1@1")
    assert json.loads(shown.stdout)["target"] == "ds-1@1"
    cid = str(
        ok_json(cli, "contract", "request", "ds-1@1", "--consumer", "cons-a", "--purpose", "sc-1", "--epsilon", "1")[
            "id"
        ]
    )
    offer = tmp_path / "offer.jsonld"
    half = {"leftOperand": "epsilonBudget", "operator": "lteq", "rightOperand": 0.5}
    offered = {**odrl.to_jsonld(ceiling), "permission": [{"action": "federatedTrain", "constraint": [half]}]}
    offer.write_text(json.dumps(offered), encoding="utf-8")
    assert ok_json(cli, "contract", "offer", cid, "--policy", str(offer))["epsilon_budget"] == 0.5
    bad = tmp_path / "bad.jsonld"
    bad.write_text("{not json", encoding="utf-8")
    result = run(cli, "contract", "policy", "set", "ds-1@1", "--file", str(bad))
    assert result.exit_code == 1 and "not UTF-8 JSON" in result.output
    budget = ok_json(cli, "contract", "budget", "ds-1@1")
    assert (budget["budget"], budget["spent"]) == (3.0, 0.0)
    assert ok_json(cli, "contract", "metering") == []


def test_ledger_verify_fails_on_tampering(cli):
    ok_json(cli, "contract", "request", "ds-1@1", "--consumer", "cons-a", "--purpose", "sc-1")
    with transaction(cli.registry.sessions) as session:
        event = session.get(m.LedgerEvent, 1)
        event.actor = "someone else"
    result = run(cli, "ledger", "verify")
    assert result.exit_code == 1
    assert "seq 1" in result.output and "edited" in result.output
    report = run(cli, "ledger", "verify", "--json")
    assert report.exit_code == 1 and json.loads(report.stdout)["ok"] is False
