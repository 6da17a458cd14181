"""An Ed25519 identity per agent: the private key stays in the registering organisation's home.

``<RESONANCE_HOME>/agents/<code>/agent.key`` (PEM, 0600) with ``agent.pub`` beside it. The public half travels
inside the signed card as a JWK (RFC 8037, ``kty OKP``, ``crv Ed25519``) in the JWS protected header, and its
RFC 7638 thumbprint is the signature's ``kid``: the key is named by what it is, not by where it is kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm
from jwt.utils import base64url_encode

from resonance.errors import ResonanceError
from resonance.node import keys as node_keys
from resonance.settings import get_settings


def default_key_path(code: str, home: Path | None = None) -> Path:
    return (home or get_settings().home) / "agents" / code / "agent.key"


def ensure_key(path: Path) -> Ed25519PrivateKey:
    """The key at ``path``, created (0600) when there is none yet."""
    if not path.exists():
        node_keys.generate(path)
    return load_key(path)


def load_key(path: Path) -> Ed25519PrivateKey:
    try:
        return node_keys.load_private(path)
    except ResonanceError as exc:
        raise ResonanceError(
            what=exc.what.replace("node key", "agent key"),
            where=str(path),
            fix="pass --key with the agent's Ed25519 key (PEM), or leave --key out to create one in the home",
            code="bad_key",
        ) from None


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    return json.loads(OKPAlgorithm.to_jwk(key))


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of an OKP key: the required members in lexical order."""
    import hashlib

    members = {"crv": jwk.get("crv"), "kty": jwk.get("kty"), "x": jwk.get("x")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return base64url_encode(hashlib.sha256(canonical).digest()).decode("ascii")


def public_from_jwk(jwk: Any, where: str) -> Ed25519PublicKey:
    if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ResonanceError(
            what="the signature's public key is not an Ed25519 JWK (kty OKP, crv Ed25519)",
            where=where,
            fix="sign the card with `resonance agents register CARD.json --key KEY` (an Ed25519 key)",
            code="bad_signature",
            status=422,
        )
    try:
        key = OKPAlgorithm.from_jwk(json.dumps(jwk))
    except Exception:  # PyJWT raises several types for a malformed key
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise ResonanceError(
            what="the signature's public key cannot be read",
            where=where,
            fix="sign the card again with the agent's Ed25519 key",
            code="bad_signature",
            status=422,
        )
    return key
