"""The space's side of nodes: enrolment requests, the operator's approval or refusal, signed node requests,
and what an approved node publishes about its datasets (metadata only)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resonance.errors import Conflict, Forbidden, NotFound, ResonanceError
from resonance.ledger import chain
from resonance.node import keys
from resonance.registry import models as m
from resonance.registry import services
from resonance.registry.concepts import CONCEPTS

STATUSES = ("pending", "approved", "refused", "revoked")


def node_id_for(public_key_b64: str) -> str:
    """A node's id is derived from its key, so the same key always names the same node."""
    return "node-" + hashlib.sha256(public_key_b64.strip().encode("ascii")).hexdigest()[:12]


def enrol(
    session: Session,
    org: str,
    public_key: str,
    name: str = "",
    proof: str = "",
    software_version: str = "",
    flower_public_key: str | None = None,
) -> m.Node:
    """Record an enrolment request; ``proof`` is the key's signature over ``enrolment.enrolment_message``
    (``enrol:<node id>``, plus the SuperNode key line when ``flower_public_key`` is sent).

    ``flower_public_key``: the node's SuperNode key (``keys/flower.pub``), authorised at the SuperLink when the
    operator approves the node. A node enrolling again may replace it until it is approved; an approved node
    that had none gets it authorised at once. Bad input is refused before anything is stored.
    """
    from resonance.federation import enrolment

    keys.parse_public(public_key)
    flower = enrolment.check_flower_key(flower_public_key) if flower_public_key is not None else None
    node_id = node_id_for(public_key)
    signed = enrolment.enrolment_message(node_id, str(flower_public_key) if flower else None)
    if not keys.verify(public_key, signed, proof):
        raise ResonanceError(
            what="the enrolment proof is not signed by this node key",
            where="proof",
            fix="send the request with `resonance node init`, which signs it",
            code="bad_proof",
            status=422,
        )
    organisation = services.resolve(session, m.Organisation, org, where="org")
    if flower is not None:
        _flower_key_free(session, flower, node_id)
    existing = session.get(m.Node, node_id)
    if existing is not None:
        if existing.org_id != organisation.id:
            raise Conflict(
                what=f"node {node_id} is already enrolled for another organisation",
                fix="create a new node key for this organisation (`resonance node init --force`)",
            )
        changed_key = flower is not None and flower != existing.flower_public_key
        if changed_key and existing.status == "approved" and existing.flower_public_key:
            raise Conflict(
                what=f"node {node_id} is approved with another SuperNode key",
                where="flower_public_key",
                fix="restore the node's keys/flower.key; or the operator refuses the node, the node enrols again "
                "(`resonance node enrol`) and the operator approves the new key",
            )
        reopened = existing.status == "refused"
        if reopened:
            existing.status, existing.reason = "pending", ""
        if changed_key:
            existing.flower_public_key = flower
            session.flush()
        if reopened or changed_key:
            _enrolled(session, existing, organisation.code, proof, signed)
        if changed_key and existing.status == "approved":  # approved before it had sent a SuperNode key
            enrolment.on_decision(session, existing)
        return existing
    node = m.Node(
        id=node_id,
        org_id=organisation.id,
        name=name[:120],
        public_key=public_key.strip(),
        status="pending",
        software_version=software_version[:40],
        flower_public_key=flower,
    )
    session.add(node)
    session.flush()
    _enrolled(session, node, organisation.code, proof, signed)
    return node


def _flower_key_free(session: Session, flower: str, node_id: str) -> None:
    other = session.scalars(select(m.Node.id).where(m.Node.flower_public_key == flower, m.Node.id != node_id)).first()
    if other is not None:
        raise Conflict(
            what=f"this SuperNode key is already held by node {other}",
            where="flower_public_key",
            fix="each node needs its own SuperNode key: `resonance node init --force` makes new keys",
        )


def _enrolled(session: Session, node: m.Node, org: str, proof: str, signed: bytes) -> None:
    act = chain.NodeAct(node.id, signed.decode("utf-8"), proof)
    payload = {"node": node.id, "org": org, "public_key": node.public_key, "name": node.name}
    if node.flower_public_key:
        payload["flower_public_key"] = node.flower_public_key
    chain.append(session, kind="node.enrolled", subject=f"node:{node.id}", payload=payload, actor=node.id, node=act)


def get(session: Session, node_id: str) -> m.Node:
    node = session.get(m.Node, node_id.strip())
    if node is None:
        raise NotFound("node", node_id, fix="list nodes with `resonance space nodes list`")
    return node


def list_nodes(session: Session, status: str | None = None) -> list[m.Node]:
    stmt = select(m.Node).order_by(m.Node.created_at, m.Node.id)
    if status:
        if status not in STATUSES:
            raise ResonanceError(what=f"unknown node status {status!r}", fix=f"use one of: {', '.join(STATUSES)}")
        stmt = stmt.where(m.Node.status == status)
    return list(session.scalars(stmt))


