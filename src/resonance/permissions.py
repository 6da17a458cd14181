"""Who may read and write what: one table-driven policy, shared by the API and the web platform.

A request is made by a ``Principal`` (an API token's role and the organisation or action entity it is bound
to). The two tables below are the whole policy:

- ``READ_PRIVATE``: public concepts are readable by every role; this table lists, per role, the rows of the
  non-public concepts it may read as well. A concept absent from a role's entry is refused as a whole (403).
- ``WRITE``: per role and concept, the actions allowed and the rows they may touch (``Rule``).

The operator may read and write everything. Denials name the roles that may do the thing instead.
Rows a principal may not read are reported as not found (404), so that their existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import Session

from resonance.errors import ResonanceError
from resonance.registry.concepts import CONCEPTS, Concept
from resonance.registry.vocabularies import label

Action = Literal["read", "create", "update", "delete"]
CREATE: Action = "create"
UPDATE: Action = "update"
DELETE: Action = "delete"
WRITES: frozenset[Action] = frozenset({CREATE, UPDATE, DELETE})

ROLES = ("operator", "provider", "developer", "evaluator", "authority", "viewer")
ORG_ROLES = ("provider", "developer", "evaluator")  # tokens of these roles are bound to an organisation
ENTITY_ROLES = ("authority",)  # tokens of these roles are bound to an action entity


@dataclass(frozen=True)
class Principal:
    """Who is asking: a role, and the organisation or action entity its token is bound to."""

    role: str
    org_id: int | None = None
    org_code: str | None = None
    entity_id: int | None = None
    entity_code: str | None = None
    token_id: int | None = None
    token_name: str = ""

    @property
    def label(self) -> str:
        bound = self.org_code or self.entity_code
        return f"{self.role} token ({bound})" if bound else f"{self.role} token"


@dataclass(frozen=True)
class Rule:
    """The rows a grant covers: every row, or rows where one of ``fields`` names the principal's org / entity."""

    party: Literal["any", "org", "entity"] = "any"
    fields: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.party == "org":
            return f"where {' or '.join(self.fields)} is its own organisation"
        if self.party == "entity":
            return "where entity is its own action entity"
        return ""

    def _id(self, principal: Principal) -> int | None:
        return principal.org_id if self.party == "org" else principal.entity_id

    def admits(self, principal: Principal, concept: Concept, row: Any) -> bool:
        if self.party == "any":
            return True
        mine = self._id(principal)
        return mine is not None and any(getattr(row, concept.refs[f].column) == mine for f in self.fields)

    def clause(self, principal: Principal, concept: Concept) -> ColumnElement[bool] | None:
        """The WHERE clause selecting the admitted rows; None when every row is admitted."""
        if self.party == "any":
            return None
        mine = self._id(principal)
        return or_(*(getattr(concept.model, concept.refs[f].column) == mine for f in self.fields))


@dataclass(frozen=True)
class Grant:
    actions: frozenset[Action]
    rows: Rule


ALL = Rule()


def _org(*fields: str) -> Rule:
    return Rule("org", fields)


OWN_ENTITY = Rule("entity", ("entity",))
_PARTY_ROWS = {
    "contracts": _org("provider", "consumer"),
    "jobs": _org("submitter"),
    "data-demands": _org("target"),
}

# Non-public rows each role may read, besides every row of the public concepts.
READ_PRIVATE: dict[str, dict[str, Rule]] = {
    "provider": dict(_PARTY_ROWS),
    "developer": dict(_PARTY_ROWS),
    "evaluator": {**_PARTY_ROWS, "data-demands": ALL},  # evaluators route demands, so they see them all
    "authority": {"reports": OWN_ENTITY},  # authorities read their own entity's reports
    "viewer": {},
}


def _cud(rows: Rule) -> Grant:
    return Grant(WRITES, rows)


