"""Evaluation runs at the space: record the request, hand it to the evaluator's node, accept its signed result.

Transport: the evaluator's node agent (``resonance node serve``) asks the space for its next evaluation with a
signed node request on every heartbeat, receives the model's ONNX bytes (with their SHA-256), runs the model on
its local rows and posts the signed result back (``evaluation.at_node``). We chose this over a Flower run to
the evaluator's SuperNode because an evaluation is one request and one answer, not rounds of aggregation: the
node already connects out with signed requests (no port opens at the node, as for heartbeats and contract
sync), the node needs no SuperNode at all to be an evaluator, and the result must be a document signed by the
node's own Ed25519 key — which Flower's messages (signed by the SuperNode's ECDSA transport key) are not.

States of an evaluation Job: ``queued`` (recorded) → ``running`` (the node fetched it; fetched again after a
node restart) → ``completed`` (a verified result is stored) or ``failed`` (the node reported why).

A result is refused whole (nothing stored) when its signature is not the node's, when it names another job,
node, model hash or dataset version hash than the one handed out, or when it is malformed. Submitting the same
signed result again is idempotent (the stored result is returned); a different result for a job that already
has one is refused (409 ``duplicate_result``).
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import resonance
from resonance.errors import Conflict, NotFound, ResonanceError
from resonance.evaluation import datasets as eval_datasets
from resonance.evaluation import documents
from resonance.federation import model_store
from resonance.ledger import chain
from resonance.registry import models as m
from resonance.registry.references import display_key, resolve

KIND = "evaluation"
OPEN = ("queued", "running")
DEFAULT_BOOTSTRAP = 200


def model_task(session: Session, model: m.ModelVersion) -> dict[str, Any]:
    """The task (target, features, kind) a model was trained for: from its training job, or its lineage."""
    lineage = model.lineage or {}
    if isinstance(lineage.get("task"), dict):
        return dict(lineage["task"])
    job = session.get(m.Job, lineage["job"]) if isinstance(lineage.get("job"), int) else None
    if job is not None and isinstance(job.spec.get("task"), dict):
        planned = (job.spec.get("plan") or {}).get("task")  # with the vocabularies the space built, if any
        return dict(planned if isinstance(planned, dict) else job.spec["task"])
    raise ResonanceError(
        what=f"model {display_key(model)} records no task (target and features), so it cannot be evaluated",
        where="model",
        fix="evaluate a model trained by a federated job (`resonance job submit`), which records its task",
        code="no_task",
        status=409,
    )


def request(
    session: Session,
    *,
    model: str,
    dataset: str,
    evaluator: str,
    space_home: Path,
    actor: str,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    slice_by: list[str] | tuple[str, ...] = (),
    watch: list[dict[str, Any]] | None = None,
) -> m.Job:
    """Record an evaluation of ``model`` on ``dataset`` (an evaluation dataset of ``evaluator``).

    ``watch``: slices (``Slice.as_dict()``, e.g. from an earlier diagnosis) whose metrics the node reports too,
    so that before and after can be compared on the same rows (the flywheel).

    Refused (nothing recorded): unknown model or dataset (404), a model without ONNX artifact or task, a dataset
    that is not an evaluation dataset, not the evaluator's, not protected, not served by an approved node, or
    whose published profile lacks the model's columns.
    """
    row = model_store.find(session, model)
    onnx = model_store.artifact_path(session, space_home, display_key(row), "onnx")
    task = model_task(session, row)
    target = resolve(session, m.Dataset, dataset, where="dataset")
    org = resolve(session, m.Organisation, evaluator, where="evaluator")
    eval_datasets.check_evaluable(session, target, org)
    node = session.get(m.Node, target.node_id) if target.node_id else None
    if node is None or node.status != "approved" or target.status != "published":
        raise ResonanceError(
            what=f"evaluation dataset {display_key(target)} is not published by an approved node",
            where="dataset",
            fix="publish it from the evaluator's node (`resonance data publish`) once the operator approved the node",
            code="not_published",
            status=409,
        )
    _check_columns(target, task, slice_by)
    if not 10 <= bootstrap <= 10_000:
        raise ResonanceError(
            what=f"bootstrap must be 10–10000 resamples, not {bootstrap}", where="bootstrap", code="validation_error"
        )
    sha = model_store.sha256_file(onnx)
    job = m.Job(
        kind=KIND,
        name=f"评测 {display_key(row)} @ {display_key(target)}",
        submitter_org_id=org.id,
        status="queued",
        rounds_total=1,
        rounds_done=0,
        spec={
            "model": display_key(row),
            "model_sha256": sha,
            "dataset": display_key(target),
            "dataset_fingerprint": target.fingerprint or "",
            "evaluator": org.code,
            "node": target.node_id,
            "task": task,
            "bootstrap": bootstrap,
            "slice_by": list(slice_by),
            "watch": [_watched(item, index) for index, item in enumerate(watch or [])],
            "code_version": resonance.__version__,
        },
    )
    session.add(job)
    session.flush()
    chain.append(
        session,
        kind="evaluation.requested",
        subject=f"job:{job.id}",
        payload={k: job.spec[k] for k in ("model", "model_sha256", "dataset", "dataset_fingerprint", "node")},
        actor=actor,
    )
    return job


def _watched(item: dict[str, Any], index: int) -> dict[str, Any]:
    from resonance.evaluation.slices import Slice

    if not isinstance(item, dict):
        raise ResonanceError(what="a watched slice must be an object", where=f"watch[{index}]", code="invalid_slice")
    return Slice.from_dict(item).as_dict()


def _check_columns(dataset: m.Dataset, task: dict[str, Any], slice_by: list[str] | tuple[str, ...]) -> None:
    columns = [c.get("name") for c in (dataset.profile or {}).get("columns", [])]
    if not columns:
        return  # nothing published about the columns: the node will say
    wanted = [*task.get("features", []), task.get("target"), *slice_by]
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise ResonanceError(
            what=f"evaluation dataset {display_key(dataset)} has no column {missing[0]!r}"
            + (f" (nor {missing[1:]})" if len(missing) > 1 else ""),
            where="dataset",
            fix=f"the model needs {', '.join(str(c) for c in wanted)}; the dataset has {', '.join(columns[:30])}",
            code="missing_column",
            status=422,
        )


def get(session: Session, job_id: int | str) -> m.Job:
    text = str(job_id).strip()
    job = session.get(m.Job, int(text)) if text.isdigit() and len(text) < 12 else None
    if job is None or job.kind != KIND:
        raise NotFound("evaluation", job_id, fix="list evaluations with `resonance eval list`")
    return job


def result_of(session: Session, job: m.Job) -> m.EvaluationResult | None:
    return session.scalars(select(m.EvaluationResult).where(m.EvaluationResult.job_id == job.id)).first()


# --- the node's side of the transport -----------------------------------------------------------------------


def next_for(session: Session, node: m.Node, space_home: Path) -> dict[str, Any] | None:
    """The oldest open evaluation for this node with the model's ONNX bytes, marked ``running``; None if none."""
    rows = session.scalars(select(m.Job).where(m.Job.kind == KIND, m.Job.status.in_(OPEN)).order_by(m.Job.id)).all()
    job = next((j for j in rows if j.spec.get("node") == node.id), None)
    if job is None:
        return None
    spec = job.spec
    code, _, version = spec["model"].partition("@")
    path = model_store.artifact_dir(space_home, code, version) / "model.onnx"
    data = path.read_bytes() if path.is_file() else b""
    if hashlib.sha256(data).hexdigest() != spec["model_sha256"]:
        fail(session, job, "the model's ONNX artifact is missing or changed since the evaluation was requested")
        return None
    if job.status == "queued":
        job.status = "running"
        job.spec = {**spec, "started_at": datetime.now(UTC).isoformat()}
        session.flush()
    return {
        "job": job.id,
        "model": spec["model"],
        "model_sha256": spec["model_sha256"],
        "model_onnx": base64.b64encode(data).decode("ascii"),
        "dataset": spec["dataset"],
        "dataset_fingerprint": spec["dataset_fingerprint"],
        "evaluator": spec["evaluator"],
        "task": spec["task"],
        "bootstrap": spec["bootstrap"],
        "slice_by": spec.get("slice_by", []),
        "watch": spec.get("watch", []),
    }


