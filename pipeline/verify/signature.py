"""Signatures: was this bag, and its PDF, issued by a holder of the organization's key?

Every other check compares the bag with itself; a forger who edits a file and recomputes the
manifests passes them. A signature anchors the bag outside itself: the detached CMS
signature ``tagmanifest-sha512.txt.p7s`` covers the tag manifest (which covers everything),
and the PDF's PAdES signature covers the PDF. Checked here, offline:

- each signature's digest matches what it signs and its value verifies with the certificate
  it names (``SIG-BAG-DIGEST``, ``SIG-BAG-INVALID``, ``SIG-PDF-INVALID``);
- the PDF signature covers the whole file (``SIG-PDF-CHANGED``: an increment after it), and
  its revision adds only the signature (``SIG-PDF-REVISION``, checked whether or not the
  signer is trusted: an increment that paints over page 1 *and* is then signed is caught);
- the certificate was valid at the signing time the signer claims (``SIG-CERT-TIME``) — there
  is no timestamp authority offline, so the claim is the signer's own;
- with trust anchors (``--trust``), the certificate chains to one of them at that time
  (``SIG-UNTRUSTED``); without, the report says that who signed was not checked
  (``SIG-TRUST-UNCHECKED``, a warning);
- both signatures are there, or neither (``SIG-INCOMPLETE``), by the same certificate
  (``SIG-SIGNER-MISMATCH``); ``--require-signature`` fails a bag with neither
  (``SIG-MISSING``): stripping both signatures is otherwise undetectable (with trust anchors
  given, an unsigned bag is a warning, ``SIG-UNSIGNED``).

Not checked, because it needs the network or a trusted clock: revocation (no OCSP, no CRL),
and long-term validation (a timestamp proving when the signature existed).

Signatures belong to the unfolio 0.2 layout; a 0.1 bag has none (and a ``.p7s`` in it is an
unlisted tag file, which :mod:`pipeline.verify.bagit` reports).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline.sign.cms import SIGNATURE_NAME, SIGNED_NAME
from pipeline.verify.findings import Finding, rule
from pipeline.verify.layouts import LAYOUT_2, layout_of

MISSING = rule("SIG-MISSING", "error", "with --require-signature: the bag and its PDF are signed")
UNSIGNED = rule(
    "SIG-UNSIGNED", "warning", "with trust anchors but no --require-signature: the bag is signed"
)
INCOMPLETE = rule("SIG-INCOMPLETE", "error", "a signed bag's PDF is signed too, and the reverse")
BAG_INVALID = rule(
    "SIG-BAG-INVALID", "error", "the bag's CMS signature is well-formed and verifies with its key"
)
BAG_DIGEST = rule(
    "SIG-BAG-DIGEST", "error", "the bag's CMS signature signs this bag's tagmanifest-sha512.txt"
)
PDF_INVALID = rule(
    "SIG-PDF-INVALID", "error", "the PDF has one signature, which verifies with its key"
)
PDF_CHANGED = rule("SIG-PDF-CHANGED", "error", "the PDF signature covers the whole file")
PDF_REVISION = rule(
    "SIG-PDF-REVISION",
    "error",
    "the signature's revision adds only the signature, its widget, the form and its tag",
)
CERT_TIME = rule(
    "SIG-CERT-TIME", "error", "the certificate was valid at the signing time the signer claims"
)
UNTRUSTED = rule(
    "SIG-UNTRUSTED", "error", "with trust anchors: the signer's certificate chains to one of them"
)
TRUST_UNCHECKED = rule(
    "SIG-TRUST-UNCHECKED", "warning", "trust anchors were given to check who signed (--trust)"
)
SIGNER_MISMATCH = rule(
    "SIG-SIGNER-MISMATCH", "error", "the bag and its PDF are signed with the same certificate"
)


@dataclass(frozen=True)
class Signature:
    """One signature as read: who claims to have signed, and when."""

    file: str
    signer: str
    signing_time: datetime | None
    fingerprint: str
    trusted: bool | None  # None: no trust anchors were given

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "signer": self.signer,
            "signing_time": None if self.signing_time is None else self.signing_time.isoformat(),
            "certificate_sha256": self.fingerprint,
            "trusted": self.trusted,
        }


@dataclass
class Outcome:
    signatures: list[Signature] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


# -- certificates ------------------------------------------------------------------------------


def _subject(certificate) -> str:
    return certificate.subject.human_friendly


def _fingerprint(certificate) -> str:
    return "sha256:" + hashlib.sha256(certificate.dump()).hexdigest()


def _time_findings(file: str, certificate, when: datetime | None) -> list[Finding]:
    if when is None:
        return [CERT_TIME(file, "the signature claims no signing time")]
    validity = certificate["tbs_certificate"]["validity"]
    start, end = validity["not_before"].native, validity["not_after"].native
    if start <= when <= end:
        return []
    return [
        CERT_TIME(
            file,
            f"signed {when.isoformat()}, outside the certificate's validity "
            f"({start.isoformat()} to {end.isoformat()}): expired or not yet valid",
        )
    ]


def _trusted(certificate, others: Sequence, anchors: Sequence, when: datetime | None) -> str | None:
    """None when ``certificate`` chains to an anchor at ``when``; else why not."""
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

    if any(certificate.dump() == anchor.dump() for anchor in anchors):
        return None  # the signer's certificate is an anchor itself (its time is checked apart)

    context = ValidationContext(
        trust_roots=list(anchors),
        other_certs=list(others),
        moment=when or datetime.now(tz=UTC),
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    validator = CertificateValidator(certificate, validation_context=context)
    try:
        asyncio.run(validator.async_validate_path())
    except PathBuildingError:
        return "its certificate does not chain to any of the trust anchors given"
    except PathValidationError as exc:
        return f"its certificate chain is not valid: {exc}"
    except Exception as exc:  # certvalidator refuses the certificate itself (self-signed…)
        return f"its certificate cannot be validated: {exc}"
    return None


def _judge_signer(
    file: str, certificate, others, when, anchors: Sequence | None, outcome: Outcome
) -> None:
    outcome.findings += _time_findings(file, certificate, when)
    trusted = None
    who = _subject(certificate)
    if anchors:
        problem = _trusted(certificate, others, anchors, when)
        trusted = problem is None
        if problem is not None:
            outcome.findings.append(UNTRUSTED(file, f"signed by {who}, but {problem}"))
    else:
        outcome.findings.append(
            TRUST_UNCHECKED(
                file, f"signed by {who}; no trust anchors given (--trust): signer not checked"
            )
        )
    outcome.signatures.append(Signature(file, who, when, _fingerprint(certificate), trusted))


# -- the bag's CMS signature ---------------------------------------------------------------------

MAX_SIGNATURE_BYTES = 1 << 20
"""A bag signature, or the tag manifest it signs, larger than this is not read (one signer's
certificate chain and a tag manifest of five lines are a few KiB)."""


def _read_small(path: Path, limit: int = MAX_SIGNATURE_BYTES) -> bytes:
    """A regular file's bytes, never through a link, at most ``limit`` of them."""
    import os
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{path.name} is not a regular file")
        if info.st_size > limit:
            raise OSError(f"larger than {limit:,} bytes")
        return os.read(fd, limit + 1)
    finally:
        os.close(fd)


