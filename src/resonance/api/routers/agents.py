"""Agents registered from signed A2A AgentCards, and A2A discovery of each agent's card.

Listing and searching agents stay with the generic ``/api/v1/agents`` routes (``?q=``, ``?scenario=``, …).
These routes register and update an agent from its signed card (verified on every write, see
``resonance.agents.registration``), re-check a stored card, and serve each card where A2A clients look for it:
``/agents/{code}/.well-known/agent-card.json``. That route is public on purpose, as A2A discovery is: agents
are a public concept of the registry (every token may read them), and the card holds only what its owner
signed for publication.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from resonance import permissions
from resonance.agents import registration
from resonance.api.auth import PrincipalDep
from resonance.api.deps import SessionDep
from resonance.api.errors import ERROR_RESPONSES

router = APIRouter(tags=["agents"], responses=ERROR_RESPONSES)

Code = Annotated[str, Path(min_length=1, max_length=80, description="the agent's code")]
CardBody = Annotated[dict[str, Any], Body(description="an A2A AgentCard, signed (docs/agents.md)")]


class AgentView(BaseModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    description: str
    industry: str
    entity: str | None
    scenario: str | None
    organisation: str
    endpoint: str
    status: str
    kid: str = Field(description="RFC 7638 thumbprint of the agent's Ed25519 key")
    models: list[str]
    signed: bool


class CheckView(BaseModel):
    code: str
    ok: bool
    kid: str
    problems: list[str]


@router.post(
    "/api/v1/agents/register",
    status_code=201,
    response_model=AgentView,
    summary="Register an agent from its signed AgentCard · 注册智能体",
)
def register(card: CardBody, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """The card is validated (A2A types, Resonance extension) and its signature verified under the key it names."""
    row = registration.register(session, principal, card)
    return registration.view(session, row)


@router.put(
    "/api/v1/agents/{code}/card",
    response_model=AgentView,
    summary="Replace an agent's card; it must be signed by the agent's registered key · 更新智能体卡片",
)
def update(code: Code, card: CardBody, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    row = registration.update(session, principal, code, card)
    return registration.view(session, row)


@router.get("/api/v1/agents/{code}/card", summary="An agent's signed AgentCard (token needed)")
def card(code: Code, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    permissions.require_read(principal, registration.AGENTS)
    return registration.find(session, code).card


@router.get("/api/v1/agents/{code}/verify", response_model=CheckView, summary="Re-verify a stored card")
def verify(code: Code, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    permissions.require_read(principal, registration.AGENTS)
    return registration.check(session, registration.find(session, code)).as_dict()


@router.get(
    "/agents/{code}/.well-known/agent-card.json",
    summary="Public: the agent's A2A AgentCard (A2A discovery)",
    response_class=JSONResponse,
)
def well_known(code: Code, session: SessionDep) -> JSONResponse:
    row = registration.find(session, code)
    registration.registered_key(row)  # a bare row (no signed card) is not discoverable
    return JSONResponse(row.card, media_type="application/json")
