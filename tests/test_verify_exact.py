"""`unfolio verify` proves the document unchanged: reproduction and exact content.

Each forgery is made the way the most careful forger would: edit the PDF or the source, then
re-make every other file with unfolio's own writer (``remake``: manifests, Payload-Oxum,
PREMIS with its identifiers, bag-info, the environment record), so the BagIt, profile, PREMIS
and derived-metadata layers are satisfied and only the PDF and the source disagree. Each must fail ``unfolio verify`` with
default options (exit 1) with a finding of the expected code that names the file. Where a
forgery is caught by reproduction too, the same forgery is also checked with
``--no-reproduce`` — the environment-independent checks must catch it alone.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from pathlib import Path

import pikepdf
import pytest

from pipeline import source
from pipeline.cli import main
from pipeline.config import Config
from pipeline.package import build_bag
from pipeline.package.environment import RECORD_PATH
from pipeline.typeset import drawing, exacttext, render_pdf, textcheck

from .conftest import EXAMPLE, REPO
from .test_verify import EPOCH, edit, rekey, reseal

FIXTURES = REPO / "tests" / "fixtures" / "documents"
ZH = "A_75_9001--S_2021_9001-ZH"
RU = "A_77_9103-RU"
SRC = "data/objects/source"


def _build(folder: Path, out: Path, flavour: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    document = source.load(folder)
    pdf = render_pdf(document, folder, flavour=flavour)
    return build_bag(document, pdf, flavour, out, Config())


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        out = tmp_path_factory.mktemp("exact")
        return {
            "zh": _build(EXAMPLE, out / "2u", "2u"),
            "zh3u": _build(EXAMPLE, out / "3u", "3u"),
            "ru": _build(FIXTURES / "ru-note", out / "ru", "2u"),
        }
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]


@pytest.fixture
def copy(built, tmp_path):
    def make(which: str) -> Path:
        return Path(shutil.copytree(built[which], tmp_path / which / built[which].name))

    return make


def pdf_of(bag: Path) -> str:
    return f"data/objects/{bag.name}.pdf"


def verify(bag: Path, capsys, *options: str) -> tuple[int, list[dict]]:
    code = main(["verify", "--json", "--no-second-opinions", *options, str(bag)])
    report = json.loads(capsys.readouterr().out)
    return code, report["targets"][0]["findings"]


def assert_caught(bag: Path, capsys, code: str, file: str, *options: str) -> list[dict]:
    exit_code, found = verify(bag, capsys, *options)
    assert exit_code == 1, found
    assert any(f["code"] == code and f["file"] == file for f in found), found
    return found


def remake(bag: Path, pdf: bytes | None = None, *, new_key: bool = True) -> None:
    """Re-make every file but the source from the bag's (edited) source and ``pdf`` with
    unfolio's own writer — manifests, Payload-Oxum, PREMIS with its identifiers, bag-info,
    metadata.csv, the environment record, the build key (unless ``new_key`` is false): the
    most careful forger, who leaves only the PDF and the source to disagree."""
    # the bags were built with SOURCE_DATE_EPOCH: so is the forger's re-make (its PREMIS times
    # and the environment record's epoch agree, or META-BUILD-TIME tells the re-make apart)
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        _remake(bag, pdf, new_key=new_key)
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def _remake(bag: Path, pdf: bytes | None, *, new_key: bool) -> None:
    from datetime import UTC, datetime

    from pipeline.package import buildkey, contents, environment
    from pipeline.resources import styles_dir

    document = source.load(bag / SRC)
    pdf = (bag / pdf_of(bag)).read_bytes() if pdf is None else pdf
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    key = re.search(r"(?m)^UN-Build-Key: (.*)$", info).group(1)
    flavour = json.loads((bag / RECORD_PATH).read_text(encoding="utf-8"))["pdf"]["flavour"]
    if new_key:
        record = environment.record(flavour, Config())
        key = buildkey.build_key(
            document,
            flavour=flavour,
            config_values=Config().key_values(),
            styles=[styles_dir()],
            env=record["environment"],
            source_date_epoch=record["source_date_epoch"],
        )
    files = contents.bag_files(
        document,
        pdf,
        flavour=flavour,
        config=Config(),
        when=datetime.fromtimestamp(int(EPOCH), tz=UTC),
        build_key=key,
    )
    for path in [p for p in bag.rglob("*") if p.is_file()]:
        if path.relative_to(bag).as_posix() not in files:
            path.unlink()
    for relative, data in files.items():
        (bag / relative).parent.mkdir(parents=True, exist_ok=True)
        (bag / relative).write_bytes(data)


def swap_pdf(bag: Path, data: bytes) -> None:
    remake(bag, data)


def rewrite_pdf(bag: Path, change) -> None:
    with pikepdf.open(bag / pdf_of(bag)) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out)
    swap_pdf(bag, out.getvalue())


def edit_source(bag: Path, name: str, old: str, new: str, count: int = 1) -> None:
    """Change a bagged source file and re-make the rest of the bag around it (``remake``)."""
    path = bag / SRC / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    remake(bag)


# -- the good bags ------------------------------------------------------------------------


def test_a_fresh_bag_is_reproduced_byte_for_byte_and_passes_every_exact_check(built, capsys):
    for bag in built.values():
        code, found = verify(bag, capsys)
        assert code == 0 and found == [], found
    record = json.loads((built["zh"] / RECORD_PATH).read_text(encoding="utf-8"))
    assert record["pdf"] == {"flavour": "2u"} and record["source_date_epoch"] == EPOCH
    assert record["inputs"]["styles_overlay"] is None
    assert record["environment"]["py:weasyprint"] and record["environment"]["unfolio-code"]
    assert RECORD_PATH in (built["zh"] / "tagmanifest-sha256.txt").read_text()


def test_a_recorded_component_that_differs_skips_reproduction_with_a_warning(copy, capsys):
    bag = copy("zh")
    edit(bag, RECORD_PATH, '"py:weasyprint": "', '"py:weasyprint": "0.0-')
    rekey(bag)  # built elsewhere: the key is that environment's
    code, found = verify(bag, capsys)
    assert code == 0
    assert [f["code"] for f in found] == ["PDF-REPRODUCE-SKIPPED"]
    assert "py:weasyprint" in found[0]["message"] and found[0]["file"] == pdf_of(bag)


def test_an_emblem_not_at_hand_skips_reproduction_and_names_it(copy, capsys):
    bag = copy("zh")
    edit(bag, RECORD_PATH, '"emblem": "sha256:', '"emblem": "sha256:00')
    reseal(bag)
    code, found = verify(bag, capsys)
    assert code == 0
    assert [f["code"] for f in found] == ["PDF-REPRODUCE-SKIPPED", "META-BUILD-KEY-UNCHECKED"]
    assert "emblem" in found[1]["message"] and found[1]["severity"] == "note"
    assert "emblem" in found[0]["message"] and "--config" in found[0]["message"]


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        (RECORD_PATH, '"py:weasyprint": "', '"py:weasyprint": "0.0-'),
        (RECORD_PATH, '"source_date_epoch": "', '"source_date_epoch": "1'),
        (RECORD_PATH, '"flavour": "2u"', '"flavour": "2b"'),
    ],
    ids=["a component", "the epoch", "the flavour"],
)
def test_an_environment_record_edited_under_the_old_key_fails_meta_build_key(
    copy, capsys, file, old, new
):
    """The forger's way to force PDF-REPRODUCE-SKIPPED now fails, on any machine: the key is
    recomputed from the record, not from the running environment."""
    bag = copy("zh")
    edit(bag, file, old, new)
    reseal(bag)
    found = assert_caught(bag, capsys, "META-BUILD-KEY", "bag-info.txt")
    assert any("UN-Build-Key" in f["message"] for f in found if f["code"] == "META-BUILD-KEY")


def test_a_source_edited_under_the_old_key_fails_meta_build_key(copy, capsys):
    bag = copy("ru")
    edit(bag, f"{SRC}/document.json", '"title": "', '"title": "Revised: ')
    remake(bag, new_key=False)
    assert_caught(bag, capsys, "META-BUILD-KEY", "bag-info.txt", "--no-reproduce")


def test_the_build_key_of_a_genuine_bag_from_elsewhere_recomputes(copy, capsys):
    bag = copy("zh")
    edit(bag, RECORD_PATH, '"py:lxml": "', '"py:lxml": "9.')
    rekey(bag)
    code, found = verify(bag, capsys)
    assert code == 0 and "META-BUILD-KEY" not in {f["code"] for f in found}, found


def test_a_missing_or_broken_environment_record_fails_meta_environment(copy, capsys):
    bag = copy("zh")
    (bag / RECORD_PATH).write_text("{not json", encoding="utf-8")
    reseal(bag)
    assert_caught(bag, capsys, "META-ENVIRONMENT", RECORD_PATH)
    (bag / RECORD_PATH).unlink()
    reseal(bag)
    found = assert_caught(bag, capsys, "META-ENVIRONMENT", RECORD_PATH)
    assert any(f["code"] == "META-PROFILE-TAG-FILES" for f in found)


def test_no_reproduce_skips_the_re_render(copy, capsys, monkeypatch):
    from pipeline.verify import reproduce

    bag = copy("zh")
    monkeypatch.setattr(reproduce, "rerender", lambda *a: pytest.fail("re-rendered"))
    code, found = verify(bag, capsys, "--no-reproduce")
    assert code == 0 and found == []


def test_a_bag_failing_its_bagit_checks_is_not_re_rendered(copy, capsys, monkeypatch):
    """An incomplete bag already fails; a render on top of a huge manifest's tables would
    double verify's memory (issue 11: 300,000 absent files in under 300 MB)."""
    from pipeline.verify import reproduce

    bag = copy("zh")
    with (bag / "manifest-sha256.txt").open("a", encoding="utf-8") as manifest:
        manifest.write(f"{'0' * 64}  data/objects/absent.txt\n")
    monkeypatch.setattr(reproduce, "rerender", lambda *a: pytest.fail("re-rendered"))
    found = assert_caught(bag, capsys, "BAG-FILE-MISSING", "data/objects/absent.txt")
    assert any(f["code"] == "PDF-REPRODUCE-SKIPPED" for f in found), found


