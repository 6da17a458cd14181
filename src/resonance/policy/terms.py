"""The boundary objects of usage control: a contract's terms as a node keeps them, a job's request, a decision.

``ContractTerms`` is what the space hands a provider's node when a contract is FINALIZED and what the node
enforces on its own; ``JobRequest`` is what a job asks of one contract; ``Decision`` is the node's answer.
All three are frozen and JSON-safe through ``to_dict()`` / ``from_dict()``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from resonance.errors import ResonanceError

OPERATIONS = frozenset({"federatedTrain", "evaluate"})
PROHIBITIONS = frozenset({"rawExport"})
FINALIZED = "FINALIZED"


def _bad(what: str, where: str, fix: str) -> ResonanceError:
    return ResonanceError(what=what, where=where, fix=fix, code="validation_error", status=422)


def parse_time(value: Any, where: str) -> datetime | None:
    """An ISO 8601 date-time (time-zone aware, or UTC when it names none); None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _bad(f"not an ISO 8601 date-time: {value!r}", where, "write e.g. 2027-01-31T00:00:00Z") from None
    else:
        raise _bad(
            f"a date-time must be a string, not {type(value).__name__}", where, "write e.g. 2027-01-31T00:00:00Z"
        )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _int(value: Any, where: str, minimum: int, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _bad(f"must be a whole number ≥ {minimum}", where, f"give an integer ≥ {minimum} (got {value!r})")
    return value


def _float(value: Any, where: str, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0 or value == float("inf"):
        raise _bad("must be a finite number ≥ 0", where, f"give a number such as 1.0 (got {value!r})")
    return float(value)


def _str(data: dict[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"{name} must be a non-empty string", f"{where}.{name}", f"give {name} (got {value!r})")
    return value.strip()


def _names(value: Any, allowed: frozenset[str], where: str) -> frozenset[str]:
    if not isinstance(value, list | tuple | set | frozenset) or not all(isinstance(v, str) for v in value):
        raise _bad("must be a list of names", where, f"use names from: {', '.join(sorted(allowed))}")
    unknown = set(value) - allowed
    if unknown:
        raise _bad(f"unknown name(s) {sorted(unknown)}", where, f"use names from: {', '.join(sorted(allowed))}")
    return frozenset(value)


@dataclass(frozen=True)
class ContractTerms:
    """What a provider's node keeps and enforces for one contract (only ``state == "FINALIZED"`` may be used).

    ``purpose`` is the scenario or model code the contract names; ``compute_node`` the provider's node id
    (the only place the data may be computed on); ``max_rounds`` / ``epsilon_budget`` are caps over every
    job under the contract (None = no cap); ``min_nodes`` the fewest nodes an aggregation may have.
    """

    contract_id: str
    dataset_code: str
    dataset_version: str
    dataset_fingerprint: str
    provider_org: str
    consumer_org: str
    purpose: str
    operations: frozenset[str]
    compute_node: str
    max_rounds: int | None
    epsilon_budget: float | None
    min_nodes: int
    expires_at: datetime | None
    prohibitions: frozenset[str]
    state: str

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["operations"] = sorted(self.operations)
        out["prohibitions"] = sorted(self.prohibitions)
        out["expires_at"] = self.expires_at.isoformat() if self.expires_at else None
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "terms") -> ContractTerms:
        """Parse and check ``to_dict()``'s output; a ResonanceError names the first bad field."""
        if not isinstance(data, dict):
            raise _bad("contract terms must be a JSON object", where, "send the terms as the space gave them")
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise _bad(f"unknown field(s) {sorted(unknown)}", where, "send the terms as the space gave them")
        return cls(
            contract_id=_str(data, "contract_id", where),
            dataset_code=_str(data, "dataset_code", where),
            dataset_version=_str(data, "dataset_version", where),
            dataset_fingerprint=str(data.get("dataset_fingerprint") or ""),
            provider_org=_str(data, "provider_org", where),
            consumer_org=_str(data, "consumer_org", where),
            purpose=_str(data, "purpose", where),
            operations=_names(data.get("operations"), OPERATIONS, f"{where}.operations"),
            compute_node=str(data.get("compute_node") or ""),
            max_rounds=_int(data.get("max_rounds"), f"{where}.max_rounds", 1, optional=True),
            epsilon_budget=_float(data.get("epsilon_budget"), f"{where}.epsilon_budget", optional=True),
            min_nodes=_int(data.get("min_nodes", 1), f"{where}.min_nodes", 1) or 1,
            expires_at=parse_time(data.get("expires_at"), f"{where}.expires_at"),
            prohibitions=_names(data.get("prohibitions", []), PROHIBITIONS, f"{where}.prohibitions"),
            state=_str(data, "state", where),
        )


@dataclass(frozen=True)
class JobRequest:
    """What one job asks of a contract: who, why, which operation, planned rounds, ε for this job, nodes in it."""

    job_id: str
    consumer_org: str
    purpose: str
    operation: str
    rounds: int
    epsilon: float | None
    nodes: int

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any, where: str = "request") -> JobRequest:
        if not isinstance(data, dict):
            raise _bad("a job request must be a JSON object", where, "send job_id, consumer_org, purpose, …")
        operation = _str(data, "operation", where)
        if operation not in OPERATIONS:
            raise _bad(f"unknown operation {operation!r}", f"{where}.operation", "use federatedTrain or evaluate")
        return cls(
            job_id=_str(data, "job_id", where),
            consumer_org=_str(data, "consumer_org", where),
            purpose=_str(data, "purpose", where),
            operation=operation,
            rounds=_int(data.get("rounds"), f"{where}.rounds", 1) or 1,
            epsilon=_float(data.get("epsilon"), f"{where}.epsilon", optional=True),
            nodes=_int(data.get("nodes"), f"{where}.nodes", 1) or 1,
        )


@dataclass(frozen=True)
class Decision:
    """A node's answer for one job at one round: ``code`` is stable ("ok", "expired", "revoked", …)."""

    allowed: bool
    code: str
    reason_zh: str
    reason_en: str

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        return cls(bool(data["allowed"]), str(data["code"]), str(data["reason_zh"]), str(data["reason_en"]))
