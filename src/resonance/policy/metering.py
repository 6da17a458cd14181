"""计量 metering per job × provider dataset: rounds, samples used, compute seconds and ε spent.

``record`` adds one round's usage (or several at once); the totals feed contribution estimates, 收益分配 and
the report tables. Rows are keyed by (job, dataset): one provider dataset takes part in a job once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.errors import ResonanceError
from resonance.registry import models as m
from resonance.registry.references import display_key, resolve


def _check(name: str, value: Any, kind: type | tuple[type, ...]) -> None:
    if isinstance(value, bool) or not isinstance(value, kind) or value < 0 or value == float("inf"):
        raise ResonanceError(
            what=f"{name} must be a finite number ≥ 0 (got {value!r})", where=name, code="validation_error", status=422
        )


def record(
    session: Session,
    *,
    job: str,
    dataset: str,
    rounds: int = 1,
    samples: int = 0,
    seconds: float = 0.0,
    epsilon: float = 0.0,
    node: str = "",
    contract_id: int | None = None,
) -> m.Metering:
    """Add usage of ``dataset`` by ``job`` (the provider is the dataset's owner); returns the running totals."""
    if not isinstance(job, str) or not job.strip() or len(job) > 80:
        raise ResonanceError(
            what="a job reference is 1–80 characters", where="job", code="validation_error", status=422
        )
    _check("rounds", rounds, int)
    _check("samples", samples, int)
    _check("seconds", seconds, int | float)
    _check("epsilon", epsilon, int | float)
    row = resolve(session, m.Dataset, dataset, where="dataset")
    meter = session.scalars(
        select(m.Metering).where(m.Metering.job_ref == job, m.Metering.dataset_id == row.id)
    ).first()
    if meter is None:
        meter = m.Metering(
            job_ref=job,
            dataset_id=row.id,
            provider_org_id=row.owner_org_id,
            contract_id=contract_id,
            node_id=node or row.node_id or "",
            rounds=0,
            samples=0,
            compute_seconds=0.0,
            epsilon=0.0,
        )
        session.add(meter)
    meter.rounds += rounds
    meter.samples += samples
    meter.compute_seconds += float(seconds)
    meter.epsilon += float(epsilon)
    if contract_id is not None:
        meter.contract_id = contract_id
    session.flush()
    return meter


def as_dict(session: Session, meter: m.Metering) -> dict[str, Any]:
    org = session.get(m.Organisation, meter.provider_org_id)
    return {
        "job": meter.job_ref,
        "dataset": display_key(session.get(m.Dataset, meter.dataset_id)),
        "provider": org.code if org else None,
        "node": meter.node_id,
        "contract": meter.contract_id,
        "rounds": meter.rounds,
        "samples": meter.samples,
        "compute_seconds": round(meter.compute_seconds, 6),
        "epsilon": meter.epsilon,
    }


def read(session: Session, *, job: str | None = None, provider: str | None = None) -> list[dict[str, Any]]:
    """Metering rows, for one job and/or one provider organisation, oldest first."""
    stmt = select(m.Metering).order_by(m.Metering.id)
    if job:
        stmt = stmt.where(m.Metering.job_ref == job)
    if provider:
        stmt = stmt.where(m.Metering.provider_org_id == resolve(session, m.Organisation, provider, "provider").id)
    return [as_dict(session, meter) for meter in session.scalars(stmt)]
