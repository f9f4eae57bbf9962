"""The PDF's signature: an invisible PAdES baseline B-B signature in one incremental update.

pyHanko (the field's library) builds the signature; what it writes around it is made
archival here, because an archive compares the file with itself for decades:

- **Info and XMP are not touched.** pyHanko would set ``/ModDate`` and ``xmp:ModifyDate`` to
  the wall clock, re-serialise the XMP under its own prefixes and name itself in
  ``pdf:Producer`` but not in Info ``/Producer`` (a PDF/A mismatch). The increment leaves both
  as unfolio's post-pass wrote them, so they stay equal and the gate's metadata check holds.
- **The signing time** (``/M``, which PAdES uses instead of a CMS signing-time attribute) is
  the one the caller gives: ``SOURCE_DATE_EPOCH`` when set.
- **The second ``/ID``** is derived from the unsigned file, the certificate and the time, not
  drawn from ``os.urandom``; with an RSA key the signed file is byte-identical across runs.
- **No catalog ``/Extensions``** (pyHanko registers the ESIC extension for PAdES): the
  increment adds only what :mod:`pipeline.verify.signature` allows — the signature
  dictionary, a zero-size widget (which is the field) with an empty appearance, the AcroForm,
  and, when the document is tagged, the widget's ``Form`` structure element.

**Tagged documents (PDF/UA-1).** When the catalog has a ``/StructTreeRoot``, the widget is
tagged as PDF/UA-1 §7.18 asks: a ``Form`` structure element under the document's top element
whose ``/K`` is an object reference (``OBJR``) to the widget, the widget's ``/StructParent``
with its entry in the parent tree (and ``/ParentTreeNextKey`` moved on), ``/TU`` on the field
(its accessible name; ``/Contents`` and the element's ``/Alt`` say the same) and ``/Tabs /S``
on its page. The widget has the Print flag (PDF/A
6.3.2) and is not hidden: it is tagged, so PDF/UA does not need it hidden.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import datetime

from pipeline.sign.keys import Identity

FIELD_NAME = "Signature"
#: The field's accessible name (``/TU``), what a screen reader announces.
FIELD_DESCRIPTION = "Digital signature of the issuing organization"
_PRINT = 4
_LOCKED = 128


def _value(dictionary, key: str, default=None):
    """``dictionary[key]`` resolved (pyHanko's ``get`` returns an indirect reference as is)."""
    return dictionary[key] if key in dictionary else default  # noqa: SIM401


def _derived_id(pdf: bytes, identity: Identity, when: datetime) -> bytes:
    hasher = hashlib.sha256(b"unfolio signature revision\0")
    hasher.update(hashlib.sha256(pdf).digest())
    hasher.update(identity.fingerprint.encode("ascii"))
    hasher.update(when.isoformat().encode("ascii"))
    return hasher.digest()[:16]


def _writer_class():
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    class ArchivalWriter(IncrementalPdfFileWriter):
        """An incremental writer that leaves Info and XMP as they are."""

        def _update_meta(self) -> None:
            return None

    return ArchivalWriter


def _signer_class():
    from pyhanko.sign.signers.pdf_signer import PdfSigner

    class ArchivalSigner(PdfSigner):
        """A PAdES signer with a given signing time and no catalog extensions."""

        def __init__(self, *args, when: datetime, **kwargs):
            super().__init__(*args, **kwargs)
            self._when = when

        def init_signing_session(self, pdf_out, existing_fields_only=False):
            session = super().init_signing_session(pdf_out, existing_fields_only)
            session.system_time = self._when
            return session

        def register_extensions(self, pdf_out, *, md_algorithm):
            return None

    return ArchivalSigner


def _as_list(value):
    from pyhanko.pdf_utils import generic

    if isinstance(value, generic.ArrayObject):
        return value
    return generic.ArrayObject([] if value is None else [value])


def _top_element(struct_root):
    """The structure element the widget's ``Form`` goes under: the root's first element."""
    from pyhanko.pdf_utils import generic

    kids = struct_root.raw_get("/K") if "/K" in struct_root else None
    candidates = kids if isinstance(kids, generic.ArrayObject) else [kids]
    for kid in candidates:
        if isinstance(kid, generic.IndirectObject) and isinstance(
            kid.get_object(), generic.DictionaryObject
        ):
            return kid
    return None


def _parent_tree_leaf(tree):
    """The number-tree node whose ``/Nums`` a new highest key goes into (the last leaf)."""
    node = tree
    while "/Kids" in node and "/Nums" not in node:
        node = node["/Kids"][-1].get_object()
    return node


def _highest_key(tree) -> int:
    highest = -1
    stack = [tree]
    while stack:
        node = stack.pop()
        if "/Nums" in node:
            nums = node["/Nums"]
            highest = max([highest, *(int(nums[i]) for i in range(0, len(nums), 2))])
        if "/Kids" in node:
            stack.extend(kid.get_object() for kid in node["/Kids"])
    return highest


def _tag_widget(writer, field_ref, page_ref) -> None:
    """Tag the widget as a ``Form`` element (PDF/UA-1 §7.18) when the document is tagged."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name

    root = writer.root
    if "/StructTreeRoot" not in root:
        return
    struct_ref = root.raw_get("/StructTreeRoot")
    struct_root = struct_ref.get_object()
    parent_ref = _top_element(struct_root)
    if parent_ref is None:
        parent_ref = struct_ref
    parent = parent_ref.get_object()
    tree_ref = struct_root.raw_get("/ParentTree") if "/ParentTree" in struct_root else None
    if tree_ref is None:
        tree = generic.DictionaryObject({pdf_name("/Nums"): generic.ArrayObject()})
        struct_root[pdf_name("/ParentTree")] = tree_ref = writer.add_object(tree)
    tree = tree_ref.get_object()
    key = max(int(_value(struct_root, "/ParentTreeNextKey", 0)), _highest_key(tree) + 1)

    objr = generic.DictionaryObject(
        {pdf_name("/Type"): pdf_name("/OBJR"), pdf_name("/Obj"): field_ref,
         pdf_name("/Pg"): page_ref}
    )  # fmt: skip
    form = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/StructElem"),
            pdf_name("/S"): pdf_name("/Form"),
            pdf_name("/P"): parent_ref,
            pdf_name("/Pg"): page_ref,
            pdf_name("/K"): objr,
            pdf_name("/Alt"): generic.TextStringObject(FIELD_DESCRIPTION),
            # the description is English whatever the version's language (PDF/UA 7.2)
            pdf_name("/Lang"): generic.TextStringObject("en"),
        }
    )
    form_ref = writer.add_object(form)
    raw_kids = parent.raw_get("/K") if "/K" in parent else None
    if isinstance(raw_kids, generic.IndirectObject) and isinstance(
        raw_kids.get_object(), generic.ArrayObject
    ):  # an array object of its own: it grows, the element stays as it is
        raw_kids.get_object().append(form_ref)
        writer.mark_update(raw_kids)
    else:
        kids = _as_list(raw_kids)
        kids.append(form_ref)
        parent[pdf_name("/K")] = kids
        writer.update_container(parent)

    leaf = _parent_tree_leaf(tree)
    nums = _value(leaf, "/Nums")
    if nums is None:
        leaf[pdf_name("/Nums")] = nums = generic.ArrayObject()
    nums.extend([generic.NumberObject(key), form_ref])
    if "/Limits" in leaf:  # a leaf under /Kids: its range now ends at the new key
        leaf[pdf_name("/Limits")] = generic.ArrayObject(
            [leaf["/Limits"][0], generic.NumberObject(key)]
        )
        writer.update_container(leaf)
        node = tree
        while "/Kids" in node and node is not leaf:  # and so does every ancestor's
            if "/Limits" in node:
                node[pdf_name("/Limits")] = generic.ArrayObject(
                    [node["/Limits"][0], generic.NumberObject(key)]
                )
                writer.update_container(node)
            node = node["/Kids"][-1].get_object()
    writer.update_container(nums if nums.container_ref is not None else leaf)
    writer.update_container(tree)
    struct_root[pdf_name("/ParentTreeNextKey")] = generic.NumberObject(key + 1)
    writer.update_container(struct_root)

    field = field_ref.get_object()
    field[pdf_name("/StructParent")] = generic.NumberObject(key)
    page = page_ref.get_object()
    page[pdf_name("/Tabs")] = pdf_name("/S")
    writer.update_container(page)


def _add_field(writer) -> None:
    """The invisible, printable, zero-size signature field with its empty appearance."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.sign import fields

    spec = fields.SigFieldSpec(
        FIELD_NAME,
        on_page=0,
        readable_field_name=FIELD_DESCRIPTION,
        invis_sig_settings=fields.InvisSigSettings(set_print_flag=True, set_hidden_flag=False),
    )
    fields.append_signature_field(writer, spec)
    field_ref = _field_ref(writer)
    field = field_ref.get_object()
    empty = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject([generic.NumberObject(0)] * 4),
        },
        stream_data=b"",
    )
    field[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): writer.add_object(empty)})
    field[pdf_name("/F")] = generic.NumberObject(_PRINT | _LOCKED)
    # the annotation's own text too: checkers that ask every annotation for /Contents
    # (PDF/UA-1 §7.18.1) find the same words as the field's /TU
    field[pdf_name("/Contents")] = generic.TextStringObject(FIELD_DESCRIPTION)
    page_ref = writer.find_page_for_modification(0)[0]
    _tag_widget(writer, field_ref, page_ref)


