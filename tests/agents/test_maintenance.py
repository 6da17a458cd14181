"""The predictive-maintenance agent: rules, explanations, and the demo act end to end through MCP."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from resonance.agents import leaderboard, maintenance, predict, scoring
from resonance.agents.maintenance import AIR, PROCESS, SPEED, TORQUE, WEAR, Advice
from resonance.errors import ResonanceError
from resonance.registry import models as m
from resonance.registry.db import transaction

NOMINAL = {AIR: 300.0, PROCESS: 310.5, SPEED: 1500.0, TORQUE: 40.0, WEAR: 100.0}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, []),
        ({WEAR: 210.0}, ["replace_tool"]),
        ({PROCESS: 308.0, SPEED: 1300.0}, ["improve_cooling"]),
        ({TORQUE: 10.0}, ["adjust_power"]),
        ({TORQUE: 75.0}, ["adjust_power"]),
        ({WEAR: 190.0, TORQUE: 60.0, SPEED: 1400.0}, ["reduce_load"]),
        ({WEAR: 220.0, TORQUE: 60.0, SPEED: 1400.0}, ["replace_tool", "reduce_load"]),
    ],
)
def test_failure_mechanisms(change, expected):
    assert maintenance.mechanisms({**NOMINAL, **change}) == expected


def test_the_action_follows_the_sensors_that_drove_the_risk():
    both = ["replace_tool", "reduce_load"]
    assert maintenance.choose(0.9, {WEAR: 0.1, TORQUE: 0.5}, both) == "reduce_load"
    assert maintenance.choose(0.9, {WEAR: 0.5, TORQUE: -0.2}, both) == "replace_tool"
    assert maintenance.choose(0.9, {WEAR: 0.0, TORQUE: 0.0}, both) == "replace_tool"  # tie: costlier first
    assert maintenance.choose(0.7, {TORQUE: 0.4}, []) == "inspect"
    assert maintenance.choose(0.1, {TORQUE: 0.4}, []) == "none"


def test_advice_text_is_bilingual():
    advice = Advice("mt-failure@1", 0.81, {WEAR: 0.5, TORQUE: 0.2, AIR: 0.0, PROCESS: -0.1, SPEED: 0.01}, [], "inspect")
    advice.drivers = sorted(advice.attribution, key=lambda s: -advice.attribution[s])
    data = advice.as_dict()
    assert data["level"] == "high"
    assert data["text_zh"].startswith("故障风险 0.81（高）") and "刀具磨损 +0.50" in data["text_zh"]
    assert "重点：刀具磨损" in data["text_zh"]
    assert data["text_en"].startswith("Failure risk 0.81 (high)") and "tool wear +0.50" in data["text_en"]


def test_a_reading_must_be_an_object():
    with pytest.raises(ResonanceError):
        maintenance.normalise_reading([1, 2, 3])
    assert maintenance.normalise_reading({"tool_wear": 5, "x": 1}) == {WEAR: 5, "x": 1}


def test_bundled_cases_load():
    cases = scoring.load(scenario="JS-MT-01")
    assert len(cases.cases) == 11 and len(cases.sha256) == 64
    assert {c.expect for c in cases.cases} == {"none", "replace_tool", "improve_cooling", "adjust_power", "reduce_load"}


@pytest.mark.parametrize(
    ("text", "encoding", "what"),
    [
        ("scenario: X\ncases: [{id: a, reading: {}, expect: fly}]\n", "utf-8", "unknown action"),
        (
            "scenario: X\ncases: [{id: a, reading: {}, expect: none}, {id: a, reading: {}, expect: none}]\n",
            "utf-8",
            "duplicate",
        ),
        ("scenario: X\ncases: [{id: a, expect: none}]\n", "utf-8", "shape"),
        ("scenario: X\ncases: [\n", "utf-8", "not YAML"),
        ("scenario: 场景\ncases: [{id: 案例, reading: {}, expect: 飞}]\n", "gbk", "unknown action"),
    ],
)
def test_bad_case_files_are_refused(tmp_path, text, encoding, what):
    path = tmp_path / "cases.yaml"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(ResonanceError) as info:
        scoring.load(path)
    assert what in info.value.what or any(what in p.what for p in info.value.problems)


def test_gbk_case_file_is_read(tmp_path):
    path = tmp_path / "cases.yaml"
    path.write_bytes("scenario: 场景一\ncases: [{id: 案例, reading: {tool_wear: 1}, expect: none}]\n".encode("gbk"))
    assert scoring.load(path).scenario == "场景一"


def test_wilson_interval():
    assert scoring.wilson(0, 0) == (0.0, 1.0)
    low, high = scoring.wilson(11, 11)
    assert high == 1.0 and 0.7 < low < 0.75
    low, high = scoring.wilson(5, 10)
    assert low == pytest.approx(1 - high)


def test_the_demo_agent_end_to_end_through_mcp(space):
    from resonance.demo.agent import run_agent
    from resonance.ledger import keys as space_keys
    from resonance.node import keys as node_keys

    summary = run_agent(space.home, space.url, step=lambda _: None)
    assert summary["model"] == "mt-failure@1"
    outcomes = {o["id"]: o for o in summary["outcomes"]}
    # the mechanism cases are decided by the rules, whatever the model's risk
    for case in scoring.load(scenario="JS-MT-01").cases:
        if case.expect != "none":
            assert outcomes[case.id]["got"] == case.expect, outcomes[case.id]
    # nominal readings: the model's risk is low, so no action
    for name in ("nominal-new-tool", "nominal-mid-life", "nominal-warm"):
        assert outcomes[name]["risk"] < 0.5 and outcomes[name]["got"] == "none"
    assert summary["score"]["action_accuracy"]["value"] == 1.0
    assert summary["score"]["n_cases"] == 11
    # explanations: each sensor's share is the risk minus the risk with that sensor at its training mean
    worn = next(e for e in summary["examples"] if e["case"] == "worn-tool")
    assert worn["action"] == "replace_tool" and "更换刀具" in worn["text_zh"]
    with transaction(space.registry.sessions) as session:
        schema = predict.schema(session, space.home, "mt-failure@1")
    reading = maintenance.normalise_reading(worn["reading"])
    occluded = [{**reading, f: schema.means[f]} for f in schema.features]
    risk, *others = predict.run(schema, predict.validate([reading, *occluded], schema))
    assert worn["risk"] == pytest.approx(risk)
    assert [worn["attribution"][f] for f in schema.features] == pytest.approx([risk - o for o in others], abs=1e-5)
    assert worn["drivers"][0] == max(schema.features, key=lambda f: risk - others[schema.features.index(f)])
    # the riskiest case is an overstrain, and its risk is driven by the sensors of that mechanism
    riskiest = max(summary["outcomes"], key=lambda o: o["risk"])
    assert riskiest["id"] == "overstrain-2" and riskiest["risk"] >= 0.5
    overstrain = next(e for e in summary["examples"] if e["case"] == "overstrain-2")
    assert overstrain["drivers"][0] in (TORQUE, WEAR) and overstrain["level"] == "high"
    # stored as a signed evaluation result, on the ledger, on the leaderboard
    with transaction(space.registry.sessions) as session:
        row = session.get(m.EvaluationResult, summary["evaluation"])
        dataset = session.get(m.Dataset, row.dataset_id)
        assert row.metrics["subject"] == "agent:mt-maintenance"
        assert dataset.kind == "evaluation" and dataset.fingerprint == scoring.load(scenario="JS-MT-01").sha256
        assert row.document["metrics"] == row.metrics and row.document["dataset_sha256"] == dataset.fingerprint
        message = leaderboard.signed_message(row.document)
        assert node_keys.verify(space_keys.space_public_key(), message, row.signature)
        kinds = session.scalars(select(m.LedgerEvent.kind).where(m.LedgerEvent.subject == "agent:mt-maintenance")).all()
        assert kinds == ["agent.registered", "agent.evaluated"]
    assert summary["leaderboard"][0]["subject"] == "agent:mt-maintenance"
    assert summary["leaderboard"][0]["value"] == 1.0 and summary["leaderboard"][0]["rank"] == 1
    # an edited result no longer verifies and leaves the board
    with transaction(space.registry.sessions) as session:
        assert [r["agent"] for r in leaderboard.rows(session, scenario="JS-MT-01")] == ["mt-maintenance"]
        row = session.get(m.EvaluationResult, summary["evaluation"])
        row.metrics = {**row.metrics, "action_accuracy": {"value": 0.2, "low": 0.1, "high": 0.3}}
    with transaction(space.registry.sessions) as session:
        assert leaderboard.rows(session, metric="action_accuracy") == []
    # the agent's key stays in model-co's home, outside the registry
    assert (space.home / "orgs" / "model-co" / "agents" / "mt-maintenance" / "agent.key").is_file()
    # a second run re-signs with the same key: an update, and the same case-file dataset version
    again = run_agent(space.home, space.url)
    assert again["kid"] == summary["kid"]
    with transaction(space.registry.sessions) as session:
        assert len(session.scalars(select(m.Dataset).where(m.Dataset.kind == "evaluation")).all()) == 1
