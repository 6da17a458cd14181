"""Leaderboards: order, ties judged by confidence intervals, reproducibility data, only verified results."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from _evalworld import EVAL_DATASET, clone_model, make_model, signed_result
from resonance.errors import ResonanceError
from resonance.evaluation import leaderboard
from resonance.registry import models as m
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS
from resonance.registry.db import transaction


def test_models_are_ranked_by_value_and_share_a_place_when_their_intervals_overlap(eval_world):
    world = eval_world
    sha = make_model(world, "mt-a", rows=600, rounds=1)
    for code in ("mt-b", "mt-c", "mt-d"):
        clone_model(world, "mt-a", code)
    signed_result(world, "mt-c", {"auc": (0.70, 0.65, 0.75), "rmse_like": (0.3, 0.2, 0.4)})
    signed_result(world, "mt-a", {"auc": (0.90, 0.88, 0.92)})
    signed_result(world, "mt-b", {"auc": (0.89, 0.86, 0.91)})  # overlaps mt-a: a tie
    signed_result(world, "mt-d", {"auc": (0.80, 0.78, 0.82)})  # below both, above mt-c
    with world.sessions() as s:
        rows = leaderboard.rows(s, industry="machine_tools")
    assert [(r["model"], r["rank"]) for r in rows] == [("mt-a@1", 1), ("mt-b@1", 1), ("mt-d@1", 3), ("mt-c@1", 4)]
    assert rows[0]["ties"] == ["mt-b@1"] and rows[1]["ties"] == ["mt-a@1"] and rows[2]["ties"] == []
    top = rows[0]
    assert top["board"] == f"{EVAL_DATASET} · auc" and top["metric"] == "auc" and top["higher_is_better"]
    assert top["model_sha256"] == sha and top["code_version"] == "test" and top["evaluator"] == "evaluator"
    with world.sessions() as s:
        fingerprint = s.scalars(select(m.Dataset.fingerprint).where(m.Dataset.code == "ai4i-eval")).one()
    assert top["dataset_fingerprint"] == fingerprint and top["signature_verified"] is True
    assert (top["value"], top["low"], top["high"]) == (0.90, 0.88, 0.92)


def test_lower_is_better_metrics_rank_upwards_and_filters_apply(eval_world):
    world = eval_world
    make_model(world, "mt-a", rows=600, rounds=1)
    clone_model(world, "mt-a", "mt-b")
    signed_result(world, "mt-a", {"auc": (0.9, 0.88, 0.92), "rmse": (0.40, 0.38, 0.42)})
    signed_result(world, "mt-b", {"auc": (0.8, 0.78, 0.82), "rmse": (0.20, 0.18, 0.22)})
    with world.sessions() as s:
        rmse = leaderboard.rows(s, metric="rmse")
        assert [(r["model"], r["rank"]) for r in rmse] == [("mt-b@1", 1), ("mt-a@1", 2)]
        assert rmse[0]["higher_is_better"] is False
        assert leaderboard.rows(s, metric="f1") == []  # nobody was evaluated with it
        assert leaderboard.rows(s, industry="steel") == []
        with pytest.raises(ResonanceError):
            leaderboard.rows(s, industry="no-such-industry")


def test_a_newer_result_replaces_the_older_and_unsigned_or_edited_results_are_not_ranked(eval_world):
    world = eval_world
    make_model(world, "mt-a", rows=600, rounds=1)
    clone_model(world, "mt-a", "mt-b")
    signed_result(world, "mt-a", {"auc": (0.6, 0.55, 0.65)})
    signed_result(world, "mt-a", {"auc": (0.9, 0.88, 0.92)})
    edited = signed_result(world, "mt-b", {"auc": (0.7, 0.68, 0.72)})
    with transaction(world.sessions) as s:
        row = s.get(m.EvaluationResult, edited)
        row.document = {**row.document, "metrics": {"auc": {"name": "auc", "value": 0.99, "low": 0.98, "high": 1.0}}}
        row.metrics = row.document["metrics"]
        services.create(s, CONCEPTS["evaluations"], {"model": "mt-b@1", "dataset": EVAL_DATASET,
                        "evaluator": "evaluator", "metrics": {"auc": {"value": 1.0}}})  # fmt: skip
    with world.sessions() as s:
        rows = leaderboard.rows(s)
    assert [(r["model"], r["value"]) for r in rows] == [("mt-a@1", 0.9)]
