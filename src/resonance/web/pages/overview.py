"""The overview: counts of what the action has produced, the report deadlines, and every entity's progress."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resonance.api.deps import SessionDep
from resonance.registry import models as m
from resonance.registry import rules
from resonance.web import progress
from resonance.web.auth import LangDep, PrincipalDep
from resonance.web.messages import Lang
from resonance.web.pages import page_router
from resonance.web.templating import render

router = page_router()

# (catalogue key, model, extra condition); scenarios that are reference examples count toward nothing
COUNTED: tuple[tuple[str, type[m.Base], Any], ...] = (
    ("datasets", m.Dataset, None),
    ("models", m.ModelVersion, None),
    ("scenarios", m.Scenario, m.Scenario.is_reference_example.is_(False)),
    ("agents", m.Agent, None),
    ("cases", m.Case, None),
    ("spaces", m.Space, None),
    ("consortia", m.Consortium, None),
    ("entities", m.ActionEntity, None),
    ("organisations", m.Organisation, None),
)
LINKS = {"datasets": "/web/datasets", "models": "/web/models", "scenarios": "/web/scenarios"}


def counts(session: Session) -> list[dict[str, Any]]:
    out = []
    for key, model, condition in COUNTED:
        stmt = select(func.count()).select_from(model)
        if condition is not None:
            stmt = stmt.where(condition)
        out.append({"key": key, "count": session.scalar(stmt) or 0, "href": LINKS.get(key)})
    return out


def deadlines(lang: Lang, today: date) -> list[dict[str, Any]]:
    """The report deadlines of the rules file, soonest first, with the days left (negative: past)."""
    seen: dict[date, str] = {}
    for rule in rules.default_rules():
        if rule.metric == "reports_submitted":
            seen.setdefault(rule.deadline, rule.title.zh if lang == "zh" else rule.title.en)
    return [{"date": day, "title": title, "days": (day - today).days} for day, title in sorted(seen.items())]


@router.get("")
def bare() -> Response:
    return RedirectResponse("/web/", status_code=307)


@router.get("/")
def overview(request: Request, session: SessionDep, principal: PrincipalDep, lang: LangDep) -> Response:
    today = date.today()
    own = principal.entity_code
    entities = sorted(  # its own entity first (an authority's), then provinces
        progress.all_progress(session, lang, today), key=lambda e: (e.code != own, e.kind != "province", e.code)
    )
    return render(
        request,
        "overview.html",
        counts=counts(session),
        deadlines=deadlines(lang, today),
        entities=entities,
        today=today,
    )


@router.get("/progress/{code}")
def entity_rules(request: Request, code: str, session: SessionDep, principal: PrincipalDep, lang: LangDep) -> Response:
    """One entity's rule-by-rule table (the overview loads it when its row is opened)."""
    entry = progress.entity_progress(session, code, lang, date.today())
    return render(request, "partials/entity_rules.html", e=entry)