# What each role may write, and which rows.
WRITE: dict[str, dict[str, Grant]] = {
    "provider": {
        "datasets": _cud(_org("owner")),
        "contracts": Grant(frozenset({UPDATE}), _org("provider")),
        "scenarios": _cud(_org("lead")),
    },
    "developer": {
        "models": _cud(_org("developer")),
        "agents": _cud(_org("organisation")),
        "cases": _cud(_org("organisation")),
        "contracts": Grant(frozenset({CREATE}), _org("consumer")),
        "jobs": _cud(_org("submitter")),
        "scenarios": _cud(_org("lead")),
    },
    "evaluator": {
        "evaluations": _cud(_org("evaluator")),
        "datasets": _cud(_org("owner")),
        "data-demands": Grant(frozenset({CREATE}), ALL),
    },
    "authority": {name: _cud(OWN_ENTITY) for name in ("reports", "key-cities", "spaces", "consortia", "scenarios")},
    "viewer": {},
}


# --- reading ------------------------------------------------------------------------------------------


def read_rule(principal: Principal, concept: Concept) -> Rule | None:
    """The rows of ``concept`` the principal may read; None when it may read none of them."""
    if principal.role == "operator" or concept.public:
        return ALL
    return READ_PRIVATE.get(principal.role, {}).get(concept.name)


def require_read(principal: Principal, concept: Concept) -> Rule:
    rule = read_rule(principal, concept)
    if rule is None:
        raise _forbidden(
            f"a {principal.label} cannot read {concept.name} ({concept.zh})",
            f"{concept.name} are readable by: {who_may(concept, 'read')}; use a token of one of those roles",
        )
    return rule


def read_clause(principal: Principal, concept: Concept) -> ColumnElement[bool] | None:
    """The extra WHERE clause for listing ``concept`` (after ``require_read``); None = every row."""
    return require_read(principal, concept).clause(principal, concept)


def can_read_row(principal: Principal, concept: Concept, row: Any) -> bool:
    rule = read_rule(principal, concept)
    return rule is not None and rule.admits(principal, concept, row)


# --- writing ------------------------------------------------------------------------------------------


def grant(principal: Principal, concept: Concept, action: Action) -> Grant | None:
    if concept.create is None:  # fixed lists (industries) are written by nobody
        return None
    if principal.role == "operator":
        return _cud(ALL)
    found = WRITE.get(principal.role, {}).get(concept.name)
    return found if found is not None and action in found.actions else None


def require_write(principal: Principal, concept: Concept, action: Action) -> Grant:
    """Refuse (403) when the principal's role may never ``action`` this concept."""
    found = grant(principal, concept, action)
    if found is None:
        raise _forbidden(
            f"a {principal.label} cannot {action} {concept.name} ({concept.zh})",
            f"{concept.name} may be {_past(action)} by: {who_may(concept, action)}",
        )
    return found


def check_row(session: Session, principal: Principal, concept: Concept, action: Action, row: Any) -> None:
    """Refuse (403) when ``row`` (as it is, or as a write would leave it) is outside the principal's grant.

    Call it before an update or delete, and again after a create or update has been applied to the row
    (in the same transaction) so that a row can neither be created on behalf of another organisation nor
    handed over to one.
    """
    rule = require_write(principal, concept, action).rows
    if rule.admits(principal, concept, row):
        return
    mine = principal.org_code if rule.party == "org" else principal.entity_code
    kind = "organisation" if rule.party == "org" else "action entity"
    shown = ", ".join(f"{f} {_shown(session, concept, row, f)!r}" for f in rule.fields)
    raise _forbidden(
        f"a {principal.label} may only {action} {concept.name} {rule.describe()}; this {concept.singular} has {shown}",
        f"set it to your own {kind} ({mine}), or ask a token of one of these roles: {who_may(concept, action)}",
        where=", ".join(f"field {f}" for f in rule.fields),
    )


# --- messages -----------------------------------------------------------------------------------------


