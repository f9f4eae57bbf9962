"""Size and speed work of issue 5, checked functionally (no timing here: see ``make bench``).

- CJK subsets are embedded compact and bare (``engine.compact_cid_fonts``): only the font
  programs change, every code still selects the glyph it was shaped with, and the gate
  catches a compact program that lacks a glyph.
- Right-to-left tables: their cells are matched on their own by the text round trip.
- The benchmark corpus is made of valid, distinct documents.
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from fontTools.cffLib import CFFFontSet
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTCollection, TTFont

from pipeline import fonts, source
from pipeline.typeset import engine, gate, layout, postpass, render_pdf, textcheck, typeset

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "A_75_9001--S_2021_9001-ZH"
FIXTURES = REPO / "tests" / "fixtures" / "documents"
ORIGINAL_EXAMPLE_SIZE = 509_035  # bytes, before compaction (README, issue 5)


@pytest.fixture(scope="module")
def zh_document():
    return source.load(EXAMPLE)


@pytest.fixture(scope="module")
def zh_both(zh_document) -> tuple[bytes, bytes]:
    """The example rendered twice: WeasyPrint's own subsets, and compacted."""
    html = layout.build_html(zh_document)
    ident = engine.identifier(zh_document.symbol, zh_document.language)
    return (
        engine.render(html, EXAMPLE, pdf_identifier=ident, compact_fonts=False),
        engine.render(html, EXAMPLE, pdf_identifier=ident),
    )


def _cid_fonts(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Dictionary]:
    return {
        str(o.BaseFont): o
        for o in pdf.objects
        if isinstance(o, pikepdf.Dictionary) and o.get("/Subtype") == "/CIDFontType0"
    }


def _widths(cid_font: pikepdf.Dictionary) -> dict[int, float]:
    """CID → width from a /W array of the form [first [w w ...] first [w ...] ...]."""
    result, items = {}, list(cid_font.W)
    for first, widths in zip(items[::2], items[1::2], strict=True):
        for i, width in enumerate(widths):
            result[int(first) + i] = float(width)
    return result


def _cff(program: bytes) -> CFFFontSet:
    font_set = CFFFontSet()
    font_set.decompile(io.BytesIO(program), None)
    return font_set


def _outline(charstrings, name: str) -> list:
    pen = RecordingPen()
    charstrings[name].draw(pen)
    return pen.value


# -- the CFF charset reader ------------------------------------------------------------------


def test_cff_cids_reads_the_identity_charset_of_noto_cjk():
    collection = TTCollection(str(fonts.locate("NotoSerifCJK-Regular.ttc")), lazy=True)
    sc = collection.fonts[2]  # the SC face
    cids = fonts.cff_cids(memoryview(sc.reader["CFF "]))
    assert len(cids) == sc["maxp"].numGlyphs
    assert cids == list(range(len(cids)))


def test_cff_cids_refuses_what_is_not_a_cid_keyed_cff():
    with pytest.raises(fonts.CFFError):
        fonts.cff_cids(b"OTTO\x00\x00")
    with pytest.raises(fonts.CFFError):
        fonts.cff_cids(b"\x01\x00\x04\x01\x00")  # a header and nothing else


# -- compaction ------------------------------------------------------------------------------


def test_chinese_example_embeds_compact_bare_cff(zh_both, zh_document):
    before, after = zh_both
    assert len(after) < len(before) / 3
    final = render_pdf(zh_document, EXAMPLE)  # through the post-pass and the gate
    assert len(final) < ORIGINAL_EXAMPLE_SIZE / 3
    with pikepdf.open(io.BytesIO(after)) as pdf:
        cid_fonts = _cid_fonts(pdf)
        assert len(cid_fonts) == 3  # Serif, Serif Bold, Sans Bold
        for cid_font in cid_fonts.values():
            program = cid_font.FontDescriptor.FontFile3
            assert program.Subtype == "/CIDFontType0C"
            assert "/CIDToGIDMap" not in cid_font  # a CIDFontType2 entry only
            cids = fonts.cff_cids(program.read_bytes())
            drawn = set(_widths(cid_font))
            assert drawn <= set(cids)
            assert len(cids) < 1.2 * len(drawn) + 10  # only the glyphs drawn, nearly