def _node_job(session: Session, node: m.Node, job_id: int | str) -> m.Job:
    try:
        job = get(session, job_id)
    except NotFound:
        job = None
    if job is None or job.spec.get("node") != node.id:
        raise NotFound("evaluation", job_id, fix="this node can only report evaluations handed to it")
    return job


def submit_result(
    session: Session, node: m.Node, job_id: int | str, body: dict[str, Any], act: chain.NodeAct | None = None
) -> m.EvaluationResult:
    """Verify and store the node's signed result ``{"document", "signature"}`` (see the module docstring)."""
    job = _node_job(session, node, job_id)
    document, signature = body.get("document"), body.get("signature")
    if not isinstance(signature, str) or not signature:
        raise ResonanceError(
            what="the result carries no signature", where="signature", code="bad_signature", status=422,
            fix="send the result as the node signed it",
        )  # fmt: skip
    documents.check_shape(document)
    if not documents.verify(document, signature, node.public_key):
        raise ResonanceError(
            what=f"the evaluation result is not signed by node {node.id}'s key: it was altered after signing or "
            "signed by another key / 评测结果签名无效（被篡改或非本节点签名）",
            where="signature",
            fix="send the document exactly as the evaluator's node signed it",
            code="bad_signature",
            status=422,
        )
    spec = job.spec
    expected = {
        "job": job.id,
        "node": node.id,
        "evaluator": spec["evaluator"],
        "model.sha256": spec["model_sha256"],
        "dataset.fingerprint": spec["dataset_fingerprint"],
    }
    found = {
        "job": document["job"],
        "node": document["node"],
        "evaluator": document["evaluator"],
        "model.sha256": (document.get("model") or {}).get("sha256"),
        "dataset.fingerprint": (document.get("dataset") or {}).get("fingerprint"),
    }
    wrong = [k for k in expected if expected[k] != found[k]]
    if wrong:
        raise ResonanceError(
            what=f"the result does not match evaluation {job.id}: {', '.join(f'{k} {found[k]!r}' for k in wrong)} "
            f"(expected {', '.join(repr(expected[k]) for k in wrong)})",
            where=f"document.{wrong[0]}",
            fix="the node must evaluate the model and dataset version it was handed",
            code="result_mismatch",
            status=422,
        )
    existing = result_of(session, job)
    if existing is not None:
        if existing.signature == signature:
            return existing  # the same signed result again (a retried request): idempotent
        raise Conflict(
            what=f"evaluation {job.id} already has a signed result (result {existing.id})",
            fix="request a new evaluation (`resonance eval run`) to evaluate again",
        )
    if job.status not in OPEN:
        raise Conflict(what=f"evaluation {job.id} is {job.status}; it takes no result", fix="request a new one")
    model = model_store.find(session, spec["model"])
    dataset = resolve(session, m.Dataset, spec["dataset"], where="dataset")
    evaluator = resolve(session, m.Organisation, spec["evaluator"], where="evaluator")
    result = m.EvaluationResult(
        model_id=model.id,
        dataset_id=dataset.id,
        evaluator_org_id=evaluator.id,
        metrics=document["metrics"],
        signature=signature,
        job_id=job.id,
        node_id=node.id,
        model_sha256=found["model.sha256"],
        dataset_fingerprint=found["dataset.fingerprint"],
        code_version=str(document.get("code_version", ""))[:40],
        slices=document["slices"],
        document=document,
    )
    session.add(result)
    job.status = "completed"
    job.rounds_done = 1
    job.spec = {**spec, "ended_at": datetime.now(UTC).isoformat(), "result": None}
    session.flush()
    job.spec = {**job.spec, "result": result.id}
    chain.append(
        session,
        kind="evaluation.result",
        subject=f"evaluation:{result.id}",
        payload={
            "job": job.id,
            "model": spec["model"],
            "model_sha256": result.model_sha256,
            "dataset": spec["dataset"],
            "dataset_fingerprint": result.dataset_fingerprint,
            "code_version": result.code_version,
            "document_sha256": hashlib.sha256(documents.canonical_json(document)).hexdigest(),
            "node_signature": signature,
        },
        actor=node.id,
        node=act,
    )
    return result


