"""Data demands (数据需求): from a diagnosed slice to the providers whose published data can cover it, and back.

    route_result(session, evaluation_id, actor=…)   # one DataDemand per (slice, covering dataset)
    answer(session, demand_id, dataset="ai4i-l@2", org="mill-l", actor=…)   # open → answered
    close(session, demand_id, actor=…, note="retrained: job 7")              # answered → closed

Routing reads metadata only: each slice of a signed evaluation result goes through ``demands.route`` over the
published profiles of the datasets of the evaluation dataset's industry (evaluation datasets excluded), and each
covering dataset's owner gets a demand with the number of examples wanted. A provider answers with a *new*
dataset version it published after the demand (the answer links the two); the demand is closed once a model was
retrained with it. Every step is a ledger event (``demand.routed``, ``demand.answered``, ``demand.closed``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.errors import Conflict, Forbidden, NotFound, ResonanceError
from resonance.evaluation.demands import route
from resonance.evaluation.slices import Slice
from resonance.ledger import chain
from resonance.registry import models as m
from resonance.registry.references import display_key, resolve

STATES = ("open", "answered", "closed")
STATES_ZH = {"open": "待响应", "answered": "已响应", "closed": "已关闭"}


def _profiles(session: Session, industry_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(m.Dataset)
        .where(m.Dataset.industry_id == industry_id, m.Dataset.status == "published", m.Dataset.kind != "evaluation")
        .order_by(m.Dataset.id)
    ).all()
    out = []
    for row in rows:
        if not isinstance(row.profile, dict) or not isinstance(row.profile.get("rows"), int):
            continue
        owner = session.get(m.Organisation, row.owner_org_id)
        out.append({"dataset": display_key(row), "owner": owner.code, "node": row.node_id, "profile": row.profile})
    return out


def route_result(session: Session, evaluation: int | str, *, actor: str, minimum: int = 30) -> list[m.DataDemand]:
    """Demands for every diagnosed slice of a signed evaluation result; routing the same result again returns
    the demands already made (idempotent)."""
    text = str(evaluation).strip()
    result = session.get(m.EvaluationResult, int(text)) if text.isdigit() and len(text) < 12 else None
    if result is None or result.job_id is None:
        raise NotFound("evaluation result", evaluation, fix="route a signed result (`resonance eval list`)")
    existing = list(
        session.scalars(select(m.DataDemand).where(m.DataDemand.evaluation_id == result.id).order_by(m.DataDemand.id))
    )
    if existing:
        return existing
    dataset = session.get(m.Dataset, result.dataset_id)
    profiles = _profiles(session, dataset.industry_id)
    made: list[m.DataDemand] = []
    for index, item in enumerate(result.slices or []):
        found = Slice.from_dict(item)
        for target in route(found, profiles, minimum=minimum):
            if target.wanted < 1:
                continue
            owner = resolve(session, m.Organisation, target.owner, where=f"slices[{index}]")
            routed = resolve(session, m.Dataset, target.dataset, where=f"slices[{index}]")
            description = item.get("description") or {"en": found.describe("en"), "zh": found.describe("zh")}
            demand = m.DataDemand(
                evaluation_id=result.id,
                target_org_id=owner.id,
                industry_id=dataset.industry_id,
                slice_description=f"{description.get('zh', '')} / {description.get('en', '')}"[:4000],
                examples_wanted=int(target.wanted),
                status="open",
                dataset_id=routed.id,
                slice={**found.as_dict(), "index": index, "route": target.as_dict()},
                answer_note="",
            )
            session.add(demand)
            session.flush()
            chain.append(
                session,
                kind="demand.routed",
                subject=f"demand:{demand.id}",
                payload={
                    "demand": demand.id,
                    "evaluation": result.id,
                    "target": owner.code,
                    "dataset": target.dataset,
                    "slice": found.condition(),
                    "examples_wanted": demand.examples_wanted,
                },
                actor=actor,
            )
            made.append(demand)
    return made


def get(session: Session, demand_id: int | str) -> m.DataDemand:
    text = str(demand_id).strip()
    row = session.get(m.DataDemand, int(text)) if text.isdigit() and len(text) < 12 else None
    if row is None:
        raise NotFound("data demand", demand_id, fix="list demands with `resonance demand list`")
    return row


def list_demands(
    session: Session, *, target: str | None = None, status: str | None = None, evaluation: int | None = None
) -> list[m.DataDemand]:
    stmt = select(m.DataDemand).order_by(m.DataDemand.id)
    if target:
        stmt = stmt.where(m.DataDemand.target_org_id == resolve(session, m.Organisation, target, "target").id)
    if status:
        if status not in STATES:
            raise ResonanceError(what=f"unknown demand state {status!r}", where="status",
                                 fix=f"use one of: {', '.join(STATES)}", code="validation_error")  # fmt: skip
        stmt = stmt.where(m.DataDemand.status == status)
    if evaluation is not None:
        stmt = stmt.where(m.DataDemand.evaluation_id == evaluation)
    return list(session.scalars(stmt))


def answer(
    session: Session, demand_id: int | str, *, dataset: str, org: str, actor: str, note: str = ""
) -> m.DataDemand:
    """The target provider answers an open demand with a dataset version it published after the demand."""
    demand = get(session, demand_id)
    provider = resolve(session, m.Organisation, org, where="org")
    if provider.id != demand.target_org_id:
        raise Forbidden(f"demand {demand.id} is addressed to another organisation, not {provider.code}",
                        fix="answer the demands addressed to you (`resonance demand list --org …`)")  # fmt: skip
    if demand.status != "open":
        raise Conflict(what=f"demand {demand.id} is {demand.status}, not open; it was answered already",
                       fix="see it with `resonance demand show " + str(demand.id) + "`")  # fmt: skip
    row = resolve(session, m.Dataset, dataset, where="dataset")
    key = display_key(row)
    problems = []
    if row.owner_org_id != provider.id:
        problems.append(f"{key} belongs to another organisation")
    if row.status != "published" or not row.node_id:
        problems.append(f"{key} is not published by a node")
    if row.kind == "evaluation":
        problems.append(f"{key} is an evaluation dataset")
    if row.id == demand.dataset_id or (row.published_at and demand.created_at and row.published_at < demand.created_at):
        problems.append(f"{key} is not a new version: it was published before the demand")
    if problems:
        raise ResonanceError(
            what=f"{key} cannot answer demand {demand.id}: " + "; ".join(problems),
            where="dataset",
            fix="publish the data that covers the slice as a new version at your node (`resonance data publish`), "
            "then answer with it",
            code="bad_answer",
            status=422,
        )
    demand.answer_dataset_id = row.id
    demand.answer_note = note.strip()[:2000]
    demand.status = "answered"
    demand.answered_at = datetime.now(UTC)
    session.flush()
    payload = {"demand": demand.id, "dataset": key, "fingerprint": row.fingerprint, "note": demand.answer_note}
    chain.append(session, kind="demand.answered", subject=f"demand:{demand.id}", payload=payload, actor=actor)
    return demand


def close(session: Session, demand_id: int | str, *, actor: str, note: str = "") -> m.DataDemand:
    """Close an answered demand once a model was retrained with the new version (``note`` says which job)."""
    demand = get(session, demand_id)
    if demand.status != "answered":
        raise Conflict(what=f"demand {demand.id} is {demand.status}; only an answered demand is closed",
                       fix="wait for the provider's answer")  # fmt: skip
    demand.status = "closed"
    demand.closed_at = datetime.now(UTC)
    if note:
        demand.answer_note = f"{demand.answer_note}\n{note}".strip()[:2000]
    session.flush()
    chain.append(session, kind="demand.closed", subject=f"demand:{demand.id}", payload={"demand": demand.id,
                 "note": note[:2000]}, actor=actor)  # fmt: skip
    return demand


def as_dict(session: Session, demand: m.DataDemand) -> dict[str, Any]:
    def key(dataset_id: int | None) -> str | None:
        row = session.get(m.Dataset, dataset_id) if dataset_id else None
        return display_key(row) if row else None

    target = session.get(m.Organisation, demand.target_org_id)
    industry = session.get(m.Industry, demand.industry_id)
    route_info = (demand.slice or {}).get("route", {})
    return {
        "id": demand.id,
        "status": demand.status,
        "status_zh": STATES_ZH.get(demand.status, demand.status),
        "evaluation": demand.evaluation_id,
        "target": target.code if target else None,
        "industry": industry.code if industry else None,
        "dataset": key(demand.dataset_id),
        "slice": (demand.slice or {}).get("description") or {"en": demand.slice_description},
        "predicates": (demand.slice or {}).get("predicates", []),
        "slice_index": (demand.slice or {}).get("index"),
        "examples_wanted": demand.examples_wanted,
        "estimated_rows": route_info.get("estimated_rows"),
        "uncertain": route_info.get("uncertain"),
        "answer_dataset": key(demand.answer_dataset_id),
        "answer_note": demand.answer_note,
        "created_at": demand.created_at.isoformat() if demand.created_at else None,
        "answered_at": demand.answered_at.isoformat() if demand.answered_at else None,
        "closed_at": demand.closed_at.isoformat() if demand.closed_at else None,
    }
