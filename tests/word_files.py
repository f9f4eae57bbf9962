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
from dataclasses import dataclass
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


# -- UN-shaped packages written as raw WordprocessingML ------------------------------------
#
# Modelled on the UN's own file (../shared/reference/A_80_604_Add.1-EN.docx): a first section
# of one empty paragraph whose first-page header is the masthead table and whose first-page
# footer is the job-number line; running heads and feet of DOCVARIABLE and PAGE fields; the
# document variables in settings.xml; the UN's style ids and names ("HCh" called "_ H _Ch").

UN_STYLES = {  # style id → (name, basedOn, outline level or None)
    "HCh": ("_ H _Ch", None, 0),
    "H1": ("_ H_1", None, 1),
    "H23": ("_ H_2/3", None, 2),
    "H4": ("_ H_4", None, 3),
    "H56": ("_ H_5/6", None, 4),
    "SingleTxt": ("__Single Txt", None, None),
    "Session": ("Session", None, None),
    "AgendaItemNormal": ("Agenda_Item_Normal", None, None),
    "AgendaTitleH2": ("Agenda_Title_H2", None, None),
    "TitleHCH": ("Title_H_CH", None, None),
    "TitleH1": ("Title_H1", None, None),
    "Bullet1": ("Bullet 1", None, None),
    "Bullet2": ("Bullet 2", None, None),
    "FootnoteText": ("footnote text", None, None),
    "EndnoteText": ("endnote text", None, None),
    "Header": ("header", None, None),
    "Footer": ("footer", None, None),
    "RepH1": ("Rep_H1", "H1", None),
}
_PKG_NS = (
    f'xmlns:w="{W}" xmlns:r="{R}" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" mc:Ignorable="w14"'
)
# a 1×1 PNG: the emblem, the QR code, a chart
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def x(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def run(text: str, *, b: bool = False, i: bool = False, rtl: bool = False, rpr: str = "") -> str:
    """A run; a tab in ``text`` is a ``w:tab``, a newline a ``w:br``."""
    props = ("<w:b/>" if b else "") + ("<w:i/>" if i else "") + ("<w:rtl/>" if rtl else "") + rpr
    pieces = []
    for k, line in enumerate(text.split("\n")):
        if k:
            pieces.append("<w:br/>")
        for j, chunk in enumerate(line.split("\t")):
            if j:
                pieces.append("<w:tab/>")
            if chunk:
                pieces.append(f'<w:t xml:space="preserve">{x(chunk)}</w:t>')
    return f"<w:r>{f'<w:rPr>{props}</w:rPr>' if props else ''}{''.join(pieces)}</w:r>"


def para(style: str, *runs: str, ppr: str = "") -> str:
    """A paragraph of ``style``; a plain string among ``runs`` is a plain run."""
    body = "".join(r if r.startswith("<") else run(r) for r in runs)
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{ppr}</w:pPr>{body}</w:p>'


def note_ref(number: int, *, endnote: bool = False) -> str:
    kind = "endnote" if endnote else "footnote"
    style = "EndnoteReference" if endnote else "FootnoteReference"
    return (
        f'<w:r><w:rPr><w:rStyle w:val="{style}"/></w:rPr><w:{kind}Reference w:id="{number}"/></w:r>'
    )


def field(instruction: str, result: str) -> str:
    """A complex field (``REF``, ``PAGE``, ``DOCVARIABLE``) that shows ``result``."""
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> {x(instruction)} </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f"{run(result)}"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def simple_field(instruction: str, result: str) -> str:
    return f'<w:fldSimple w:instr=" {x(instruction)} ">{run(result)}</w:fldSimple>'


def hyperlink(rel_id: str, text: str) -> str:
    return f'<w:hyperlink r:id="{rel_id}" w:history="1">{run(text, rpr=_LINK)}</w:hyperlink>'


_LINK = '<w:rStyle w:val="Hyperlink"/>'
_BIG = '<w:sz w:val="40"/>'


def inserted(text: str) -> str:
    return f'<w:ins w:id="901" w:author="Editor" w:date="2026-04-01T10:00:00Z">{run(text)}</w:ins>'


def deleted(text: str) -> str:
    return (
        '<w:del w:id="902" w:author="Editor" w:date="2026-04-01T10:00:00Z"><w:r>'
        f'<w:delText xml:space="preserve">{x(text)}</w:delText></w:r></w:del>'
    )


def comment_on(number: int, *runs: str) -> str:
    return (
        f'<w:commentRangeStart w:id="{number}"/>{"".join(runs)}'
        f'<w:commentRangeEnd w:id="{number}"/>'
        f'<w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr>'
        f'<w:commentReference w:id="{number}"/></w:r>'
    )


def picture(rel_id: str, description: str, *, anchored: bool = False) -> str:
    """An inline (or anchored) picture with its alternative text, as Word writes one."""
    graphic = (
        '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="image.png"/><pic:cNvPicPr/></pic:nvPicPr>'
        f'<pic:blipFill><a:blip r:embed="{rel_id}"/></pic:blipFill><pic:spPr/></pic:pic>'
        "</a:graphicData></a:graphic>"
    )
    props = f'<wp:extent cx="914400" cy="914400"/><wp:docPr id="7" name="Picture 7" descr="{x(description)}"/>'
    if anchored:
        return (
            '<w:r><w:drawing><wp:anchor behindDoc="0" simplePos="0" relativeHeight="1" locked="0" '
            'layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
            '<wp:positionH relativeFrom="page"><wp:posOffset>0</wp:posOffset></wp:positionH>'
            '<wp:positionV relativeFrom="page"><wp:posOffset>0</wp:posOffset></wp:positionV>'
            f"{props}<wp:wrapNone/>{graphic}</wp:anchor></w:drawing></w:r>"
        )
    return f"<w:r><w:drawing><wp:inline>{props}{graphic}</wp:inline></w:drawing></w:r>"


def text_box(text: str) -> str:
    """A text box as Word 2010+ writes it: a DrawingML shape with a VML fallback that holds
    the same text a second time."""
    inner = f'<w:p><w:pPr><w:pStyle w:val="SingleTxt"/></w:pPr>{run(text)}</w:p>'
    return (
        '<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor '
        'behindDoc="0" simplePos="0" relativeHeight="2" locked="0" layoutInCell="1" '
        'allowOverlap="1"><wp:simplePos x="0" y="0"/><wp:positionH relativeFrom="column">'
        '<wp:posOffset>0</wp:posOffset></wp:positionH><wp:positionV relativeFrom="paragraph">'
        '<wp:posOffset>0</wp:posOffset></wp:positionV><wp:extent cx="1828800" cy="457200"/>'
        '<wp:docPr id="9" name="Text Box 9"/><wp:wrapSquare wrapText="bothSides"/><a:graphic>'
        '<a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        f"<wps:wsp><wps:txbx><w:txbxContent>{inner}</w:txbxContent></wps:txbx><wps:bodyPr/>"
        "</wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        '<mc:Fallback><w:pict><v:shape style="width:144pt;height:36pt"><v:textbox>'
        f"<w:txbxContent>{inner}</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )


def page_break_run() -> str:
    return '<w:r><w:br w:type="page"/></w:r>'


def section_break(*, landscape: bool = False) -> str:
    """A paragraph that ends a section (next page), portrait Letter or landscape."""
    size = (
        '<w:pgSz w:w="15840" w:h="12240" w:orient="landscape"/>'
        if landscape
        else '<w:pgSz w:w="12240" w:h="15840"/>'
    )
    return (
        '<w:p><w:pPr><w:pStyle w:val="SingleTxt"/><w:sectPr><w:type w:val="nextPage"/>'
        f'{size}<w:pgMar w:top="1440" w:right="1200" w:bottom="1728" w:left="1200" '
        'w:header="432" w:footer="504" w:gutter="0"/></w:sectPr></w:pPr></w:p>'
    )


def cell(content, *, span: int = 1, vmerge: str | None = None, shade: bool = False) -> str:
    """A table cell: ``content`` is text (lines split on newlines) or raw paragraphs."""
    props = f'<w:tcW w:w="{1200 * span}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if vmerge == "restart":
        props += '<w:vMerge w:val="restart"/>'
    elif vmerge == "continue":
        props += "<w:vMerge/>"
    if shade:
        props += '<w:shd w:val="clear" w:color="auto" w:fill="D9D9D9"/>'
    if isinstance(content, str) and not content.startswith("<w:"):
        content = (
            "".join(para("SingleTxt", line) for line in content.split("\n"))
            if content
            else (para("SingleTxt"))
        )
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{content}</w:tc>"


def table(rows: list[list[str]], *, header_rows: int = 0, columns: int | None = None) -> str:
    """A bordered table; ``rows`` hold :func:`cell` results (or plain text), the first
    ``header_rows`` repeat on each page (``w:tblHeader``)."""
    width = columns or max(len(r) for r in rows)
    grid = "".join('<w:gridCol w:w="1200"/>' for _ in range(width))
    out = []
    for k, row in enumerate(rows):
        tr_pr = "<w:trPr><w:tblHeader/></w:trPr>" if k < header_rows else ""
        cells = "".join(c if c.startswith("<w:tc>") else cell(c) for c in row)
        out.append(f"<w:tr>{tr_pr}{cells}</w:tr>")
    borders = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    return (
        f'<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/><w:tblBorders>{borders}</w:tblBorders>'
        f'<w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{"".join(out)}'
        "</w:tbl>"
    )


@dataclass
class UNMasthead:
    """The first-page header's values, as the UN's templates print them."""

    symbol_prefix: str = "A"
    symbol_rest: str = "/80/123"
    united_nations: str = "United Nations"
    organ: str = "General Assembly"
    lines: tuple[str, ...] = ("Distr.: General", "7 April 2026", "", "Original: English")
    job_line: str = "26-01234 (E)    150426"
    barcode: str = "*2601234*"
    rtl: bool = False
    boxed: bool = False  # an older template: each block of the masthead in a text box


def un_docx(
    path: Path,
    blocks: list[str],
    *,
    masthead: UNMasthead | None = None,
    footnotes: dict[int, str | list[str]] | None = None,
    endnotes: dict[int, str] | None = None,
    comments: dict[int, str] | None = None,
    doc_vars: dict[str, str] | None = None,
    links: dict[str, str] | None = None,
    images: tuple[str, ...] = (),
    lang: str = "en-US",
    bidi: bool = False,
    styles: dict[str, tuple[str, str | None, str]] | None = None,
    numbering: str = "",
    running: tuple[str, ...] = (),
) -> Path:
    """Write a UN-shaped ``.docx`` from raw body ``blocks`` (:func:`para`, :func:`table`…).

    ``footnotes`` values are plain text or raw runs (a list of raw paragraphs' run strings
    makes a note of several paragraphs); ``links`` maps relationship ids to URLs;
    ``images`` are relationship ids of pictures (each the 1×1 PNG); ``styles`` adds
    paragraph styles (id → name, basedOn, raw ``w:pPr`` content), ``numbering`` the
    ``w:abstractNum`` and ``w:num`` elements of a numbering part."""
    m = masthead or UNMasthead()
    rels = {
        "rIdStyles": ("styles", "styles.xml"),
        "rIdSettings": ("settings", "settings.xml"),
        "rIdH1": ("header", "header1.xml"),
        "rIdH2": ("header", "header2.xml"),
        "rIdH3": ("header", "header3.xml"),
        "rIdF1": ("footer", "footer1.xml"),
        "rIdF2": ("footer", "footer2.xml"),
        "rIdF3": ("footer", "footer3.xml"),
        "rIdFootnotes": ("footnotes", "footnotes.xml"),
        "rIdEndnotes": ("endnotes", "endnotes.xml"),
        "rIdComments": ("comments", "comments.xml"),
    }
    if numbering:
        rels["rIdNumbering"] = ("numbering", "numbering.xml")
    for rel_id in images:
        rels[rel_id] = ("image", "media/image1.png")
    rel_xml = "".join(
        f'<Relationship Id="{k}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/{t}" Target="{target}"/>'
        for k, (t, target) in rels.items()
    ) + "".join(
        f'<Relationship Id="{k}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/hyperlink" Target="{x(url)}" TargetMode="External"/>'
        for k, url in (links or {}).items()
    )
    ct = "application/vnd.openxmlformats-officedocument.wordprocessingml"
    overrides = {
        "document.xml": "document.main+xml",
        "styles.xml": "styles+xml",
        "settings.xml": "settings+xml",
        "footnotes.xml": "footnotes+xml",
        "endnotes.xml": "endnotes+xml",
        "comments.xml": "comments+xml",
        **({"numbering.xml": "numbering+xml"} if numbering else {}),
        **{f"header{n}.xml": "header+xml" for n in (1, 2, 3)},
        **{f"footer{n}.xml": "footer+xml" for n in (1, 2, 3)},
    }
    types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="png" ContentType="image/png"/>'
        + "".join(
            f'<Override PartName="/word/{n}" ContentType="{ct}.{t}"/>' for n, t in overrides.items()
        )
        + "</Types>"
    )
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    rpr_rtl = m.rtl

    def hp(text: str, style: str = "Header") -> str:
        return para(style, run(text, rtl=rpr_rtl) if text else "")

    masthead_table = (
        '<w:tbl><w:tblPr><w:tblW w:w="9840" w:type="dxa"/></w:tblPr><w:tblGrid>'
        '<w:gridCol w:w="1267"/><w:gridCol w:w="2112"/><w:gridCol w:w="6461"/></w:tblGrid>'
        f'<w:tr><w:tc><w:tcPr><w:tcW w:w="1267" w:type="dxa"/></w:tcPr>{para("Header")}</w:tc>'
        f'<w:tc><w:tcPr><w:tcW w:w="2112" w:type="dxa"/></w:tcPr>{hp(m.united_nations)}</w:tc>'
        f'<w:tc><w:tcPr><w:tcW w:w="6461" w:type="dxa"/></w:tcPr><w:p><w:pPr><w:pStyle '
        f'w:val="Header"/><w:jc w:val="right"/></w:pPr>{run(m.symbol_prefix, rpr=_BIG)}'
        f"{run(m.symbol_rest)}</w:p></w:tc></w:tr>"
        f'<w:tr><w:tc><w:tcPr><w:tcW w:w="1267" w:type="dxa"/></w:tcPr><w:p>{picture("rIdEmblem", "United Nations emblem")}</w:p></w:tc>'
        f'<w:tc><w:tcPr><w:tcW w:w="2112" w:type="dxa"/></w:tcPr>{hp(m.organ)}</w:tc>'
        f'<w:tc><w:tcPr><w:tcW w:w="6461" w:type="dxa"/></w:tcPr>'
        f"{''.join(hp(line, 'Distribution') for line in m.lines)}</w:tc></w:tr></w:tbl>"
        + para("Header")
    )
    if m.boxed:
        masthead_table = para(
            "Header",
            text_box(m.united_nations),
            text_box(m.symbol_prefix + m.symbol_rest),
            text_box(m.organ),
            text_box("\n".join(m.lines)),
        )
    job_digits = m.barcode
    parts = {
        "word/header3.xml": f"{head}<w:hdr {_PKG_NS}>{masthead_table}</w:hdr>",
        "word/header1.xml": f"{head}<w:hdr {_PKG_NS}>"
        + para(
            "Header", field('DOCVARIABLE "sss1" \\* MERGEFORMAT', m.symbol_prefix + m.symbol_rest)
        )
        + "</w:hdr>",
        "word/header2.xml": f"{head}<w:hdr {_PKG_NS}>"
        + para(
            "Header", field('DOCVARIABLE "sss1" \\* MERGEFORMAT', m.symbol_prefix + m.symbol_rest)
        )
        + "".join(para("Header", line) for line in running)
        + "</w:hdr>",
        "word/footer1.xml": f"{head}<w:ftr {_PKG_NS}>"
        + para(
            "Footer",
            field('DOCVARIABLE "FooterJN" \\* MERGEFORMAT', m.job_line.split(" ")[0]),
            "\t",
            field("PAGE  \\* Arabic  \\* MERGEFORMAT", "3"),
            "/",
            field("NUMPAGES  \\* Arabic  \\* MERGEFORMAT", "4"),
        )
        + "</w:ftr>",
        "word/footer2.xml": f"{head}<w:ftr {_PKG_NS}>"
        + para(
            "Footer",
            field("PAGE  \\* Arabic  \\* MERGEFORMAT", "2"),
            "/",
            field("NUMPAGES  \\* Arabic  \\* MERGEFORMAT", "4"),
            "\t",
            field('DOCVARIABLE "FooterJN" \\* MERGEFORMAT', m.job_line.split(" ")[0]),
        )
        + "</w:ftr>",
        "word/footer3.xml": f"{head}<w:ftr {_PKG_NS}>"
        '<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid><w:gridCol '
        'w:w="4000"/><w:gridCol w:w="4000"/></w:tblGrid><w:tr><w:tc><w:tcPr/>'
        f"{para('Footer', m.job_line)}{para('Footer', job_digits)}</w:tc><w:tc><w:tcPr/>"
        f"<w:p>{picture('rIdEmblem', 'QR code', anchored=True)}</w:p></w:tc></w:tr></w:tbl>"
        + para("Footer")
        + "</w:ftr>",
    }
    header_rels = (
        f'{head}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rIdEmblem" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/image" Target="media/image1.png"/></Relationships>'
    )
    first_section = (
        '<w:p><w:pPr><w:spacing w:line="240" w:lineRule="auto"/><w:sectPr>'
        '<w:headerReference w:type="even" r:id="rIdH1"/><w:headerReference w:type="default" '
        'r:id="rIdH2"/><w:footerReference w:type="even" r:id="rIdF1"/><w:footerReference '
        'w:type="default" r:id="rIdF2"/><w:headerReference w:type="first" r:id="rIdH3"/>'
        '<w:footerReference w:type="first" r:id="rIdF3"/><w:pgSz w:w="12240" w:h="15840"/>'
        '<w:pgMar w:top="1440" w:right="1200" w:bottom="1728" w:left="1200" w:header="432" '
        'w:footer="504" w:gutter="0"/><w:titlePg/></w:sectPr></w:pPr></w:p>'
    )
    last_section = (
        '<w:sectPr><w:headerReference w:type="even" r:id="rIdH1"/><w:headerReference '
        'w:type="default" r:id="rIdH2"/><w:footerReference w:type="even" r:id="rIdF1"/>'
        '<w:footerReference w:type="default" r:id="rIdF2"/><w:type w:val="continuous"/>'
        '<w:pgSz w:w="12240" w:h="15840"/><w:pgMar w:top="1440" w:right="1200" '
        'w:bottom="1728" w:left="1200" w:header="432" w:footer="504" w:gutter="0"/></w:sectPr>'
    )
    parts["word/document.xml"] = (
        f"{head}<w:document {_PKG_NS}><w:body>{first_section}{''.join(blocks)}{last_section}"
        "</w:body></w:document>"
    )

    def note_xml(kind: str, number: int, content) -> str:
        paragraphs = content if isinstance(content, list) else [content]
        style = "FootnoteText" if kind == "footnote" else "EndnoteText"
        ref = "footnoteRef" if kind == "footnote" else "endnoteRef"
        out = []
        for k, body in enumerate(paragraphs):
            runs = body if body.startswith("<") else run(body)
            mark_run = f"<w:r><w:{ref}/></w:r>{run(chr(9))}" if k == 0 else ""
            out.append(f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{mark_run}{runs}</w:p>')
        return f'<w:{kind} w:id="{number}">{"".join(out)}</w:{kind}>'

    for kind, notes in (("footnote", footnotes or {}), ("endnote", endnotes or {})):
        separators = (
            f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
            f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r>'
            f"<w:continuationSeparator/></w:r></w:p></w:{kind}>"
        )
        parts[f"word/{kind}s.xml"] = (
            f"{head}<w:{kind}s {_PKG_NS}>{separators}"
            + "".join(note_xml(kind, n, c) for n, c in notes.items())
            + f"</w:{kind}s>"
        )
    parts["word/comments.xml"] = (
        f"{head}<w:comments {_PKG_NS}>"
        + "".join(
            f'<w:comment w:id="{n}" w:author="Editor" w:initials="E">'
            f'<w:p><w:pPr><w:pStyle w:val="CommentText"/></w:pPr>{run(t)}</w:p></w:comment>'
            for n, t in (comments or {}).items()
        )
        + "</w:comments>"
    )
    variables = "".join(
        f'<w:docVar w:name="{x(k)}" w:val="{x(v)}"/>' for k, v in (doc_vars or {}).items()
    )
    parts["word/settings.xml"] = (
        f'{head}<w:settings {_PKG_NS}><w:footnotePr><w:footnote w:id="-1"/><w:footnote '
        'w:id="0"/></w:footnotePr>'
        + (f"<w:docVars>{variables}</w:docVars>" if variables else "")
        + "</w:settings>"
    )
    style_xml = [
        f'<w:docDefaults><w:rPrDefault><w:rPr><w:lang w:val="{lang}" w:eastAsia="zh-CN" '
        'w:bidi="ar-SA"/></w:rPr></w:rPrDefault></w:docDefaults>',
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
        + ("<w:pPr><w:bidi/></w:pPr>" if bidi else "")
        + "</w:style>",
        '<w:style w:type="character" w:styleId="FootnoteReference"><w:name w:val="footnote '
        'reference"/><w:rPr><w:vertAlign w:val="superscript"/></w:rPr></w:style>',
        '<w:style w:type="character" w:styleId="EndnoteReference"><w:name w:val="endnote '
        'reference"/><w:rPr><w:vertAlign w:val="superscript"/></w:rPr></w:style>',
        '<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/>'
        '<w:rPr><w:color w:val="0000FF"/><w:u w:val="none"/></w:rPr></w:style>',
        '<w:style w:type="character" w:styleId="CommentReference"><w:name w:val="annotation '
        'reference"/></w:style>',
        '<w:style w:type="paragraph" w:styleId="CommentText"><w:name w:val="annotation text"/>'
        "</w:style>",
    ]
    for style_id, (name, based, outline) in UN_STYLES.items():
        ppr = f'<w:pPr><w:outlineLvl w:val="{outline}"/></w:pPr>' if outline is not None else ""
        style_xml.append(
            f'<w:style w:type="paragraph" w:styleId="{style_id}"><w:name w:val="{x(name)}"/>'
            f'<w:basedOn w:val="{based or "Normal"}"/>{ppr}</w:style>'
        )
    for style_id, (name, based, ppr) in (styles or {}).items():
        style_xml.append(
            f'<w:style w:type="paragraph" w:styleId="{style_id}"><w:name w:val="{x(name)}"/>'
            f'<w:basedOn w:val="{based or "Normal"}"/><w:pPr>{ppr}</w:pPr></w:style>'
        )
    if numbering:
        parts["word/numbering.xml"] = f"{head}<w:numbering {_PKG_NS}>{numbering}</w:numbering>"
    parts["word/styles.xml"] = f"{head}<w:styles {_PKG_NS}>{''.join(style_xml)}</w:styles>"
    package_rels = (
        f'{head}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", package_rels)
        archive.writestr(
            "word/_rels/document.xml.rels",
            f'{head}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships">{rel_xml}</Relationships>',
        )
        for name in ("header3", "footer3"):
            archive.writestr(f"word/_rels/{name}.xml.rels", header_rels)
        archive.writestr("word/media/image1.png", PNG)
        for name, data in parts.items():
            archive.writestr(name, data)
    return path