def fail(session: Session, job: m.Job, reason: str, actor: str = "space") -> m.Job:
    """Close an open evaluation as failed, with the reason (from the node, or the space's own)."""
    if job.status not in OPEN:
        return job
    job.status = "failed"
    job.spec = {**job.spec, "reason": reason[:2000], "ended_at": datetime.now(UTC).isoformat()}
    session.flush()
    chain.append(session, kind="evaluation.failed", subject=f"job:{job.id}", payload={"reason": reason[:2000]},
                 actor=actor)  # fmt: skip
    return job


def report_failure(session: Session, node: m.Node, job_id: int | str, reason: str) -> m.Job:
    return fail(session, _node_job(session, node, job_id), reason, actor=node.id)


# --- reading ------------------------------------------------------------------------------------------------


def verified(session: Session, result: m.EvaluationResult) -> bool:
    """Check the stored signature again against the node's enrolled key (the stored document, as signed)."""
    node = session.get(m.Node, result.node_id) if result.node_id else None
    return node is not None and documents.verify(result.document or {}, result.signature, node.public_key)


def result_dict(session: Session, result: m.EvaluationResult) -> dict[str, Any]:
    model = session.get(m.ModelVersion, result.model_id)
    dataset = session.get(m.Dataset, result.dataset_id)
    evaluator = session.get(m.Organisation, result.evaluator_org_id)
    return {
        "id": result.id,
        "job": result.job_id,
        "model": display_key(model),
        "model_sha256": result.model_sha256,
        "dataset": display_key(dataset),
        "dataset_fingerprint": result.dataset_fingerprint,
        "code_version": result.code_version,
        "evaluator": evaluator.code if evaluator else None,
        "node": result.node_id,
        "rows": (result.document or {}).get("rows"),
        "task": (result.document or {}).get("task"),
        "metrics": result.metrics,
        "slices": result.slices,
        "watched": (result.document or {}).get("watched", []),
        "signature": result.signature,
        "signature_verified": verified(session, result),
        "evaluated_at": (result.document or {}).get("evaluated_at"),
    }


