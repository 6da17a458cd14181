"""The space's TLS: a certificate authority and the SuperLink's server certificate, made with ``cryptography``.

Files live under ``<space home>/federation/tls/``::

    ca.pem        CA certificate: every SuperNode and the `flwr` CLI get this (``--root-certificates``)
    ca.key        CA private key (0600): signs the server certificate; never leaves the space
    server.pem    SuperLink certificate, subjectAltName IP:127.0.0.1 + DNS:localhost (+ any extra names)
    server.key    SuperLink private key (0600)

``ensure_ca(home)`` is idempotent: it creates what is missing and keeps what is there, so ``resonance space init``
can run again without invalidating the certificate the nodes already trust.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from resonance.errors import ResonanceError

CA_DAYS = 3650
SERVER_DAYS = 825
DEFAULT_NAMES = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class TlsFiles:
    """Paths of the space's TLS files (they exist once ``ensure_ca``/``ensure_server_cert`` ran)."""

    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"


def tls_dir(home: Path) -> Path:
    """Where the space keeps its TLS files."""
    return Path(home) / "federation" / "tls"


def ensure_ca(home: Path, names: tuple[str, ...] = DEFAULT_NAMES) -> TlsFiles:
    """Create the space's CA and the SuperLink server certificate if missing; return their paths.

    Existing files are kept (the nodes already trust that CA). A server certificate that does not cover
    ``names`` or expires within 30 days is re-issued by the same CA. A CA certificate without its key, or
    the reverse, is refused: restore the missing file or move the folder away to start over.
    """
    files = TlsFiles(tls_dir(home))
    files.directory.mkdir(parents=True, exist_ok=True)
    os.chmod(files.directory, 0o700)
    if files.ca_cert.exists() != files.ca_key.exists():
        raise ResonanceError(
            what="the space CA is incomplete: one of ca.pem / ca.key is missing",
            where=str(files.directory),
            fix="restore the missing file from backup, or move the folder away so that a new CA is made "
            "(then every node needs the new ca.pem)",
            code="tls_incomplete",
        )
    if not files.ca_cert.exists():
        _write_ca(files)
    if _server_cert_needed(files, names):
        _write_server_cert(files, names)
    return files


def load_cert(path: Path) -> x509.Certificate:
    """Read a PEM certificate, refusing a missing or malformed file with a clear error."""
    try:
        return x509.load_pem_x509_certificate(Path(path).read_bytes())
    except FileNotFoundError:
        raise ResonanceError(
            what=f"no certificate at {path}", fix="run `resonance space init` to create the space's CA"
        ) from None
    except ValueError:
        raise ResonanceError(
            what=f"{path} is not a PEM certificate", where=str(path), fix="restore it from backup"
        ) from None


def _write_ca(files: TlsFiles) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Resonance Space"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Resonance Space CA"),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA384())
    )
    _write_private(files.ca_key, key)
    files.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _write_server_cert(files: TlsFiles, names: tuple[str, ...]) -> None:
    ca_cert = load_cert(files.ca_cert)
    ca_key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ResonanceError(what="ca.key is not an EC private key", where=str(files.ca_key), fix="restore it")
    key = ec.generate_private_key(ec.SECP384R1())
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Resonance SuperLink")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA384())
    )
    _write_private(files.server_key, key)
    files.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _server_cert_needed(files: TlsFiles, names: tuple[str, ...]) -> bool:
    if not (files.server_cert.exists() and files.server_key.exists()):
        return True
    cert = load_cert(files.server_cert)
    try:
        cert.verify_directly_issued_by(load_cert(files.ca_cert))
    except (ValueError, TypeError, InvalidSignature):
        return True
    if cert.not_valid_after_utc - _now() < dt.timedelta(days=30):
        return True
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    have = {str(v) for v in san.get_values_for_type(x509.IPAddress)} | set(san.get_values_for_type(x509.DNSName))
    return not set(names) <= have


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _write_private(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