def _check_bag(root: Path, anchors, outcome: Outcome):
    """The certificate of the bag signature (None when it is unusable, reported)."""
    from asn1crypto import cms
    from pyhanko.sign.general import extract_signer_info
    from pyhanko.sign.validation.generic_cms import (
        extract_certs_for_validation,
        extract_self_reported_ts,
        validate_sig_integrity,
    )

    try:
        data = _read_small(root / SIGNATURE_NAME)
        manifest = _read_small(root / SIGNED_NAME)
    except OSError as exc:
        why = exc.strerror or str(exc)
        outcome.findings.append(BAG_INVALID(SIGNATURE_NAME, f"cannot be read: {why}"))
        return None
    try:
        info = cms.ContentInfo.load(data, strict=True)
        if info["content_type"].native != "signed_data":
            raise ValueError("not a CMS SignedData")
        signed = info["content"]
        if signed["encap_content_info"]["content"].native is not None:
            raise ValueError("not a detached signature (it embeds content)")
        if len(signed["signer_infos"]) != 1:
            raise ValueError(f"{len(signed['signer_infos'])} signers, expected one")
        signer_info = extract_signer_info(signed)
        certs = extract_certs_for_validation(signed)
        algorithm = signer_info["digest_algorithm"]["algorithm"].native
        digest = hashlib.new(algorithm, manifest).digest()
        intact, valid = validate_sig_integrity(signer_info, certs.signer_cert, "data", digest)
        when = extract_self_reported_ts(signer_info)
    except Exception as exc:  # malformed DER, an unknown algorithm: a broken signature
        outcome.findings.append(BAG_INVALID(SIGNATURE_NAME, f"is not a usable signature: {exc}"))
        return None
    if not intact:
        outcome.findings.append(
            BAG_DIGEST(
                SIGNATURE_NAME,
                f"signs another {SIGNED_NAME} than this bag's (copied from another bag, or the "
                "bag was changed and re-manifested after signing)",
            )
        )
        return None
    if not valid:
        outcome.findings.append(
            BAG_INVALID(
                SIGNATURE_NAME,
                "the signature value does not verify with the certificate it names (made with "
                "another key, or altered)",
            )
        )
        return None
    others = list(certs.other_certs)
    _judge_signer(SIGNATURE_NAME, certs.signer_cert, others, when, anchors, outcome)
    return certs.signer_cert