def as_dict(session: Session, job: m.Job) -> dict[str, Any]:
    result = result_of(session, job)
    spec = job.spec
    return {
        "id": job.id,
        "status": job.status,
        "model": spec.get("model"),
        "model_sha256": spec.get("model_sha256"),
        "dataset": spec.get("dataset"),
        "dataset_fingerprint": spec.get("dataset_fingerprint"),
        "evaluator": spec.get("evaluator"),
        "node": spec.get("node"),
        "reason": spec.get("reason", ""),
        "requested_at": job.created_at.isoformat() if job.created_at else None,
        "result": result_dict(session, result) if result is not None else None,
    }


def list_runs(session: Session, status: str | None = None) -> list[m.Job]:
    stmt = select(m.Job).where(m.Job.kind == KIND).order_by(m.Job.id)
    if status:
        stmt = stmt.where(m.Job.status == status)
    return list(session.scalars(stmt))


def wait(
    sessions: Callable[[], Session],
    job_id: int,
    *,
    timeout: float,
    on_status: Callable[[str], None] = lambda _: None,
    poll: float = 0.5,
) -> dict[str, Any]:
    """Follow an evaluation until it completes or fails (or ``timeout`` seconds); calls ``on_status`` on change."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        with sessions() as session:
            job = get(session, job_id)
            if job.status != last:
                last = job.status
                on_status(last)
            if job.status not in OPEN:
                return as_dict(session, job)
        if time.monotonic() > deadline:
            raise ResonanceError(
                what=f"evaluation {job_id} is still {last} after {timeout:g} s",
                where=f"job {job_id}",
                fix="check that the evaluator's node runs `resonance node serve`; follow it with "
                f"`resonance eval status {job_id}`",
                code="evaluation_timeout",
                status=504,
            )
        time.sleep(poll)
