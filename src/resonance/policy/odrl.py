"""ODRL 2.2-shaped usage policies (JSON-LD) that providers attach to datasets and contracts carry.

The subset we speak (everything else is refused with a clear error, never silently ignored):

- rules: permissions with action ``federatedTrain`` or ``evaluate``; the prohibition ``rawExport``;
- constraints of a permission (ODRL left operands, plus three of ours under the ``rs:`` namespace):
  ``purpose`` (eq / isAnyOf: ``scenario:CODE``, ``model:CODE`` or ``industry:CODE``), ``recipient`` (eq /
  isAnyOf: consumer organisation codes), ``dateTime`` (lt / lteq: the expiry), ``count`` (lteq: maximum
  rounds), ``epsilonBudget`` (lteq: differential-privacy ε budget), ``minNodes`` (gteq: fewest nodes per
  aggregation).

Hand-written rather than with an RDF library (rdflib, pyld): policies are small fixed-shape JSON objects, we
need precise per-field errors, and a full JSON-LD expansion would fetch the remote ODRL context at run time.
The ``@context`` we write maps our terms to IRIs, so a JSON-LD processor reads our output correctly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from resonance.errors import Problem, ResonanceError
from resonance.policy.terms import OPERATIONS, PROHIBITIONS, parse_time

ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
RS_NS = "https://w3id.org/resonance/odrl#"
CONTEXT: list[Any] = [
    ODRL_CONTEXT,
    {
        "rs": RS_NS,
        "federatedTrain": "rs:federatedTrain",
        "evaluate": "rs:evaluate",
        "rawExport": "rs:rawExport",
        "epsilonBudget": "rs:epsilonBudget",
        "minNodes": "rs:minNodes",
    },
]
POLICY_TYPES = ("Set", "Offer", "Agreement")
PURPOSE_KINDS = ("scenario", "model", "industry")
# left operand -> (operators accepted, what it means)
OPERANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "purpose": (("eq", "isAnyOf"), "scenario:CODE, model:CODE or industry:CODE"),
    "recipient": (("eq", "isAnyOf"), "consumer organisation codes"),
    "dateTime": (("lt", "lteq"), "the expiry, an ISO 8601 date-time"),
    "count": (("lteq",), "the maximum number of training rounds"),
    "epsilonBudget": (("lteq",), "the differential-privacy ε budget"),
    "minNodes": (("gteq",), "the fewest nodes in one aggregation"),
}


@dataclass(frozen=True)
class Constraints:
    """The constraints of one permission; empty tuples / None mean 'not constrained'."""

    purposes: tuple[str, ...] = ()
    consumers: tuple[str, ...] = ()
    expires_at: datetime | None = None
    max_rounds: int | None = None
    epsilon_budget: float | None = None
    min_nodes: int = 1

    def tighter(self, other: Constraints) -> Constraints:
        """Both sets at once: the most restrictive value of each constraint."""

        def narrow(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
            if not a or not b:
                return a or b
            return tuple(x for x in a if x in b) or ("∅",)  # disjoint lists allow nothing

        def least(a: Any, b: Any) -> Any:
            return b if a is None else a if b is None else min(a, b)

        return Constraints(
            purposes=narrow(self.purposes, other.purposes),
            consumers=narrow(self.consumers, other.consumers),
            expires_at=least(self.expires_at, other.expires_at),
            max_rounds=least(self.max_rounds, other.max_rounds),
            epsilon_budget=least(self.epsilon_budget, other.epsilon_budget),
            min_nodes=max(self.min_nodes, other.min_nodes),
        )


@dataclass(frozen=True)
class Policy:
    """A usage policy: who offers (assigner), on what (target: dataset ``CODE@VERSION``), to whom, which rules."""

    uid: str
    target: str
    assigner: str
    permissions: tuple[tuple[str, Constraints], ...]
    prohibitions: frozenset[str] = frozenset({"rawExport"})
    assignee: str | None = None
    kind: str = "Offer"

    @property
    def operations(self) -> frozenset[str]:
        return frozenset(action for action, _ in self.permissions)

    def constraints(self) -> Constraints:
        """The constraints every permitted operation shares (the tightest of each), for a contract's terms."""
        out = Constraints()
        for _, constraints in self.permissions:
            out = out.tighter(constraints)
        return out

    def with_changes(self, **changes: Any) -> Policy:
        return replace(self, **changes)


# --- reading ------------------------------------------------------------------------------------------


@dataclass
class _Reader:
    where: str
    problems: list[Problem] = field(default_factory=list)

    def bad(self, what: str, where: str, fix: str, value: Any = None) -> None:
        self.problems.append(Problem(what=what, where=where, fix=fix, value=value))


