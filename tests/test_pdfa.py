"""The PDF/A post-pass and gate (``pipeline.typeset.postpass``, ``.gate``, ``.textcheck``).

Input PDFs come from a plain WeasyPrint render of small HTML with the pinned fonts (not the
project's templates, so these tests stand on their own): one document per language, built
through ``source.load`` so each is a real, validated ``Document``. Every gate check code has
a fixture here that fails it, made by editing a good file with pikepdf.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pikepdf
import pikepdf.pdfa
import pytest

from pipeline import body, source
from pipeline.model import Document
from pipeline.typeset import gate, postpass, tagcheck, textcheck

weasyprint = pytest.importorskip("weasyprint")

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "A_75_9001--S_2021_9001-ZH"
FONTS = {
    "serif": "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "serif-bold": "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf",
    "cjk": "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "cjk-bold": "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "arabic": "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf",
    "arabic-bold": "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Bold.ttf",
}
pytestmark = pytest.mark.skipif(
    not all(Path(f).is_file() for f in FONTS.values()), reason="pinned Debian fonts missing"
)

CSS = f"""
@font-face {{ font-family: T; src: url(file://{FONTS["serif"]}) }}
@font-face {{ font-family: T; font-weight: bold; src: url(file://{FONTS["serif-bold"]}) }}
@font-face {{ font-family: C; src: url(file://{FONTS["cjk"]}) }}
@font-face {{ font-family: C; font-weight: bold; src: url(file://{FONTS["cjk-bold"]}) }}
@font-face {{ font-family: A; src: url(file://{FONTS["arabic"]}) }}
@font-face {{ font-family: A; font-weight: bold; src: url(file://{FONTS["arabic-bold"]}) }}
* {{ image-rendering: crisp-edges }}
html {{ font-family: T; font-size: 10pt; line-height: 12pt }}
html:lang(zh) {{ font-family: T, C; line-height: 16pt }}
html:lang(ar) {{ font-family: A, T; direction: rtl; line-height: 16pt }}
@page {{ size: letter; margin: 2cm;
         @top-center {{ content: "A/75/9001–S/2021/9001" }}
         @bottom-center {{ content: counter(page) "/" counter(pages) }} }}
p {{ text-align: justify; hyphens: auto }}
.footnote {{ float: footnote; font-size: 9pt }}
.annex {{ break-before: page }}
"""

# One short letter per language: a paragraph with a link, a footnote, numbered paragraphs.
TEXTS = {
    "en": (
        "I have the honour to refer to General Assembly resolution "
        "[59/50](https://undocs.org/A/RES/59/50) of 2 December 2004.[^1] The Republic of "
        "Tajikistan, as Chair of the Organization in 2020 and 2021, is pleased to share two "
        "joint statements, adopted on 23 February 2021 in New York.",
        "The member States stress the need for agreed approaches to international security, "
        "and the affine, effective and flexible cooperation of regional organizations.",
        "A note on the resolution.",
        "Letter dated 2 March 2021 from the Permanent Representative of Tajikistan",
    ),
    "fr": (
        "J'ai l'honneur de me référer à la résolution [59/50](https://undocs.org/fr/A/RES/59/50) "
        "de l'Assemblée générale, en date du 2 décembre 2004.[^1] En sa qualité de président, "
        "la République du Tadjikistan est heureuse de vous faire tenir ci-joint deux "
        "déclarations communes, adoptées le 23 février 2021 à New York.",
        "Les États membres soulignent la nécessité d'approches concertées de la sécurité "
        "internationale et d'une coopération efficace entre les organisations régionales.",
        "Note relative à la résolution.",
        "Lettre datée du 2 mars 2021, adressée au Secrétaire général par le Représentant permanent",
    ),
    "es": (
        "Tengo el honor de referirme a la resolución [59/50](https://undocs.org/es/A/RES/59/50) "
        "de la Asamblea General, de 2 de diciembre de 2004.[^1] En su calidad de Presidencia, la "
        "República de Tayikistán tiene el agrado de transmitirle adjuntas dos declaraciones "
        "conjuntas, aprobadas el 23 de febrero de 2021 en Nueva York.",
        "Los Estados miembros subrayan la necesidad de enfoques concertados de la seguridad "
        "internacional y de una cooperación eficaz entre las organizaciones regionales.",
        "Nota sobre la resolución.",
        "Carta de fecha 2 de marzo de 2021 dirigida al Secretario General por el Representante",
    ),
    "ru": (
        "Имею честь сослаться на резолюцию [59/50](https://undocs.org/ru/A/RES/59/50) "
        "Генеральной Ассамблеи от 2 декабря 2004 года.[^1] Республика Таджикистан в качестве "
        "председателя Организации в 2020 и 2021 годах рада препроводить два совместных "
        "заявления, принятых 23 февраля 2021 года в Нью-Йорке.",
        "Государства-члены подчеркивают необходимость согласованных подходов к международной "
        "безопасности и эффективного сотрудничества региональных организаций.",
        "Примечание к резолюции.",
        "Письмо Постоянного представителя Таджикистана от 2 марта 2021 года",
    ),
    "ar": (
        "يشرفني أن أشير إلى قرار الجمعية العامة [59/50](https://undocs.org/ar/A/RES/59/50) "
        "المؤرخ 2 كانون الأول/ديسمبر 2004.[^1] ويسر جمهورية طاجيكستان، بصفتها رئيسة المنظمة "
        "في عامي 2020 و 2021، أن تحيل طيه بيانين مشتركين اعتمدا في 23 شباط/فبراير 2021 في "
        "نيويورك.",
        "وتؤكد الدول الأعضاء الحاجة إلى نُهُج متفق عليها للأمن الدولي، وإلى تعاون فعال بين "
        "المنظمات الإقليمية، لا سيما في المسائل الأمنية.",
        "ملاحظة بشأن القرار.",
        "رسالة مؤرخة 2 آذار/مارس 2021 موجهة إلى الأمين العام من الممثل الدائم لطاجيكستان",
    ),
}
SIGNATURE = {
    "en": "A. Person",
    "fr": "A. Personne",
    "es": "A. Persona",
    "ru": "А. Лицо",
    "ar": "أحمد",
}


def _write_source(folder: Path, language: str, paragraphs: int) -> Document:
    first, second, note, title = TEXTS[language]
    numbered = "\n\n".join(f"{i}. {second}" for i in range(1, paragraphs + 1))
    parts = {
        "letter.md": f"{first}\n\n{numbered}\n\n[^1]: {note}\n",
        "annex-1.md": f"{second}\n",
    }
    metadata = {
        "symbols": ["A/75/9001", "S/2021/9001"],
        "language": language,
        "original_languages": ["ru"],
        "distribution": "general",
        "date": "2021-03-05",
        "organs": [
            {
                "organ": "GA",
                "session": 75,
                "agenda_items": [{"item": "130", "sub_item": "t", "title": title}],
            },
            {"organ": "SC", "year": 2021},
        ],
        "title": title,
        "subtitle": "Note" if language == "en" else None,
        "job_number": "21-90001",
        "parts": [
            {"kind": "main", "text": "letter.md", "signature": {"name": SIGNATURE[language]}},
            {"kind": "annex", "text": "annex-1.md", "heading": "Annex", "title": title[:30]},
        ],
    }
    metadata = {k: v for k, v in metadata.items() if v is not None}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "document.json").write_text(json.dumps(metadata, ensure_ascii=False, indent=2))
    for name, text in parts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return source.load(folder)


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Document]:
    root = tmp_path_factory.mktemp("sources")
    docs = {lang: _write_source(root / lang, lang, 12) for lang in TEXTS}
    docs["zh"] = source.load(EXAMPLE)
    return docs


def page_html(document: Document) -> str:
    """A plain page for a document: title, agenda titles, parts with headings and signatures."""
    e = html.escape
    out = [f"<h1>{e(document.symbol)}</h1><h1>{e(document.title)}</h1>"]
    if document.subtitle:
        out.append(f"<h2>{e(document.subtitle)}</h2>")
    out += [f"<p>{e(a.title or '')}</p>" for o in document.organs for a in o.agenda_items]
    for part in document.parts:
        out.append(f'<section class="{part.kind}">')
        out += [f"<h2>{e(text)}</h2>" for text in (part.heading, part.title) if text]
        out.append(part.html)
        if part.signature:
            out.append(f"<p>({e(part.signature.name)})</p>")
            if part.signature.title:
                out.append(f"<p>{e(part.signature.title)}</p>")
        out.append("</section>")
    return "".join(out)


@cache
def _font_config() -> weasyprint.text.fonts.FontConfiguration:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def render(document_html: str, language: str, flavour: str = "2u", **options: object) -> bytes:
    page = (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"></head>'
        f"<body>{document_html}</body></html>"
    )
    fc = _font_config()
    doc = weasyprint.HTML(string=page).render(
        font_config=fc, stylesheets=[weasyprint.CSS(string=CSS, font_config=fc)]
    )
    return doc.write_pdf(pdf_variant=f"pdf/a-{flavour}", **options)


_raw_cache: dict[tuple[str, str], bytes] = {}


def raw_pdf(document: Document, flavour: str = "2u") -> bytes:
    key = (document.language, flavour)
    if key not in _raw_cache:
        _raw_cache[key] = render(page_html(document), document.language, flavour)
    return _raw_cache[key]


def edit(pdf: bytes, change: Callable[[pikepdf.Pdf], object], flavour: str = "2u") -> bytes:
    """Apply ``change`` to a finished PDF and save it as the post-pass would."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        change(doc)
        out = io.BytesIO()
        doc.save(out, **pikepdf.pdfa.resolve_save_kwargs(flavour[0] + "b", deterministic_id=True))
    return out.getvalue()


def plain_check(pdf: bytes, document: Document, flavour: str) -> list[gate.Finding]:
    """The gate without its exact-content checks: these files are plain pages (``page_html``),
    not unfolio's template, so they print none of its furniture. The exact-content checks
    have their own fixtures in tests/test_verify_exact.py."""
    return gate.check(pdf, document, flavour, exact=False)


def codes(findings: list[gate.Finding]) -> set[str]:
    return {f.code for f in findings}


def fonts(pdf: pikepdf.Pdf, subtype: str) -> list[pikepdf.Dictionary]:
    return [
        o
        for o in pdf.objects
        if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Font"
        if o.get("/Subtype") == subtype
    ]


@pytest.fixture(scope="module")
def en(documents: dict[str, Document]) -> tuple[Document, bytes]:
    document = documents["en"]
    return document, postpass.finish(raw_pdf(document), document, "2u")


# -- post-pass ----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ar", "zh", "en", "fr", "ru", "es"])
def test_every_language_passes_the_gate_as_2u(documents, language):
    document = documents[language]
    finished = postpass.finish(raw_pdf(document), document, "2u")
    assert plain_check(finished, document, "2u") == []


@pytest.mark.parametrize("flavour", ["2b", "3b", "3u"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_other_flavours_pass_the_gate(documents, language, flavour):
    document = documents[language]
    finished = postpass.finish(raw_pdf(document, flavour), document, flavour)
    assert plain_check(finished, document, flavour) == []
    with pikepdf.open(io.BytesIO(finished)) as pdf:
        assert pdf.open_metadata().pdfa_status == flavour.upper()


def test_same_input_gives_byte_identical_output(documents):
    document = documents["zh"]
    raw = raw_pdf(document, "3u")
    first = postpass.finish(raw, document, "3u")
    assert postpass.finish(raw, document, "3u") == first
    fresh = render(page_html(document), "zh", "3u")  # a second render too
    assert postpass.finish(fresh, document, "3u") == first


def test_xmp_and_info_say_the_same_from_the_metadata(en):
    document, finished = en
    with pikepdf.open(io.BytesIO(finished)) as pdf:
        meta = pdf.open_metadata()
        assert meta["dc:identifier"] == "A/75/9001–S/2021/9001"
        assert meta["dc:title"] == document.title
        assert meta["dc:publisher"] == {"United Nations"}
        assert meta["dc:language"] == {"en"}
        assert meta["dc:format"] == "application/pdf"
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "U"
        xmp = pdf.Root.Metadata.read_bytes().decode()
        assert '<rdf:li xml:lang="en">' in xmp
        assert "<un:jobNumber>21-90001 (E)</un:jobNumber>" in xmp
        assert "<un:undocsURL>https://undocs.org/A/75/9001</un:undocsURL>" in xmp
        assert "<rdf:li>GA 130 (t) Letter dated" in xmp
        assert "<pdfaSchema:namespaceURI>https://unfolio.example/ns/un/1.0/<" in xmp
        assert pdf.docinfo.Title == document.title
        assert pdf.docinfo.Subject == "Note"
        # every date in the file is the masthead date
        assert set(re.findall(r"\d{4}-\d\d-\d\dT[\d:]+", xmp)) == {"2021-03-05T00:00:00"}
        assert pdf.docinfo.CreationDate == pdf.docinfo.ModDate == "D:20210305000000+00'00'"
        assert str(pdf.Root.Lang) == "en"


def test_post_pass_drops_empty_resource_dictionaries(en):
    document, finished = en
    with pikepdf.open(io.BytesIO(raw_pdf(document))) as raw:
        assert any(
            len(page.Resources.get("/Pattern", {1: 1})) == 0 for page in raw.pages
        )  # WeasyPrint's empty /Pattern, the reason for this step
    with pikepdf.open(io.BytesIO(finished)) as pdf:
        for page in pdf.pages:
            assert all(len(v) for v in page.Resources.values())


def test_3u_embeds_the_source_as_associated_files(documents):
    document = documents["zh"]
    finished = postpass.finish(raw_pdf(document, "3u"), document, "3u")
    with pikepdf.open(io.BytesIO(finished)) as pdf:
        af = [str(spec.UF) for spec in pdf.Root.AF]
        assert af == ["document.json", "letter.md", "annex-1.md", "annex-2.md"]
        for file in document.files:
            spec = pdf.attachments[file.name]
            assert spec.get_file().read_bytes() == file.data
        assert pdf.Root.AF[0].AFRelationship == "/Data"
        assert pdf.Root.AF[0].EF.F.Subtype == "/application/json"
        assert pdf.Root.AF[1].AFRelationship == "/Source"
        assert pdf.Root.AF[1].EF.F.Subtype == "/text/markdown"
        assert pdf.Root.AF[1].EF.F.Params.ModDate == "D:20210305000000+00'00'"


def test_duplicate_af_entries_are_removed_and_foreign_attachments_fail(documents):
    # WeasyPrint 70.0 lists its own attachments twice in /AF (#2917); the renderer must not
    # attach anything, and whatever it did attach fails the gate.
    document = documents["en"]
    attachment = weasyprint.Attachment(string=b"secret", name="secret.txt")
    raw = render(page_html(document), "en", "3u", attachments=[attachment])
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        assert len(pdf.Root.AF) == 2 and pdf.Root.AF[0].objgen == pdf.Root.AF[1].objgen
    finished = postpass.finish(raw, document, "3u")
    with pikepdf.open(io.BytesIO(finished)) as pdf:
        objgens = [spec.objgen for spec in pdf.Root.AF]
        assert len(objgens) == len(set(objgens)) == 4
    findings = plain_check(finished, document, "3u")
    assert codes(findings) == {"PDF-ATTACHMENTS"}
    assert "unexpected embedded file 'secret.txt'" in str(findings)


def test_flavour_must_be_known(en):
    document, finished = en
    with pytest.raises(ValueError, match="expected one of 2a, 2b, 2u, 3a, 3b, 3u"):
        postpass.finish(finished, document, "1b")  # type: ignore[arg-type]


# -- gate: one failing fixture per code ---------------------------------------------------


def test_gate_enforce_raises_with_every_finding(en):
    document, finished = en
    gate.enforce(finished, document, "2u", exact=False)
    broken = edit(finished, lambda pdf: pdf.Root.__setattr__("OpenAction", _js(pdf)))
    with pytest.raises(gate.GateFailed) as caught:
        gate.enforce(broken, document, "2u", exact=False)
    assert caught.value.exit_code == 1
    assert "PDF-JAVASCRIPT" in str(caught.value)
    assert all(isinstance(f, gate.Finding) for f in caught.value.findings)


def _js(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    return pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))


def _drop_font_program(pdf: pikepdf.Pdf) -> None:
    for font in fonts(pdf, "/CIDFontType2"):
        del font.FontDescriptor["/FontFile2"]


def _drop_tounicode(pdf: pikepdf.Pdf) -> None:
    for font in fonts(pdf, "/Type0"):
        del font["/ToUnicode"]


def _empty_tounicode(pdf: pikepdf.Pdf) -> None:
    for font in fonts(pdf, "/Type0"):
        font.ToUnicode = pdf.make_stream(b"begincmap endcmap")


def _scramble_tounicode(pdf: pikepdf.Pdf) -> None:
    """Map every glyph the CMap maps to "e" to "x" instead: text extraction then lies."""
    for font in fonts(pdf, "/Type0"):
        cmap = font.ToUnicode.read_bytes().replace(b"<0065>", b"<0078>")
        font.ToUnicode = pdf.make_stream(cmap)


def _shift_page_down(pdf: pikepdf.Pdf) -> None:
    """Draw page 1 300 pt lower: its last lines fall below the page, yet still extract."""
    pdf.pages[0].contents_add(pdf.make_stream(b"1 0 0 1 0 -300 cm"), prepend=True)


def _link(pdf: pikepdf.Pdf, action: pikepdf.Dictionary) -> None:
    annot = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.Link,
        Rect=[0, 0, 10, 10],
        F=4,
        A=action,
    )
    page = pdf.pages[0]
    page.obj.Annots = pdf.make_indirect(pikepdf.Array([*page.obj.get("/Annots", []), annot]))


def _uri(uri: str) -> Callable[[pikepdf.Pdf], None]:
    return lambda pdf: _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(uri)))


def _launch(pdf: pikepdf.Pdf) -> None:
    _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("/bin/sh")))


def _gotor(pdf: pikepdf.Pdf) -> None:
    spec = pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=pikepdf.String("other.pdf"))
    _link(pdf, pikepdf.Dictionary(S=pikepdf.Name.GoToR, F=spec, D=[0, pikepdf.Name.Fit]))


def _attach_local_file(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["passwd"] = pikepdf.AttachedFileSpec(pdf, b"root:x:0:0", filename="passwd")


def _xmp_replace(old: bytes, new: bytes) -> Callable[[pikepdf.Pdf], None]:
    def change(pdf: pikepdf.Pdf) -> None:
        xmp = pdf.Root.Metadata.read_bytes()
        assert old in xmp
        pdf.Root.Metadata = pdf.make_stream(
            xmp.replace(old, new, 1), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML
        )

    return change


UNDECLARED = _xmp_replace(
    b"<un:distribution>", b"<un:secretLevel>high</un:secretLevel>\n   <un:distribution>"
)
FOREIGN_NAMESPACE = _xmp_replace(
    b"<rdf:Description xmlns:dc=",
    b'<rdf:Description xmlns:ev="https://evil.example/ns/" rdf:about=""><ev:x>1</ev:x>'
    b"</rdf:Description>\n  <rdf:Description xmlns:dc=",
)
WRONG_TYPE = _xmp_replace(
    b"<un:distribution>general</un:distribution>",
    b"<un:distribution><rdf:Bag><rdf:li>general</rdf:li></rdf:Bag></un:distribution>",
)
WRONG_VALUE_TYPE = _xmp_replace(
    b"<pdfaProperty:valueType>URI<", b"<pdfaProperty:valueType>Integer<"
)
WRONG_PREFIX = _xmp_replace(b"<pdfaSchema:prefix>un<", b"<pdfaSchema:prefix>uno<")
WRONG_IDENTIFIER = _xmp_replace(b"<dc:identifier>A/75/9001", b"<dc:identifier>A/75/9002")


def _info_title(pdf: pikepdf.Pdf) -> None:
    pdf.docinfo.Title = "Another title"


def _now(pdf: pikepdf.Pdf) -> None:
    pdf.docinfo.ModDate = "D:20260101120000+00'00'"


def _drop_output_intent(pdf: pikepdf.Pdf) -> None:
    del pdf.Root["/OutputIntents"]


def _encrypt(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(owner="owner", user=""))
    return out.getvalue()


def _text_field_form(pdf: pikepdf.Pdf) -> None:
    """A fillable text field: no form but unfolio's signature field is allowed."""
    field = pdf.make_indirect(
        pikepdf.Dictionary(FT=pikepdf.Name.Tx, T="name", Type=pikepdf.Name.Annot,
                           Subtype=pikepdf.Name.Widget, Rect=[0, 0, 0, 0], F=4)
    )  # fmt: skip
    pdf.pages[0].obj.Annots = pikepdf.Array([*pdf.pages[0].obj.get("/Annots", []), field])
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=[field])


FIXTURES: dict[str, Callable[[pikepdf.Pdf], object]] = {
    "font-program-missing": _drop_font_program,
    "tounicode-missing": _drop_tounicode,
    "tounicode-empty": _empty_tounicode,
    "javascript-open-action": lambda pdf: pdf.Root.__setattr__("OpenAction", _js(pdf)),
    "javascript-name-tree": lambda pdf: pdf.Root.__setattr__(
        "Names", pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=[]))
    ),
    "additional-action": lambda pdf: pdf.pages[0].obj.__setattr__(
        "AA", pikepdf.Dictionary(O=_js(pdf))
    ),
    "file-uri": _uri("file:///etc/passwd"),
    "relative-uri": _uri("../secret.pdf"),
    "launch": _launch,
    "gotor": _gotor,
    "embedded-local-file": _attach_local_file,
    "undeclared-property": UNDECLARED,
    "foreign-namespace": FOREIGN_NAMESPACE,
    "value-of-wrong-type": WRONG_TYPE,
    "schema-prefix-mismatch": WRONG_PREFIX,
    "schema-value-type-changed": WRONG_VALUE_TYPE,
    "wrong-identifier": WRONG_IDENTIFIER,
    "info-title": _info_title,
    "info-date-from-clock": _now,
    "no-output-intent": _drop_output_intent,
    "scrambled-tounicode": _scramble_tounicode,
    "text-below-the-page": _shift_page_down,
    "text-field-form": _text_field_form,
}
EXPECTED = {
    "font-program-missing": "PDF-FONT-EMBEDDED",
    "tounicode-missing": "PDF-TOUNICODE",
    "tounicode-empty": "PDF-TOUNICODE",
    "javascript-open-action": "PDF-JAVASCRIPT",
    "javascript-name-tree": "PDF-JAVASCRIPT",
    "additional-action": "PDF-JAVASCRIPT",
    "file-uri": "PDF-EXTERNAL-REF",
    "relative-uri": "PDF-EXTERNAL-REF",
    "launch": "PDF-EXTERNAL-REF",
    "gotor": "PDF-EXTERNAL-REF",
    "embedded-local-file": "PDF-ATTACHMENTS",
    "undeclared-property": "PDF-XMP-EXTENSION",
    "foreign-namespace": "PDF-XMP-EXTENSION",
    "value-of-wrong-type": "PDF-XMP-EXTENSION",
    "schema-prefix-mismatch": "PDF-XMP-EXTENSION",
    "schema-value-type-changed": "PDF-XMP-EXTENSION",
    "wrong-identifier": "PDF-METADATA",
    "info-title": "PDF-METADATA",
    "info-date-from-clock": "PDF-METADATA",
    "no-output-intent": "PDF-PDFA-VALIDATOR",
    "scrambled-tounicode": "PDF-TEXT-ROUNDTRIP",
    "text-below-the-page": "PDF-TEXT-OFFPAGE",
    "text-field-form": "PDF-SIGNATURE-FORM",
}


def test_text_off_the_page_is_named_by_page(en):
    document, finished = en
    findings = plain_check(edit(finished, _shift_page_down), document, "2u")
    (offpage,) = [f for f in findings if f.code == "PDF-TEXT-OFFPAGE"]
    assert offpage.where == "page 1" and "drawn outside the page" in offpage.message
    assert not [f for f in plain_check(finished, document, "2u") if f.code == "PDF-TEXT-OFFPAGE"]


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_gate_fails_each_fixture_with_its_code(en, name):
    document, finished = en
    findings = plain_check(edit(finished, FIXTURES[name]), document, "2u")
    assert EXPECTED[name] in codes(findings), findings


def test_every_code_has_a_failing_fixture():
    covered = set(EXPECTED.values()) | {
        "PDF-SYNTAX",  # test_unreadable_file
        "PDF-ENCRYPTED",  # test_encrypted_file
        "PDF-ATTACHMENTS",
        *tagcheck.CODES,  # tests/test_tags.py: test_each_tags_check_fails_on_its_fault
        # tests/test_verify_exact.py, on unfolio's own template
        "PDF-TEXT-EXACT",
        "PDF-REVISIONS",
        "PDF-LINKS",
        "PDF-DRAWING",
        "PDF-TEXT-HIDDEN",
        "PDF-ACTUALTEXT",
        "PDF-OUTLINE",
        "PDF-TEXT-ORDER",  # tests/test_verify_order.py
    }
    assert covered == set(gate.CODES)


def test_unreadable_file(en):
    document, finished = en
    assert codes(plain_check(finished[:200], document, "2u")) == {"PDF-SYNTAX"}


def test_encrypted_file(en):
    document, finished = en
    with pikepdf.open(io.BytesIO(finished)) as pdf:
        encrypted = _encrypt(pdf)
    assert "PDF-ENCRYPTED" in codes(plain_check(encrypted, document, "2u"))


def test_web_links_are_the_documents_own_and_pass(en):
    document, finished = en
    with pikepdf.open(io.BytesIO(finished)) as pdf:
        uris = [str(a.A.URI) for page in pdf.pages for a in page.get("/Annots", []) if "/A" in a]
    assert "https://undocs.org/A/RES/59/50" in uris
    mailto = edit(finished, _uri("mailto:records@un.org"))
    assert plain_check(mailto, document, "2u") == []


def test_text_mismatch_fails(en, tmp_path):
    document, finished = en
    for file in document.files:
        data = file.data.replace(b"honour", b"hanour") if file.name == "letter.md" else file.data
        (tmp_path / file.name).write_bytes(data)
    findings = plain_check(finished, source.load(tmp_path), "2u")
    assert codes(findings) == {"PDF-TEXT-ROUNDTRIP"}
    assert "letter.md" in findings[0].message and "anourto" in findings[0].message


# -- the validator's limits ---------------------------------------------------------------


def test_validator_limits_are_exactly_what_a_good_u_file_triggers(en):
    document, finished = en
    report = pikepdf.pdfa.validate_written(io.BytesIO(finished), "2b")
    assert report.findings  # the limits are real: pikepdf.pdfa alone would refuse the file
    rules = {f.rule.partition(":")[2] for f in report.findings}
    assert rules == {limit.rule for limit in gate.VALIDATOR_LIMITS}
    assert plain_check(finished, document, "2u") == []
    for limit in gate.VALIDATOR_LIMITS:
        assert set(limit.covered_by) <= set(gate.CODES)


def test_letter_u_is_not_excused_on_a_b_file(en):
    document, finished = en  # a 2u file checked as 2b
    findings = plain_check(finished, document, "2b")
    assert codes(findings) == {"PDF-PDFA-VALIDATOR", "PDF-METADATA"}
    assert any("conformance is 'U'" in f.message for f in findings)


def test_a_foreign_namespace_is_not_excused(en):
    document, finished = en
    findings = plain_check(edit(finished, FOREIGN_NAMESPACE), document, "2u")
    validator = [f for f in findings if f.code == "PDF-PDFA-VALIDATOR"]
    assert validator and all("evil.example" in f.message or "ev:x" in f.message for f in validator)


# -- text normalisation and matching ------------------------------------------------------


@pytest.mark.parametrize(
    ("source_text", "extracted"),
    [
        ("effective flow", "eﬀective ﬂow"),  # ligatures
        ("co-operation in\nNew York", "co‐\nopera-\ntion in New York"),  # hyphenation, breaks
        ("２０２１年３月", "2021年3月"),  # full-width digits
        ("لا سلام", "\ufefb \ufeb3\ufefc\ufee1"),  # Arabic presentation forms, lam-alef
        ("الأمم", "الأمــم"),  # tatweel (kashida) in the rendering
        ("Annex", "ANNEX"),  # text-transform
        ("«Привет», — сказал", '"Привет" - сказал'),  # punctuation styles
    ],
)
def test_normalisation_folds_rendering_differences(source_text, extracted):
    assert textcheck.normalise(source_text) == textcheck.normalise(extracted)


def test_normalisation_keeps_letters_and_digits_of_every_script():
    assert textcheck.normalise("Au 2 mars, 联合国 «Имею» حرب 12٣") == "au2mars联合国имеюحرب12٣"


def test_matching_tolerates_furniture_and_moved_footnotes():
    flow = "I have the honour to refer to the resolution of the General Assembly"
    pdf_text = (
        "I have the honour to refer¹ to the res- A/75/9001 2/3 1 A footnote text. "
        "olution of the General Assembly"
    )
    target = textcheck.normalise(pdf_text)
    assert textcheck._match(textcheck.normalise(flow), target, 0)[1] is None
    wrong = textcheck.normalise(flow.replace("General", "Genera1"))
    assert textcheck._match(wrong, target, 0)[1] is not None
    assert textcheck._match(textcheck.normalise("A footnote text"), target, 0)[1] is None


def test_recurring_text_split_by_a_page_break_is_matched_where_it_is():
    """Paragraphs that repeat one sentence: the second is split by a page's furniture, the
    third is whole. Matching the second at the third's unbroken copy would leave the third
    nothing to match (a valid document refused, found with a 100-paragraph Russian note)."""
    sentence = "Member States stress the need for agreed approaches. " * 3
    paragraphs = [sentence] * 3
    half = len(sentence) // 2
    pdf_text = (
        f"1 {sentence} 2 {sentence[:half]} 22-99999 2/3 A/77/9999 {sentence[half:]} 3 {sentence}"
    )
    target = textcheck.normalise(pdf_text)
    cursor = 0
    for paragraph in paragraphs:
        cursor, failed = textcheck._match(textcheck.normalise(paragraph), target, cursor)
        assert failed is None
    assert cursor == len(target)
    fourth = textcheck._match(textcheck.normalise(sentence), target, cursor)
    assert fourth[1] is not None  # a paragraph the PDF lacks is still missing


@pytest.mark.parametrize("language", ["ar", "zh", "en", "fr", "ru", "es"])
def test_round_trip_detects_a_changed_word_in_every_language(documents, language):
    document = documents[language]
    finished = postpass.finish(raw_pdf(document), document, "2u")
    extracted = textcheck.extract(finished)
    assert list(textcheck.mismatches(document, extracted)) == []
    # swap two letters of the body, as a wrong ToUnicode entry would
    body_text = textcheck.normalise(textcheck.source_text(document).flows[0][1])
    probe = body_text[40:44]
    tampered = textcheck.normalise(extracted).replace(probe, probe[::-1])
    assert probe != probe[::-1] and tampered != textcheck.normalise(extracted)
    assert list(textcheck.mismatches(document, tampered))


def test_rendered_arabic_is_extracted_in_logical_order(documents):
    document = documents["ar"]
    extracted = textcheck.extract(postpass.finish(raw_pdf(document), document, "2u"))
    assert "تحيل طيه بيانين مشتركين" in extracted


def test_body_html_footnotes_are_matched_on_their_own():
    text = textcheck.source_text(
        _doc_with_html(body.to_html("Main text.[^1] More text.\n\n[^1]: The note.\n"))
    )
    assert [(where, t.replace(textcheck.BLOCK_BREAK, "").strip()) for where, t in text.flows] == [
        ("letter.md", "Main text.1 More text.")
    ]
    assert ("letter.md footnote 1", "The note.") in text.anywhere


def test_short_blocks_match_across_numbers_the_pdf_adds_between_them():
    document = _doc_with_html(
        body.to_html("# 一. 导言\n\n1. 本报告根据经济及社会理事会的决议提交。\n")
    )

    def body_mismatches(extracted: str) -> list[str]:
        return [m for m in textcheck.mismatches(document, extracted) if m.startswith("letter.md:")]

    assert body_mismatches("一. 导言\n1. 本报告根据经济及社会理事会的决议提交。") == []
    assert body_mismatches("一. 导言\n1. 本报告根据理事会的决议提交。") != []


def _doc_with_html(part_html: str) -> Document:
    from datetime import date

    from pipeline.model import Part
    from pipeline.symbols import parse_symbol

    return Document(
        symbols=(parse_symbol("A/75/9001"),),
        language="en",
        original_languages=("en",),
        distribution="general",
        date=date(2021, 3, 5),
        duty_station="new-york",
        organs=(),
        title="T",
        job_number="21-90001",
        parts=(Part("main", "letter.md", "", part_html),),
        files=(),
    )
