"""Training jobs at the space: submit (check everything, then record), follow a run, finish (model, metering, ledger).

``submit`` refuses a job as a whole — nothing recorded — when a dataset is unknown or unpublished, its node is not
approved, no FINALIZED contract covers the job's consumer, purpose and operation, or the provider's node would
refuse it at start (its own decision, taken here first with the space's records: expiry, rounds cap, minimum
nodes, DP required, ε budget). The plan it records is what every node receives (no paths, no rows).

``follow`` reads the ServerApp's ``progress.jsonl`` while the run goes: each round updates the job row and
appends a ``job.round`` ledger event; ``finish`` registers the ModelVersion with its lineage, records metering
per provider and appends ``model.published`` and ``job.ended``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resonance.errors import NotFound, Problem, ResonanceError
from resonance.federation import model_store
from resonance.federation.jobspec import JobSpec
from resonance.federation.learning import dp
from resonance.federation.learning.encoding import with_vocabularies
from resonance.federation.plan import Assignment, JobPlan
from resonance.ledger import chain as ledger
from resonance.policy import budget, enforce, metering
from resonance.policy import contracts as policy_contracts
from resonance.policy.terms import Decision, JobRequest
from resonance.registry import models as m
from resonance.registry.references import display_key, resolve

TERMINAL = ("completed", "stopped", "failed", "cancelled")


def job_dir(space_home: Path, job_id: int) -> Path:
    return space_home / "jobs" / str(job_id)


def planned_epsilon(spec: JobSpec) -> float | None:
    if spec.privacy is None:
        return None
    return dp.epsilon_spent(spec.privacy.noise_multiplier, spec.training.rounds, spec.privacy.delta)


def submit(session: Session, spec: JobSpec, *, actor: str = "cli") -> tuple[m.Job, JobPlan]:
    """Check the job against the registry and the contracts; record it (``queued``) with its plan."""
    consumer = resolve(session, m.Organisation, spec.consumer, where="JOB.toml: consumer")
    problems: list[Problem] = []
    chosen: list[tuple[m.Dataset, m.Contract, m.Node]] = []
    for index, code in enumerate(spec.datasets):
        where = f"JOB.toml: datasets[{index}] ({code})"
        dataset = _published(session, code)
        if dataset is None:
            problems.append(
                Problem(what="no published dataset has this code", where=where, fix="list them: resonance dataset list")
            )
            continue
        node = session.get(m.Node, dataset.node_id) if dataset.node_id else None
        if node is None or node.status != "approved":
            problems.append(
                Problem(
                    what="the node that holds this dataset is not approved",
                    where=where,
                    fix="the operator approves it: resonance space nodes approve NODE",
                )
            )
            continue
        try:
            contract = policy_contracts.covering(
                session, display_key(dataset), consumer.code, spec.purpose, "federatedTrain"
            )
        except ResonanceError as exc:
            problems.append(Problem(what=exc.what, where=where, fix=exc.fix))
            continue
        decision = _as_the_node_would(session, dataset, contract, spec, consumer.code)
        if not decision.allowed:
            problems.append(Problem(what=f"{decision.code}: {decision.reason_en} / {decision.reason_zh}", where=where))
            continue
        chosen.append((dataset, contract, node))
    if problems:
        raise ResonanceError(
            what=f"the job cannot run: {len(problems)} problem(s): " + "; ".join(str(p) for p in problems),
            where="JOB.toml",
            fix="fix the listed datasets or contracts and submit again; nothing was recorded",
            code="job_refused",
            status=409,
            problems=problems,
        )
    epsilon = planned_epsilon(spec)
    # categorical features: one vocabulary from the published top values (metadata), fixed in the plan for every node
    task = with_vocabularies(spec.task, [dataset.profile or {} for dataset, _, _ in chosen])
    job = m.Job(
        kind="training",
        name=spec.name or spec.model.name_zh,
        submitter_org_id=consumer.id,
        status="queued",
        rounds_total=spec.training.rounds,
        rounds_done=0,
        spec=spec.as_dict(),
    )
    session.add(job)
    session.flush()
    if epsilon is not None:
        for dataset, contract, _ in chosen:
            budget.reserve(
                session,
                dataset=display_key(dataset),
                job=str(job.id),
                epsilon=epsilon,
                contract_id=contract.id,
                actor=actor,
            )
    plan = JobPlan(
        job_id=str(job.id),
        consumer=consumer.code,
        purpose=spec.purpose,
        rounds=spec.training.rounds,
        min_nodes=spec.training.min_nodes,
        task=task,
        participants={
            node.id: Assignment(
                dataset=dataset.code, version=dataset.version, contract=str(contract.id), org=_org_code(session, node)
            )
            for dataset, contract, node in chosen
        },
        secagg=spec.training.secagg,
        round_timeout=spec.training.round_timeout,
        noise_multiplier=spec.privacy.noise_multiplier if spec.privacy else None,
        clip=spec.privacy.clip if spec.privacy else None,
        delta=spec.privacy.delta if spec.privacy else 1e-5,
        epsilon=epsilon,
    )
    job.spec = {**spec.as_dict(), "plan": json.loads(plan.to_json())}
    ledger.append(
        session,
        kind="job.submitted",
        subject=f"job:{job.id}",
        payload={
            "consumer": consumer.code,
            "purpose": spec.purpose,
            "datasets": [{"code": d.code, "version": d.version, "fingerprint": d.fingerprint} for d, _, _ in chosen],
            "contracts": [str(c.id) for _, c, _ in chosen],
            "rounds": spec.training.rounds,
            "epsilon": epsilon,
        },
        actor=actor,
    )
    session.flush()
    return job, plan


def _as_the_node_would(
    session: Session, dataset: m.Dataset, contract: m.Contract, spec: JobSpec, consumer: str
) -> Decision:
    """The decision the provider's node will take at job start, taken here first with the space's records, so
    that a job every node would refuse is refused whole at submission instead of stopping at its first round."""
    used = session.scalar(
        select(func.coalesce(func.sum(m.Metering.rounds), 0)).where(m.Metering.contract_id == contract.id)
    )
    request = JobRequest(
        job_id="(new)",
        consumer_org=consumer,
        purpose=spec.purpose,
        operation="federatedTrain",
        rounds=spec.training.rounds,
        epsilon=planned_epsilon(spec),
        nodes=len(spec.datasets),
    )
    return enforce.decide(
        policy_contracts.terms(session, contract),
        request,
        round_number=0,
        rounds_used=int(used or 0),
        epsilon_spent=budget.spent(session, display_key(dataset), contract.id),
        now=datetime.now(UTC),
    )


def plan_of(job: m.Job) -> JobPlan:
    if "plan" not in (job.spec or {}):
        raise ResonanceError(
            what=f"job {job.id} has no plan: it was not submitted with `resonance job submit`",
            fix="submit a JOB.toml with `resonance job submit`; that checks contracts and budgets and plans the job",
            code="job_not_planned",
            status=409,
        )
    return JobPlan.from_json(json.dumps(job.spec["plan"]))


def get(session: Session, job_id: int | str) -> m.Job:
    try:
        job = session.get(m.Job, int(job_id))
    except ValueError:
        job = None
    if job is None:
        raise NotFound("job", job_id, fix="list jobs with `resonance job list`")
    return job


def mark_running(session: Session, job: m.Job, run_id: str, actor: str = "space") -> None:
    job.status = "running"
    job.spec = {**job.spec, "run_id": run_id}
    ledger.append(session, kind="job.started", subject=f"job:{job.id}", payload={"run": run_id}, actor=actor)


def apply_event(session: Session, job: m.Job, event: dict[str, Any], actor: str = "space") -> None:
    """One line of progress.jsonl: rounds go to the job row and the ledger; refusals and drops to the ledger."""
    kind = event.get("event")
    if kind == "round" and int(event["round"]) > 0:
        job.rounds_done = max(job.rounds_done, int(event["round"]))
        ledger.append(
            session,
            kind="job.round",
            subject=f"job:{job.id}",
            payload={"round": event["round"], "nodes": event.get("nodes", []), "metrics": event.get("metrics", {})},
            actor=actor,
        )
    elif kind in ("refused", "dropped"):
        ledger.append(
            session,
            kind=f"job.node_{kind}",
            subject=f"job:{job.id}",
            payload={"node": event.get("node"), "reason": event.get("reason")},
            actor=actor,
        )


def finish(session: Session, job: m.Job, *, space_home: Path, actor: str = "space") -> m.ModelVersion | None:
    """Read the run's result: register the model, meter each provider, close the job on the ledger."""
    out = job_dir(space_home, job.id)
    result_path = out / "result.json"
    if not result_path.is_file():
        job.status = "failed" if job.status != "cancelled" else job.status
        job.spec = {**job.spec, "reason": job.spec.get("reason") or "the run ended without writing result.json"}
        ledger.append(session, kind="job.ended", subject=f"job:{job.id}", payload={"status": job.status}, actor=actor)
        return None
    result = json.loads(result_path.read_text(encoding="utf-8"))
    plan = plan_of(job)
    job.status = "cancelled" if job.status == "cancelled" else result["status"]
    job.rounds_done = int(result.get("rounds_done", job.rounds_done))
    job.spec = {**job.spec, "reason": result.get("reason", ""), "final": result.get("final", {})}
    model = None
    if result["status"] in ("completed", "stopped") and (out / "model.npz").is_file() and job.rounds_done > 0:
        lineage = {
            "datasets": [
                {"code": a.dataset, "version": a.version, "fingerprint": _fingerprint(session, a), "org": a.org}
                for a in plan.participants.values()
            ],
            "contracts": sorted({a.contract for a in plan.participants.values()}),
            "nodes": sorted(result.get("participants", {})),
            "refused": result.get("refused", {}),
            "rounds": job.rounds_done,
            "strategy": job.spec.get("training", {}).get("strategy"),
            "secagg": plan.secagg,
            "epsilon": plan.epsilon,
        }
        model = model_store.publish(
            session, space_home=space_home, job=job, spec=job.spec, result=result, out=out, lineage=lineage
        )
        ledger.append(
            session,
            kind="model.published",
            subject=f"model:{model.code}@{model.version}",
            payload={"job": job.id, "sha256": model.artifact_sha256, "metrics": result.get("final", {})},
            actor=actor,
        )
    _meter(session, job, plan, result)
    contribution = result.get("contribution") or {}
    if contribution:
        job.spec = {**job.spec, "contribution": contribution}
        if contribution.get("available"):
            ledger.append(
                session,
                kind="job.contribution",
                subject=f"job:{job.id}",
                payload={
                    "method": contribution["method"],
                    "shapley": contribution["shapley"],
                    "leave_one_out": contribution["leave_one_out"],
                    "orgs": contribution["orgs"],
                    "gain": contribution["gain"],
                },
                actor=actor,
            )
    ledger.append(
        session,
        kind="job.ended",
        subject=f"job:{job.id}",
        payload={"status": job.status, "reason": result.get("reason", ""), "rounds": job.rounds_done},
        actor=actor,
    )
    return model


