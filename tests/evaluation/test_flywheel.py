"""The flywheel: gains judged by intervals, the cycle's record and ledger event; and one real cycle on the demo
world (slow: real processes, two federated trainings)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from resonance.evaluation import flywheel
from resonance.ledger import chain
from resonance.registry import models as m
from resonance.registry.db import transaction


def test_gain_says_better_only_when_the_intervals_separate():
    better = flywheel.gain("recall", {"value": 0.2, "low": 0.1, "high": 0.3}, {"value": 0.6, "low": 0.45, "high": 0.7})
    assert better["verdict"] == "better" and better["change"] == pytest.approx(0.4)
    tie = flywheel.gain("recall", {"value": 0.5, "low": 0.4, "high": 0.6}, {"value": 0.55, "low": 0.45, "high": 0.65})
    assert tie["verdict"] == "tie"
    lower = flywheel.gain("rmse", {"value": 2.0, "low": 1.9, "high": 2.1}, {"value": 1.0, "low": 0.9, "high": 1.1})
    assert lower["verdict"] == "better" and lower["change"] == pytest.approx(-1.0)
    missing = flywheel.gain("auc", None, {"value": 0.9})
    assert missing["verdict"] is None and missing["change"] is None


def test_a_cycle_is_recorded_with_its_ledger_event(registry):
    with transaction(registry.sessions) as s:
        row = flywheel.record(
            s, model_code="mt", target={"condition": "Tool wear [min] ≥ 170"}, before={"overall": {"auc": 0.9}},
            after={"overall": {"auc": 0.95}}, steps={"train_job": 1, "retrain_job": 2}, seconds=12.345, actor="t",
        )  # fmt: skip
        cycle = row.id
    with registry.session() as s:
        shown = [flywheel.as_dict(r) for r in flywheel.list_cycles(s)]
        assert [e.kind for e in chain.events(s, kind="flywheel.")] == ["flywheel.completed"]
        assert chain.verify(s).ok
        assert s.scalars(select(m.FlywheelCycle.status)).all() == ["completed"]
    assert shown[0]["id"] == cycle and shown[0]["seconds"] == 12.35 and shown[0]["steps"]["retrain_job"] == 2
    with pytest.raises(Exception) as caught, registry.session() as s:
        flywheel.get(s, "999")
    assert getattr(caught.value, "status", None) == 404


# One real cycle (two federated trainings, the evaluator's node, demands, a new version) runs in
# tests/demo/test_demo_e2e.py: `resonance demo --json` ends with its `flywheel` summary.
