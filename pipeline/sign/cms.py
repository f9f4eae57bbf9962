"""The bag's signature: a detached CMS (RFC 5652) SignedData over ``tagmanifest-sha512.txt``.

That one file lists ``bagit.txt``, ``bag-info.txt`` and every payload manifest, which list
every payload file, so one signature covers the whole bag. The signature is the tag file
:data:`SIGNATURE_NAME` at the bag root, DER-encoded, listed in no tag manifest (it cannot
be: it signs them). pyHanko builds the SignedData (its CMS code is the field's and is the
same that signs the PDF); the signed attributes are content type, message digest, the
signing time (``SOURCE_DATE_EPOCH`` when set) and CMS algorithm protection, so with an RSA
key the same tag manifest and time give the same bytes.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from pipeline.sign.keys import Identity

SIGNED_NAME = "tagmanifest-sha512.txt"
SIGNATURE_NAME = "tagmanifest-sha512.txt.p7s"
DIGEST = "sha256"


def signer(identity: Identity):
    """pyHanko's signer for ``identity``; the key stays in this process's memory.

    pyHanko's ``SimpleSigner`` parses the key again for every signature (about 0.1 s for
    RSA, most of the time a signature takes); this one signs with the key as loaded. Make
    it once per run (:class:`pipeline.sign.Signer` does).
    """
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    class LoadedKeySigner(signers.SimpleSigner):
        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
            if mechanism == "rsassa_pkcs1v15":
                return identity.key.sign(data, PKCS1v15(), hash_algorithm)  # type: ignore[call-arg]
            if mechanism == "ecdsa":
                return identity.key.sign(data, ec.ECDSA(hash_algorithm))  # type: ignore[call-arg]
            return super().sign_raw(data, digest_algorithm)

    der = serialization.Encoding.DER
    key = asn1_keys.PrivateKeyInfo.load(
        identity.key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    certificate = asn1_x509.Certificate.load(identity.certificate.public_bytes(der))
    chain = [asn1_x509.Certificate.load(c.public_bytes(der)) for c in identity.chain]
    return LoadedKeySigner(
        signing_cert=certificate,
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )


def sign_detached(data: bytes, identity: Identity, when: datetime, made=None) -> bytes:
    """The DER of a detached CMS signature of ``data`` made by ``identity`` at ``when``
    (``made``: the :func:`signer` of ``identity``, if one is at hand)."""
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    content = (made or signer(identity)).async_sign_general_data(
        data,
        DIGEST,
        detached=True,
        signed_attr_settings=PdfCMSSignedAttributes(signing_time=when),
    )
    return asyncio.run(content).dump()


def sign_tag_manifest(files: dict[str, bytes], identity: Identity, when: datetime) -> bytes:
    """The signature file's bytes for a bag's ``files`` (which must hold the tag manifest)."""
    return sign_detached(files[SIGNED_NAME], identity, when)