def _local(term: Any) -> Any:
    """``odrl:purpose``, ``rs:minNodes`` and full IRIs read as their local names."""
    if isinstance(term, dict) and "@id" in term:
        term = term["@id"]
    if term is None:
        return None
    if not isinstance(term, str):
        return repr(term)  # a number, list or object names no term; keep it printable and hashable
    for prefix in ("http://www.w3.org/ns/odrl/2/", RS_NS, "odrl:", "rs:"):
        if term.startswith(prefix):
            return term[len(prefix) :]
    return term


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _value(value: Any) -> Any:
    return value.get("@value") if isinstance(value, dict) and "@value" in value else value


def _constraint(reader: _Reader, raw: Any, where: str, out: dict[str, Any]) -> None:
    if not isinstance(raw, dict):
        reader.bad("a constraint must be an object", where, "write {leftOperand, operator, rightOperand}")
        return
    left, op = _local(raw.get("leftOperand")), _local(raw.get("operator"))
    if left not in OPERANDS:
        reader.bad(f"unknown leftOperand {left!r}", where, f"use one of: {', '.join(OPERANDS)}", left)
        return
    operators, meaning = OPERANDS[left]
    if op not in operators:
        reader.bad(f"operator {op!r} does not apply to {left}", where, f"use {' or '.join(operators)}", op)
        return
    if "rightOperand" not in raw:
        reader.bad(f"{left} has no rightOperand", where, f"give {meaning}")
        return
    right = raw["rightOperand"]
    if left in ("purpose", "recipient"):
        values = [_value(v) for v in _as_list(right)]
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            reader.bad(f"{left} needs one or more non-empty strings", where, f"give {meaning}", right)
            return
        if left == "purpose":
            for v in values:
                kind, sep, code = v.partition(":")
                if not sep or kind not in PURPOSE_KINDS or not code.strip():
                    reader.bad(f"purpose {v!r} names no scenario, model or industry", where, f"give {meaning}", v)
                    return
        out["purposes" if left == "purpose" else "consumers"] = tuple(v.strip() for v in values)
    elif left == "dateTime":
        try:
            out["expires_at"] = parse_time(_value(right), where)
        except ResonanceError as exc:
            reader.bad(exc.what, where, exc.fix, right)
    elif left in ("count", "minNodes"):
        number = _value(right)
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            reader.bad(f"{left} must be a whole number ≥ 1", where, f"give {meaning}", number)
            return
        out["max_rounds" if left == "count" else "min_nodes"] = number
    else:
        number = _value(right)
        if isinstance(number, bool) or not isinstance(number, int | float) or not 0 < number < float("inf"):
            reader.bad("epsilonBudget must be a finite number > 0", where, f"give {meaning}", number)
            return
        out["epsilon_budget"] = float(number)


def _party(value: Any) -> str | None:
    value = _value(value)
    if isinstance(value, dict):
        value = value.get("uid") or value.get("@id")
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse(doc: Any, where: str = "policy") -> Policy:
    """Read a JSON-LD policy; every problem is reported at once in one ResonanceError (422)."""
    reader = _Reader(where)
    if not isinstance(doc, dict):
        raise ResonanceError(
            what="a policy must be a JSON object",
            where=where,
            fix="see docs/contracts.md",
            code="invalid_policy",
            status=422,
        )
    kind = _local(doc.get("@type", "Offer"))
    if kind not in POLICY_TYPES:
        reader.bad(f"unknown policy @type {kind!r}", f"{where}.@type", f"use one of: {', '.join(POLICY_TYPES)}")
    target, assigner = _party(doc.get("target")), _party(doc.get("assigner"))
    if target is None:
        reader.bad("the policy names no target", f"{where}.target", "give the dataset as CODE@VERSION")
    if assigner is None:
        reader.bad("the policy names no assigner", f"{where}.assigner", "give the provider organisation's code")
    permissions: list[tuple[str, Constraints]] = []
    raw_permissions = doc.get("permission")
    if not isinstance(raw_permissions, list) or not raw_permissions:
        reader.bad("the policy has no permission", f"{where}.permission", "permit federatedTrain and/or evaluate")
        raw_permissions = []
    for i, raw in enumerate(raw_permissions):
        at = f"{where}.permission[{i}]"
        if not isinstance(raw, dict):
            reader.bad("a permission must be an object", at, "write {action, constraint}")
            continue
        action = _local(raw.get("action"))
        if action not in OPERATIONS:
            reader.bad(f"unknown action {action!r}", f"{at}.action", "use federatedTrain or evaluate", action)
            continue
        if any(a == action for a, _ in permissions):
            reader.bad(f"action {action} is permitted twice", f"{at}.action", "merge the two permissions")
            continue
        found: dict[str, Any] = {}
        seen: set[str] = set()
        for j, c in enumerate(_as_list(raw.get("constraint", []))):
            left = _local(c.get("leftOperand")) if isinstance(c, dict) else None
            if left in seen:
                reader.bad(f"{left} is constrained twice", f"{at}.constraint[{j}]", "keep one constraint per operand")
                continue
            seen.add(left)
            _constraint(reader, c, f"{at}.constraint[{j}]", found)
        permissions.append((action, Constraints(**found)))
    prohibitions: set[str] = set()
    for i, raw in enumerate(_as_list(doc.get("prohibition", []))):
        action = _local(raw.get("action")) if isinstance(raw, dict) else None
        if action not in PROHIBITIONS:
            reader.bad(f"unknown prohibition {action!r}", f"{where}.prohibition[{i}]", "use rawExport", action)
            continue
        prohibitions.add(action)
    if reader.problems:
        raise ResonanceError(
            what=f"the policy is not valid: {reader.problems[0]}",
            where=where,
            fix="correct the fields listed (see docs/contracts.md for the policy shape)",
            code="invalid_policy",
            status=422,
            problems=reader.problems,
        )
    return Policy(
        uid=str(doc.get("uid") or doc.get("@id") or ""),
        target=target or "",
        assigner=assigner or "",
        assignee=_party(doc.get("assignee")),
        permissions=tuple(permissions),
        prohibitions=frozenset(prohibitions) or frozenset({"rawExport"}),  # raw export is never allowed
        kind=kind,
    )


