"""Differential-privacy ε per dataset, accounted across jobs: reserve before a job, settle after it.

A job reserves the ε it will spend on each dataset before it starts. The reservation is refused when it would
take the dataset past either cap: the contract's ε budget (this consumer's share) or the dataset's own policy
budget (every consumer together). ``spent`` counts reserved and spent ε alike, so two jobs cannot both take
the last of a budget; ``release`` gives back a reservation a job did not use (cancelled before its first round).

Flower's ``PrivacyAccountant`` tracks ε inside one run; this module is the registry's ledger of ε *between*
runs, which Flower does not keep.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resonance.errors import Conflict, NotFound, ResonanceError
from resonance.ledger import chain
from resonance.policy import contracts
from resonance.registry import models as m
from resonance.registry.references import display_key, resolve

_SLACK = 1e-9
COUNTED = ("reserved", "spent")


def _lock(session: Session, dataset_id: int) -> None:
    # serialise reservations of one dataset on PostgreSQL; SQLite has a single writer anyway
    session.scalars(select(m.Dataset.id).where(m.Dataset.id == dataset_id).with_for_update()).first()


def spent(session: Session, dataset: str, contract_id: int | None = None) -> float:
    """ε reserved or spent so far on ``dataset`` (under one contract when ``contract_id`` is given)."""
    row = resolve(session, m.Dataset, dataset, where="dataset")
    stmt = select(func.coalesce(func.sum(m.EpsilonSpending.epsilon), 0.0)).where(
        m.EpsilonSpending.dataset_id == row.id, m.EpsilonSpending.status.in_(COUNTED)
    )
    if contract_id is not None:
        stmt = stmt.where(m.EpsilonSpending.contract_id == contract_id)
    return float(session.scalar(stmt) or 0.0)


def dataset_budget(session: Session, dataset: m.Dataset) -> float | None:
    policy = contracts.dataset_policy(session, dataset)
    return policy.constraints().epsilon_budget if policy is not None else None


def reserve(
    session: Session, *, dataset: str, job: str, epsilon: float, contract_id: int | None = None, actor: str = "space"
) -> m.EpsilonSpending:
    """Reserve ``epsilon`` for ``job`` on ``dataset``; refused (409, code ``epsilon_exhausted``) past a budget.

    A job reserves once per dataset (a second reservation is a 409 duplicate).
    """
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float) or not 0 < epsilon < float("inf"):
        raise ResonanceError(
            what=f"ε must be a finite number > 0 (got {epsilon!r})",
            where="epsilon",
            code="validation_error",
            status=422,
        )
    if not isinstance(job, str) or not job.strip() or len(job) > 80:
        raise ResonanceError(
            what="a job reference is 1–80 characters", where="job", code="validation_error", status=422
        )
    row = resolve(session, m.Dataset, dataset, where="dataset")
    _lock(session, row.id)
    existing = session.scalars(
        select(m.EpsilonSpending).where(m.EpsilonSpending.dataset_id == row.id, m.EpsilonSpending.job_ref == job)
    ).first()
    if existing is not None:
        raise Conflict(what=f"job {job} already reserved ε on {display_key(row)}", fix="reserve once per job")
    caps: list[tuple[str, float, float]] = []
    if contract_id is not None:
        contract = contracts.get(session, contract_id)
        if contract.dataset_id != row.id:
            raise ResonanceError(
                what=f"contract {contract_id} is not about {display_key(row)}", where="contract", status=422
            )
        if contract.epsilon_budget is not None:
            caps.append((f"contract {contract.id}", contract.epsilon_budget, spent(session, dataset, contract.id)))
    overall = dataset_budget(session, row)
    if overall is not None:
        caps.append((f"dataset {display_key(row)}", overall, spent(session, dataset)))
    for label, budget, used in caps:
        if used + epsilon > budget + _SLACK:
            raise ResonanceError(
                what=f"ε budget of {label} would be exceeded: budget {budget:g}, spent {used:g}, job asks {epsilon:g}"
                f"（隐私预算不足：预算 {budget:g}，已用 {used:g}，本任务需 {epsilon:g}）",
                where="epsilon",
                fix=f"ask for at most {max(budget - used, 0):g}, or negotiate a new contract with a larger budget",
                code="epsilon_exhausted",
                status=409,
            )
    spending = m.EpsilonSpending(dataset_id=row.id, contract_id=contract_id, job_ref=job, epsilon=float(epsilon))
    session.add(spending)
    session.flush()
    chain.append(
        session,
        kind="budget.reserved",
        subject=f"dataset:{display_key(row)}",
        payload={"dataset": display_key(row), "job": job, "epsilon": float(epsilon), "contract": contract_id},
        actor=actor,
    )
    return spending


def _reservation(session: Session, dataset: str, job: str) -> m.EpsilonSpending:
    row = resolve(session, m.Dataset, dataset, where="dataset")
    found = session.scalars(
        select(m.EpsilonSpending).where(m.EpsilonSpending.dataset_id == row.id, m.EpsilonSpending.job_ref == job)
    ).first()
    if found is None:
        raise NotFound("ε reservation", f"{job} on {dataset}", fix="reserve ε for the job first")
    return found


def settle(session: Session, *, dataset: str, job: str, epsilon: float | None = None) -> m.EpsilonSpending:
    """Mark a reservation spent; ``epsilon`` (≤ the reservation) records what the job really spent."""
    found = _reservation(session, dataset, job)
    if epsilon is not None:
        if not 0 <= epsilon <= found.epsilon + _SLACK:
            raise ResonanceError(
                what=f"a job cannot spend ε {epsilon:g}: it reserved {found.epsilon:g}", where="epsilon", status=422
            )
        found.epsilon = float(epsilon)
    found.status = "spent"
    session.flush()
    return found


def release(session: Session, *, dataset: str, job: str) -> m.EpsilonSpending:
    """Give back a reservation the job did not use; a spent one cannot be released (409)."""
    found = _reservation(session, dataset, job)
    if found.status == "spent":
        raise Conflict(what=f"job {job} already spent its ε on {dataset}", fix="spent privacy cannot be given back")
    found.status = "released"
    session.flush()
    return found


def summary(session: Session, dataset: str) -> dict[str, Any]:
    """Budget, spent (incl. reserved) and remaining ε of a dataset, with the jobs that used it."""
    row = resolve(session, m.Dataset, dataset, where="dataset")
    budget = dataset_budget(session, row)
    used = spent(session, dataset)
    jobs = session.scalars(
        select(m.EpsilonSpending).where(m.EpsilonSpending.dataset_id == row.id).order_by(m.EpsilonSpending.id)
    )
    return {
        "dataset": display_key(row),
        "budget": budget,
        "spent": used,
        "remaining": None if budget is None else max(budget - used, 0.0),
        "jobs": [{"job": s.job_ref, "epsilon": s.epsilon, "status": s.status, "contract": s.contract_id} for s in jobs],
    }