def test_compaction_changes_nothing_but_the_font_programs(zh_both):
    before, after = zh_both
    with pikepdf.open(io.BytesIO(before)) as old, pikepdf.open(io.BytesIO(after)) as new:
        assert len(old.pages) == len(new.pages)
        for old_page, new_page in zip(old.pages, new.pages, strict=True):
            assert old_page.Contents.read_bytes() == new_page.Contents.read_bytes()
        old_fonts, new_fonts = _cid_fonts(old), _cid_fonts(new)
        assert old_fonts.keys() == new_fonts.keys()
        for name, new_font in new_fonts.items():
            old_font = old_fonts[name]
            assert _widths(old_font) == _widths(new_font)
            retained = TTFont(io.BytesIO(old_font.FontDescriptor.FontFile3.read_bytes()))
            old_cff = retained["CFF "].cff
            old_top = old_cff[old_cff.fontNames[0]]
            new_cff = _cff(new_font.FontDescriptor.FontFile3.read_bytes())
            new_top = new_cff[new_cff.fontNames[0]]
            for cid in _widths(new_font):
                # WeasyPrint's subset: glyph id = CID; compact: CID -> glyph via the charset
                old_name = old_top.charset[cid]
                assert old_name == f"cid{cid:05d}"
                assert _outline(old_top.CharStrings, old_name) == _outline(
                    new_top.CharStrings, old_name
                ), f"{name} CID {cid}"
    maps = []
    for pdf in (before, after):  # the ToUnicode maps are untouched too
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            maps.append(
                sorted(
                    o.ToUnicode.read_bytes()
                    for o in doc.objects
                    if isinstance(o, pikepdf.Dictionary) and o.get("/Subtype") == "/Type0"
                )
            )
    assert maps[0] == maps[1]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_compacted_pages_rasterise_identically_with_poppler(zh_both, tmp_path):
    images = {}
    for name, pdf in zip(("before", "after"), zh_both, strict=True):
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "100", "-gray", tmp_path / f"{name}.pdf", tmp_path / name],
            check=True,
        )
        images[name] = [p.read_bytes() for p in sorted(tmp_path.glob(f"{name}-*.pgm"))]
    assert images["before"] and images["before"] == images["after"]


def test_compaction_is_refused_when_the_charset_is_not_the_identity(monkeypatch, zh_document):
    shifted = list(range(1, 70_000))  # glyph g carries CID g + 1
    monkeypatch.setattr(engine, "_original_cids", lambda face: shifted)
    pdf = typeset(zh_document, EXAMPLE, pdf_variant="pdf/a-2u")
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        for cid_font in _cid_fonts(opened).values():
            assert cid_font.FontDescriptor.FontFile3.Subtype == "/OpenType"
    finished = postpass.finish(pdf, zh_document, "2u")
    assert gate.check(finished, zh_document, "2u") == []


def _lose_one_glyph(program: bytes, cids: set[int]) -> bytes:
    """Give the first glyph drawn an unused CID (charset format 0): its CID is then missing."""
    top = _cff(program)
    offset = top[top.fontNames[0]].rawDict["charset"]
    assert program[offset] == 0  # HarfBuzz writes format 0 for these subsets
    table = fonts.cff_cids(program)
    gid = next(g for g, cid in enumerate(table) if cid in cids and g > 0)
    patched = bytearray(program)
    at = offset + 1 + 2 * (gid - 1)
    patched[at : at + 2] = (65_000).to_bytes(2, "big")
    return bytes(patched)


def test_gate_fails_a_compact_program_that_lacks_a_drawn_cid(zh_document):
    final = render_pdf(zh_document, EXAMPLE, flavour="2u")
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(final)) as pdf:
        cid_font = next(iter(_cid_fonts(pdf).values()))
        stream = cid_font.FontDescriptor.FontFile3
        broken = _lose_one_glyph(stream.read_bytes(), set(_widths(cid_font)))
        stream.write(broken)
        pdf.save(out, **pikepdf.pdfa.resolve_save_kwargs("2b", deterministic_id=True))
    findings = gate.check(out.getvalue(), zh_document, "2u")
    assert {f.code for f in findings} == {"PDF-PDFA-VALIDATOR"}, findings
    assert any("glyph" in f.message.lower() for f in findings), findings


def test_other_languages_keep_their_truetype_programs():
    document = source.load(FIXTURES / "ru-note")
    with pikepdf.open(io.BytesIO(typeset(document, FIXTURES / "ru-note"))) as pdf:
        subtypes = {
            str(o.Subtype)
            for o in pdf.objects
            if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Font"
        }
    assert "/CIDFontType0" not in subtypes and "/CIDFontType2" in subtypes


# -- right-to-left tables --------------------------------------------------------------------

TABLE = (
    "\n\n| البند | 2019 | 2020 | 2021 |\n|:---|---:|---:|---:|\n"
    "| المياه | 1,250 | 2,318 | 894 |\n| المناخ | 412 | 3,624 | 3,051 |\n"
)


