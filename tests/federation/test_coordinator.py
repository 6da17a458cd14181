"""The space's side of a job without processes: the plan that travels to nodes, FedAvg weighting, the record."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from resonance.errors import ResonanceError
from resonance.federation.coordinator import Coordinator, weighted_average
from resonance.federation.learning.alignment import local_stats
from resonance.federation.learning.presets import preset
from resonance.federation.learning.spec import TaskSpec
from resonance.federation.plan import Assignment, JobPlan
from resonance.federation.secure import shares_and_threshold

TASK = preset("ai4i-logistic")["task"]


def plan(min_nodes: int = 2) -> JobPlan:
    return JobPlan(
        job_id="7",
        consumer="model-co",
        purpose="JS-MT-01",
        rounds=3,
        min_nodes=min_nodes,
        task=TASK,
        participants={
            "node-a": Assignment("ai4i-l", "1", "11", "mill-l"),
            "node-b": Assignment("ai4i-m", "1", "12", "mill-m"),
            "node-c": Assignment("ai4i-h", "1", "13", "mill-h"),
        },
    )


def test_the_plan_round_trips_and_holds_no_path() -> None:
    original = plan()
    text = original.to_json()
    assert JobPlan.from_json(text) == original
    assert "/" not in text.replace("\\/", "")  # codes, versions and contract ids only
    with pytest.raises(ResonanceError, match="cannot be read") as info:
        JobPlan.from_json('{"job_id": 1}')
    assert info.value.code == "bad_plan"
    with pytest.raises(ResonanceError):
        JobPlan.from_json("not json")


def test_fedavg_weights_by_examples() -> None:
    averaged = weighted_average(
        [([np.array([1.0, 1.0]), np.array([0.0])], 10), ([np.array([4.0, 7.0]), np.array([3.0])], 20)]
    )
    assert np.allclose(averaged[0], [3.0, 5.0]) and np.allclose(averaged[1], [2.0])
    with pytest.raises(ValueError):
        weighted_average([([np.array([1.0])], 0)])


def _hello(rows: int, seed: int) -> dict:
    spec = TaskSpec.model_validate(TASK)
    rng = np.random.default_rng(seed)
    X = rng.normal(300, 5, size=(rows, len(spec.features)))
    y = (rng.random(rows) < 0.1).astype(float)
    return {"stats": {k: v.tolist() for k, v in local_stats(X, y, spec).items()}, "n_train": rows}


def test_admission_refusal_drop_and_the_written_record(tmp_path: Path) -> None:
    coordinator = Coordinator(plan(min_nodes=2), tmp_path)
    coordinator.refuse("node-c", "revoked: contract 13 was terminated")
    arrays = coordinator.admit({"node-a": _hello(80, 1), "node-b": _hello(40, 2)})
    assert sorted(coordinator.active) == ["node-a", "node-b"] and coordinator.enough()
    assert coordinator.standardiser is not None and coordinator.standardiser.n == 120
    assert [a.shape for a in arrays] == [(5,), (1,)]
    coordinator.meter("node-a", 64, 0.5)
    coordinator.drop("node-b", "no answer within 60 s in round 2")
    assert not coordinator.enough() and "needs 2" in coordinator.shortfall()
    result = coordinator.finish(arrays, "stopped", reason=coordinator.shortfall())

    assert result["participants"] == {"node-a": "mill-l"} and "node-c" in result["refused"]
    assert result["node_rounds"] == {"node-a": 1} and result["samples"] == {"node-a": 64}
    written = json.loads((tmp_path / "result.json").read_text())
    assert written["status"] == "stopped" and written["refused"]["node-c"].startswith("revoked")
    events = [json.loads(line)["event"] for line in (tmp_path / "progress.jsonl").read_text().splitlines()]
    assert events == ["refused", "admitted", "dropped", "ended"]
    with np.load(tmp_path / "model.npz") as saved:
        assert {"arr_0", "arr_1", "mean", "std"} <= set(saved.files)


def test_secure_aggregation_tolerates_one_dropout_from_three_nodes() -> None:
    assert shares_and_threshold(2) == (1.0, 1.0)
    assert shares_and_threshold(3) == (3, 2)
    assert shares_and_threshold(6) == (6, 4)
