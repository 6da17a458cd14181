"""Leaderboard rows for the MCP server: EVALNODE's ``resonance.evaluation.leaderboard.rows`` once it exists.

Until that module lands, ``rows`` reads the ``EvaluationResult`` rows directly (one row per result and metric,
best first); the switch is automatic, so callers never change. Metrics are stored either as a number or as
``{"value", "low", "high"}`` (a bootstrap CI); both are read. Agents' scores on scenario test cases are
stored as ``EvaluationResult`` rows too (``resonance.agents.scoring``), with ``metrics.subject = "agent:CODE"``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.registry import models as m
from resonance.registry.references import resolve

LOWER_IS_BETTER = frozenset({"rmse", "mae", "loss", "log_loss", "brier"})


def rows(
    session: Session, industry: str | None = None, scenario: str | None = None, metric: str | None = None
) -> list[dict[str, Any]]:
    try:
        from resonance.evaluation import leaderboard as evaluation_leaderboard  # type: ignore[attr-defined]
    except ImportError:
        evaluation_leaderboard = None
    if evaluation_leaderboard is not None and hasattr(evaluation_leaderboard, "rows"):
        return list(evaluation_leaderboard.rows(session, industry=industry, scenario=scenario, metric=metric))
    return direct_rows(session, industry=industry, scenario=scenario, metric=metric)


def _value(raw: Any) -> tuple[float | None, float | None, float | None]:
    if isinstance(raw, dict):
        raw_value = raw.get("value")
        value = float(raw_value) if isinstance(raw_value, int | float) and not isinstance(raw_value, bool) else None
        low, high = raw.get("low"), raw.get("high")
        return (
            value,
            float(low) if isinstance(low, int | float) else None,
            float(high) if isinstance(high, int | float) else None,
        )
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw), None, None
    return None, None, None


def direct_rows(
    session: Session, industry: str | None = None, scenario: str | None = None, metric: str | None = None
) -> list[dict[str, Any]]:
    """One row per (evaluation result, numeric metric), best first per metric."""
    stmt = (
        select(m.EvaluationResult, m.ModelVersion, m.Dataset, m.Organisation)
        .join(m.ModelVersion, m.ModelVersion.id == m.EvaluationResult.model_id)
        .join(m.Dataset, m.Dataset.id == m.EvaluationResult.dataset_id)
        .join(m.Organisation, m.Organisation.id == m.EvaluationResult.evaluator_org_id)
    )
    if industry:
        stmt = stmt.where(m.ModelVersion.industry_id == resolve(session, m.Industry, industry, where="industry").id)
    if scenario:
        stmt = stmt.where(m.ModelVersion.scenario_id == resolve(session, m.Scenario, scenario, where="scenario").id)
    out: list[dict[str, Any]] = []
    for result, model, dataset, evaluator in session.execute(stmt.order_by(m.EvaluationResult.id)).all():
        subject = result.metrics.get("subject") or f"model:{model.code}@{model.version}"
        for name, raw in sorted(result.metrics.items()):
            value, low, high = _value(raw)
            if value is None or (metric and name != metric):
                continue
            out.append(
                {
                    "subject": subject,
                    "model": f"{model.code}@{model.version}",
                    "model_sha256": model.artifact_sha256,
                    "dataset": f"{dataset.code}@{dataset.version}",
                    "dataset_fingerprint": dataset.fingerprint,
                    "evaluator": evaluator.code,
                    "metric": name,
                    "value": value,
                    "low": low,
                    "high": high,
                    "evaluation": result.id,
                }
            )
    out.sort(key=lambda r: (r["metric"], r["value"] if r["metric"] in LOWER_IS_BETTER else -r["value"]))
    for rank_from, row in enumerate(out):
        same = [r for r in out[: rank_from + 1] if r["metric"] == row["metric"]]
        row["rank"] = len(same)
    return out
