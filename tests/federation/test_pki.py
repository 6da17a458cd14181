"""The space's CA and SuperLink certificate (pki) and each node's SuperNode key (flower_keys)."""

from __future__ import annotations

import ipaddress
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from resonance.errors import ResonanceError
from resonance.federation import flower_keys, pki


def _sans(path):
    san = pki.load_cert(path).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(v) for v in san.get_values_for_type(x509.IPAddress)], san.get_values_for_type(x509.DNSName)


def test_ensure_ca_makes_ca_and_server_cert_signed_by_it(tmp_path):
    files = pki.ensure_ca(tmp_path)
    assert files.directory == tmp_path / "federation" / "tls"
    ca, server = pki.load_cert(files.ca_cert), pki.load_cert(files.server_cert)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    server.verify_directly_issued_by(ca)
    ips, dns = _sans(files.server_cert)
    assert ips == ["127.0.0.1"] and dns == ["localhost"]
    assert server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_private_keys_are_owner_only(tmp_path):
    files = pki.ensure_ca(tmp_path)
    for key in (files.ca_key, files.server_key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.directory.stat().st_mode) == 0o700


def test_ensure_ca_is_idempotent(tmp_path):
    files = pki.ensure_ca(tmp_path)
    before = {p: p.read_bytes() for p in (files.ca_cert, files.ca_key, files.server_cert, files.server_key)}
    pki.ensure_ca(tmp_path)
    assert {p: p.read_bytes() for p in before} == before


def test_extra_name_reissues_server_cert_with_same_ca(tmp_path):
    files = pki.ensure_ca(tmp_path)
    ca_before, server_before = files.ca_cert.read_bytes(), files.server_cert.read_bytes()
    pki.ensure_ca(tmp_path, names=("127.0.0.1", "localhost", "10.1.2.3", "space.example"))
    assert files.ca_cert.read_bytes() == ca_before
    assert files.server_cert.read_bytes() != server_before
    ips, dns = _sans(files.server_cert)
    assert ipaddress.ip_address("10.1.2.3") in {ipaddress.ip_address(i) for i in ips}
    assert "space.example" in dns
    pki.load_cert(files.server_cert).verify_directly_issued_by(pki.load_cert(files.ca_cert))


def test_server_cert_from_another_ca_is_replaced(tmp_path):
    files = pki.ensure_ca(tmp_path)
    other = pki.ensure_ca(tmp_path / "other")
    files.server_cert.write_bytes(other.server_cert.read_bytes())
    files.server_key.write_bytes(other.server_key.read_bytes())
    pki.ensure_ca(tmp_path)
    pki.load_cert(files.server_cert).verify_directly_issued_by(pki.load_cert(files.ca_cert))


def test_ca_without_key_is_refused(tmp_path):
    files = pki.ensure_ca(tmp_path)
    files.ca_key.unlink()
    with pytest.raises(ResonanceError) as err:
        pki.ensure_ca(tmp_path)
    assert err.value.code == "tls_incomplete" and "ca.key" in err.value.what


def test_load_cert_missing_and_malformed(tmp_path):
    with pytest.raises(ResonanceError, match="no certificate"):
        pki.load_cert(tmp_path / "nope.pem")
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(ResonanceError, match="not a PEM certificate"):
        pki.load_cert(bad)


def test_node_key_is_openssh_ecdsa_p384_and_idempotent(tmp_path):
    line = flower_keys.ensure_node_key(tmp_path)
    assert line.startswith("ecdsa-sha2-nistp384 ")
    private = flower_keys.private_key_path(tmp_path)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    key = serialization.load_ssh_private_key(private.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp384r1"
    assert flower_keys.ensure_node_key(tmp_path) == line
    assert flower_keys.public_key_path(tmp_path).read_text().strip() == line
    assert isinstance(flower_keys.parse_public_key(line), ec.EllipticCurvePublicKey)


def test_fingerprint_is_stable_and_distinct(tmp_path):
    a = flower_keys.ensure_node_key(tmp_path / "a")
    b = flower_keys.ensure_node_key(tmp_path / "b")
    assert flower_keys.fingerprint(a) == flower_keys.fingerprint(a + "\n") != flower_keys.fingerprint(b)
    assert len(flower_keys.fingerprint(a)) == 16


@pytest.mark.parametrize(
    "text",
    ["", "   ", "not a key", "ecdsa-sha2-nistp384 AAAAnotbase64!!", 42, None, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA"],
)
def test_parse_public_key_refuses_malformed(text):
    with pytest.raises(ResonanceError):
        flower_keys.parse_public_key(text)


def test_parse_public_key_refuses_ed25519_and_non_nist_curves():
    ed = ed25519.Ed25519PrivateKey.generate().public_key()
    line = ed.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    with pytest.raises(ResonanceError, match="NIST"):
        flower_keys.parse_public_key(line)


def test_public_key_text_without_key(tmp_path):
    with pytest.raises(ResonanceError, match="no SuperNode key"):
        flower_keys.public_key_text(tmp_path)
    path = flower_keys.private_key_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("garbage")
    with pytest.raises(ResonanceError, match="not an OpenSSH private key"):
        flower_keys.public_key_text(tmp_path)
