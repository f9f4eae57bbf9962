"""Signing: the organization's key signs each PDF (PAdES) and each bag (detached CMS).

``keys`` reads the identity (PEM or PKCS#12), ``pdf`` appends the PDF signature as an
archival incremental update, ``form`` states what PDF/A and PDF/UA ask of its field (the gate
checks it), ``cms`` signs the bag's tag manifest. :class:`Signer` is what a build holds: the
identity and the one signing time of the run.

**Where the key lives.** Only in the process that loaded it (``unfolio build``'s own). Worker
processes and Dask nodes render and gate the *unsigned* PDF and send it back; this process
signs it, gates the signed file and writes the bag. An :class:`~.keys.Identity` refuses to be
pickled, so a change that tried to ship it to a worker would fail loudly, not leak it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the gate imports ``form`` from here on every render: no cryptography then
    from pipeline.sign.keys import Identity

#: The Python distributions whose code shapes a signature's bytes (they join the build key).
LIBRARIES = ("pyhanko", "pyhanko-certvalidator", "asn1crypto", "cryptography")


@dataclass(frozen=True, eq=False)
class Signer:
    """An identity and the signing time of a run: signs PDFs and bags the same way each time."""

    identity: Identity
    when: datetime

    @cached_property
    def _made(self):
        from pipeline.sign.cms import signer

        return signer(self.identity)

    def sign_pdf(self, pdf: bytes) -> bytes:
        from pipeline.sign.pdf import sign_pdf

        return sign_pdf(pdf, self.identity, self.when, self._made)

    def sign_tag_manifest(self, tag_manifest: bytes) -> bytes:
        from pipeline.sign.cms import sign_detached

        return sign_detached(tag_manifest, self.identity, self.when, self._made)

    def key_values(self) -> tuple[tuple[str, str], ...]:
        """What the build key records of the signing: library versions, the certificate and
        the chain embedded with it (never the key)."""
        return key_values(self.identity.fingerprint, self.identity.chain_fingerprints)


def key_values(fingerprint: str, chain: tuple[str, ...] = ()) -> tuple[tuple[str, str], ...]:
    from importlib import metadata

    values = [("certificate", fingerprint), ("chain", " ".join(chain))]
    for name in LIBRARIES:
        try:
            values.append((f"py:{name}", metadata.version(name)))
        except metadata.PackageNotFoundError:
            values.append((f"py:{name}", "absent"))
    return tuple(values)


__all__ = ["LIBRARIES", "Signer", "key_values"]
