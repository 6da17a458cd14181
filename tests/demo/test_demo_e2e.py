"""The README's main command: `resonance demo --json` runs the whole federation as real processes and ends with
one JSON object holding the comparison, the nodes, the verified ledger and the action's progress."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

RESONANCE = Path(sys.executable).with_name("resonance")


def test_demo_json_trains_over_three_nodes_and_verifies_the_ledger(tmp_path: Path) -> None:
    env = {**os.environ, "RESONANCE_HOME": str(tmp_path / "home")}
    env.pop("RESONANCE_DATABASE_URL", None)
    done = subprocess.run([str(RESONANCE), "demo", "--json"], env=env, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)

    assert out["rounds"] == 5 and out["metric"] == "auc"
    for key in ("federated", "centralized"):
        assert out[key]["metric"] == "auc" and 0.5 < out[key]["value"] <= 1.0
    assert set(out["local"]) == {"mill-l", "mill-m", "mill-h"}
    assert all(0.0 < v["value"] <= 1.0 for v in out["local"].values())
    assert out["ledger_verified"] is True and out["ledger_events"] > 20
    assert out["seconds"] > 0 and out["job"]["status"] == "completed" and out["job"]["model"].startswith("mt-failure@")
    published = {n["dataset"]: n for n in out["nodes"]}
    assert {d: n["rows"] for d, n in published.items()} == {"ai4i-l@1": 6000, "ai4i-m@1": 2997, "ai4i-h@1": 1003}
    assert all(n["sensitivity"] == "general" and n["quality_grade"] in "ABCDE" for n in published.values())
    assert sorted(m["rounds"] for m in out["metering"]) == [5, 5, 5]
    contribution = out["contribution"]
    assert set(contribution["by_org"]) == {"mill-l", "mill-m", "mill-h"} and contribution["trainings"] == 0
    assert sum(v["shapley"] for v in contribution["by_org"].values()) == pytest.approx(contribution["gain"], abs=1e-9)
    # the seeded registry and the action's progress are still there
    assert out["added"]["entities"] == 2 and out["added"]["datasets"] == 7
    entities = {e["entity"]["code"]: e for e in out["progress"]}
    assert set(entities) == {"jiangsu", "baowu-demo"}
    machine_tools = next(
        r
        for r in entities["jiangsu"]["rules"]
        if r["rule_id"] == "common_datasets_per_industry" and r["scope_key"] == "machine_tools"
    )
    assert (machine_tools["current"], machine_tools["missing"]) == (3, 2)
    # the scenario agent's act: signed card, the federated model through MCP, scored on the scenario's cases
    agent = out["agent"]
    assert agent["agent"] == "mt-maintenance" and agent["model"] == out["job"]["model"]
    assert agent["score"]["n_cases"] == 11 and 0.0 <= agent["score"]["action_accuracy"]["value"] <= 1.0
    assert len(agent["examples"]) == 4 and all(e["text_zh"] and e["text_en"] for e in agent["examples"])
    assert agent["leaderboard"][0]["subject"] == "agent:mt-maintenance" and agent["seconds"] > 0
    # the flywheel cycle (its own world): the diagnosis finds the worn-tool rows L held back, L releases them as a
    # new version, the retrained model does better on that slice, measured on the same rows
    cycle = out["flywheel"]
    assert "Tool wear [min]" in cycle["slice"], cycle
    assert cycle["new_versions"] == ["ai4i-l@2"] and cycle["answered"] >= 1 and cycle["demands"] >= cycle["answered"]
    assert cycle["after"]["slice"]["value"] > cycle["before"]["slice"]["value"], cycle
    assert 0.5 < cycle["before"]["overall"]["value"] <= 1.0 and cycle["seconds"] > 0
    # every process was stopped: nothing listens for this home any more
    home = Path(out["home"])
    for world in (home, home / "flywheel"):
        assert not (world / "federation" / "superlink.json").exists()
        assert not any((world / "nodes").glob("*/federation/supernode.json"))
