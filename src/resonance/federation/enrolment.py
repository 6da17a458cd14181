"""A node's enrolment, seen from the federation: the SuperNode key travels with the enrolment, the operator's
decision authorises or withdraws it at the SuperLink, and an approved node learns where to connect.

Space side:
- ``check_flower_key`` validates the SuperNode public key a node sends (refused with a 422 naming the field);
- ``enrolment_message`` is what the node's Ed25519 key signs when it enrols, so that its proof covers the
  SuperNode key too (nobody can swap the key between the node and the space);
- ``on_decision`` is called by ``registry.nodes.decide`` (and so by every door: CLI, API, demo): an approved
  node's key is authorised at the SuperLink (or remembered until its next start), a refused or revoked node's
  key is withdrawn; each change appends a ledger event;
- ``federation_info`` is the public answer of ``GET /api/v1/federation``: the SuperLink address and the CA.

Node side: ``pin_ca`` keeps the first CA certificate the space presented and refuses a different one later.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from resonance.errors import ResonanceError
from resonance.federation import flower_keys, pki, superlink

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from resonance.registry import models as m

FIELD = "flower_public_key"
AUTHORISED = "node.federation_authorised"
DEAUTHORISED = "node.federation_deauthorised"


def check_flower_key(text: object) -> str:
    """The SuperNode public key in canonical form (``<type> <base64>``, comment dropped, so that one key is one
    text), or a 422 ``validation_error`` naming ``flower_public_key``."""
    try:
        flower_keys.parse_public_key(text, where=FIELD)  # type: ignore[arg-type]
    except ResonanceError as exc:
        raise ResonanceError(
            what=f"{exc.what} / SuperNode 公钥格式不正确",
            where=FIELD,
            fix=exc.fix,
            code="validation_error",
            status=422,
        ) from None
    kind, blob = str(text).split()[:2]
    return f"{kind} {blob}"


def enrolment_message(node_id: str, flower_public_key: str | None = None) -> bytes:
    """What the node's Ed25519 key signs to enrol: ``enrol:<node id>``, plus ``\\nflower:<key line as sent,
    stripped>`` when the node sends its SuperNode key (then the proof vouches for both keys)."""
    message = f"enrol:{node_id}"
    if flower_public_key:
        message += f"\nflower:{flower_public_key.strip()}"
    return message.encode("utf-8")


def on_decision(session: Session, node: m.Node, *, space_home: Path | None = None) -> str | None:
    """Bring the SuperLink in line with the operator's decision on ``node``; return flwr's node id when approved.

    Approved: the node's SuperNode key is authorised (``superlink.authorise_node``; ``""`` while the SuperLink is
    not running: the key is remembered and registered at its next start). Any other status: the key is
    withdrawn. A node that sent no SuperNode key is left alone (None). The ledger gets one event per change, in
    the caller's transaction; if the SuperLink refuses the key, the error propagates so that the decision is
    rolled back with it, and no half-authorised key is left behind.
    """
    from resonance.ledger import chain

    key = node.flower_public_key
    if not key:
        return None
    home = Path(space_home) if space_home is not None else _space_home()
    fp = flower_keys.fingerprint(key)
    known = fp in superlink.authorised_keys(home)
    if node.status != "approved":
        if superlink.deauthorise_node(home, key):
            payload = {"node": node.id, "fingerprint": fp, "status": node.status}
            chain.append(session, kind=DEAUTHORISED, subject=f"node:{node.id}", payload=payload, actor=node.decided_by)
        return None
    try:
        flwr_id = superlink.authorise_node(home, key, name=node.id)
    except ResonanceError as exc:
        if not known:
            superlink.deauthorise_node(home, key)
        raise ResonanceError(
            what=f"node {node.id} was not approved: the SuperLink did not register its SuperNode key ({exc.what})",
            where=exc.where or str(superlink.log_file(home)),
            fix=exc.fix or "read the SuperLink log, then approve again",
            code=exc.code,
            status=exc.status,
        ) from None
    if not known:
        payload = {"node": node.id, "fingerprint": fp, "flwr_node_id": flwr_id or None}
        chain.append(session, kind=AUTHORISED, subject=f"node:{node.id}", payload=payload, actor=node.decided_by)
    return flwr_id


def federation_info(space_home: Path) -> dict[str, Any]:
    """Where an approved node connects: ``superlink`` (``host:port``, None while it is not running), ``ca_cert``
    (PEM, None before the space made its CA) and ``ca_sha256``. Only public material: the CA's private key and
    the SuperLink's key never leave the space, and an address alone admits no one (node keys are checked)."""
    link = superlink.running(space_home)
    ca = pki.tls_dir(space_home) / "ca.pem"
    pem = ca.read_text(encoding="ascii") if ca.is_file() else None
    return {
        "superlink": link.address if link else None,
        "ca_cert": pem,
        "ca_sha256": _cert_sha256(pem, "ca.pem") if pem else None,
    }


def ca_path(node_home: Path) -> Path:
    """Where a node keeps the space's CA certificate it pinned."""
    return Path(node_home) / "federation" / "space-ca.pem"


def pin_ca(node_home: Path, pem: object) -> Path:
    """Store the space's CA certificate in the node home the first time; afterwards refuse a different one.

    A changed CA would let whoever holds it impersonate the SuperLink to this node, so it is never replaced
    silently: the error says how to accept a CA the operator really replaced. Returns the pinned file.
    """
    if not isinstance(pem, str) or not pem.strip():
        raise ResonanceError(
            what="the space sent no CA certificate / 空间未提供 CA 证书",
            where="ca_cert",
            fix="ask the operator to run `resonance space init` (it makes the federation CA)",
            code="ca_missing",
            status=502,
        )
    offered = _cert_sha256(pem, "ca_cert")
    path = ca_path(node_home)
    if path.is_file():
        pinned = _cert_sha256(path.read_text(encoding="ascii"), str(path))
        if pinned != offered:
            raise ResonanceError(
                what=(
                    f"the space presented another CA certificate (sha256 {offered[:16]}…) than the one this node "
                    f"pinned (sha256 {pinned[:16]}…) / 空间的 CA 证书与本节点已固定的证书不一致"
                ),
                where=str(path),
                fix="confirm with the space operator out of band that the CA was replaced; only then delete "
                f"{path} and start the node again",
                code="ca_changed",
                status=409,
            )
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(pem.strip() + "\n", encoding="ascii")
    os.replace(tmp, path)
    return path


def _cert_sha256(pem: str, where: str) -> str:
    try:
        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ResonanceError(
            what="the CA certificate is not a PEM certificate / CA 证书格式不正确",
            where=where,
            fix="the space's federation/tls/ca.pem must be a PEM certificate; ask the operator",
            code="bad_ca",
            status=502,
        ) from None
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _space_home() -> Path:
    from resonance.settings import get_settings

    return get_settings().home
