"""The signer's identity: a private key, its certificate and the chain, read from PEM or PKCS#12.

The key is the user's. It is read once, in the process that signs, and lives only in an
:class:`Identity`, which refuses to be pickled (so it can never travel to a worker process or
a Dask node by accident), prints as its certificate's subject only, and is never written
anywhere. A passphrase is never a command-line value (``ps`` would show it): it comes from the
environment variable :data:`PASSPHRASE_ENV` or, at a terminal, from a prompt the caller
supplies.

Key types: RSA (2048 bits or more; PKCS#1 v1.5 signatures are deterministic, so signed output
is byte-identical across runs) and ECDSA on P-256/P-384/P-521 (valid, but each run draws a
new random nonce, so two runs differ in the signature bytes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from pipeline.errors import Problem, UserError

#: Environment variable holding the passphrase of an encrypted key or PKCS#12 file.
PASSPHRASE_ENV = "UNFOLIO_SIGN_PASSPHRASE"
_MAX_FILE = 1 << 20  # a key, certificate or chain file larger than this is not one

Passphrase = Callable[[str], bytes | None]
"""Asked with the file's name when it is encrypted and the environment holds no passphrase;
returns the passphrase, or None when there is no one to ask."""


@dataclass(frozen=True, repr=False, eq=False)
class Identity:
    """A private key and the certificate (with its chain) it signs as. Never pickled."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    def __reduce__(self):
        raise TypeError("a signing key never leaves the process that loaded it")

    def __repr__(self) -> str:
        return f"Identity({self.subject})"

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def fingerprint(self) -> str:
        """``sha256:<hex>`` of the certificate's DER: what the build key records."""
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return "sha256:" + hashlib.sha256(der).hexdigest()

    @property
    def chain_fingerprints(self) -> tuple[str, ...]:
        """``sha256:<hex>`` of each certificate of the chain embedded with signatures."""
        return tuple(
            "sha256:" + hashlib.sha256(c.public_bytes(serialization.Encoding.DER)).hexdigest()
            for c in self.chain
        )

    @property
    def deterministic(self) -> bool:
        """Whether the same input gives the same signature bytes (RSA PKCS#1 v1.5)."""
        return isinstance(self.key, rsa.RSAPrivateKey)

    def check_time(self, when: datetime, where: str = "") -> None:
        """A signing time outside the certificate's validity is an input error."""
        start = self.certificate.not_valid_before_utc
        end = self.certificate.not_valid_after_utc
        if not start <= when <= end:
            raise UserError(
                Problem(
                    where,
                    f"the signing time {when.astimezone(UTC).isoformat()} is outside the "
                    f"certificate's validity ({start.isoformat()} to {end.isoformat()}); "
                    "set SOURCE_DATE_EPOCH within it or use a certificate valid then",
                )
            )


def _read(path: Path, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_FILE + 1)
    except OSError as exc:
        raise UserError(Problem(str(path), f"cannot read the {what}: {exc.strerror}")) from None
    if len(data) > _MAX_FILE:
        raise UserError(Problem(str(path), f"is larger than {_MAX_FILE} bytes: not a {what}"))
    return data


def _passphrase(path: Path, ask: Passphrase | None, environ: dict[str, str]) -> bytes:
    value = environ.get(PASSPHRASE_ENV)
    if value:
        return value.encode("utf-8")
    answer = ask(str(path)) if ask is not None else None
    if answer is None:
        raise UserError(
            Problem(str(path), f"is encrypted: set {PASSPHRASE_ENV} or run at a terminal")
        )
    return answer


def _certificates(data: bytes, path: Path, what: str) -> list[x509.Certificate]:
    try:
        if b"-----BEGIN" in data:
            certificates = x509.load_pem_x509_certificates(data)
        else:
            certificates = [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise UserError(Problem(str(path), f"not a PEM or DER {what}")) from None
    return certificates


def _checked(
    key: object, certificate: x509.Certificate, chain: list[x509.Certificate], where: str
) -> Identity:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise UserError(Problem(where, f"an RSA key of {key.key_size} bits is too weak"))
    elif not (
        isinstance(key, ec.EllipticCurvePrivateKey)
        and isinstance(key.curve, ec.SECP256R1 | ec.SECP384R1 | ec.SECP521R1)
    ):
        raise UserError(Problem(where, "unsupported key type (RSA or ECDSA P-256/384/521)"))
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.DER
    if key.public_key().public_bytes(encoding, public) != certificate.public_key().public_bytes(
        encoding, public
    ):
        raise UserError(Problem(where, "the private key does not belong to the certificate"))
    others = tuple(c for c in chain if c != certificate)
    return Identity(key, certificate, others)


def load_pem(
    key_file: Path,
    cert_file: Path,
    chain_file: Path | None = None,
    *,
    ask: Passphrase | None = None,
    environ: dict[str, str] | None = None,
) -> Identity:
    """The identity in a PEM (or DER) private key, its certificate and an optional chain."""
    import os

    env = dict(os.environ) if environ is None else environ
    raw = _read(key_file, "private key")
    loader = (
        serialization.load_pem_private_key
        if b"-----BEGIN" in raw
        else serialization.load_der_private_key
    )
    try:
        key = loader(raw, password=None)
    except TypeError:  # encrypted: "Password was not given but private key is encrypted"
        try:
            key = loader(raw, password=_passphrase(key_file, ask, env))
        except ValueError:
            raise UserError(
                Problem(str(key_file), "wrong passphrase, or not a private key")
            ) from None
    except ValueError:
        raise UserError(Problem(str(key_file), "not a PEM or DER private key")) from None
    certificates = _certificates(_read(cert_file, "certificate"), cert_file, "certificate")
    chain = []
    if chain_file is not None:
        chain = _certificates(_read(chain_file, "chain"), chain_file, "certificate chain")
    return _checked(key, certificates[0], certificates[1:] + chain, str(key_file))


def load_pkcs12(
    path: Path, *, ask: Passphrase | None = None, environ: dict[str, str] | None = None
) -> Identity:
    """The identity in a PKCS#12 (``.p12``/``.pfx``) file: key, certificate, chain."""
    import os

    env = dict(os.environ) if environ is None else environ
    raw = _read(path, "PKCS#12 file")
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(raw, None)
    except ValueError:
        try:
            key, certificate, chain = pkcs12.load_key_and_certificates(
                raw, _passphrase(path, ask, env)
            )
        except ValueError:
            raise UserError(Problem(str(path), "wrong passphrase, or not a PKCS#12 file")) from None
    if key is None or certificate is None:
        raise UserError(Problem(str(path), "holds no private key with its certificate"))
    return _checked(key, certificate, list(chain), str(path))


def load_certificates(path: Path) -> list[x509.Certificate]:
    """Trust anchors: every certificate of a PEM file (or one DER certificate)."""
    return _certificates(_read(path, "trust anchors"), path, "certificate file")


def signing_time(environ: dict[str, str] | None = None) -> datetime:
    """The time a signature claims: ``SOURCE_DATE_EPOCH`` when set, else now (UTC, seconds)."""
    from pipeline.package.contents import build_time

    return build_time(environ)