# --- writing ------------------------------------------------------------------------------------------


def _constraints_jsonld(c: Constraints) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if c.purposes:
        out.append({"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": list(c.purposes)})
    if c.consumers:
        out.append({"leftOperand": "recipient", "operator": "isAnyOf", "rightOperand": list(c.consumers)})
    if c.expires_at is not None:
        stamp = {"@value": c.expires_at.isoformat(), "@type": "xsd:dateTime"}
        out.append({"leftOperand": "dateTime", "operator": "lt", "rightOperand": stamp})
    if c.max_rounds is not None:
        out.append({"leftOperand": "count", "operator": "lteq", "rightOperand": c.max_rounds})
    if c.epsilon_budget is not None:
        out.append({"leftOperand": "epsilonBudget", "operator": "lteq", "rightOperand": c.epsilon_budget})
    if c.min_nodes > 1:
        out.append({"leftOperand": "minNodes", "operator": "gteq", "rightOperand": c.min_nodes})
    return out


def to_jsonld(policy: Policy) -> dict[str, Any]:
    """The policy as ODRL JSON-LD; ``parse(to_jsonld(p)) == p``."""
    doc: dict[str, Any] = {"@context": CONTEXT, "@type": policy.kind}
    if policy.uid:
        doc["uid"] = policy.uid
    doc["target"] = policy.target
    doc["assigner"] = policy.assigner
    if policy.assignee:
        doc["assignee"] = policy.assignee
    doc["permission"] = [
        {"action": action, **({"constraint": cs} if (cs := _constraints_jsonld(c)) else {})}
        for action, c in policy.permissions
    ]
    doc["prohibition"] = [{"action": name} for name in sorted(policy.prohibitions)]
    return doc


def build(
    *,
    target: str,
    assigner: str,
    operations: list[str] | tuple[str, ...] = ("federatedTrain",),
    purposes: list[str] | tuple[str, ...] = (),
    consumers: list[str] | tuple[str, ...] = (),
    expires_at: datetime | str | None = None,
    max_rounds: int | None = None,
    epsilon_budget: float | None = None,
    min_nodes: int = 1,
    assignee: str | None = None,
    uid: str = "",
) -> Policy:
    """A policy from plain values (the CLI's flags), validated exactly as a JSON-LD document would be."""
    constraints: list[dict[str, Any]] = []
    if purposes:
        constraints.append({"leftOperand": "purpose", "operator": "isAnyOf", "rightOperand": list(purposes)})
    if consumers:
        constraints.append({"leftOperand": "recipient", "operator": "isAnyOf", "rightOperand": list(consumers)})
    if expires_at is not None:
        stamp = expires_at.isoformat() if isinstance(expires_at, datetime) else expires_at
        constraints.append({"leftOperand": "dateTime", "operator": "lt", "rightOperand": stamp})
    if max_rounds is not None:
        constraints.append({"leftOperand": "count", "operator": "lteq", "rightOperand": max_rounds})
    if epsilon_budget is not None:
        constraints.append({"leftOperand": "epsilonBudget", "operator": "lteq", "rightOperand": epsilon_budget})
    if min_nodes != 1:
        constraints.append({"leftOperand": "minNodes", "operator": "gteq", "rightOperand": min_nodes})
    doc: dict[str, Any] = {
        "@type": "Offer",
        "uid": uid,
        "target": target,
        "assigner": assigner,
        "permission": [{"action": op, "constraint": constraints} for op in operations],
        "prohibition": [{"action": "rawExport"}],
    }
    if assignee:
        doc["assignee"] = assignee
    return parse(doc)


def purpose_allowed(purposes: tuple[str, ...], kind: str, code: str, industry: str | None) -> bool:
    """Whether a contract purpose (a scenario or model ``code`` of ``industry``) meets a purpose constraint."""
    if not purposes:
        return True
    return f"{kind}:{code}" in purposes or (industry is not None and f"industry:{industry}" in purposes)
