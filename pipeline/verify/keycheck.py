"""``UN-Build-Key`` recomputed from what the bag holds, not only checked for its form.

The key (:mod:`pipeline.package.buildkey`) is one digest of the source, the options and the
environment of the build. The bag holds all of them but a few, so verify recomputes it — in
any environment, since it hashes the *recorded* environment, not the running one:

- the source files: the bagged ``document.json`` and parts, as validated;
- the flavour, each environment component and ``SOURCE_DATE_EPOCH``: from
  ``unfolio-environment.json``;
- the configuration values: ``Source-Organization``, ``Contact-Name``, ``Contact-Email`` and
  ``BagIt-Profile-Identifier`` from ``bag-info.txt`` (the derived-metadata checks judge those
  against the config and PREMIS), and whether an emblem was configured (both are tried: the
  emblem's bytes are in the key either way);
- the emblem's bytes and the styles and schemas folders' files: the key hashes bytes, the
  record only their digests, so these must be at hand — the shipped folders and placeholder
  when the recorded digests are this unfolio's, a configured emblem or overlay through
  ``--config``;
- the output format, which nothing in a bag records (a folder may be an unpacked zip): each
  of unfolio's formats is tried;
- for a signed build, the certificate and chain fingerprints (read from the certificates the
  bag signature and the PDF signature carry) and the versions of the signing libraries, which the bag does not record:
  the running ones are used.

So a source file or an environment record edited without a new key fails
(``META-BUILD-KEY``), on any machine. What cannot be recomputed is said in a note
(``META-BUILD-KEY-UNCHECKED``) and never failed: a folder or emblem of another release or not
at hand, and a signed build whose key does not recompute with this machine's signing
libraries (another version may have signed it; a trusted signature covers the whole bag). A forger who recomputes
the key with unfolio's own code passes this check as they pass the manifests': it proves
consistency, not authenticity.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path

from pipeline.config import Config
from pipeline.model import Document
from pipeline.package import buildkey, environment
from pipeline.resources import styles_dir
from pipeline.verify.findings import Finding, rule
from pipeline.verify.reproduce import parse_record

BUILD_KEY = rule(
    "META-BUILD-KEY",
    "error",
    "UN-Build-Key is the key of the bagged source, the recorded environment and the options",
)
UNCHECKED = rule(
    "META-BUILD-KEY-UNCHECKED",
    "note",
    "UN-Build-Key could be recomputed (a folder, emblem or signing detail not at hand says which)",
)
BAG_INFO = "bag-info.txt"


def _values(info: Sequence[tuple[str, str]], label: str) -> list[str]:
    return [value for name, value in info if name.lower() == label.lower()]


def _first(info: Sequence[tuple[str, str]], label: str) -> str:
    return (_values(info, label) or [""])[0]


def _inputs(
    recorded_inputs: dict, config: Config
) -> tuple[list[Path], list[tuple[str, Path | None]], str]:
    """The styles folders the key hashed and the (emblem value, emblem file) pairs it may have
    hashed, or why they are not at hand."""
    current = environment.inputs(Config())
    for name in ("schemas", "styles"):
        if recorded_inputs[name] != current[name]:
            return [], [], f"the bag's shipped {name} folder is not this unfolio's"
    folders = [styles_dir()]
    wanted = recorded_inputs["styles_overlay"]
    overlay = environment.overlay_of(config)
    if wanted is not None:
        if overlay is None or environment.folder_digest(overlay) != wanted:
            return [], [], f"the styles overlay {wanted} is not at hand (give --config)"
        folders.append(overlay)
    else:
        overlay = None
    digest = recorded_inputs["emblem"]
    placeholder = environment.emblem_of(Config(styles=overlay))
    if environment.file_digest(placeholder) == digest:  # none configured, or that very file
        return folders, [("", None), ("configured", placeholder)], ""
    if config.emblem and environment.file_digest(Path(config.emblem)) == digest:
        return folders, [("configured", Path(config.emblem))], ""
    return [], [], f"the emblem {digest} is not at hand (give --config)"


def _certificates(cms_data: bytes) -> list[bytes]:
    """The DER of each certificate a CMS SignedData carries (none when it cannot be read)."""
    from asn1crypto import cms

    try:
        signed = cms.ContentInfo.load(cms_data)["content"]
        return [c.chosen.dump() for c in signed["certificates"] or []][:8]
    except Exception:  # a broken signature: the SIG- checks report it
        return []


def _pdf_signatures(pdf: bytes) -> list[bytes]:
    """The CMS of each signature dictionary in the PDF (its ``/Contents``)."""
    import io

    import pikepdf

    found = []
    try:
        with pikepdf.open(io.BytesIO(pdf)) as opened:
            for obj in opened.objects:
                if isinstance(obj, pikepdf.Dictionary) and "/ByteRange" in obj:
                    contents = obj.get("/Contents")
                    if isinstance(contents, pikepdf.String):
                        found.append(bytes(contents))
    except Exception:  # unreadable: the PDF checks say so
        return []
    return found[:4]


def signing_variants(signatures: Sequence[bytes]) -> list[tuple[tuple[str, str], ...]]:
    """The signing values the key may have framed: for each signature (the bag's, the PDF's),
    each certificate it carries as the signer and the others, in their order, as its chain,
    with this machine's signing libraries."""
    import hashlib

    from pipeline import sign

    variants = []
    for data in signatures:
        prints = ["sha256:" + hashlib.sha256(der).hexdigest() for der in _certificates(data)]
        for index, fingerprint in enumerate(prints):
            variant = sign.key_values(fingerprint, tuple(prints[:index] + prints[index + 1 :]))
            if variant not in variants:
                variants.append(variant)
    return variants