def decide(
    session: Session, node_id: str, approve: bool, by: str, reason: str = "", space_home: Path | None = None
) -> m.Node:
    """The operator approves or refuses a node (refusing needs a reason the node's owner can read).

    The decision reaches the federation in the same call (``federation.enrolment.on_decision``): approving
    authorises the node's SuperNode key at the space's SuperLink (``space_home``, default the configured home),
    refusing withdraws it. If the SuperLink refuses the key, the error propagates and the caller's transaction
    rolls the decision back. Approving an approved node changes nothing but re-checks its authorisation.
    """
    from resonance.federation import enrolment

    node = get(session, node_id)
    if not approve and not reason.strip():
        raise ResonanceError(what="a refusal needs a reason", fix="add --reason '…' saying what the provider must fix")
    if approve and node.status == "approved":
        enrolment.on_decision(session, node, space_home=space_home)
        return node
    node.status = "approved" if approve else "refused"
    node.reason = reason.strip()
    node.decided_by = by
    node.decided_at = datetime.now(UTC)
    session.flush()
    chain.append(
        session,
        kind=f"node.{node.status}",
        subject=f"node:{node.id}",
        payload={"node": node.id, "status": node.status, "reason": node.reason},
        actor=by,
    )
    enrolment.on_decision(session, node, space_home=space_home)
    return node


def as_dict(session: Session, node: m.Node) -> dict[str, Any]:
    org = session.get(m.Organisation, node.org_id)
    return {
        "id": node.id,
        "org": org.code if org else None,
        "name": node.name,
        "status": node.status,
        "reason": node.reason,
        "public_key": node.public_key,
        "flower_public_key": node.flower_public_key,
        "decided_by": node.decided_by,
        "decided_at": node.decided_at.isoformat() if node.decided_at else None,
        "requested_at": node.created_at.isoformat() if node.created_at else None,
        "last_seen_at": node.last_seen_at.isoformat() if node.last_seen_at else None,
    }


def authenticate(
    session: Session,
    node_id: str | None,
    method: str,
    path: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    require_approved: bool = True,
) -> m.Node:
    """The node behind a signed request; unknown, unapproved or badly signed requests are refused."""
    if not node_id:
        raise Forbidden(
            "this endpoint takes requests from enrolled nodes only",
            fix="send it with `resonance node …` from an enrolled node",
        )
    node = get(session, node_id)
    keys.check_signed_request(node.public_key, method, path, body, timestamp, signature)
    if require_approved and node.status != "approved":
        state = {
            "pending": "is waiting for the operator's approval",
            "refused": f"was refused: {node.reason}",
            "revoked": "was revoked",
        }.get(node.status, node.status)
        raise Forbidden(
            f"node {node.id} {state}; it can publish nothing",
            fix="ask the space operator to run `resonance space nodes approve " + node.id + "`",
        )
    node.last_seen_at = datetime.now(UTC)
    session.flush()
    return node


PUBLISHED_FIELDS = ("card", "profile", "quality", "grading")


def publish_dataset(
    session: Session, node: m.Node, payload: dict[str, Any], act: chain.NodeAct | None = None
) -> m.Dataset:
    """Create or update the catalog entry of one of the node's datasets from its published metadata.

    ``payload`` = {"dataset": registry fields (code, version, name_zh, kind, industry, …), "fingerprint",
    "card", "profile", "quality", "grading"}. The owner is always the node's organisation.
    ``act``: the node's signed request, which the ledger event keeps as the node's own signature of the act.
    """
    fields = dict(payload.get("dataset") or {})
    org = session.get(m.Organisation, node.org_id)
    owner = fields.pop("owner", None)
    if owner is not None and owner not in (org.code, org.name_zh):
        raise Forbidden(
            f"node {node.id} belongs to {org.code} and cannot publish for {owner}",
            fix="publish from a node of that organisation",
        )
    fields["owner"] = org.code
    concept = CONCEPTS["datasets"]
    code, version = fields.get("code"), str(fields.get("version") or "1")
    existing = (
        session.scalars(select(m.Dataset).where(m.Dataset.code == code, m.Dataset.version == version)).first()
        if code
        else None
    )
    if existing is not None:
        if existing.owner_org_id != org.id:
            raise Conflict(
                what=f"dataset {code}@{version} belongs to another organisation",
                fix="use another code or a new version",
            )
        changes = {k: v for k, v in fields.items() if k not in ("code", "version", "owner")}
        row = services.update(session, concept, existing, changes, where="dataset")
    else:
        row = services.create(session, concept, fields, where="dataset")
    row.node_id = node.id
    row.fingerprint = str(payload.get("fingerprint") or "")[:80] or None
    for name in PUBLISHED_FIELDS:
        value = payload.get(name)
        if value is not None and not isinstance(value, dict):
            raise ResonanceError(
                what=f"{name} must be a JSON object",
                where=name,
                code="validation_error",
                status=422,
                fix="send the node's own output unchanged",
            )
        setattr(row, name, value)
    row.status = "published"
    row.published_at = datetime.now(UTC)
    session.flush()
    key = f"{row.code}@{row.version}"
    chain.append(
        session,
        kind="dataset.published",
        subject=f"dataset:{key}",
        payload={"dataset": key, "fingerprint": row.fingerprint, "node": node.id, "org": org.code},
        actor=node.id,
        node=act,
    )
    return row