def follow(
    sessions: Callable[[], Session],
    job_id: int,
    *,
    space_home: Path,
    offset: int,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> int:
    """Apply the progress lines written since ``offset``; returns the new offset (call it while the run goes)."""
    path = job_dir(space_home, job_id) / "progress.jsonl"
    if not path.is_file():
        return offset
    with path.open("rb") as handle:
        handle.seek(offset)
        chunk = handle.read()
    complete = chunk[: chunk.rfind(b"\n") + 1]
    if not complete:
        return offset
    events = [json.loads(line) for line in complete.decode("utf-8").splitlines() if line.strip()]
    with sessions() as session, session.begin():
        job = get(session, job_id)
        for event in events:
            apply_event(session, job, event)
    for event in events:
        if on_event:
            on_event(event)
    return offset + len(complete)


def _published(session: Session, code: str) -> m.Dataset | None:
    rows = session.scalars(select(m.Dataset).where(m.Dataset.code == code, m.Dataset.node_id.is_not(None))).all()
    return max(rows, key=lambda r: (len(r.version), r.version)) if rows else None


def _org_code(session: Session, node: m.Node) -> str:
    return session.get(m.Organisation, node.org_id).code


def _fingerprint(session: Session, assignment: Assignment) -> str | None:
    return session.scalars(
        select(m.Dataset.fingerprint).where(
            m.Dataset.code == assignment.dataset, m.Dataset.version == assignment.version
        )
    ).first()


def _meter(session: Session, job: m.Job, plan: JobPlan, result: dict[str, Any]) -> None:
    rounds_by_node: dict[str, int] = result.get("node_rounds", {})
    for node_id, assignment in plan.participants.items():
        rounds = rounds_by_node.get(node_id, 0)
        dataset = f"{assignment.dataset}@{assignment.version}"
        epsilon = (
            dp.epsilon_spent(plan.noise_multiplier, rounds, plan.delta) if plan.noise_multiplier and rounds else 0.0
        )
        if plan.epsilon is not None:  # the reservation made at submit becomes what was really spent
            if rounds:
                budget.settle(session, dataset=dataset, job=str(job.id), epsilon=min(epsilon, plan.epsilon))
            else:
                budget.release(session, dataset=dataset, job=str(job.id))
        if rounds == 0:
            continue
        metering.record(
            session,
            job=str(job.id),
            dataset=dataset,
            node=node_id,
            rounds=rounds,
            samples=int(result.get("samples", {}).get(node_id, 0)),
            seconds=float(result.get("node_seconds", {}).get(node_id, 0.0)),
            epsilon=epsilon,
            contract_id=int(assignment.contract),
        )