def _field_ref(writer):
    for ref in writer.root["/AcroForm"]["/Fields"]:
        if ref.get_object().get("/T") == FIELD_NAME:
            return ref
    raise ValueError("the signature field was not added")  # pragma: no cover (pyHanko's)


def sign_pdf(pdf: bytes, identity: Identity, when: datetime, made=None) -> bytes:
    """``pdf`` with unfolio's signature appended as one incremental update (``made``: the
    :func:`pipeline.sign.cms.signer` of ``identity``, if one is at hand)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    from pipeline.sign.cms import signer

    writer = _writer_class()(io.BytesIO(pdf), strict=True)
    if writer.prev.embedded_signatures or "/AcroForm" in writer.root:
        raise ValueError("the PDF already has a form or a signature: unfolio signs its own")
    first = writer.document_id[0]
    writer._document_id = generic.ArrayObject(
        [
            generic.ByteStringObject(first),
            generic.ByteStringObject(_derived_id(pdf, identity, when)),
        ]
    )
    _add_field(writer)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    chain_size = sum(
        len(c.tbs_certificate_bytes) + 600 for c in (identity.certificate, *identity.chain)
    )
    pdf_signer = _signer_class()(meta, signer=made or signer(identity), when=when)
    output = io.BytesIO()
    asyncio.run(
        pdf_signer.async_sign_pdf(
            writer, existing_fields_only=True, bytes_reserved=2 * (chain_size + 2048), output=output
        )
    )
    return output.getvalue()


def unsigned_revision(pdf: bytes) -> bytes | None:
    """The bytes of a signed PDF before its signature revision (unfolio's own PDF, as the
    post-pass wrote it, for reproduction to compare); None when the PDF has no signature.

    An incremental update appends to the file byte for byte, so the revision before the
    signature ends at the ``%%EOF`` (and its end-of-line) after that revision's ``startxref``.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    signatures = reader.embedded_signatures
    if not signatures:
        return None
    revision = min(s.signed_revision for s in signatures) - 1
    if revision < 0:
        return None
    xref_at = reader.xrefs.get_startxref_for_revision(revision)
    marker = pdf.find(b"%%EOF", pdf.find(b"startxref", xref_at))
    if marker < 0:
        return None
    end = marker + len(b"%%EOF")
    if pdf[end : end + 2] == b"\r\n":
        return pdf[: end + 2]
    return pdf[: end + 1] if pdf[end : end + 1] in (b"\n", b"\r") else pdf[:end]
