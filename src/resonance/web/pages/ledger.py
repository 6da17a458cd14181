"""The 存证 ledger for its readers (operator, authority): verification status and a paged event browser.

Verification reads every event, so the page loads it as an htmx partial after the page itself has shown.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from resonance.api.deps import SessionDep
from resonance.errors import NotFound
from resonance.ledger import chain
from resonance.permissions import require_ledger_reader
from resonance.registry import models as m
from resonance.web.auth import LangDep, PrincipalDep
from resonance.web.pages import page_router
from resonance.web.templating import render

router = page_router()
PAGE_SIZE = 50


@router.get("/ledger")
def ledger_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    lang: LangDep,
    kind: Annotated[str, Query(max_length=60, pattern=r"^[A-Za-z0-9_.\-]*$")] = "",
    subject: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    require_ledger_reader(principal)
    stmt = select(m.LedgerEvent)
    if kind:
        stmt = stmt.where(m.LedgerEvent.kind.startswith(kind, autoescape=True))
    if subject:
        stmt = stmt.where(m.LedgerEvent.subject == subject)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(m.LedgerEvent.seq.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    events = [{**chain.as_dict(e), "payload_text": e.payload} for e in rows]
    return render(
        request,
        "ledger.html",
        events=events,
        total=total,
        page=page,
        page_size=PAGE_SIZE,
        params={"kind": kind, "subject": subject},
    )


@router.get("/ledger/verify")
def ledger_verify(request: Request, session: SessionDep, principal: PrincipalDep, lang: LangDep) -> Response:
    require_ledger_reader(principal)
    return render(request, "partials/ledger_verify.html", report=chain.verify(session))


@router.get("/ledger/{seq}")
def ledger_event(request: Request, seq: int, session: SessionDep, principal: PrincipalDep, lang: LangDep) -> Response:
    require_ledger_reader(principal)
    event = session.get(m.LedgerEvent, seq)
    if event is None:
        raise NotFound("ledger event", seq, fix="browse the events at /web/ledger")
    data = chain.as_dict(event)
    return render(
        request, "ledger_event.html", ev=data, payload=json.dumps(data["payload"], ensure_ascii=False, indent=2)
    )
