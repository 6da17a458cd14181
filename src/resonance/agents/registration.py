"""Registering, updating and checking agents from signed AgentCards; the one implementation behind API and CLI.

The ``Agent`` row's columns (code, names, industry, scenario, organisation, endpoint) are derived from the
card, and the signed card is kept whole in ``Agent.card``. Registration verifies the card under the key it
names; every update must be signed by the key the agent was registered with. Both append a ledger event.
Who may do it is the registry's rule for agents (``resonance.permissions``: developers for their own
organisation, the operator for any).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance import permissions
from resonance.agents import cards
from resonance.errors import Conflict, NotFound, ResonanceError
from resonance.ledger import chain
from resonance.permissions import CREATE, UPDATE, Principal
from resonance.registry import models as m
from resonance.registry import services
from resonance.registry.concepts import concept

AGENTS = concept("agents")


def _digest(card: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(card, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _models(session: Session, card: cards.Card) -> list[str]:
    """The card's model versions resolved to ``code@version`` (refused when one is not registered)."""
    from resonance.federation import model_store

    found = []
    for i, key in enumerate(card.facts.models):
        try:
            row = model_store.find(session, key)
        except NotFound:
            raise ResonanceError(
                what=f"the card names model {key!r}, which is not registered",
                where=f"card.capabilities.extensions.params.models[{i}]",
                fix="name a registered model version (`resonance model list`), as CODE or CODE@VERSION",
                code="unknown_reference",
                status=422,
            ) from None
        found.append(f"{row.code}@{row.version}")
    return found


def _columns(card: cards.Card) -> dict[str, Any]:
    facts = card.facts
    return {
        "name_zh": facts.name_zh,
        "name_en": facts.name_en or card.message.name,
        "description": card.message.description,
        "industry": facts.industry,
        "entity": facts.entity,
        "scenario": facts.scenario,
        "endpoint": card.endpoint,
    }


def register(session: Session, principal: Principal, data: Any) -> m.Agent:
    """Verify a signed card and register the agent it describes (409 when its code is taken)."""
    permissions.require_write(principal, AGENTS, CREATE)
    card = cards.parse(data)
    kid, public = cards.card_key(card)
    cards.verify(card, kid, public)
    if session.scalars(select(m.Agent.id).where(m.Agent.code == card.facts.code)).first() is not None:
        raise Conflict(
            what=f"an agent with code {card.facts.code!r} is already registered",
            where="card.capabilities.extensions.params.code",
            fix="update it with `resonance agents update` (signed with its key), or choose another code",
        )
    models = _models(session, card)
    payload = {"code": card.facts.code, "organisation": card.facts.organisation, **_columns(card)}
    row = services.create(session, AGENTS, payload, where="card")
    permissions.check_row(session, principal, AGENTS, CREATE, row)
    row.card = card.as_json()
    session.flush()
    chain.append(
        session,
        kind="agent.registered",
        subject=f"agent:{row.code}",
        payload={"kid": kid, "card_sha256": _digest(row.card), "models": models, "endpoint": row.endpoint},
        actor=principal.label,
    )
    return row


def find(session: Session, code: str) -> m.Agent:
    row = session.scalars(select(m.Agent).where(m.Agent.code == code)).first()
    if row is None:
        raise NotFound("agent", code, fix="list the agents with `resonance agents list`")
    return row


def update(session: Session, principal: Principal, code: str, data: Any) -> m.Agent:
    """Replace an agent's card with a new one signed by the key it was registered with."""
    row = find(session, code)
    permissions.check_row(session, principal, AGENTS, UPDATE, row)
    card = cards.parse(data)
    if card.facts.code != row.code:
        raise ResonanceError(
            what=f"the card is for agent {card.facts.code!r}, not {row.code!r}",
            where="card.capabilities.extensions.params.code",
            fix="send the card of this agent, or register the other one",
            code="invalid_card",
            status=422,
        )
    kid, public = registered_key(row)
    if card.facts.key != kid:
        raise ResonanceError(
            what=f"the card names key {card.facts.key or '(none)'}, but agent {row.code} is registered with key {kid}",
            where="card.capabilities.extensions.params.key",
            fix="sign the update with the agent's registered key (its agent.key in the organisation's home)",
            code="bad_signature",
            status=422,
        )
    cards.verify(card, kid, public)
    owner = session.get(m.Organisation, row.org_id)
    if owner is not None and card.facts.organisation not in (owner.code, owner.name_zh):
        raise ResonanceError(
            what=f"an update cannot move agent {row.code} to organisation {card.facts.organisation!r}",
            where="card.capabilities.extensions.params.organisation",
            fix=f"keep organisation {owner.code}; register a new agent for the other organisation",
            code="invalid_card",
            status=422,
        )
    models = _models(session, card)
    services.update(session, AGENTS, row, _columns(card), where="card")
    permissions.check_row(session, principal, AGENTS, UPDATE, row)
    row.card = card.as_json()
    session.flush()
    chain.append(
        session,
        kind="agent.updated",
        subject=f"agent:{row.code}",
        payload={"kid": kid, "card_sha256": _digest(row.card), "models": models, "endpoint": row.endpoint},
        actor=principal.label,
    )
    return row


def registered_key(row: m.Agent) -> tuple[str, Any]:
    if not row.card:
        raise ResonanceError(
            what=f"agent {row.code} was registered without a signed card",
            where=f"agent {row.code}",
            fix="register its card with `resonance agents register CARD.json` (delete the bare row first)",
            code="unsigned_card",
            status=409,
        )
    return cards.jwk_of(row.card)


@dataclass
class Check:
    """What ``verify`` found about one registered agent."""

    code: str
    ok: bool
    kid: str = ""
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "ok": self.ok, "kid": self.kid, "problems": self.problems}


def check(session: Session, row: m.Agent) -> Check:
    """Re-verify a stored card's signature and that the row still says what the card says."""
    try:
        kid, public = registered_key(row)
        card = cards.parse(row.card)
        cards.verify(card, kid, public)
    except ResonanceError as exc:
        return Check(row.code, False, problems=[str(exc)])
    problems = []
    expected = _columns(card)
    read = services.read_one(session, AGENTS, row)
    for name, value in expected.items():
        if name in ("entity", "scenario", "industry") and value is not None:
            continue  # references may be given by name in the card; the registry shows codes
        if read.get(name) != value:
            problems.append(f"the registry's {name} is {read.get(name)!r}, the signed card says {value!r}")
    if read.get("code") != card.facts.code:
        problems.append(f"the registry's code is {read.get('code')!r}, the signed card says {card.facts.code!r}")
    return Check(row.code, not problems, kid, problems)


def view(session: Session, row: m.Agent) -> dict[str, Any]:
    """The registry's view of an agent plus its card's key and models (for ``show`` and the API)."""
    out = services.read_one(session, AGENTS, row)
    card = row.card or {}
    facts: dict[str, Any] = {}
    for extension in card.get("capabilities", {}).get("extensions", []):
        if extension.get("uri") == cards.EXTENSION_URI:
            facts = extension.get("params", {})
    return {
        **out,
        "kid": facts.get("key", ""),
        "models": facts.get("models", []),
        "signed": bool(card.get("signatures")),
    }
