"""Make Word files of several shapes for the import tests.

python-docx writes the package, the styles, paragraphs, runs, tables (with merged cells) and
the first-page header and footer. What it has no API for is added to the XML afterwards:
footnotes (a ``footnotes.xml`` part with its relationship and content type), document
variables (``w:docVars`` in ``settings.xml``), and any raw WordprocessingML (a comment, a
tracked change, a text box, a field): a run whose whole text is ``⁂name⁂`` is replaced by
the fragment given for ``name``.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
from docx.enum.text import WD_BREAK
from docx.shared import Pt
from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WNS = f'xmlns:w="{W}" xmlns:r="{R}"'
_MARK = re.compile(r"^⁂(\w+)⁂$")
FOOTNOTES_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
COMMENTS_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"


def new_document(
    styles: tuple[str, ...] = ("HCh", "H1", "H23", "H4", "SingleTxt", "Session", "TitleHCH"),
):
    """A python-docx document that has the UN's paragraph styles (plain, by name)."""
    document = docx.Document()
    for name in styles:
        style = document.styles.add_style(name, 1)  # WD_STYLE_TYPE.PARAGRAPH
        style.base_style = document.styles["Normal"]
        style.font.size = Pt(10)
    return document


def mark(name: str) -> str:
    """The text of a run that :func:`save` replaces by the raw fragment ``name``."""
    return f"⁂{name}⁂"


def page_break(document) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def un_masthead(
    document,
    *,
    symbol: str = "A/80/123",
    organ: str = "General Assembly",
    lines: tuple[str, ...] = ("Distr.: General", "7 April 2026", "", "Original: English"),
    job_line: str = "26-01234 (E)    150426",
) -> None:
    """The first-page header and footer as the UN's templates lay them out."""
    section = document.sections[0]
    section.different_first_page_header_footer = True
    header = section.first_page_header
    table = header.add_table(2, 2, width=docx.shared.Inches(6.5))
    table.cell(0, 0).text = "United Nations"
    table.cell(0, 1).text = symbol
    table.cell(1, 0).text = organ
    cell = table.cell(1, 1)
    cell.text = lines[0]
    for line in lines[1:]:
        cell.add_paragraph(line)
    section.first_page_footer.paragraphs[0].text = job_line


def save(
    document,
    path: Path,
    *,
    footnotes: dict[int, str] | None = None,
    doc_vars: dict[str, str] | None = None,
    raw: dict[str, str] | None = None,
    comments: dict[int, str] | None = None,
) -> Path:
    """Save ``document`` to ``path`` and add the parts python-docx cannot write."""
    document.save(path)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    body = etree.fromstring(parts["word/document.xml"])
    fragments = dict(raw or {})
    for number in footnotes or {}:
        fragments.setdefault(
            f"fn{number}", f'<w:r {WNS}><w:footnoteReference w:id="{number}"/></w:r>'
        )
    for run in list(body.iter(f"{{{W}}}r")):
        text = "".join(t.text or "" for t in run.iter(f"{{{W}}}t"))
        match = _MARK.match(text)
        if match and match.group(1) in fragments:
            wrapper = etree.fromstring(f"<w:wrap {WNS}>{_ns(fragments[match.group(1)])}</w:wrap>")
            parent = run.getparent()
            index = parent.index(run)
            parent.remove(run)
            for offset, child in enumerate(wrapper):
                parent.insert(index + offset, child)
    parts["word/document.xml"] = etree.tostring(
        body, xml_declaration=True, encoding="UTF-8", standalone=True
    )
    if footnotes:
        notes = "".join(
            f'<w:footnote w:id="{n}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>'
            f'<w:r><w:footnoteRef/></w:r><w:r><w:tab/><w:t xml:space="preserve">{_escape(t)}'
            "</w:t></w:r></w:p></w:footnote>"
            for n, t in footnotes.items()
        )
        parts["word/footnotes.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes {WNS}>'
            '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
            f"</w:footnote>{notes}</w:footnotes>"
        ).encode()
        _relate(
            parts,
            "rIdFootnotes",
            FOOTNOTES_TYPE,
            "footnotes.xml",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
        )
    if comments:
        items = "".join(
            f'<w:comment w:id="{n}" w:author="Reviewer"><w:p><w:r><w:t>{_escape(t)}</w:t>'
            "</w:r></w:p></w:comment>"
            for n, t in comments.items()
        )
        parts["word/comments.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:comments {WNS}>'
            f"{items}</w:comments>"
        ).encode()
        _relate(
            parts,
            "rIdComments",
            COMMENTS_TYPE,
            "comments.xml",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml",
        )
    if doc_vars:
        settings = etree.fromstring(parts["word/settings.xml"])
        variables = etree.SubElement(settings, f"{{{W}}}docVars")
        for name, value in doc_vars.items():
            var = etree.SubElement(variables, f"{{{W}}}docVar")
            var.set(f"{{{W}}}name", name)
            var.set(f"{{{W}}}val", value)
        parts["word/settings.xml"] = etree.tostring(
            settings, xml_declaration=True, encoding="UTF-8", standalone=True
        )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def _ns(fragment: str) -> str:
    """Let a fragment use the w: and r: prefixes without declaring them."""
    return fragment.replace(f" {WNS}", "")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _relate(parts: dict[str, bytes], rel_id: str, rel_type: str, target: str, content: str):
    rels = parts["word/_rels/document.xml.rels"].decode()
    rels = rels.replace(
        "</Relationships>",
        f'<Relationship Id="{rel_id}" Type="{rel_type}" Target="{target}"/></Relationships>',
    )
    parts["word/_rels/document.xml.rels"] = rels.encode()
    types = parts["[Content_Types].xml"].decode()
    types = types.replace(
        "</Types>", f'<Override PartName="/word/{target}" ContentType="{content}"/></Types>'
    )
    parts["[Content_Types].xml"] = types.encode()


def run_texts(path: Path) -> list[str]:
    """Every ``w:t`` and ``w:delText`` of the body, notes, comments, headers and footers."""
    texts = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if re.fullmatch(
                r"word/(document|footnotes|endnotes|comments|header\d*|footer\d*)\.xml", name
            ):
                root = etree.fromstring(archive.read(name))
                for node in root.iter(f"{{{W}}}t", f"{{{W}}}delText"):
                    if node.text and node.text.strip():
                        texts.append(node.text.strip())
    return texts
