"""Open a Word file (.docx, OOXML) and hand out its parts as parsed XML.

A .docx is a ZIP of XML parts tied together by relationship files. Only what the importer
reads is found here: the main document, its footnotes, endnotes, comments and styles, the
settings (``w:docVars``), and the headers and footers of the first section. Everything is
read from the ZIP in memory, with bounds, because the file comes from outside: a part that
inflates past ``MAX_PART_BYTES`` or a package past ``MAX_PACKAGE_BYTES`` is refused, the XML
parser never resolves entities or fetches anything, and a file that is not a ZIP, a damaged
ZIP, or a password-protected document (an OLE compound file holding ``EncryptionInfo``) is a
clear :class:`~pipeline.errors.UserError`.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pipeline.errors import UserError

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
NS = {"w": W, "r": R}
MAX_PART_BYTES = 64 * 1024 * 1024  # the UN's longest reports have a document.xml of a few MB
MAX_PACKAGE_BYTES = 256 * 1024 * 1024  # all parts inflated together
MAX_FILE_BYTES = 512 * 1024 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted OOXML and the old binary .doc
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_OFFICE_DOCUMENT = _REL + "officeDocument"


def w(name: str) -> str:
    """The Clark name of a WordprocessingML element or attribute: ``w("p")`` → ``{…}p``."""
    return f"{{{W}}}{name}"


@dataclass
class WordPackage:
    """The parts of one Word file the importer reads; absent parts are None."""

    path: Path
    document: etree._Element
    document_name: str
    relationships: dict[str, tuple[str, str, bool]]  # id → (type, target, external)
    styles: etree._Element | None = None
    settings: etree._Element | None = None
    footnotes: etree._Element | None = None
    endnotes: etree._Element | None = None
    comments: etree._Element | None = None
    numbering: etree._Element | None = None
    parts: dict[str, etree._Element] = field(default_factory=dict)  # name → header/footer

    def part_for(self, rel_id: str) -> tuple[str, etree._Element] | None:
        """The header or footer a ``r:id`` of the main document names, with its part name."""
        rel = self.relationships.get(rel_id)
        if rel is None or rel[2]:
            return None
        name = _resolve(self.document_name, rel[1])
        element = self.parts.get(name)
        return (name, element) if element is not None else None

    def hyperlink(self, rel_id: str) -> str | None:
        rel = self.relationships.get(rel_id)
        if rel is None or not rel[0].endswith("/hyperlink"):
            return None
        return rel[1]


def open_docx(path: Path) -> WordPackage:
    """Read ``path`` as a Word document, or raise UserError saying why it is not one."""
    where = str(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise UserError(f"{where}: cannot read the file ({exc.strerror or exc})") from None
    if not path.is_file():
        raise UserError(f"{where}: not a regular file; expected a Word document (.docx)")
    if size > MAX_FILE_BYTES:
        raise UserError(f"{where}: {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
    if head == _OLE_MAGIC:
        raise UserError(
            f"{where}: is password-protected (encrypted) or an old binary Word file (.doc); "
            "remove the password, or save it as .docx, in Word and import that"
        )
    if not head.startswith(b"PK"):
        raise UserError(f"{where}: not a Word document (.docx): it is not a ZIP package")
    try:
        with zipfile.ZipFile(path) as archive:
            return _read(path, archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError) as exc:
        raise UserError(f"{where}: damaged ZIP package ({exc}); expected a Word document") from None
    except NotImplementedError as exc:  # an unsupported compression method
        raise UserError(f"{where}: cannot read this ZIP package ({exc})") from None


class _Reader:
    def __init__(self, path: Path, archive: zipfile.ZipFile):
        self.where = str(path)
        self.archive = archive
        self.names = {info.filename: info for info in archive.infolist()}
        self.total = 0

    def data(self, name: str) -> bytes | None:
        info = self.names.get(name)
        if info is None:
            return None
        if info.flag_bits & 0x1:
            raise UserError(f"{self.where}: {name} is encrypted; expected an unprotected .docx")
        if info.file_size > MAX_PART_BYTES:
            raise UserError(
                f"{self.where}: {name} inflates to {info.file_size:,} bytes; the limit is "
                f"{MAX_PART_BYTES:,}"
            )
        with self.archive.open(info) as member:  # the header's size may lie: read bounded
            data = member.read(MAX_PART_BYTES + 1)
        if len(data) > MAX_PART_BYTES:
            raise UserError(f"{self.where}: {name} inflates past {MAX_PART_BYTES:,} bytes")
        self.total += len(data)
        if self.total > MAX_PACKAGE_BYTES:
            raise UserError(f"{self.where}: the package inflates past {MAX_PACKAGE_BYTES:,} bytes")
        return data

    def xml(self, name: str) -> etree._Element | None:
        data = self.data(name)
        if data is None:
            return None
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
        try:
            return etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            raise UserError(f"{self.where}: {name} is not well-formed XML ({exc})") from None

    def relationships(self, part: str) -> dict[str, tuple[str, str, bool]]:
        folder, base = posixpath.split(part)
        rels = self.xml(posixpath.join(folder, "_rels", base + ".rels"))
        found: dict[str, tuple[str, str, bool]] = {}
        if rels is None:
            return found
        for rel in rels.iter(f"{{{PR}}}Relationship"):
            external = rel.get("TargetMode") == "External"
            found[rel.get("Id", "")] = (rel.get("Type", ""), rel.get("Target", ""), external)
        return found


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _read(path: Path, archive: zipfile.ZipFile) -> WordPackage:
    reader = _Reader(path, archive)
    if "EncryptionInfo" in reader.names:
        raise UserError(f"{path}: is password-protected; remove the password in Word first")
    package_rels = reader.relationships("")
    main = next(
        (_resolve("", t) for t_type, t, ext in package_rels.values() if t_type == _OFFICE_DOCUMENT),
        None,
    )
    if main is None and "word/document.xml" in reader.names:
        main = "word/document.xml"
    if main is None:
        raise UserError(f"{path}: a ZIP package but not a Word document (no main document part)")
    document = reader.xml(main)
    if (
        document is not None
        and document.tag == "{http://purl.oclc.org/ooxml/wordprocessingml/main}document"
    ):
        raise UserError(
            f"{path}: is saved as Strict Open XML, which import does not read; save it in Word "
            'as "Word Document (.docx)" and import that'
        )
    if document is None or document.tag != w("document"):
        raise UserError(f"{path}: {main} is not a WordprocessingML document")
    rels = reader.relationships(main)
    package = WordPackage(path=path, document=document, document_name=main, relationships=rels)
    for rel_type, target, external in rels.values():
        if external:
            continue
        kind = rel_type.rsplit("/", 1)[-1]
        name = _resolve(main, target)
        if kind in ("styles", "settings", "footnotes", "endnotes", "comments", "numbering"):
            setattr(package, kind, reader.xml(name))
        elif kind in ("header", "footer"):
            element = reader.xml(name)
            if element is not None:
                package.parts[name] = element
    return package