def test_reproduction_renders_from_the_steps_not_through_render_pdf(copy, capsys, monkeypatch):
    """No render cache can be consulted: the entry point a cache would wrap is never called."""
    import pipeline.typeset as typeset

    bag = copy("zh")
    monkeypatch.setattr(typeset, "render_pdf", lambda *a, **k: pytest.fail("render_pdf called"))
    code, found = verify(bag, capsys)
    assert code == 0 and found == []


def _in_stream(change):
    """A PDF edit that rewrites page 1's one content stream (the text left in place)."""

    def rewrite(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[0]
        page.obj.Contents.write(change(page.obj.Contents.read_bytes()))

    return rewrite


BLACK_BOX = b"q 0 0 0 rg 72 300 300 60 re f Q"


def _skip_reproduction(bag: Path) -> None:
    """The forger's edit of the environment record, which turns reproduction into a warning."""
    record = (bag / RECORD_PATH).read_text(encoding="utf-8")
    (bag / RECORD_PATH).write_text(
        record.replace('"py:weasyprint": "', '"py:weasyprint": "0.0-'), encoding="utf-8"
    )
    reseal(bag)


def test_a_black_box_inside_the_existing_stream_fails_in_any_environment(copy, capsys):
    bag = copy("zh")
    rewrite_pdf(bag, _in_stream(lambda data: data + b"\n" + BLACK_BOX + b"\n"))
    found = assert_caught(bag, capsys, "PDF-NOT-REPRODUCED", pdf_of(bag))
    assert "PDF-TEXT-HIDDEN" in {f["code"] for f in found}
    assert_caught(bag, capsys, "PDF-TEXT-HIDDEN", pdf_of(bag), "--no-reproduce")
    _skip_reproduction(bag)  # the record edited so that reproduction is skipped
    found = assert_caught(bag, capsys, "PDF-TEXT-HIDDEN", pdf_of(bag))
    assert "PDF-REPRODUCE-SKIPPED" in {f["code"] for f in found}
    assert any("under a painted area" in f["message"] for f in found), found


def test_a_grey_background_under_black_text_is_no_hidden_text():
    """Paint under text hides it only in a colour the text cannot be told from: a styles
    overlay may shade a table head grey; black under black text fails."""
    from pipeline.typeset import visibility

    document = source.load(FIXTURES / "ru-note")
    pdf = render_pdf(document, FIXTURES / "ru-note", flavour="2u")

    def under(colour: bytes) -> bytes:
        with pikepdf.open(io.BytesIO(pdf)) as opened:
            page = opened.pages[0].obj
            page.Contents.write(
                b"q " + colour + b" 72 300 300 60 re f Q\n" + page.Contents.read_bytes()
            )
            out = io.BytesIO()
            opened.save(out)
        return out.getvalue()

    assert list(visibility.check_visible(pdf)) == []
    assert list(visibility.check_visible(under(b"0.6 g"))) == []
    (hidden,) = visibility.check_visible(under(b"0.1 g"))
    assert hidden.code == "PDF-TEXT-HIDDEN" and hidden.where == "page 1"


@pytest.mark.parametrize(
    ("label", "change", "says"),
    [
        ("a black box under the text", lambda d: BLACK_BOX + b"\n" + d, "painted area"),
        (
            "a thick black stroke along a line",
            lambda d: d + b"\nq 0 0 0 RG 12 w 150 100 m 150 700 l S Q\n",
            "painted area",
        ),
        ("a clip that cuts the page off", lambda d: b"q 0 0 10 10 re W n\n" + d + b"\nQ", "clip"),
        ("text scaled to nothing", lambda d: b"0.002 0 0 0.002 0 0 cm\n" + d, "too small"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else "",
)
def test_text_hidden_inside_the_existing_stream_fails_without_reproduction(
    copy, capsys, label, change, says
):
    bag = copy("zh")
    rewrite_pdf(bag, _in_stream(change))
    _skip_reproduction(bag)
    found = assert_caught(bag, capsys, "PDF-TEXT-HIDDEN", pdf_of(bag))
    assert any(says in f["message"] and "page 1" in f["message"] for f in found), found


def test_a_crop_box_smaller_than_the_page_fails(copy, capsys):
    bag = copy("zh")

    def crop(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.CropBox = pikepdf.Array([0, 400, 612, 792])

    rewrite_pdf(bag, crop)
    found = assert_caught(bag, capsys, "PDF-TEXT-OFFPAGE", pdf_of(bag), "--no-reproduce")
    assert any("CropBox" in f["message"] for f in found), found


# -- forgeries of the PDF ------------------------------------------------------------------


def incremental_update(pdf: bytes, stream: bytes, *, extra: bytes = b"") -> bytes:
    """Append an incremental update that adds ``stream`` to page 1, as a PDF editor saves."""
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        page = opened.pages[0].obj
        number, generation = page.objgen
        size = int(opened.trailer.Size)
        root = opened.trailer.Root.objgen[0]
        page_text = page.unparse(resolved=True)
    prev = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    page_text = re.sub(
        rb"/Contents (\d+) 0 R", rb"/Contents [\1 0 R " + str(size).encode() + b" 0 R]", page_text
    )
    body = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets = {}
    offsets[size] = len(body)
    body += b"%d 0 obj\n<< /Length %d >>\nstream\n" % (size, len(stream)) + stream
    body += b"\nendstream\nendobj\n"
    offsets[number] = len(body)
    body += b"%d %d obj\n" % (number, generation) + page_text + extra + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 1\n0000000000 65535 f \n"
    for obj in sorted(offsets):
        body += b"%d 1\n%010d 00000 n \n" % (obj, offsets[obj])
    body += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\n" % (size + 1, root, prev)
    body += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(body)


WHITE_HALF_PAGE = b"q 1 1 1 rg 0 396 612 396 re f Q"


def signature_update(pdf: bytes) -> bytes:
    """An update defining a signature dictionary (its content is the signature checks' affair)."""
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        size = int(opened.trailer.Size)
        root = opened.trailer.Root.objgen[0]
    prev = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    body = bytearray(pdf)
    offset = len(body)
    body += b"%d 0 obj\n<< /Type /Sig /ByteRange [0 10 20 30] /Contents <00> >>\nendobj\n" % size
    xref = len(body)
    body += b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (size, offset)
    body += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\n" % (size + 1, root, prev)
    body += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(body)


def test_an_incremental_update_painting_a_white_box_fails(copy, capsys):
    bag = copy("zh")
    swap_pdf(bag, incremental_update((bag / pdf_of(bag)).read_bytes(), WHITE_HALF_PAGE))
    found = assert_caught(bag, capsys, "PDF-REVISIONS", pdf_of(bag))
    assert "PDF-NOT-REPRODUCED" in {f["code"] for f in found}
    assert_caught(bag, capsys, "PDF-REVISIONS", pdf_of(bag), "--no-reproduce")


def test_an_update_dressed_as_a_signature_revision_fails(copy, capsys):
    """One update may be unfolio's signature, and only that: a /Sig dictionary no form field
    holds (the red team's disguise, here beside nothing else) fails PDF-REVISIONS, as a
    comment naming /ByteRange does; unfolio's own signature passes (tests/test_signing.py)."""
    bag = copy("zh")
    original = (bag / pdf_of(bag)).read_bytes()
    commented = incremental_update(original, b"q Q", extra=b" % /ByteRange [0 1] /Contents <00>")
    assert list(drawing.check_revisions(commented, signature_allowed=True))  # a comment: no
    toy = signature_update(original)
    assert drawing.first_revision(toy) == original
    problems = [p.message for p in drawing.check_revisions(toy, signature_allowed=True)]
    assert any("no signature field" in p for p in problems), problems
    assert list(drawing.check_revisions(toy, signature_allowed=False))
    twice = incremental_update(toy, WHITE_HALF_PAGE)
    assert list(drawing.check_revisions(twice, signature_allowed=True))
    swap_pdf(bag, toy)
    assert_caught(bag, capsys, "PDF-REVISIONS", pdf_of(bag))


def test_an_extra_content_stream_with_a_white_rectangle_fails(copy, capsys):
    bag = copy("zh")

    def add_stream(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].contents_add(pikepdf.Stream(pdf, b"q 1 1 1 rg 72 72 468 500 re f Q"))

    rewrite_pdf(bag, add_stream)
    assert_caught(bag, capsys, "PDF-DRAWING", pdf_of(bag))
    assert_caught(bag, capsys, "PDF-DRAWING", pdf_of(bag), "--no-reproduce")


def test_a_white_rectangle_inside_the_existing_stream_fails(copy, capsys):
    bag = copy("zh")

    def white_box(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[0]
        page.obj.Contents.write(page.obj.Contents.read_bytes() + b"\n" + WHITE_HALF_PAGE)

    rewrite_pdf(bag, white_box)
    assert_caught(bag, capsys, "PDF-DRAWING", pdf_of(bag), "--no-reproduce")


@pytest.mark.parametrize("hiding", [b"3 Tr", b"1 Tz"])
def test_invisible_or_squeezed_text_fails(copy, capsys, hiding):
    bag = copy("zh")

    def hide(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[-1]  # the last page: no link annotation there to give it away
        data = page.obj.Contents.read_bytes()
        page.obj.Contents.write(data.replace(b"BT", b"BT " + hiding, 1))

    rewrite_pdf(bag, hide)
    found = assert_caught(bag, capsys, "PDF-DRAWING", pdf_of(bag), "--no-reproduce")
    assert any(hiding.split()[1].decode() in f["message"] for f in found), found


@pytest.mark.parametrize(
    "old, new, says",
    [
        (b"BT", b"BT /Lab0 cs 100 0 0 sc", "'cs'"),  # Lab L=100: white, which min() read as black
        (b"BT", b"BT -5 Tc", "'Tc'"),  # glyphs stacked on one another
        (b" Tf", b" Tf 40 Ts", "text rise 40"),  # a word lifted off its line
    ],
    ids=["lab-white", "Tc", "Ts"],
)
def test_colour_spaces_spacing_and_rises_unfolio_never_writes_fail(copy, capsys, old, new, says):
    """H10/H11: painted in a page colour space unfolio never sets, or displaced by character
    spacing or a text rise beyond a superscript's: "PDF-DRAWING", in any environment."""
    bag = copy("zh")

    def hide(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[-1]
        lab = pikepdf.Array([pikepdf.Name.Lab, pikepdf.Dictionary(WhitePoint=[0.9505, 1, 1.089])])
        page.resources.ColorSpace = pikepdf.Dictionary(Lab0=lab)
        data = page.obj.Contents.read_bytes()
        assert old in data
        page.obj.Contents.write(data.replace(old, new, 1))

    rewrite_pdf(bag, hide)
    _skip_reproduction(bag)
    found = assert_caught(bag, capsys, "PDF-DRAWING", pdf_of(bag))
    assert any(says in f["message"] for f in found), found


def test_a_graphics_state_that_fades_the_page_fails(copy, capsys):
    bag = copy("zh")

    def fade(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[0]
        page.resources.ExtGState.Faded = pikepdf.Dictionary(ca=0.05, CA=0.05)
        page.obj.Contents.write(b"/Faded gs\n" + page.obj.Contents.read_bytes())

    rewrite_pdf(bag, fade)
    found = assert_caught(bag, capsys, "PDF-DRAWING", pdf_of(bag), "--no-reproduce")
    assert any("/ca" in f["message"] for f in found), found


def test_the_quick_read_of_a_content_stream_agrees_with_the_exact_parse():
    assert drawing._quick(b"/P <</MCID 3>> BDC 0 0 0 rg BT [<0012>3<0044>] TJ ET EMC") == (
        {"BDC", "rg", "BT", "TJ", "ET", "EMC"},
        False,
    )
    assert drawing._quick(b"q 1 1 1 rg 0 0 10 10 re f Q")[1] is True
    assert drawing._quick(b"q 0.95 0.95 0.95 1 k 0 0 1 1 re f Q")[1] is False  # CMYK: dark
    assert drawing._quick(b"(a literal string) Tj") is None  # decided by the exact parse
    assert "BI" in drawing._quick(b"q BI /W 1 /H 1 ID x EI Q")[0]


def _link(pdf: pikepdf.Pdf, uri: str, rect: list[float]) -> None:
    action = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(uri))
    annot = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=rect, A=action)
    )
    page = pdf.pages[0].obj
    if "/Annots" not in page:
        page.Annots = pdf.make_indirect(pikepdf.Array())
    page.Annots.append(annot)


def test_a_page_sized_link_to_an_outside_site_fails(copy, capsys):
    bag = copy("zh")
    rewrite_pdf(bag, lambda pdf: _link(pdf, "https://evil.example/", [0, 0, 612, 792]))
    found = assert_caught(bag, capsys, "PDF-LINKS", pdf_of(bag), "--no-reproduce")
    assert "evil.example" in " ".join(f["message"] for f in found)


def test_a_page_sized_link_to_the_documents_own_target_fails(copy, capsys):
    bag = copy("zh")
    target = drawing.source_links(source.load(bag / SRC))[0][0]
    rewrite_pdf(bag, lambda pdf: _link(pdf, target, [0, 0, 612, 792]))
    assert_caught(bag, capsys, "PDF-LINKS", pdf_of(bag), "--no-reproduce")


def test_a_link_moved_off_its_text_fails(copy, capsys):
    bag = copy("zh")

    def move(pdf: pikepdf.Pdf) -> None:
        annot = pdf.pages[0].obj.Annots[0]
        annot.Rect = [400, 20, 460, 30]

    rewrite_pdf(bag, move)
    assert_caught(bag, capsys, "PDF-LINKS", pdf_of(bag), "--no-reproduce")


def test_an_extra_page_appended_fails(copy, capsys):
    for kind in ("copy", "blank"):
        bag = copy("zh")

        def append(pdf: pikepdf.Pdf, kind: str = kind) -> None:
            if kind == "copy":
                pdf.pages.append(pdf.pages[-1])
            else:
                pdf.add_blank_page(page_size=(612, 792))

        rewrite_pdf(bag, append)
        assert_caught(bag, capsys, "PDF-TEXT-EXACT", pdf_of(bag), "--no-reproduce")
        shutil.rmtree(bag.parent)


def test_a_page_removed_fails(copy, capsys):
    bag = copy("zh")
    rewrite_pdf(bag, lambda pdf: pdf.pages.__delitem__(len(pdf.pages) - 1))
    assert_caught(bag, capsys, "PDF-TEXT-EXACT", pdf_of(bag), "--no-reproduce")


# -- forgeries of the source ----------------------------------------------------------------


def test_one_word_deleted_from_a_part_fails(copy, capsys):
    bag = copy("ru")
    edit_source(bag, "note.md", "а не финансировать", "а финансировать")
    found = assert_caught(bag, capsys, "PDF-TEXT-EXACT", f"{SRC}/note.md", "--no-reproduce")
    message = " ".join(f["message"] for f in found if f["code"] == "PDF-TEXT-EXACT")
    assert "'ен'" in message and "draws 'не' that the part lacks" in message
    assert pdf_of(bag) in message
    assert_caught(bag, capsys, "PDF-NOT-REPRODUCED", pdf_of(bag))


def test_a_part_truncated_fails_naming_the_part(copy, capsys):
    for name in ("letter.md", "annex-1.md"):
        bag = copy("zh")
        text = (bag / SRC / name).read_text(encoding="utf-8")
        edit_source(bag, name, text, text[: len(text) // 2].rstrip() + "\n")
        assert_caught(bag, capsys, "PDF-TEXT-EXACT", f"{SRC}/{name}", "--no-reproduce")
        shutil.rmtree(bag.parent)


def test_a_paragraph_deleted_fails_naming_the_part(copy, capsys):
    bag = copy("ru")
    paragraphs = (bag / SRC / "note.md").read_text(encoding="utf-8").split("\n\n")
    middle = paragraphs[len(paragraphs) // 2]
    edit_source(bag, "note.md", middle + "\n\n", "")
    assert_caught(bag, capsys, "PDF-TEXT-EXACT", f"{SRC}/note.md", "--no-reproduce")


def _drop_annex(bag: Path) -> None:
    path = bag / SRC / "document.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["parts"] = [p for p in document["parts"] if p["text"] != "annex-2.md"]
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    (bag / SRC / "annex-2.md").unlink()
    remake(bag)  # PREMIS without the annex's object and its links, as unfolio writes it


def test_an_annex_removed_from_document_json_while_the_pdf_prints_it_fails(copy, capsys):
    bag = copy("zh")
    _drop_annex(bag)
    exit_code, found = verify(bag, capsys, "--no-reproduce")
    assert exit_code == 1
    assert {f["code"] for f in found} >= {"PDF-TEXT-EXACT"}, found
    assert not any(f["code"].startswith(("BAG-", "META-")) for f in found), found


def test_processing_dates_changed_in_document_json_fail(copy, capsys):
    bag = copy("zh")
    edit_source(bag, "document.json", '"2021-03-10"', '"2021-03-11"')
    assert_caught(bag, capsys, "PDF-TEXT-EXACT", f"{SRC}/document.json", "--no-reproduce")


def test_processing_dates_changed_to_the_same_digits_in_another_order_fail(copy, capsys):
    bag = copy("zh")  # 2021-03-10 prints 100321, 2031-01-20 prints 200131: the same digits
    edit_source(bag, "document.json", '"2021-03-10"', '"2031-01-20"')
    found = assert_caught(bag, capsys, "PDF-TEXT-EXACT", f"{SRC}/document.json", "--no-reproduce")
    assert any("090321200131', which is not drawn" in f["message"] for f in found), found


def test_an_annex_original_language_changed_fails(copy, capsys):
    bag = copy("zh")
    edit_source(bag, "document.json", '"original_language": "ru"', '"original_language": "fr"')
    found = assert_caught(bag, capsys, "PDF-TEXT-EXACT", f"{SRC}/document.json", "--no-reproduce")
    assert any("[原件：法文]" in f["message"] for f in found), found


# -- the same cuts in a 3u bag, the embedded copies changed too -------------------------------


def _embed_source(bag: Path) -> None:
    """Rewrite the PDF's embedded source files to the bag's (edited) source, as a forger would."""
    folder = bag / SRC

    def change(pdf: pikepdf.Pdf) -> None:
        for name, spec in list(pdf.attachments.items()):
            path = folder / name
            if not path.exists():
                del pdf.attachments[name]
                continue
            stream = spec.obj.EF.F
            stream.write(path.read_bytes())
            stream.Params.Size = len(path.read_bytes())
        pdf.Root.AF = pikepdf.Array([s for s in pdf.Root.AF if (folder / str(s.UF)).exists()])

    rewrite_pdf(bag, change)


def test_a_3u_bag_with_a_word_deleted_and_its_embedded_copy_changed_fails(copy, capsys):
    bag = copy("zh3u")
    text = (bag / SRC / "letter.md").read_text(encoding="utf-8")
    word = re.search(r"[\u4e00-\u9fff]{4}", text).group()
    edit_source(bag, "letter.md", word, "")
    _embed_source(bag)
    found = assert_caught(bag, capsys, "PDF-TEXT-EXACT", pdf_of(bag), "--no-reproduce")
    assert not any(f["code"] == "PDF-ATTACHMENTS" for f in found), found


def test_a_3u_bag_with_an_annex_removed_and_its_embedded_copies_changed_fails(copy, capsys):
    bag = copy("zh3u")
    _drop_annex(bag)
    _embed_source(bag)
    found = assert_caught(bag, capsys, "PDF-TEXT-EXACT", pdf_of(bag), "--no-reproduce")
    assert not any(f["code"] == "PDF-ATTACHMENTS" for f in found), found


def test_a_3u_bag_with_processing_dates_changed_everywhere_fails(copy, capsys):
    bag = copy("zh3u")
    edit_source(bag, "document.json", '"2021-03-10"', '"2021-03-11"')
    _embed_source(bag)
    assert_caught(bag, capsys, "PDF-TEXT-EXACT", pdf_of(bag), "--no-reproduce")
    assert_caught(bag, capsys, "PDF-NOT-REPRODUCED", pdf_of(bag))


# -- the comparison itself -------------------------------------------------------------------


def test_a_renderer_that_drops_or_duplicates_a_paragraph_fails_the_gate():
    from pipeline.typeset import gate

    document = source.load(FIXTURES / "ru-note")
    pdf = render_pdf(document, FIXTURES / "ru-note", flavour="2u")
    pages = exacttext.page_texts(pdf)
    assert list(exacttext.mismatches(document, pages)) == []
    paragraph = "Генеральная Ассамблея"
    first = next(p for p in pages if paragraph in p.text)
    doubled = [
        textcheck.PageText(p.text + (" " + paragraph if p is first else ""), 0) for p in pages
    ]
    dropped = [textcheck.PageText(p.text.replace(paragraph, "", 1), 0) for p in pages]
    for bent in (doubled, dropped):
        assert list(exacttext.mismatches(document, bent))
    assert "PDF-TEXT-EXACT" in gate.CODES


def test_list_markers_follow_the_stylesheet_numbering():
    assert [exacttext.list_marker(1, 5), exacttext.list_marker(2, 28)] == ["5", "ab"]
    assert exacttext.list_marker(3, 14) == "xiv"


# -- bags of unfolio 0.1.x -------------------------------------------------------------------

BAGS_010 = REPO / "tests" / "fixtures" / "bags-0.1.0"
NEW_CODES = {
    "PDF-TEXT-EXACT",
    "PDF-REVISIONS",
    "PDF-LINKS",
    "PDF-DRAWING",
    "PDF-NOT-REPRODUCED",
    "PDF-REPRODUCE-SKIPPED",
    "META-ENVIRONMENT",
}


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in BAGS_010.iterdir() if not p.name.endswith((".sha256", ".md"))),
)
def test_a_bag_of_unfolio_0_1_gets_a_note_that_reproduction_was_not_possible(name, capsys):
    """0.1.x bags record no environment and are judged by the round trip alone: none of the
    exact-content or reproduction codes may fire, and a note says why nothing was reproduced."""
    _code, found = verify(BAGS_010 / name, capsys)
    codes = {f["code"] for f in found}
    assert "PDF-REPRODUCE-UNRECORDED" in codes
    assert not codes & NEW_CODES, found
    note = next(f for f in found if f["code"] == "PDF-REPRODUCE-UNRECORDED")
    assert note["severity"] == "note" and note["file"].endswith(".pdf")


# -- a styles overlay and an emblem: at hand through --config, or reproduction is skipped ------


def test_a_bag_built_with_an_overlay_and_emblem_reproduces_only_with_them_at_hand(
    tmp_path, capsys, monkeypatch
):
    from pipeline.resources import styles_dir

    overlay = tmp_path / "overlay"
    (overlay / "css").mkdir(parents=True)
    shipped = (styles_dir() / "css" / "unfolio.css").read_text(encoding="utf-8")
    (overlay / "css" / "unfolio.css").write_text(
        shipped + "\n.doc-title { letter-spacing: 0.2pt; }\n", encoding="utf-8"
    )
    emblem = tmp_path / "emblem.svg"
    emblem.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<circle cx="5" cy="5" r="4" fill="none" stroke="#000"/></svg>',
        encoding="utf-8",
    )
    config = Config(styles=overlay, emblem=emblem)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    document = source.load(EXAMPLE)
    pdf = render_pdf(document, EXAMPLE, flavour="2u", emblem=emblem, styles=overlay)
    (tmp_path / "out").mkdir()
    bag = build_bag(document, pdf, "2u", tmp_path / "out", config)
    code, found = verify(bag, capsys)
    skipped = ["PDF-REPRODUCE-SKIPPED", "META-BUILD-KEY-UNCHECKED"]  # the key hashes the overlay
    assert code == 0 and [f["code"] for f in found] == skipped, found
    assert "styles overlay" in found[0]["message"] and "emblem" in found[0]["message"]
    toml = tmp_path / "unfolio.toml"
    toml.write_text(f'styles = "{overlay}"\nemblem = "{emblem}"\n', encoding="utf-8")
    code, found = verify(bag, capsys, "--config", str(toml))
    assert code == 0 and found == [], found
    # a different overlay at hand is named, not used
    (overlay / "css" / "unfolio.css").write_text(shipped, encoding="utf-8")
    code, found = verify(bag, capsys, "--config", str(toml))
    assert code == 0 and [f["code"] for f in found] == skipped, found
    assert "not the one recorded" in found[0]["message"]


def test_the_fast_normalisation_keeps_exactly_unicode_letters_and_digits():
    import sys
    import unicodedata

    kept = textcheck._NOT_LETTER_OR_DIGIT
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        wanted = unicodedata.category(char)[0] in "LN" and char != "\u0640"
        assert bool(kept.sub("", char)) == wanted, hex(code)


# -- a signed bag ------------------------------------------------------------------------------


def test_a_signed_bag_is_reproduced_from_the_revision_before_its_signature(
    tmp_path, capsys, monkeypatch
):
    """unfolio's own signature adds one revision: the exact checks read the revision before
    it, and reproduction compares that revision byte for byte (and runs: it is not skipped)."""
    from . import pki
    from .test_signing import NAME, _build

    files: dict[str, Path] = {}
    files["signer.key"], files["signer.cert"] = pki.signer().write(tmp_path, "signer")
    files["ca"] = pki.ca().write_cert(tmp_path / "ca.pem")
    out = tmp_path / "out"
    out.mkdir()
    assert _build(out, files) == 0
    capsys.readouterr()
    bag = out / NAME
    pdf = (bag / pdf_of(bag)).read_bytes()
    assert len(drawing.revision_ends(pdf)) == 2
    calls = []
    from pipeline.verify import reproduce

    original = reproduce.rerender
    monkeypatch.setattr(reproduce, "rerender", lambda *a: calls.append(1) or original(*a))
    code, found = verify(bag, capsys, "--trust", str(files["ca"]))
    assert code == 0 and found == [], found
    assert calls == [1]
    # an increment after the signature is a second update: refused, and not reproduced
    swap_pdf(bag, incremental_update(pdf, WHITE_HALF_PAGE))
    found = assert_caught(bag, capsys, "PDF-REVISIONS", pdf_of(bag), "--trust", str(files["ca"]))
    assert "PDF-NOT-REPRODUCED" in {f["code"] for f in found}


def test_a_furniture_line_may_run_onto_the_next_page_but_must_lose_nothing():
    from pipeline.typeset import exacttext, textcheck

    what = exacttext.Printed(blocks=["Title AAAA BBBB", "Please recycle"], running=["A/1/1"],
                             job="21-00001")  # fmt: skip

    def pages(second: str) -> list[str]:
        return [
            textcheck.normalise("masthead Title AAAA Please recycle"),
            textcheck.normalise(second),
        ]

    assert exacttext._across_pages(
        "Title AAAA BBBB", pages("A/1/1 BBBB rest 2/2 21-00001"), what, False
    )
    assert not exacttext._across_pages(
        "Title AAAA BBBB", pages("A/1/1 BBB rest 2/2 21-00001"), what, False
    )
    assert not exacttext._across_pages("Title AAAA BBBB", pages("A/1/1 rest BBBB 2/2"), what, False)


# -- table heads repeated on later pages -------------------------------------------------------


def _two_long_tables() -> str:
    """A table starting mid-page and continuing onto the next, then on that page a second one
    whose head holds every letter and digit of the first's, over three more pages."""
    first = "\n".join(f"| Item {i} | {i}.5 |" for i in range(1, 31))
    second = "\n".join(f"| Line {i} | {i}.1 | {i}.2 |" for i in range(1, 111))
    return (
        "# I. Two tables\n\n" + "A paragraph before the tables. " * 30 + "\n\n"
        f"| Category | 2024/25 |\n|---|---:|\n{first}\n\nBetween the tables.\n\n"
        f"| Category | Budgeted 2024/25 | Actual (2025/26) |\n|---|---:|---:|\n{second}\n"
    )


def test_table_heads_repeated_on_the_pages_a_table_continues_onto_pass(make_source):
    folder = make_source(parts={"letter.md": _two_long_tables()})
    document = source.load(folder)
    pdf = render_pdf(document, folder, flavour="2u")  # the gate passes it
    pages = exacttext.page_texts(pdf)
    first, second = (textcheck.normalise(h) for h in exacttext.printed(document).heads)
    starts = [
        [h for h in (first, second) if h in textcheck.normalise(p.text)] for p in pages
    ]  # which heads each page draws
    assert len(pages) >= 4 and starts[:4] == [[first], [first, second], [second], [second]]
    assert list(exacttext.mismatches(document, pages)) == []

    def forged(number: int, at_top: bool, head: str) -> list[exacttext.Mismatch]:
        copy = list(pages)
        text = copy[number - 1].text
        middle = len(text) // 2
        text = head + "\n" + text if at_top else text[:middle] + "\n" + head + "\n" + text[middle:]
        copy[number - 1] = textcheck.PageText(text, 0)
        return list(exacttext.mismatches(document, copy))

    heads = exacttext.printed(document).heads
    for number, at_top, head in [
        (3, False, heads[1]),  # a third copy of the second head, inside a page it spans
        (4, True, heads[0]),  # the first head at the top of a page its table never reaches
        (2, True, heads[1]),  # the second head "repeated" on the page it starts on
    ]:
        found = forged(number, at_top, head)
        assert any("are drawn that unfolio does not print" in m.message for m in found), (
            number,
            found,
        )


def test_a_changed_catalog_language_fails_in_an_untagged_flavour(copy, capsys):
    bag = copy("ru")  # 2u: no PDF-TAGS-LANG to catch it

    def relabel(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Lang = pikepdf.String("fr")

    rewrite_pdf(bag, relabel)
    found = assert_caught(bag, capsys, "PDF-METADATA", pdf_of(bag), "--no-reproduce")
    assert any("/Lang is 'fr', expected 'ru'" in f["message"] for f in found), found


# -- what a reader shows that is not drawn: replacement text, alternative text, bookmarks --


def test_glyphs_wrapped_in_actual_text_fail(copy, capsys):
    """Marked content whose /ActualText reads the source while other glyphs are drawn."""
    bag = copy("zh")

    def wrap(data: bytes) -> bytes:
        marked = b"/Span <</ActualText <FEFF0041>>> BDC BT"
        return data.replace(b"BT", marked, 1).replace(b"ET", b"ET EMC", 1)

    rewrite_pdf(bag, _in_stream(wrap))
    _skip_reproduction(bag)
    found = assert_caught(bag, capsys, "PDF-ACTUALTEXT", pdf_of(bag))
    assert any("/ActualText" in f["message"] for f in found), found


def test_actual_text_on_an_object_unfolio_never_marks_fails(copy, capsys):
    bag = copy("zh")

    def mark(pdf: pikepdf.Pdf) -> None:
        pdf.Root.StructTreeRoot = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.StructTreeRoot,
                K=pdf.make_indirect(
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.StructElem,
                        S=pikepdf.Name.P,
                        ActualText=pikepdf.String("the text the source prints"),
                    )
                ),
            )
        )

    rewrite_pdf(bag, mark)
    found = assert_caught(bag, capsys, "PDF-ACTUALTEXT", pdf_of(bag), "--no-reproduce")
    assert any("the text the source prints" in f["message"] for f in found), found


def test_a_bookmark_retitled_fails(copy, capsys):
    bag = copy("zh")

    def retitle(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Outlines.First.Title = pikepdf.String("Approved without a vote")

    rewrite_pdf(bag, retitle)
    _skip_reproduction(bag)
    found = assert_caught(bag, capsys, "PDF-OUTLINE", pdf_of(bag))
    assert any("Approved without a vote" in f["message"] for f in found), found


def test_a_bookmark_added_or_made_a_link_to_an_outside_site_fails(copy, capsys):
    bag = copy("zh")

    def act(pdf: pikepdf.Pdf) -> None:
        first = pdf.Root.Outlines.First
        first.A = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://x.example"))

    rewrite_pdf(bag, act)
    found = assert_caught(bag, capsys, "PDF-OUTLINE", pdf_of(bag), "--no-reproduce")
    assert any("/A" in f["message"] for f in found), found


def test_a_link_whose_description_was_changed_fails(copy, capsys):
    bag = copy("zh")

    def describe(pdf: pikepdf.Pdf) -> None:
        for page in pdf.pages:
            for annot in page.obj.get("/Annots") or []:
                annot.Contents = pikepdf.String("the official text")
                return

    rewrite_pdf(bag, describe)
    found = assert_caught(bag, capsys, "PDF-LINKS", pdf_of(bag), "--no-reproduce")
    assert any("the official text" in f["message"] for f in found), found


def test_an_emblem_description_changed_fails_the_tagged_gate():
    from pipeline.typeset import gate

    document = source.load(FIXTURES / "ru-note")
    pdf = render_pdf(document, FIXTURES / "ru-note", flavour="2a")
    assert "PDF-ACTUALTEXT" not in {f.code for f in gate.check(pdf, document, "2a")}
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        figures = [o for o in opened.objects if isinstance(o, pikepdf.Dictionary) and "/Alt" in o]
        assert figures
        figures[0].Alt = pikepdf.String("A seal of approval")
        out = io.BytesIO()
        opened.save(out)
    found = [f for f in gate.check(out.getvalue(), document, "2a") if f.code == "PDF-ACTUALTEXT"]
    assert found and "A seal of approval" in found[0].message


def test_a_link_given_an_appearance_that_paints_over_its_text_fails(copy, capsys):
    """An annotation's appearance is painted over the page, beyond the page's own stream."""
    bag = copy("zh")

    def paint(pdf: pikepdf.Pdf) -> None:
        box = pikepdf.Stream(pdf, b"0 0 0 rg 0 0 200 20 re f")
        box.Type, box.Subtype, box.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 200, 20]
        for page in pdf.pages:
            for annot in page.obj.get("/Annots") or []:
                annot.AP = pikepdf.Dictionary(N=box)
                return

    rewrite_pdf(bag, paint)
    found = assert_caught(bag, capsys, "PDF-LINKS", pdf_of(bag), "--no-reproduce")
    assert any("/AP" in f["message"] for f in found), found


def test_a_type3_font_whose_glyphs_are_boxes_fails(copy, capsys):
    bag = copy("zh")

    def add_font(pdf: pikepdf.Pdf) -> None:
        glyph = pikepdf.Stream(pdf, b"1000 0 0 0 1000 1000 d1 0 0 1000 1000 re f")
        font = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type3, FontBBox=[0, 0, 1000, 1000],
            FontMatrix=[0.001, 0, 0, 0.001, 0, 0], CharProcs=pikepdf.Dictionary(box=glyph),
            Encoding=pikepdf.Dictionary(Differences=[65, pikepdf.Name.box]),
            FirstChar=65, LastChar=65, Widths=[1000],
        )  # fmt: skip
        pdf.pages[0].resources.Font.Box = pdf.make_indirect(font)

    rewrite_pdf(bag, add_font)
    found = assert_caught(bag, capsys, "PDF-DRAWING", pdf_of(bag), "--no-reproduce")
    assert any("Type 3" in f["message"] for f in found), found


def test_replacement_text_is_looked_for_in_content_streams_only():
    """An embedded source file (3b/3u) may say anything: "UNDP … BDC … E/2022/1" is text."""
    from pipeline.typeset import readtext

    document = source.load(FIXTURES / "ru-note")
    pdf = render_pdf(document, FIXTURES / "ru-note", flavour="2u")
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        spec = pikepdf.AttachedFileSpec(opened, b"UNDP BDC /E/2022/1 /Alt (x) /ActualText (y)")
        opened.attachments["part.md"] = spec
        out = io.BytesIO()
        opened.save(out)
    assert list(readtext.check_read_text(out.getvalue(), document)) == []


def _catalog(pdf: pikepdf.Pdf) -> None:
    pdf.Root.PageMode = pikepdf.Name.FullScreen
    pdf.Root.PageLayout = pikepdf.Name.TwoPageRight


def _rotate(pdf: pikepdf.Pdf) -> None:
    pdf.pages[-1].obj.Rotate = 180


def _user_unit(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.UserUnit = 0.1


def _trailer_id(pdf: pikepdf.Pdf) -> None:
    pdf.trailer.ID = pikepdf.Array([pikepdf.String(b"0" * 32), pikepdf.String(b"1" * 16)])


@pytest.mark.parametrize(
    "change, says",
    [
        (_catalog, "/PageMode"),
        (_rotate, "/Rotate"),
        (_user_unit, "/UserUnit"),
        (_trailer_id, "/ID"),
    ],
    ids=["page-mode", "rotate", "user-unit", "trailer-id"],
)
def test_document_details_unfolio_never_writes_fail_pdf_form(copy, capsys, change, says):
    """H12/H16/H24: a viewer obeys them, the text comparison never sees them: "PDF-FORM"."""
    bag = copy("zh")
    rewrite_pdf(bag, change)
    _skip_reproduction(bag)
    found = assert_caught(bag, capsys, "PDF-FORM", pdf_of(bag))
    assert any(says in f["message"] for f in found if f["code"] == "PDF-FORM"), found


def test_the_final_line_feed_cut_fails_pdf_form(copy, capsys):
    bag = copy("zh")
    swap_pdf(bag, (bag / pdf_of(bag)).read_bytes().rstrip(b"\n"))
    _skip_reproduction(bag)
    assert_caught(bag, capsys, "PDF-FORM", pdf_of(bag))


def test_a_heading_that_calls_a_footnote_passes_the_outline_check(make_source):
    """WeasyPrint's bookmark reads a heading with its footnote call ("Background1"), not the
    note's text, which is drawn at the foot."""
    folder = make_source(
        parts={"letter.md": "# Part\n\n## Background[^1] of the matter\n\nText.\n\n[^1]: A note.\n"}
    )
    document = source.load(folder)
    pdf = render_pdf(document, folder, flavour="2a")  # the gate runs inside: it would raise
    assert "Background1 of the matter" in [b.title for b in _bookmarks(pdf)]


def _bookmarks(pdf: bytes) -> list:
    def walk(items) -> list:
        return [x for item in items for x in (item, *walk(item.children))]

    with pikepdf.open(io.BytesIO(pdf)) as opened, opened.open_outline() as outline:
        return walk(outline.root)
