"""One flywheel cycle (评测诊断 → 数据集定向优化 → 模型能力提升), recorded: the slice it targeted, the model's metric
on that slice and overall before and after, and the steps (jobs, evaluations, demands, new dataset versions).

``gain`` reads the before/after pair of a metric: values, intervals, and whether the change is resolved by the
intervals (``metrics.compare``) or within their noise. The cycle itself is driven by ``demo.flywheel`` (or by
people, step by step, with ``resonance job submit`` / ``eval run`` / ``demand route|answer``); this module only
keeps its record, in the registry and on the ledger (``flywheel.completed``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.errors import NotFound
from resonance.evaluation.metrics import MetricValue, compare, higher_is_better
from resonance.ledger import chain
from resonance.registry import models as m


def gain(name: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """``{"metric", "before", "after", "change", "verdict"}``; verdict better | worse | tie (by the intervals)."""
    out: dict[str, Any] = {"metric": name, "before": before, "after": after, "change": None, "verdict": None}
    if not before or not after or before.get("value") is None or after.get("value") is None:
        return out
    hib = higher_is_better(name)
    a = MetricValue.from_dict({**after, "name": name, "higher_is_better": hib})
    b = MetricValue.from_dict({**before, "name": name, "higher_is_better": hib})
    out["change"] = round(float(after["value"]) - float(before["value"]), 6)
    out["verdict"] = compare(a, b)
    return out


def record(
    session: Session,
    *,
    model_code: str,
    target: dict[str, Any],
    before: dict[str, Any],
    after: dict[str, Any],
    steps: dict[str, Any],
    seconds: float,
    actor: str,
    status: str = "completed",
) -> m.FlywheelCycle:
    row = m.FlywheelCycle(
        model_code=model_code, status=status, slice=target, before=before, after=after, steps=steps,
        seconds=round(seconds, 2),
    )  # fmt: skip
    session.add(row)
    session.flush()
    chain.append(
        session,
        kind=f"flywheel.{status}",
        subject=f"flywheel:{row.id}",
        payload={"model": model_code, "slice": target.get("condition"), "before": before, "after": after,
                 "steps": steps},
        actor=actor,
    )  # fmt: skip
    return row


def get(session: Session, cycle_id: int | str) -> m.FlywheelCycle:
    text = str(cycle_id).strip()
    row = session.get(m.FlywheelCycle, int(text)) if text.isdigit() and len(text) < 12 else None
    if row is None:
        raise NotFound("flywheel cycle", cycle_id, fix="list cycles with `resonance flywheel list`")
    return row


def list_cycles(session: Session) -> list[m.FlywheelCycle]:
    return list(session.scalars(select(m.FlywheelCycle).order_by(m.FlywheelCycle.id)))


def as_dict(row: m.FlywheelCycle) -> dict[str, Any]:
    return {
        "id": row.id,
        "model": row.model_code,
        "status": row.status,
        "slice": row.slice,
        "before": row.before,
        "after": row.after,
        "steps": row.steps,
        "seconds": row.seconds,
        "at": row.created_at.isoformat() if row.created_at else None,
    }