def check(
    info: Sequence[tuple[str, str]],
    document: Document,
    record_data: bytes | None,
    config: Config | None,
    *,
    signature: bytes | None = None,
    pdf: bytes | None = None,
) -> list[Finding]:
    """The key finding, if the key can be recomputed and differs; a note if it cannot be."""
    key = _first(info, buildkey.KEY_ELEMENT)
    if not key.startswith("sha256:"):
        return []  # absent or malformed: the bag-info checks report it
    recorded, _why = parse_record(record_data)
    if recorded is None:
        return []  # META-ENVIRONMENT reports the record
    signings: list[tuple[tuple[str, str], ...]] = [()]
    in_pdf = _pdf_signatures(pdf) if pdf is not None and b"/ByteRange" in pdf else []
    signed = signature is not None or bool(in_pdf)
    if signed:
        # the command line's key frames the signing; build_bag's own (a signed PDF and a
        # tag-manifest signer handed to it) does not: both are tried
        signings += signing_variants([*([signature] if signature is not None else []), *in_pdf])
    folders, emblems, why = _inputs(recorded.inputs, config or Config())
    if not emblems:
        return [UNCHECKED(BAG_INFO, f"UN-Build-Key not recomputed: {why}")]
    raw = json.loads(record_data or b"{}")
    epoch = raw.get("source_date_epoch")
    values = {
        "source_organization": _first(info, "Source-Organization"),
        "contact_name": _first(info, "Contact-Name"),
        "contact_email": _first(info, "Contact-Email"),
        "profile_identifier": _first(info, "BagIt-Profile-Identifier"),
    }
    for (configured, emblem), fmt, signing in itertools.product(
        emblems, buildkey.FORMATS, signings
    ):
        again = buildkey.build_key(
            document,
            flavour=recorded.flavour,
            config_values={**values, "emblem": configured},
            styles=folders,
            fmt=fmt,
            emblem=emblem,
            env=recorded.environment,
            source_date_epoch=epoch if isinstance(epoch, str) else None,
            signing=signing,
        )
        if again == key:
            return []
    if signed:
        why = (
            "the build was signed, and its key covers the signing libraries' versions, which "
            "the bag does not record: this machine's give another key"
        )
        return [UNCHECKED(BAG_INFO, f"UN-Build-Key not confirmed: {why}")]
    return [
        BUILD_KEY(
            BAG_INFO,
            f"UN-Build-Key {key[:23]}… is not the key of the bagged source with the recorded "
            f"environment and options ({again[:23]}… for format {fmt}): the source, "
            f"{environment.RECORD_PATH} or bag-info.txt changed after the build",
        )
    ]