# -- the PDF's signature -----------------------------------------------------------------------


def pdf_signed(pdf: bytes) -> bool:
    """Whether the PDF has a signature: a byte test first (most PDFs stop there), then the
    form's signature fields (the words "/ByteRange" in a title do not make a signature). A
    file too broken to tell counts as signed, so that the signature check reports it."""
    if b"/ByteRange" not in pdf:
        return False
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        return bool(PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures)
    except Exception:
        return True


def _canonical(obj) -> bytes:
    out = io.BytesIO()
    obj.write_to_stream(out, None)
    return out.getvalue()


def _revision_changes(reader, embedded) -> Iterator[str]:
    """What the signature's revision adds or changes beyond the signature (own analysis:
    pyHanko's difference analysis judges only revisions after the signed one)."""
    from pyhanko.pdf_utils import generic

    revision = embedded.signed_revision
    if revision != 1:
        yield f"the signature is in revision {revision + 1}; unfolio signs its own one revision"
        return
    before = reader.get_historical_resolver(0)
    after = reader.get_historical_resolver(1)
    for ref in sorted(after.refs_freed_in_revision(), key=lambda r: r.idnum):
        yield f"object {ref.idnum} is deleted"
    trailer_old, trailer_new = before.trailer_view, after.trailer_view
    for key in ("/Root", "/Info", "/Encrypt"):
        old = trailer_old.raw_get(key) if key in trailer_old else None
        new = trailer_new.raw_get(key) if key in trailer_new else None
        if (None if old is None else _canonical(old)) != (None if new is None else _canonical(new)):
            yield f"the trailer's {key} changes"

    root_ref = trailer_new.raw_get("/Root")
    root = after.get_object(root_ref)
    widget_ref = embedded.sig_field.container_ref
    sig_ref = embedded.sig_object.container_ref
    allowed_new = {sig_ref.idnum: "/Sig", widget_ref.idnum: "widget"}
    widget = after.get_object(widget_ref)
    ap = _value(widget, "/AP")
    if isinstance(ap, generic.DictionaryObject) and isinstance(
        ap.raw_get("/N"), generic.IndirectObject
    ):
        allowed_new[ap.raw_get("/N").idnum] = "appearance"
    form_ref = root.raw_get("/AcroForm") if "/AcroForm" in root else None
    if isinstance(form_ref, generic.IndirectObject):
        allowed_new[form_ref.idnum] = "acroform"
    tag_refs = _widget_tag_refs(root, widget)
    allowed_new.update({ref.idnum: "tag" for ref in tag_refs})

    page_ref = widget.raw_get("/P") if "/P" in widget else None
    xrefs = reader.xrefs
    xref_stream_at = xrefs.get_startxref_for_revision(1)
    for ref in sorted(after.explicit_refs_in_revision(), key=lambda r: r.idnum):
        new = after.get_object(ref)
        if xrefs.get_introducing_revision(ref) == 1:
            if xrefs.get_historical_ref(ref, 1) == xref_stream_at and _is_xref_stream(new):
                continue  # the revision's own cross-reference stream
            kind = allowed_new.get(ref.idnum)
            if kind is None:
                yield f"adds object {ref.idnum} ({_describe(new)}), which is not part of a signature"
            elif kind == "appearance" and (
                not isinstance(new, generic.StreamObject) or new.data.strip()
            ):
                yield f"the widget's appearance (object {ref.idnum}) draws something"
            continue
        old = before.get_object(ref)
        yield from _modified(ref, old, new, root_ref, page_ref, widget_ref, tag_refs)


