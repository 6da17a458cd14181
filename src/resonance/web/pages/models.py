"""Models (行业模型 / 专用模型) with lineage and per-round metrics, and the leaderboards of signed evaluations."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.api.deps import SessionDep
from resonance.registry import models as m
from resonance.registry.concepts import CONCEPTS
from resonance.registry.reading import read_one
from resonance.web import charts
from resonance.web.auth import LangDep, PrincipalDep
from resonance.web.pages import page_router
from resonance.web.pages._listing import readable_row, search_page
from resonance.web.templating import render

router = page_router()
LOWER_IS_BETTER = ("loss", "rmse", "mae", "mse", "error", "brier")


@router.get("/models")
def model_list(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    lang: LangDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    industry: Annotated[str, Query(max_length=80)] = "",
    kind: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    return search_page(
        request,
        session,
        principal,
        "models",
        q=q,
        industry=industry,
        page=page,
        facet=("kind", kind, "model_kind", "kinds"),
    )


def evaluations(session: Session, model_id: int | None = None) -> list[dict[str, Any]]:
    """Evaluation results with the model, dataset and evaluator codes (newest first)."""
    stmt = (
        select(m.EvaluationResult, m.ModelVersion.code, m.ModelVersion.version, m.Dataset.code, m.Organisation.code)
        .join(m.ModelVersion, m.ModelVersion.id == m.EvaluationResult.model_id)
        .join(m.Dataset, m.Dataset.id == m.EvaluationResult.dataset_id)
        .join(m.Organisation, m.Organisation.id == m.EvaluationResult.evaluator_org_id)
        .order_by(m.EvaluationResult.id.desc())
        .limit(1000)
    )
    if model_id is not None:
        stmt = stmt.where(m.EvaluationResult.model_id == model_id)
    return [
        {
            "id": ev.id,
            "model": f"{code}@{version}",
            "dataset": dataset,
            "evaluator": evaluator,
            "metrics": {k: v for k, v in (ev.metrics or {}).items() if isinstance(v, int | float | str)},
            "signed": bool(ev.signature),
            "created_at": ev.created_at,
        }
        for ev, code, version, dataset, evaluator in session.execute(stmt)
    ]


def primary_metric(rows: list[dict[str, Any]]) -> tuple[str | None, bool]:
    """The metric a board ranks by (the first numeric one all rows share) and whether higher is better."""
    shared: set[str] | None = None
    for row in rows:
        numeric = {k for k, v in row["metrics"].items() if isinstance(v, int | float) and not isinstance(v, bool)}
        shared = numeric if shared is None else shared & numeric
    if not shared:
        return None, True
    name = sorted(shared)[0]
    return name, not any(word in name.lower() for word in LOWER_IS_BETTER)


def leaderboards(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One board per evaluation dataset: the models ranked by the primary metric."""
    by_dataset: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_dataset[row["dataset"]].append(row)
    boards = []
    for dataset, entries in sorted(by_dataset.items()):
        metric, higher = primary_metric(entries)
        if metric is not None:
            entries = sorted(entries, key=lambda r: r["metrics"][metric], reverse=higher)
        boards.append({"dataset": dataset, "metric": metric, "higher": higher, "entries": entries})
    return boards


@router.get("/models/{key}")
def model(request: Request, key: str, session: SessionDep, principal: PrincipalDep, lang: LangDep) -> Response:
    row: m.ModelVersion = readable_row(session, principal, "models", key)
    metrics = row.metrics or {}
    rounds = metrics.get("rounds") if isinstance(metrics.get("rounds"), list) else []
    final = metrics.get("final") if isinstance(metrics.get("final"), dict) else None
    flat = {k: v for k, v in metrics.items() if k not in ("rounds", "final")}
    return render(
        request,
        "model.html",
        md=read_one(session, CONCEPTS["models"], row),
        lineage=row.lineage or {},
        final=final if final is not None else flat,
        rounds_chart=charts.round_metrics(rounds, lang),
        evaluations=evaluations(session, row.id),
    )


@router.get("/leaderboards")
def boards(request: Request, session: SessionDep, principal: PrincipalDep, lang: LangDep) -> Response:
    return render(request, "leaderboards.html", boards=leaderboards(evaluations(session)))
