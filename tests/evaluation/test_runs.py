"""Evaluation runs at the evaluator's node: the signed-request transport, signature checks at the space,
duplicates, refusals; on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from _evalworld import EVAL_DATASET, make_model, node_client
from resonance.api.app import create_app
from resonance.errors import ResonanceError
from resonance.evaluation import documents, runs
from resonance.ledger import chain
from resonance.node import keys
from resonance.registry import models as m
from resonance.registry.db import transaction


def _request(world: Any, model: str = "mt-a", **options: Any) -> int:
    with transaction(world.sessions) as s:
        return runs.request(
            s, model=model, dataset=EVAL_DATASET, evaluator="evaluator", space_home=world.space_home, actor="t",
            **options,
        ).id  # fmt: skip


def _document(world: Any, assignment: dict[str, Any], auc: float = 0.9) -> dict[str, Any]:
    return {
        "format": documents.FORMAT,
        "job": assignment["job"],
        "node": world.node_id,
        "evaluator": "evaluator",
        "model": {"key": assignment["model"], "sha256": assignment["model_sha256"]},
        "dataset": {"key": assignment["dataset"], "fingerprint": assignment["dataset_fingerprint"]},
        "code_version": "test",
        "task": "classification",
        "rows": 800,
        "metrics": {"auc": {"name": "auc", "value": auc, "low": auc - 0.05, "high": auc + 0.03}},
        "slices": [],
        "evaluated_at": "2026-12-05T10:00:00+00:00",
    }


def test_the_node_fetches_the_model_and_the_space_verifies_its_signed_result(eval_world, tmp_path):
    world = eval_world
    sha = make_model(world, "mt-a")
    job_id = _request(world)
    with (
        TestClient(create_app(world.registry.url)) as api,
        node_client(world, api) as node,
    ):
        assignment = node.next_evaluation()
        assert assignment["job"] == job_id and assignment["model_sha256"] == sha
        assert hashlib.sha256(base64.b64decode(assignment["model_onnx"])).hexdigest() == sha
        assert assignment["task"]["target"] == "Machine failure"
        with world.sessions() as s:
            assert runs.get(s, job_id).status == "running"
        key = world.node_home.private_key()
        document = _document(world, assignment)
        signature = documents.sign(document, key)

        tampered = {**document, "metrics": {"auc": {**document["metrics"]["auc"], "value": 0.99}}}
        with pytest.raises(ResonanceError) as refused:
            node.evaluation_result(job_id, {"document": tampered, "signature": signature})
        assert refused.value.code == "bad_signature" and refused.value.status == 422

        other = tmp_path / "other.key"
        keys.generate(other)
        with pytest.raises(ResonanceError) as refused:
            node.evaluation_result(
                job_id, {"document": document, "signature": documents.sign(document, keys.load_private(other))}
            )
        assert refused.value.code == "bad_signature"

        wrong_model = {**document, "model": {"key": "mt-a@1", "sha256": "0" * 64}}
        with pytest.raises(ResonanceError) as refused:
            node.evaluation_result(job_id, {"document": wrong_model, "signature": documents.sign(wrong_model, key)})
        assert refused.value.code == "result_mismatch" and "model.sha256" in refused.value.what

        with pytest.raises(ResonanceError) as refused:
            node.evaluation_result(job_id, {"document": {"format": documents.FORMAT}, "signature": signature})
        assert refused.value.code == "bad_result"

        stored = node.evaluation_result(job_id, {"document": document, "signature": signature})
        assert stored["signature_verified"] is True and stored["model_sha256"] == sha
        assert stored["metrics"]["auc"]["value"] == 0.9 and stored["dataset"] == EVAL_DATASET

        again = node.evaluation_result(job_id, {"document": document, "signature": signature})
        assert again["id"] == stored["id"]  # the same signed result again: idempotent

        second = _document(world, assignment, auc=0.8)
        with pytest.raises(ResonanceError) as refused:
            node.evaluation_result(job_id, {"document": second, "signature": documents.sign(second, key)})
        assert refused.value.status == 409
        assert node.next_evaluation() is None

        with pytest.raises(ResonanceError) as refused:
            node.evaluation_result(999999, {"document": document, "signature": signature})
        assert refused.value.status == 404

    with world.sessions() as s:
        job = runs.get(s, job_id)
        assert job.status == "completed"
        results = s.scalars(select(m.EvaluationResult)).all()
        assert len(results) == 1 and runs.verified(s, results[0])
        events = [e for e in chain.events(s) if e.kind.startswith("evaluation.")]
        assert [e.kind for e in events] == ["evaluation.requested", "evaluation.result"]
        assert events[-1].node_id == world.node_id
        assert chain.verify(s).ok
        results[0].document = {**results[0].document, "rows": 1}  # edited in the database afterwards
        assert not runs.verified(s, results[0])


def test_a_node_reports_failure_and_the_evaluation_closes_with_the_reason(eval_world):
    world = eval_world
    make_model(world, "mt-a")
    job_id = _request(world)
    with (
        TestClient(create_app(world.registry.url)) as api,
        node_client(world, api) as node,
    ):
        node.next_evaluation()
        node.evaluation_failed(job_id, "列 Torque 缺失 / column missing")
        assert node.next_evaluation() is None
    with world.sessions() as s:
        outcome = runs.as_dict(s, runs.get(s, job_id))
    assert outcome["status"] == "failed" and "column missing" in outcome["reason"] and outcome["result"] is None


def test_evaluation_requests_are_refused_whole(eval_world):
    world = eval_world
    make_model(world, "mt-a")

    def refused(**kwargs: Any) -> ResonanceError:
        args = {"model": "mt-a", "dataset": EVAL_DATASET, "evaluator": "evaluator", **kwargs}
        with pytest.raises(ResonanceError) as caught, transaction(world.sessions) as s:
            runs.request(s, space_home=world.space_home, actor="t", **args)
        return caught.value

    assert refused(model="no-such-model").status == 404
    assert refused(dataset="no-such-data@1").code == "unknown_reference"
    not_mine = refused(evaluator="eval-b")
    assert not_mine.status == 403 and "not the evaluator" in not_mine.what
    assert refused(slice_by=["No such column"]).code == "missing_column"
    assert refused(bootstrap=3).code == "validation_error"
    with world.sessions() as s:
        assert s.scalars(select(m.Job).where(m.Job.kind == "evaluation")).all() == []


def test_only_an_evaluation_dataset_with_the_evaluation_only_policy_can_be_evaluated(eval_world):
    from resonance.policy import contracts, odrl

    world = eval_world
    make_model(world, "mt-a")
    with transaction(world.sessions) as s:
        wider = odrl.build(target=EVAL_DATASET, assigner="evaluator", operations=["evaluate", "federatedTrain"])
        contracts.set_dataset_policy(s, EVAL_DATASET, odrl.to_jsonld(wider), actor="t")
    with pytest.raises(ResonanceError) as caught:
        _request(world)
    assert caught.value.code == "unprotected_evaluation_dataset" and "eval protect" in caught.value.fix
    with transaction(world.sessions) as s:
        dataset = s.scalars(select(m.Dataset).where(m.Dataset.code == "ai4i-eval")).one()
        dataset.kind = "common"
    with pytest.raises(ResonanceError) as caught:
        _request(world)
    assert caught.value.code == "not_an_evaluation_dataset"


def test_nobody_can_train_on_an_evaluation_dataset(eval_world):
    from resonance.federation import jobs
    from resonance.federation.jobspec import parse_job
    from resonance.policy import contracts

    world = eval_world
    make_model(world, "mt-a")
    with pytest.raises(ResonanceError) as caught, transaction(world.sessions) as s:
        contracts.request(s, dataset=EVAL_DATASET, consumer="model-co", purpose="model:mt-a", actor="model-co",
                          operations=["federatedTrain"])  # fmt: skip
    assert caught.value.code == "policy_violation"
    assert "federatedTrain" in str(caught.value.problems) or "consumer" in str(caught.value.problems)
    spec = parse_job(
        {
            "consumer": "model-co",
            "purpose": "mt-a",
            "datasets": ["ai4i-eval"],
            "model": {"code": "mt-b", "name_zh": "乙", "industry": "machine_tools"},
            "task": dict(world_task()),
            "training": {"rounds": 2, "min_nodes": 1},
        },
        where="test job",
    )
    with pytest.raises(ResonanceError) as caught, transaction(world.sessions) as s:
        jobs.submit(s, spec, actor="model-co")
    assert caught.value.code == "job_refused" and "federatedTrain" in caught.value.what
    with world.sessions() as s:
        assert s.scalars(select(m.Contract)).all() == [] and s.scalars(select(m.Job)).all() == []
    # the evaluator itself cannot obtain a training contract on its evaluation data either
    with pytest.raises(ResonanceError) as caught, transaction(world.sessions) as s:
        contracts.request(s, dataset=EVAL_DATASET, consumer="evaluator", purpose="model:mt-a", actor="evaluator",
                          operations=["federatedTrain"])  # fmt: skip
    assert caught.value.code == "policy_violation"


def world_task() -> dict[str, Any]:
    from _evalworld import task

    return task()
