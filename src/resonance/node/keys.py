"""Ed25519 identities for nodes (and organisations): key files, signatures, and signed HTTP requests.

A signed request carries ``X-Resonance-Node`` (node id), ``X-Resonance-Timestamp`` (UTC, seconds) and
``X-Resonance-Signature`` (base64 Ed25519 signature over method, path, timestamp and SHA-256 of the body),
so the space can tell which approved node sent it and that nobody changed or replayed it later.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from resonance.errors import ResonanceError, Unauthorized

MAX_CLOCK_SKEW_S = 300


def generate(private_path: Path) -> str:
    """Write a new key pair (private key readable by the owner only); returns the public key (base64)."""
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public = public_key_b64(key.public_key())
    private_path.with_suffix(".pub").write_text(public + "\n", encoding="ascii")
    return public


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise ResonanceError(what=f"no node key at {path}", fix="run `resonance node init` first") from None
    except ValueError:
        raise ResonanceError(what=f"{path} is not a PEM private key", fix="restore the node key from backup") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ResonanceError(
            what=f"{path} is not an Ed25519 key", fix="create the node again with `resonance node init`"
        )
    return key


def public_key_b64(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def parse_public(text: str, where: str = "public_key") -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError):
        raise ResonanceError(
            what="not a base64 Ed25519 public key (32 bytes)",
            where=where,
            fix="send the content of the node's .pub file",
            code="invalid_key",
            status=422,
        ) from None


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode("ascii")


def verify(public_b64: str, message: bytes, signature_b64: str) -> bool:
    try:
        parse_public(public_b64).verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError, ResonanceError):
        return False
    return True


def request_message(method: str, path: str, timestamp: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{timestamp}\n{digest}".encode()


def signed_headers(node_id: str, key: Ed25519PrivateKey, method: str, path: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "X-Resonance-Node": node_id,
        "X-Resonance-Timestamp": timestamp,
        "X-Resonance-Signature": sign(key, request_message(method, path, timestamp, body)),
    }


def check_signed_request(
    public_b64: str,
    method: str,
    path: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: float | None = None,
) -> None:
    """Raise Unauthorized unless the request was signed by this key within the allowed clock skew."""
    if not timestamp or not signature:
        raise Unauthorized(
            "the request is not signed by a node key",
            fix="send it with `resonance node …`, which signs with the node key",
        )
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        raise Unauthorized(f"bad X-Resonance-Timestamp {timestamp!r}", fix="send UTC seconds since the epoch") from None
    if age > MAX_CLOCK_SKEW_S:
        raise Unauthorized(
            f"the signed request is {int(age)} s old (limit {MAX_CLOCK_SKEW_S} s)",
            fix="check the node's clock (NTP) and send the request again",
        )
    if not verify(public_b64, request_message(method, path, timestamp, body), signature):
        raise Unauthorized(
            "the node signature does not match this request",
            fix="the node key or the request was altered; re-enrol the node if its key was replaced",
        )
