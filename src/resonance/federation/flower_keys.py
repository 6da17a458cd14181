"""Each node's SuperNode authentication key: an ECDSA P-384 key pair in the OpenSSH formats flwr 1.41 reads.

The SuperNode proves who it is to the SuperLink with this key (``--auth-supernode-private-key``); the SuperLink
only accepts nodes whose public key the operator authorised (see ``superlink.authorise_node``). It is a second key
beside the node's Ed25519 identity (``keys/node.key``) because flwr only accepts NIST elliptic curves here.

Files in the node home::

    keys/flower.key   OpenSSH private key (0600), what ``flower-supernode`` loads
    keys/flower.pub   one line ``ecdsa-sha2-nistp384 AAAA… resonance-node``: what the space is sent
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from resonance.errors import ResonanceError

_NIST = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)


def private_key_path(node_home: Path) -> Path:
    return Path(node_home) / "keys" / "flower.key"


def public_key_path(node_home: Path) -> Path:
    return Path(node_home) / "keys" / "flower.pub"


def ensure_node_key(node_home: Path) -> str:
    """Create the node's SuperNode key pair if missing; return the public key line (OpenSSH format).

    Idempotent: an existing key is kept, because the space has authorised exactly that public key.
    """
    private = private_key_path(node_home)
    if private.exists():
        return public_key_text(node_home)
    key = ec.generate_private_key(ec.SECP384R1())
    private.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    line = _public_line(key.public_key())
    public_key_path(node_home).write_text(line + "\n", encoding="ascii")
    return line


def public_key_text(node_home: Path) -> str:
    """The public key line of the node's SuperNode key, derived from the private key (the source of truth)."""
    private = private_key_path(node_home)
    try:
        key = serialization.load_ssh_private_key(private.read_bytes(), password=None)
    except FileNotFoundError:
        raise ResonanceError(
            what=f"no SuperNode key at {private}",
            fix="create it with resonance.federation.flower_keys.ensure_node_key (done by `resonance node init`)",
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise ResonanceError(
            what=f"{private} is not an OpenSSH private key", where=str(private), fix="restore it or make a new one"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ResonanceError(what=f"{private} is not an ECDSA key", where=str(private), fix="make a new key")
    return _public_line(key.public_key())


def parse_public_key(text: str, where: str = "flower_public_key") -> ec.EllipticCurvePublicKey:
    """Check a public key line sent by a node: OpenSSH format, ECDSA on a NIST curve. Refuses anything else."""
    if not isinstance(text, str) or not text.strip():
        raise ResonanceError(
            what="the SuperNode public key is empty or not text",
            where=where,
            fix="send the line from the node's keys/flower.pub (`ecdsa-sha2-nistp384 AAAA…`)",
        )
    try:
        key = serialization.load_ssh_public_key(text.strip().encode("ascii"))
    except (ValueError, UnsupportedAlgorithm, UnicodeEncodeError):
        raise ResonanceError(
            what="the SuperNode public key is not an OpenSSH public key line",
            where=where,
            fix="send the line from the node's keys/flower.pub (`ecdsa-sha2-nistp384 AAAA…`)",
        ) from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, _NIST):
        raise ResonanceError(
            what="the SuperNode public key must be ECDSA on a NIST curve (P-256/384/521)",
            where=where,
            fix="make the key with resonance.federation.flower_keys.ensure_node_key (ECDSA P-384)",
        )
    return key


def fingerprint(text: str) -> str:
    """A short stable id of a public key (SHA-256 of its SubjectPublicKeyInfo, hex, first 16 characters)."""
    der = parse_public_key(text).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16]


def _public_line(key: ec.EllipticCurvePublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode("ascii")
    return f"{raw} resonance-node"
