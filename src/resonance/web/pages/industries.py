"""The notice's 20 industries: what each has produced, and one industry's lists."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resonance.api.deps import SessionDep
from resonance.registry import models as m
from resonance.web.auth import LangDep, PrincipalDep
from resonance.web.pages import page_router
from resonance.web.pages._listing import readable_row
from resonance.web.templating import render

router = page_router()
# (catalogue key, model); scenarios that are reference examples count toward no quota and are left out
COUNTED: tuple[tuple[str, type[m.Base]], ...] = (
    ("datasets", m.Dataset),
    ("scenarios", m.Scenario),
    ("models", m.ModelVersion),
    ("agents", m.Agent),
    ("cases", m.Case),
    ("consortia", m.Consortium),
)
LIST_SIZE = 15


def counts_by_industry(session: Session) -> dict[str, dict[int, int]]:
    out: dict[str, dict[int, int]] = {}
    for key, model in COUNTED:
        stmt = select(model.industry_id, func.count()).group_by(model.industry_id)
        if model is m.Scenario:
            stmt = stmt.where(m.Scenario.is_reference_example.is_(False))
        out[key] = dict(session.execute(stmt).all())
    table = m.entity_industries
    out["entities"] = dict(
        session.execute(select(table.c.industry_id, func.count()).group_by(table.c.industry_id)).all()
    )
    return out


@router.get("/industries")
def industry_list(request: Request, session: SessionDep, principal: PrincipalDep, lang: LangDep) -> Response:
    rows = session.scalars(select(m.Industry).order_by(m.Industry.position)).all()
    return render(
        request,
        "industries.html",
        industries=rows,
        counts=counts_by_industry(session),
        columns=["entities"] + [key for key, _ in COUNTED],
    )


def newest(session: Session, model: type[m.Base], industry_id: int, limit: int = LIST_SIZE) -> dict[str, Any]:
    """The industry's ``limit`` newest rows of ``model`` (code, version, names) and how many there are in all.

    Only the columns the page lists are read: the industry page shows six lists, and the full read schema of
    each (references resolved to codes) would cost several queries per list for columns it does not show.
    """
    condition = model.industry_id == industry_id
    if model is m.Scenario:
        condition = condition & m.Scenario.is_reference_example.is_(False)
    columns = [model.code, model.name_zh, model.name_en]
    if hasattr(model, "version"):
        columns.append(model.version)
    rows = session.execute(select(*columns).where(condition).order_by(model.id.desc()).limit(limit)).all()
    total = session.scalar(select(func.count()).select_from(model).where(condition)) or 0
    return {"items": [dict(row._mapping) for row in rows], "total": total}


@router.get("/industries/{key}")
def industry(request: Request, key: str, session: SessionDep, principal: PrincipalDep, lang: LangDep) -> Response:
    row: m.Industry = readable_row(session, principal, "industries", key)
    lists = {name: newest(session, model, row.id) for name, model in COUNTED}
    entities = session.scalars(
        select(m.ActionEntity)
        .join(m.entity_industries, m.entity_industries.c.entity_id == m.ActionEntity.id)
        .where(m.entity_industries.c.industry_id == row.id)
        .order_by(m.ActionEntity.code)
    ).all()
    return render(request, "industry.html", industry=row, lists=lists, entities=entities)
