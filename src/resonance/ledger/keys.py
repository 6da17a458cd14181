"""The space key: the Ed25519 key that signs ledger events and finalized contracts.

It lives at ``<RESONANCE_HOME>/keys/space.key`` (0600) and is created on first need (or by
``resonance space init``). Its public half (``space.pub``) is what nodes and auditors verify against.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from resonance.node import keys
from resonance.settings import get_settings


def space_key_path(home: Path | None = None) -> Path:
    return (home or get_settings().home) / "keys" / "space.key"


def ensure_space_key(home: Path | None = None) -> Path:
    """Create the space key if there is none yet; returns its path.

    The key is written to a private temporary file and then linked into place, so a process racing this one
    sees either no key or a whole one, and exactly one key wins.
    """
    path = space_key_path(home)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".space-", suffix=".key")
    os.close(fd)
    os.unlink(tmp)
    try:
        public = keys.generate(Path(tmp))
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path  # another process created it first: use theirs
        path.with_suffix(".pub").write_text(public + "\n", encoding="ascii")
    finally:
        Path(tmp).unlink(missing_ok=True)
        Path(tmp).with_suffix(".pub").unlink(missing_ok=True)
    return path


def space_key(home: Path | None = None) -> Ed25519PrivateKey:
    return keys.load_private(ensure_space_key(home))


def space_public_key(home: Path | None = None) -> str:
    """The space's public key (base64), as nodes pin it and ``ledger verify`` checks signatures with it."""
    return keys.public_key_b64(space_key(home).public_key())


def sign(message: bytes, home: Path | None = None) -> str:
    return keys.sign(space_key(home), message)