def _value(dictionary, key: str, default=None):
    """``dictionary[key]`` resolved (pyHanko's ``get`` returns an indirect reference as is)."""
    return dictionary[key] if key in dictionary else default  # noqa: SIM401


def _is_xref_stream(obj) -> bool:
    from pyhanko.pdf_utils import generic

    return isinstance(obj, generic.StreamObject) and obj.get("/Type") == "/XRef"


def _describe(obj) -> str:
    from pyhanko.pdf_utils import generic

    if isinstance(obj, generic.DictionaryObject):
        kind = obj.get("/Type") or obj.get("/Subtype") or obj.get("/S")
        stream = "stream" if isinstance(obj, generic.StreamObject) else "dictionary"
        return f"a {stream}{' ' + str(kind) if kind else ''}"
    return type(obj).__name__


def _widget_tag_refs(root, widget) -> set:
    """The Form structure element of the widget (and its parent tree leaf), if tagged."""
    from pyhanko.pdf_utils import generic

    refs = set()
    if "/StructTreeRoot" not in root or "/StructParent" not in widget:
        return refs
    key = int(widget["/StructParent"])
    tree = _value(root["/StructTreeRoot"], "/ParentTree")
    stack = [tree] if tree is not None else []
    while stack:
        node = stack.pop()
        nums = _value(node, "/Nums")
        if nums is not None:
            for index in range(0, len(nums) - 1, 2):
                if int(nums[index]) == key:
                    value = nums.raw_get(index + 1)
                    if isinstance(value, generic.IndirectObject):
                        refs.add(value.reference)
                        element = value.get_object()
                        objr = element.raw_get("/K") if "/K" in element else None
                        if isinstance(objr, generic.IndirectObject):
                            refs.add(objr.reference)
        if "/Kids" in node:
            stack.extend(kid.get_object() for kid in node.raw_get("/Kids"))
    return refs


#: Per kind of object the signature revision may change: the keys that may change.
_MAY_CHANGE = {
    "catalog": {"/AcroForm"},
    "page": {"/Annots", "/Tabs"},
    "struct-root": {"/ParentTreeNextKey", "/ParentTree"},
    "struct-parent": {"/K"},
    "parent-tree": {"/Nums", "/Limits"},
}


