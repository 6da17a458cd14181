"""Leaderboards (评测榜单): per evaluation dataset and metric, the models ranked by their signed results.

    rows(session, industry="machine_tools", scenario=None, metric="auc") -> [{board, rank, model, value, …}]

Only results that came back from an evaluator's node with a valid signature are ranked (a row added through
the generic registry API, or a stored document edited afterwards, is left out). For each model version and
evaluation dataset the newest result counts. A board is one evaluation dataset × one metric: models are only
comparable on the same data. Ranks are judged by the confidence intervals (``metrics.compare``): a model's rank
is 1 + the number of models *significantly* better than it, so models whose difference the evaluation data
cannot resolve share a place, and each row names the models it ties with. Every row carries what is needed to
reproduce it: the model version's ONNX hash, the evaluation dataset's version hash and the code version.

Without ``metric`` each board shows the task's headline metric (AUC for classification, RMSE for regression).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.evaluation import runs
from resonance.evaluation.metrics import MetricValue, compare, higher_is_better
from resonance.registry import models as m
from resonance.registry.references import display_key, resolve

HEADLINE = {"classification": "auc", "regression": "rmse"}


def _industry_filter(session: Session, industry: str | None) -> int | None:
    return resolve(session, m.Industry, industry, where="industry").id if industry else None


def _scenario_filter(session: Session, scenario: str | None) -> int | None:
    return resolve(session, m.Scenario, scenario, where="scenario").id if scenario else None


def _latest_verified(session: Session) -> list[m.EvaluationResult]:
    results = session.scalars(
        select(m.EvaluationResult).where(m.EvaluationResult.job_id.is_not(None)).order_by(m.EvaluationResult.id)
    ).all()
    latest: dict[tuple[int, int], m.EvaluationResult] = {}
    for result in results:
        if runs.verified(session, result):
            latest[(result.model_id, result.dataset_id)] = result
    return list(latest.values())


def _code(session: Session, model: type[m.Base], row_id: int | None) -> str | None:
    row = session.get(model, row_id) if row_id is not None else None
    return getattr(row, "code", None) if row is not None else None


def rows(
    session: Session, industry: str | None = None, scenario: str | None = None, metric: str | None = None
) -> list[dict[str, Any]]:
    """Every board's rows (see the module docstring), ordered by industry, scenario, dataset, metric, rank.

    ``industry``/``scenario``: code or 中文名 (an unknown one is refused); a model counts for the scenario its
    version names, else the scenario of the evaluation dataset. ``metric``: e.g. auc, f1, recall_at_precision,
    rmse, mae, or a scenario-defined one; a board only lists models evaluated with it."""
    industry_id = _industry_filter(session, industry)
    scenario_id = _scenario_filter(session, scenario)
    boards: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for result in _latest_verified(session):
        model = session.get(m.ModelVersion, result.model_id)
        dataset = session.get(m.Dataset, result.dataset_id)
        scenario_of = model.scenario_id or dataset.scenario_id
        if industry_id is not None and dataset.industry_id != industry_id:
            continue
        if scenario_id is not None and scenario_of != scenario_id:
            continue
        task = (result.document or {}).get("task", "classification")
        name = metric or HEADLINE.get(task, "auc")
        value = (result.metrics or {}).get(name)
        if not isinstance(value, dict):
            continue
        evaluator = session.get(m.Organisation, result.evaluator_org_id)
        entry = {
            "industry": _code(session, m.Industry, dataset.industry_id),
            "scenario": _code(session, m.Scenario, scenario_of),
            "dataset": display_key(dataset),
            "dataset_fingerprint": result.dataset_fingerprint,
            "metric": name,
            "higher_is_better": higher_is_better(name),
            "model": display_key(model),
            "model_sha256": result.model_sha256,
            "developer": _code(session, m.Organisation, model.developer_org_id),
            "value": value.get("value"),
            "low": value.get("low"),
            "high": value.get("high"),
            "rows": (result.document or {}).get("rows"),
            "evaluator": evaluator.code if evaluator else None,
            "evaluation": result.id,
            "job": result.job_id,
            "code_version": result.code_version,
            "evaluated_at": (result.document or {}).get("evaluated_at"),
            "signature_verified": True,
        }
        boards.setdefault((entry["dataset"], name), []).append(entry)
    out: list[dict[str, Any]] = []
    for (dataset_key, name), entries in boards.items():
        rank(entries, name)
        for entry in entries:
            entry["board"] = f"{dataset_key} · {name}"
        out.extend(entries)
    out.sort(
        key=lambda r: (
            r["industry"] or "", r["scenario"] or "", r["dataset"], r["metric"], r["rank"], _sort_value(r), r["model"]
        )
    )  # fmt: skip
    return out


def _metric_value(entry: dict[str, Any], name: str) -> MetricValue:
    return MetricValue.from_dict({"name": name, **entry, "higher_is_better": higher_is_better(name)})


def rank(entries: list[dict[str, Any]], name: str, key: str = "model") -> None:
    """Set ``rank`` (1 + how many entries are significantly better, by the intervals) and ``ties`` (the ``key``
    of each entry whose interval overlaps) on every entry of one board."""
    values = [_metric_value(e, name) for e in entries]
    for entry, mine in zip(entries, values, strict=True):
        verdicts = [(other, compare(theirs, mine)) for other, theirs in zip(entries, values, strict=True)
                    if other is not entry]  # fmt: skip
        entry["rank"] = 1 + sum(1 for _, verdict in verdicts if verdict == "better")
        entry["ties"] = sorted(other[key] for other, verdict in verdicts if verdict == "tie")


def _sort_value(entry: dict[str, Any]) -> float:
    value = entry["value"]
    if value is None:
        return float("inf")
    return -value if entry["higher_is_better"] else value