def test_arabic_table_passes_the_text_round_trip(tmp_path):
    folder = tmp_path / "ar-table"
    shutil.copytree(FIXTURES / "ar-letter", folder)
    letter = folder / "letter.md"
    letter.write_text(letter.read_text(encoding="utf-8").rstrip() + TABLE, encoding="utf-8")
    document = source.load(folder)
    text = textcheck.source_text(document)
    cells = [t for where, t in text.anywhere if "table cell" in where]
    assert cells[:4] == ["البند", "2019", "2020", "2021"]
    assert all("2020" not in flow for _, flow in text.flows)
    render_pdf(document, folder)  # raises GateFailed if any cell or paragraph is not found


def test_table_cells_stay_in_order_in_left_to_right_documents():
    document = source.load(FIXTURES / "en-long-report")
    text = textcheck.source_text(document)
    assert not [where for where, _ in text.anywhere if "table cell" in where]
    assert any("New York" in flow for _, flow in text.flows)


def test_a_changed_arabic_table_cell_fails(tmp_path):
    folder = tmp_path / "ar-table"
    shutil.copytree(FIXTURES / "ar-letter", folder)
    letter = folder / "letter.md"
    letter.write_text(letter.read_text(encoding="utf-8").rstrip() + TABLE, encoding="utf-8")
    document = source.load(folder)
    extracted = textcheck.extract(render_pdf(document, folder))
    assert list(textcheck.mismatches(document, extracted)) == []
    tampered = extracted.replace("المناخ", "المنا")
    assert any("table cell" in m for m in textcheck.mismatches(document, tampered))


# -- the benchmark corpus --------------------------------------------------------------------


def _bench_module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_bench_corpus_documents_are_valid_and_distinct(tmp_path):
    corpus = _bench_module("corpus")
    counts = {language: 3 for language in corpus.LANGUAGES}
    made = corpus.generate(tmp_path / "corpus", counts, long_every=3)
    assert len(made) == 18
    assert {m.language for m in made} == set(corpus.LANGUAGES)
    assert sum(m.kind == "long" for m in made) == 6
    documents = [source.load(m.folder) for m in made]
    assert len({d.symbol for d in documents}) == 18
    assert len({d.job_number for d in documents}) == 18
    again = corpus.generate(tmp_path / "again", counts, long_every=3)
    for first, second in zip(made, again, strict=True):
        for path in first.folder.iterdir():
            assert path.read_bytes() == (second.folder / path.name).read_bytes()
    long_zh = next(m for m in made if m.kind == "long" and m.language == "zh")
    meta = json.loads((long_zh.folder / "document.json").read_text(encoding="utf-8"))
    main = (long_zh.folder / meta["parts"][0]["text"]).read_text(encoding="utf-8")
    assert re.search(r"^\|.*\|$", main, re.M)  # the table


# -- a short piece cut off by a page break ---------------------------------------------------

PAGE_END = (
    "Following the decisions taken by the General Assembly to continue the work through "
    "virtual and other arrangements,2\r\n most bod‐\r\nUnited Nations A/77/1009\r\n"
    "1 See the report of the Committee on Conferences.\r\n22-90009 (E)"
)
NEXT_PAGE = "A/77/1009\r\n2/13\r\nies held at least part of their sessions in person in 2021."
SOURCE = (
    "Following the decisions taken by the General Assembly to continue the work through "
    "virtual and other arrangements, most bodies held at least part of their sessions in "
    "person in 2021."
)


def _flow_mismatches(extracted: str) -> list[str]:
    from dataclasses import replace

    from pipeline import body

    document = source.load(FIXTURES / "en-long-report")
    part = replace(document.parts[0], markdown=SOURCE, html=body.to_html(SOURCE))
    document = replace(document, parts=(part,))
    return [m for m in textcheck.mismatches(document, extracted) if m.startswith(part.text)]


def test_a_short_piece_before_a_page_break_is_matched():
    assert _flow_mismatches(PAGE_END + textcheck.PAGE_BREAK + NEXT_PAGE) == []


def test_the_page_break_exception_needs_a_page_break_and_the_right_text():
    assert _flow_mismatches(PAGE_END + "\n" + NEXT_PAGE)  # no page break: short piece refused
    wrong = PAGE_END.replace("most bod", "most bxd")
    assert _flow_mismatches(wrong + textcheck.PAGE_BREAK + NEXT_PAGE)
    wrong = NEXT_PAGE.replace("ies held", "ies hold")
    assert _flow_mismatches(PAGE_END + textcheck.PAGE_BREAK + wrong)