def _modified(ref, old, new, root_ref, page_ref, widget_ref, tag_refs) -> Iterator[str]:
    from pyhanko.pdf_utils import generic

    if isinstance(old, generic.ArrayObject) and isinstance(new, generic.ArrayObject):
        # an array object of its own (a page's /Annots, an element's /K): it may only grow
        yield from _grown(ref, "array", "its entries", old, new, widget_ref, tag_refs)
        return
    if not (
        isinstance(old, generic.DictionaryObject) and isinstance(new, generic.DictionaryObject)
    ):
        yield f"changes object {ref.idnum} ({_describe(old)})"
        return
    if isinstance(old, generic.StreamObject) or isinstance(new, generic.StreamObject):
        yield f"changes object {ref.idnum} ({_describe(old)}), a stream"
        return
    if ref.idnum == root_ref.idnum:
        kind = "catalog"
    elif page_ref is not None and ref.idnum == page_ref.idnum:
        kind = "page"
    elif old.get("/Type") == "/StructTreeRoot":
        kind = "struct-root"
    elif "/Nums" in old or ("/Kids" in old and "/Limits" in old and "/Type" not in old):
        kind = "parent-tree"
    elif old.get("/Type") == "/StructElem" or "/S" in old:
        kind = "struct-parent"
    else:
        yield f"changes object {ref.idnum} ({_describe(old)})"
        return
    keys = set(old.keys()) | set(new.keys())
    for key in sorted(keys):
        before = _canonical(old.raw_get(key)) if key in old else None
        after = _canonical(new.raw_get(key)) if key in new else None
        if before == after:
            continue
        if key not in _MAY_CHANGE[kind]:
            yield f"changes {key} of object {ref.idnum} ({kind})"
            continue
        yield from _appended(ref, kind, key, old, new, widget_ref, tag_refs)


def _items(value) -> list:
    from pyhanko.pdf_utils import generic

    value = value.get_object() if isinstance(value, generic.IndirectObject) else value
    if value is None:
        return []
    return (
        list(value.raw_get(i) for i in range(len(value)))
        if isinstance(value, generic.ArrayObject)
        else [value]
    )


def _appended(ref, kind, key, old, new, widget_ref, tag_refs) -> Iterator[str]:
    """An array that may only grow at its end, by the widget or its tag."""
    if kind == "catalog" or kind == "struct-root" or key in ("/Limits", "/Tabs"):
        if key == "/AcroForm" and key in old:
            yield f"changes the existing {key} of the catalog"
        elif key == "/Tabs" and _canonical(new.raw_get(key)) != b"/S":
            yield "sets the page's /Tabs to something other than /S"
        return
    yield from _grown(
        ref,
        kind,
        key,
        old.raw_get(key) if key in old else None,
        new.raw_get(key) if key in new else None,
        widget_ref,
        tag_refs,
    )


def _grown(ref, kind, key, old_value, new_value, widget_ref, tag_refs) -> Iterator[str]:
    """``new_value`` is ``old_value`` with the widget or its tag appended, nothing else."""
    from pyhanko.pdf_utils import generic

    before = [_canonical(v) for v in _items(old_value)]
    after_items = _items(new_value)
    after = [_canonical(v) for v in after_items]
    if after[: len(before)] != before:
        yield f"changes the existing entries of {key} in object {ref.idnum} ({kind})"
        return
    added = after_items[len(before) :]
    tagged = {r.idnum for r in tag_refs} | {widget_ref.idnum}
    for item in added:
        idnum = getattr(item, "idnum", None)
        if isinstance(item, generic.NumberObject) and kind == "parent-tree" and key == "/Nums":
            continue  # the number key beside the Form element
        if idnum not in tagged:
            yield f"adds {_canonical(item).decode('latin-1')} to {key} of object {ref.idnum}"


