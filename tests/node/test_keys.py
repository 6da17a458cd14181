"""Node keys and signed requests: what the space relies on to know which node speaks."""

from __future__ import annotations

import os
import stat
import time

import pytest

from resonance.errors import ResonanceError, Unauthorized
from resonance.node import keys


def test_generated_key_is_private_and_its_public_half_verifies(tmp_path):
    public = keys.generate(tmp_path / "k" / "node.key")
    assert stat.S_IMODE(os.stat(tmp_path / "k" / "node.key").st_mode) == 0o600
    assert (tmp_path / "k" / "node.pub").read_text().strip() == public
    key = keys.load_private(tmp_path / "k" / "node.key")
    signature = keys.sign(key, b"hello")
    assert keys.verify(public, b"hello", signature)
    assert not keys.verify(public, b"hello!", signature)
    with pytest.raises(FileExistsError):
        keys.generate(tmp_path / "k" / "node.key")


def test_signed_requests_are_checked_for_body_path_age_and_key(tmp_path):
    public = keys.generate(tmp_path / "node.key")
    other = keys.generate(tmp_path / "other.key")
    key = keys.load_private(tmp_path / "node.key")
    headers = keys.signed_headers("node-1", key, "POST", "/api/v1/x", b'{"a":1}')
    ts, sig = headers["X-Resonance-Timestamp"], headers["X-Resonance-Signature"]
    keys.check_signed_request(public, "POST", "/api/v1/x", b'{"a":1}', ts, sig)
    for args, message in [
        ((public, "POST", "/api/v1/x", b'{"a":2}', ts, sig), "does not match"),
        ((public, "POST", "/api/v1/y", b'{"a":1}', ts, sig), "does not match"),
        ((other, "POST", "/api/v1/x", b'{"a":1}', ts, sig), "does not match"),
        ((public, "POST", "/api/v1/x", b'{"a":1}', None, sig), "not signed"),
        ((public, "POST", "/api/v1/x", b'{"a":1}', "soon", sig), "bad X-Resonance-Timestamp"),
    ]:
        with pytest.raises(Unauthorized, match=message):
            keys.check_signed_request(*args)
    with pytest.raises(Unauthorized, match="s old"):
        keys.check_signed_request(public, "POST", "/api/v1/x", b'{"a":1}', ts, sig, now=time.time() + 3600)


def test_bad_key_material_is_a_clear_error(tmp_path):
    (tmp_path / "bad.key").write_text("not a key")
    with pytest.raises(ResonanceError, match="not a PEM private key"):
        keys.load_private(tmp_path / "bad.key")
    with pytest.raises(ResonanceError, match="run `resonance node init`"):
        keys.load_private(tmp_path / "missing.key")
    with pytest.raises(ResonanceError, match="Ed25519 public key"):
        keys.parse_public("abc")