def who_may(concept: Concept, action: Action) -> str:
    """The roles that may ``action`` the concept, with the rows they may touch, for denial messages."""
    parts: list[str] = []
    for role in ROLES:
        probe = Principal(role=role)
        if action == "read":
            rule: Rule | None = read_rule(probe, concept)
        else:
            found = grant(probe, concept, action)
            rule = found.rows if found else None
        if rule is not None:
            condition = rule.describe()
            parts.append(f"{role} ({label('token_role', role)})" + (f" {condition}" if condition else ""))
    return "; ".join(parts) or "nobody (this list is fixed)"


def _past(action: Action) -> str:
    return {"create": "created", "update": "updated", "delete": "deleted"}.get(action, action)


def _shown(session: Session, concept: Concept, row: Any, field: str) -> str:
    ref = concept.refs[field]
    target_id = getattr(row, ref.column)
    target = session.get(ref.target, target_id) if target_id is not None else None
    return "none" if target is None else str(getattr(target, "code", None) or target.id)


def _forbidden(what: str, fix: str, where: str = "") -> ResonanceError:
    return ResonanceError(what=what, fix=fix, where=where, code="forbidden", status=403)


def readable_concepts(principal: Principal) -> list[Concept]:
    return [c for c in CONCEPTS.values() if read_rule(principal, c) is not None]


# --- contract negotiation and governance records ------------------------------------------------------

CONSUMER_ROLES = ("developer", "evaluator")  # organisations that use data: request, accept, verify
LEDGER_READERS = ("operator", "authority")  # the operator and the 监管方 read the 存证 ledger


def contract_party(principal: Principal, contract: Any, step: str, consumer_org_id: int | None = None) -> Any:
    """The Dataspace Protocol party the principal acts as for ``step`` on ``contract``; 403 when it may not.

    ``contract`` is None for ``request`` (then ``consumer_org_id`` names the consumer asked for).
    """
    from resonance.policy import negotiation

    consumer_id = contract.consumer_org_id if contract is not None else consumer_org_id
    is_consumer = principal.role in CONSUMER_ROLES and principal.org_id is not None and principal.org_id == consumer_id
    is_provider = (
        contract is not None
        and principal.role == "provider"
        and principal.org_id is not None
        and principal.org_id == contract.provider_org_id
    )
    if step == negotiation.TERMINATE:
        if principal.role == "operator":
            return "operator"
        if is_consumer or is_provider:
            return "consumer" if is_consumer else "provider"
        wanted = "a token of either party, or the operator"
    elif negotiation.who(step)[0] == "consumer":
        if is_consumer:
            return "consumer"
        wanted = f"a {' or '.join(CONSUMER_ROLES)} token of the consumer organisation"
    else:
        if is_provider:
            return "provider"
        wanted = "a provider token of the dataset's owner"
    raise _forbidden(f"a {principal.label} cannot {step} this contract", f"{step} needs {wanted}")


def require_provider_of(principal: Principal, org_id: int | None, action: str) -> None:
    """Refuse (403) unless the principal is the operator or a provider token of organisation ``org_id``."""
    if principal.role == "operator":
        return
    if principal.role == "provider" and principal.org_id is not None and principal.org_id == org_id:
        return
    raise _forbidden(f"a {principal.label} cannot {action}", "use a provider token of the owner, or the operator's")


def require_ledger_reader(principal: Principal) -> None:
    if principal.role not in LEDGER_READERS:
        raise _forbidden(
            f"a {principal.label} cannot read the ledger",
            f"the ledger is read by: {', '.join(LEDGER_READERS)} (运营方、监管方)",
        )


# --- agents and the MCP server ------------------------------------------------------------------------

MODEL_CALLERS = ("operator", "developer", "evaluator", "provider")  # may run registered models (MCP predict)


def require_model_caller(principal: Principal) -> None:
    """Refuse (403) a role that may see models but not run them (viewer, authority)."""
    if principal.role not in MODEL_CALLERS:
        raise _forbidden(
            f"a {principal.label} cannot run model predictions",
            f"predictions are run by: {', '.join(MODEL_CALLERS)}; use a token of one of those roles",
        )
