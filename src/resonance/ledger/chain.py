"""Appending to and verifying the 存证 ledger.

Each event's ``hash`` is SHA-256 over the canonical JSON of (seq, prev_hash, kind, subject, actor, at,
payload, node_id, node_signature); ``signature`` is the space key's Ed25519 signature over that hash. The
signed head row (newest seq and hash) makes deleting the newest events detectable too. A node-originated act
also carries the node's own signature (of the signed HTTP request that carried it), checked against the key
the node enrolled with.

Appends are serialised by locking the head row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has a single
writer anyway), so concurrent writers never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.errors import Problem, ResonanceError
from resonance.ledger import keys as space_keys
from resonance.node import keys
from resonance.registry import models as m

GENESIS = "0" * 64
KINDS = (
    "node.enrolled",
    "node.approved",
    "node.refused",
    "dataset.published",
    "policy.changed",
    "contract.requested",
    "contract.offered",
    "contract.accepted",
    "contract.agreed",
    "contract.verified",
    "contract.finalized",
    "contract.terminated",
    "contract.revoked_at_node",
    "job.started",
    "job.round",
    "job.ended",
    "job.contribution",
    "model.published",
)


@dataclass(frozen=True)
class NodeAct:
    """A node's signature over the message that carried its act: a signed request (``keys.request_message``)
    or its enrolment proof (``enrol:<node id>``)."""

    node_id: str
    message: str
    signature: str

    @classmethod
    def from_request(cls, node_id: str, method: str, path: str, timestamp: str, body: bytes, signature: str) -> NodeAct:
        return cls(node_id, keys.request_message(method, path, timestamp, body).decode("utf-8"), signature)


@dataclass
class VerifyReport:
    """``ok`` when every event is intact, in order, signed, and the head matches; ``problems`` say which seq."""

    ok: bool
    count: int
    problems: list[Problem] = field(default_factory=list)
    head_seq: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "count": self.count,
            "head_seq": self.head_seq,
            "problems": [p.as_dict() for p in self.problems],
        }


def canonical(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _digest(seq: int, prev: str, kind: str, subject: str, actor: str, at: str, payload: str, node: Any) -> str:
    body = canonical([seq, prev, kind, subject, actor, at, payload, node[0], node[1]])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def event_hash(event: m.LedgerEvent) -> str:
    node = (event.node_id, event.node_signature)
    return _digest(event.seq, event.prev_hash, event.kind, event.subject, event.actor, event.at, event.payload, node)


def _head_message(seq: int, digest: str) -> bytes:
    return f"ledger-head:{seq}:{digest}".encode()


def _locked_head(session: Session) -> m.LedgerHead:
    head = session.scalars(select(m.LedgerHead).where(m.LedgerHead.id == 1).with_for_update()).first()
    if head is None:  # a registry created before migration 0005's seed row: create it
        head = m.LedgerHead(id=1, seq=0, hash="", signature="")
        session.add(head)
        session.flush()
    return head


def append(
    session: Session,
    *,
    kind: str,
    subject: str,
    payload: dict[str, Any],
    actor: str,
    node: NodeAct | None = None,
) -> m.LedgerEvent:
    """Append one event signed by the space key, in the caller's transaction (it commits or rolls back with it).

    ``kind`` is one of ``KINDS`` (or ``<family>.<name>`` for new kinds); ``subject`` names what the act is
    about (``contract:12``, ``node:node-ab…``, ``job:J1``); ``payload`` must be JSON-serialisable.
    """
    if not isinstance(kind, str) or "." not in kind or len(kind) > 60:
        raise ResonanceError(what=f"bad ledger event kind {kind!r}", fix="use <family>.<name>, e.g. job.round")
    if not isinstance(payload, dict):
        raise ResonanceError(what="a ledger payload must be a JSON object", where="payload")
    try:
        text = canonical({**payload, **({"node_act": node.__dict__} if node else {})})
    except (TypeError, ValueError) as exc:
        raise ResonanceError(what=f"the ledger payload is not JSON: {exc}", where="payload") from None
    head = _locked_head(session)
    seq = head.seq + 1
    prev = head.hash or GENESIS
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    node_id, node_signature = (node.node_id, node.signature) if node else (None, None)
    digest = _digest(seq, prev, kind, subject[:200], actor[:200], at, text, (node_id, node_signature))
    key = space_keys.space_key()
    event = m.LedgerEvent(
        seq=seq,
        prev_hash=prev,
        hash=digest,
        kind=kind,
        subject=subject[:200],
        actor=actor[:200],
        at=at,
        payload=text,
        signature=keys.sign(key, digest.encode("ascii")),
        node_id=node_id,
        node_signature=node_signature,
    )
    session.add(event)
    head.seq, head.hash = seq, digest
    head.signature = keys.sign(key, _head_message(seq, digest))
    session.flush()
    return event


def events(
    session: Session, *, kind: str | None = None, subject: str | None = None, after: int = 0, limit: int = 1000
) -> list[m.LedgerEvent]:
    stmt = select(m.LedgerEvent).where(m.LedgerEvent.seq > after)
    if kind:
        stmt = stmt.where(m.LedgerEvent.kind.startswith(kind) if kind.endswith(".") else m.LedgerEvent.kind == kind)
    if subject:
        stmt = stmt.where(m.LedgerEvent.subject == subject)
    return list(session.scalars(stmt.order_by(m.LedgerEvent.seq).limit(limit)))


def as_dict(event: m.LedgerEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at,
        "kind": event.kind,
        "subject": event.subject,
        "actor": event.actor,
        "payload": json.loads(event.payload),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        "signature": event.signature,
        "node_id": event.node_id,
        "node_signature": event.node_signature,
    }


def _check_node(session: Session, event: m.LedgerEvent) -> str | None:
    """Why the node signature of ``event`` fails, or None when it holds."""
    node = session.get(m.Node, event.node_id) if event.node_id else None
    if node is None:
        return f"names node {event.node_id}, which the registry does not know"
    try:
        act = NodeAct(**json.loads(event.payload)["node_act"])
    except (ValueError, KeyError, TypeError):
        return "carries a node signature but not the message it signed"
    if act.node_id != event.node_id or act.signature != event.node_signature:
        return "its node signature does not match the signed message in its payload"
    if not keys.verify(node.public_key, act.message.encode("utf-8"), act.signature):
        return f"its node signature is not by node {event.node_id}'s key"
    return None


def verify(session: Session) -> VerifyReport:
    """Check every event in seq order: numbering, chaining, content hash, space signature, node signature, head.

    Reports every problem found (with the seq, what is wrong and what it suggests: edited, deleted, inserted
    or reordered), never stopping at the first.
    """
    public = space_keys.space_public_key()
    problems: list[Problem] = []
    rows = list(session.scalars(select(m.LedgerEvent).order_by(m.LedgerEvent.seq)))
    by_hash = {row.hash: row.seq for row in rows}
    prev_hash, prev_seq = GENESIS, 0

    def bad(seq: int, what: str, fix: str) -> None:
        problems.append(Problem(what=what, where=f"seq {seq}", fix=fix))

    for row in rows:
        if row.seq != prev_seq + 1:
            missing = f"{prev_seq + 1}" if row.seq == prev_seq + 2 else f"{prev_seq + 1}–{row.seq - 1}"
            bad(row.seq, f"events {missing} are missing before it (deleted)", "restore the deleted events from backup")
        recomputed = event_hash(row)
        if recomputed != row.hash:
            bad(row.seq, "its content does not match its hash (edited after it was written)", "restore it from backup")
        elif not keys.verify(public, row.hash.encode("ascii"), row.signature):
            bad(row.seq, "its signature is not by this space's key (inserted or forged)", "remove the forged event")
        if row.prev_hash != prev_hash:
            source = by_hash.get(row.prev_hash)
            if source is not None and source != row.seq - 1:
                what = f"it was written after seq {source}, not after seq {row.seq - 1} (reordered)"
            elif row.seq == prev_seq + 1:
                what = f"it does not chain to seq {prev_seq} (an event was inserted, edited or replaced before it)"
            else:
                what = "it does not chain to the event before it"
            bad(row.seq, what, "restore the ledger's original order and content from backup")
        if row.node_id and (why := _check_node(session, row)):
            bad(row.seq, why, "the node's act was altered; restore it from backup")
        prev_hash, prev_seq = row.hash, row.seq
    head = session.get(m.LedgerHead, 1)
    head_seq = head.seq if head else 0
    if head is not None and head.seq:
        if not keys.verify(public, _head_message(head.seq, head.hash), head.signature):
            problems.append(Problem(what="the ledger head is not signed by this space's key", where="head"))
        elif head.seq != prev_seq or head.hash != prev_hash:
            problems.append(
                Problem(
                    what=f"the ledger head says seq {head.seq} is the newest, but the last event is seq {prev_seq} "
                    "(the newest events were deleted or replaced)",
                    where=f"seq {prev_seq + 1}" if head.seq > prev_seq else "head",
                    fix="restore the deleted events from backup",
                )
            )
    elif rows:
        problems.append(Problem(what="the ledger has events but no signed head", where="head"))
    return VerifyReport(ok=not problems, count=len(rows), problems=problems, head_seq=head_seq)
