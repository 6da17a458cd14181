"""数字合约: the contracts a role may see (its own organisation's, or all for the operator) and one contract."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from resonance.api.deps import SessionDep
from resonance.permissions import require_read
from resonance.registry import models as m
from resonance.registry.concepts import CONCEPTS
from resonance.registry.reading import read_one
from resonance.web.auth import LangDep, PrincipalDep
from resonance.web.pages import page_router
from resonance.web.pages._listing import listing, readable_row
from resonance.web.templating import render

router = page_router()
STATES = ("REQUESTED", "OFFERED", "ACCEPTED", "AGREED", "VERIFIED", "FINALIZED", "TERMINATED")


@router.get("/contracts")
def contract_list(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    lang: LangDep,
    state: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    require_read(principal, CONCEPTS["contracts"])
    found = listing(session, principal, "contracts", {"state": state.upper()}, "", page)
    return render(
        request, "contracts.html", status=found.error.status if found.error else 200, found=found, states=STATES
    )


@router.get("/contracts/{contract_id}")
def contract(
    request: Request, contract_id: str, session: SessionDep, principal: PrincipalDep, lang: LangDep
) -> Response:
    require_read(principal, CONCEPTS["contracts"])
    row: m.Contract = readable_row(session, principal, "contracts", contract_id)
    return render(request, "contract.html", ct=read_one(session, CONCEPTS["contracts"], row), row=row)