def _check_pdf(pdf: bytes, path: str, anchors, outcome: Outcome):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.generic_cms import (
        extract_certs_for_validation,
        validate_sig_integrity,
    )
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
        if len(signatures) != 1:
            outcome.findings.append(
                PDF_INVALID(path, f"has {len(signatures)} signatures; unfolio signs once")
            )
            return None
        embedded = signatures[0]
        certs = extract_certs_for_validation(embedded.signed_data)
        digest = embedded.compute_digest()
        intact, valid = validate_sig_integrity(
            embedded.signer_info, certs.signer_cert, "data", digest
        )
        coverage = embedded.evaluate_signature_coverage()
        when = embedded.self_reported_timestamp
        changes = list(_revision_changes(reader, embedded))
    except Exception as exc:
        outcome.findings.append(PDF_INVALID(path, f"its signature cannot be read: {exc}"))
        return None
    if not intact or not valid:
        what = "does not match the signed bytes" if not intact else "does not verify"
        outcome.findings.append(
            PDF_INVALID(path, f"the signature {what} (changed, or another key)")
        )
        return None
    if coverage != SignatureCoverageLevel.ENTIRE_FILE:
        after = len(pdf) - int(embedded.byte_range[2]) - int(embedded.byte_range[3])
        outcome.findings.append(
            PDF_CHANGED(
                path,
                f"was changed after it was signed: {reader.xrefs.total_revisions} revisions, "
                f"{max(after, 0):,} bytes after the signed ones",
            )
        )
    for change in changes[:20]:
        outcome.findings.append(PDF_REVISION(path, f"the signature's revision {change}"))
    _judge_signer(path, certs.signer_cert, list(certs.other_certs), when, anchors, outcome)
    return certs.signer_cert


# -- the whole ----------------------------------------------------------------------------------


def load_anchors(paths: Sequence[Path]) -> list:
    """Trust anchors as asn1crypto certificates (raises ``UserError`` for a bad file)."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    from pipeline.sign.keys import load_certificates

    anchors = []
    for path in paths:
        for certificate in load_certificates(path):
            der = certificate.public_bytes(serialization.Encoding.DER)
            anchors.append(asn1_x509.Certificate.load(der))
    return anchors


def bag_signed(root: Path) -> bool:
    return (root / SIGNATURE_NAME).is_file() and not (root / SIGNATURE_NAME).is_symlink()


def check(
    root: Path,
    info: Sequence[tuple[str, str]],
    pdf: bytes | None,
    pdf_path: str,
    *,
    anchors: Sequence | None = None,
    require: bool = False,
) -> Outcome:
    """Every signature finding on the bag at ``root`` (its bag-info ``info``, its PDF)."""
    with _quiet_pyhanko():
        return _check(root, info, pdf, pdf_path, anchors=anchors, require=require)


_UNSIGNED = (
    "trust anchors were given, but the bag carries no signature: nothing proves who issued it "
    "(--require-signature fails such a bag)"
)


@contextlib.contextmanager
def _quiet_pyhanko() -> Iterator[None]:
    """pyHanko logs what it tolerates in a damaged file; the findings say what matters."""
    logger = logging.getLogger("pyhanko")
    previous = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = previous


def _check(root, info, pdf, pdf_path, *, anchors, require) -> Outcome:
    outcome = Outcome()
    layout = layout_of(info)
    if layout != LAYOUT_2:
        if require:
            outcome.findings.append(
                MISSING("", "the bag is not in the unfolio 0.2 layout, which alone is signed")
            )
        elif anchors:
            outcome.findings.append(UNSIGNED("", _UNSIGNED + " (an unfolio 0.1 bag)"))
        return outcome
    has_bag = bag_signed(root)
    has_pdf = pdf is not None and pdf_signed(pdf)
    if not has_bag and not has_pdf:
        if require:
            outcome.findings.append(MISSING("", "the bag is not signed (--require-signature)"))
        elif anchors:
            outcome.findings.append(UNSIGNED("", _UNSIGNED))
        return outcome
    if not has_bag:
        outcome.findings.append(
            INCOMPLETE(SIGNATURE_NAME, "is missing, but the PDF is signed: removed")
        )
    if pdf is not None and not has_pdf:
        outcome.findings.append(
            INCOMPLETE(pdf_path, f"is not signed, but the bag is ({SIGNATURE_NAME})")
        )
    bag_cert = _check_bag(root, anchors, outcome) if has_bag else None
    pdf_cert = _check_pdf(pdf, pdf_path, anchors, outcome) if has_pdf and pdf else None
    if bag_cert is not None and pdf_cert is not None and bag_cert.dump() != pdf_cert.dump():
        outcome.findings.append(
            SIGNER_MISMATCH(
                SIGNATURE_NAME,
                f"signed by {_subject(bag_cert)}, the PDF by {_subject(pdf_cert)}",
            )
        )
    return outcome
