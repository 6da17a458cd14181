"""Scenario files (场景档案): a searchable list and each file with what has been built for it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.api.deps import SessionDep
from resonance.registry import models as m
from resonance.registry.concepts import CONCEPTS
from resonance.registry.reading import read_one, to_read
from resonance.web.auth import LangDep, PrincipalDep
from resonance.web.pages import page_router
from resonance.web.pages._listing import readable_row, search_page
from resonance.web.templating import render

router = page_router()
LINKED = (("datasets", m.Dataset), ("models", m.ModelVersion), ("agents", m.Agent), ("cases", m.Case))
CRITERIA = ("potential", "broad_application", "replicable", "ai_suitable")


@router.get("/scenarios")
def scenario_list(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    lang: LangDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    industry: Annotated[str, Query(max_length=80)] = "",
    stage: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    return search_page(
        request,
        session,
        principal,
        "scenarios",
        q=q,
        industry=industry,
        page=page,
        facet=("stage", stage, "process_stage", "stages"),
    )


def linked(session: Session, scenario_id: int) -> dict[str, list[dict[str, Any]]]:
    """The datasets, models, agents and cases registered for the scenario (at most 50 of each)."""
    out = {}
    for name, model in LINKED:
        rows = session.scalars(select(model).where(model.scenario_id == scenario_id).order_by(model.id).limit(50)).all()
        out[name] = to_read(session, CONCEPTS[name], rows)
    return out


@router.get("/scenarios/{key}")
def scenario(request: Request, key: str, session: SessionDep, principal: PrincipalDep, lang: LangDep) -> Response:
    row: m.Scenario = readable_row(session, principal, "scenarios", key)
    return render(
        request,
        "scenario.html",
        sc=read_one(session, CONCEPTS["scenarios"], row),
        criteria=[(c, (row.criteria or {}).get(c) or {}) for c in CRITERIA],
        linked=linked(session, row.id),
    )
