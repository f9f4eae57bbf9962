"""Throwaway PKI for signature tests: a CA and leaf certificates made with ``cryptography``.

Nothing here is ever committed as a file: each test session makes its own keys in memory
and writes them only under pytest's temporary folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: Every certificate here is valid from this moment (the fixtures' SOURCE_DATE_EPOCH is after).
START = datetime(2020, 1, 1, tzinfo=UTC)
EPOCH = "1614902400"  # 2021-03-05, inside the validity of the good certificates


@dataclass(frozen=True)
class Party:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    def write(self, folder: Path, stem: str) -> tuple[Path, Path]:
        """Write ``stem.key.pem`` (mode 0600) and ``stem.cert.pem``; their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        key_file, cert_file = folder / f"{stem}.key.pem", folder / f"{stem}.cert.pem"
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never 0644
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        key_file.chmod(0o600)
        cert_file.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        return key_file, cert_file

    def write_cert(self, path: Path) -> Path:
        path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        return path


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Records Office"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


@cache
def _rsa(index: int) -> rsa.RSAPrivateKey:
    del index  # one key per index, made once per session
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_ca(common: str = "Test Root CA", index: int = 0) -> Party:
    key = _rsa(100 + index)
    name = _name(common)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1000 + index)
        .not_valid_before(START)
        .not_valid_after(START + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Party(key, certificate)


def make_leaf(
    ca: Party,
    common: str = "Test Signer",
    *,
    index: int = 0,
    not_before: datetime = START,
    days: int = 3000,
    curve: bool = False,
) -> Party:
    key = ec.generate_private_key(ec.SECP256R1()) if curve else _rsa(index)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(2000 + index)
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )
    return Party(key, certificate)


@cache
def ca() -> Party:
    return make_ca()


@cache
def signer() -> Party:
    return make_leaf(ca())


@cache
def other_ca() -> Party:
    return make_ca("Other Root CA", index=1)


@cache
def stranger() -> Party:
    """Signed by a CA nobody trusts in the tests."""
    return make_leaf(other_ca(), "Stranger", index=1)


@cache
def expired() -> Party:
    """Valid 2020-01-01 to 2020-01-31: before the fixtures' signing time."""
    return make_leaf(ca(), "Expired Signer", index=2, days=30)
