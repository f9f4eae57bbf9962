"""Bags written by earlier releases keep verifying; a bag of no known layout does not.

The archive already built must never turn invalid when the layout evolves: each bag is judged
by the profile and rules of the release its ``Bag-Software-Agent`` names.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.verify import Options, verify_target
from pipeline.verify.profile import default_profile_path, load_profile

from .conftest import REPO
from .test_verify import edit, reseal

RELEASE_0_1_0 = REPO / "tests" / "fixtures" / "bags-0.1.0"
BAGS_0_1_0 = sorted(
    p.name for p in RELEASE_0_1_0.iterdir() if p.is_dir() or p.name.endswith((".zip", ".tar.gz"))
)


def test_there_are_five_bags_of_release_0_1_0():
    assert len(BAGS_0_1_0) == 5


@pytest.mark.parametrize("name", BAGS_0_1_0)
def test_a_bag_written_by_0_1_0_verifies_with_exit_0(name, capsys):
    assert main(["verify", str(RELEASE_0_1_0 / name)]) == 0, capsys.readouterr().out


def test_a_0_1_0_bag_is_checked_against_the_v1_profile_and_a_new_one_against_v2():
    v1 = load_profile(default_profile_path(1))["BagIt-Profile-Info"]["BagIt-Profile-Identifier"]
    v2 = load_profile(default_profile_path(2))["BagIt-Profile-Info"]["BagIt-Profile-Identifier"]
    assert v1.endswith("/un-document-v1.json") and v2.endswith("/un-document-v2.json")
    info = (RELEASE_0_1_0 / "A_HRC_49_9105-FR" / "bag-info.txt").read_text(encoding="utf-8")
    assert f"BagIt-Profile-Identifier: {v1}\n" in info


@pytest.fixture
def old_bag(tmp_path) -> Path:
    return Path(shutil.copytree(RELEASE_0_1_0 / "A_HRC_49_9105-FR", tmp_path / "A_HRC_49_9105-FR"))


@pytest.mark.parametrize("agent", ["unfolio 9.0.0", "bagit.py v1.9"])
def test_a_bag_of_no_layout_this_unfolio_knows_fails_meta_profile_layout(old_bag, agent):
    edit(
        old_bag, "bag-info.txt", "Bag-Software-Agent: unfolio 0.1.0", f"Bag-Software-Agent: {agent}"
    )
    reseal(old_bag)
    codes = [f.code for f in verify_target(old_bag, Options(second_opinions=False)).findings]
    assert "META-PROFILE-LAYOUT" in codes
    assert verify_target(old_bag, Options(bagit_only=True)).findings == []


def test_a_0_1_0_bag_claiming_the_v2_profile_fails(old_bag):
    edit(old_bag, "bag-info.txt", "un-document-v1.json", "un-document-v2.json")
    reseal(old_bag)
    found = verify_target(old_bag, Options(second_opinions=False)).findings
    codes = [f.code for f in found if f.severity != "note"]  # notes: reproduction not possible
    assert codes == ["META-PROFILE-IDENTIFIER"]


# -- the environment-independent PDF checks hold for 0.1 bags too ------------------------------

OLD_PDF = "data/objects/A_HRC_49_9105-FR.pdf"


def _forge_old_pdf(bag: Path, change) -> None:
    """Change the 0.1 bag's PDF and make PREMIS, the manifests and Payload-Oxum agree."""
    import io

    import pikepdf

    from .test_verify import replace_payload

    with pikepdf.open(bag / OLD_PDF) as pdf:
        change(pdf)
        out = io.BytesIO()
        pdf.save(out)
    replace_payload(bag, OLD_PDF, out.getvalue())
    reseal(bag)


def _in_page_1(extra: bytes, *, before: bool = False):
    def change(pdf) -> None:
        page = pdf.pages[0].obj
        data = page.Contents.read_bytes()
        page.Contents.write(extra + b"\n" + data if before else data + b"\n" + extra)

    return change


@pytest.mark.parametrize(
    ("label", "change", "code"),
    [
        ("black box over text", _in_page_1(b"q 0 0 0 rg 72 300 400 200 re f Q"), "PDF-TEXT-HIDDEN"),
        ("white box over text", _in_page_1(b"q 1 1 1 rg 72 300 400 200 re f Q"), "PDF-TEXT-HIDDEN"),
        ("invisible text", _in_page_1(b"3 Tr", before=True), "PDF-DRAWING"),
        ("a second content stream", lambda pdf: pdf.pages[0].contents_add(
            pikepdf_stream(pdf, b"q 0 0 0 rg 0 0 10 10 re f Q")), "PDF-DRAWING"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else "",
)  # fmt: skip
def test_a_0_1_0_bag_gets_the_environment_independent_pdf_checks(old_bag, label, change, code):
    _forge_old_pdf(old_bag, change)
    found = verify_target(old_bag, Options(second_opinions=False)).findings
    assert any(f.code == code and f.file == OLD_PDF for f in found), found


def pikepdf_stream(pdf, data: bytes):
    import pikepdf

    return pikepdf.Stream(pdf, data)


def test_a_0_1_0_bag_with_a_link_laid_over_its_page_fails(old_bag):
    import pikepdf

    def link(pdf) -> None:
        action = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://x.example"))
        annot = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, A=action,
                Rect=[0, 0, 595, 842], Border=[0, 0, 0],
            )
        )  # fmt: skip
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([annot]))

    _forge_old_pdf(old_bag, link)
    found = verify_target(old_bag, Options(second_opinions=False)).findings
    assert any(f.code == "PDF-LINKS" for f in found), found


def test_a_tagged_pdf_in_a_bag_that_names_0_1_fails_pdfa_claim():
    """unfolio 0.1 wrote no tagged flavour: a 2a PDF relabelled into a 0.1 bag is caught."""
    from pipeline import source
    from pipeline.typeset import render_pdf
    from pipeline.verify import pdf as pdf_checks
    from pipeline.verify.layouts import LAYOUT_1

    folder = REPO / "tests" / "fixtures" / "documents" / "ru-note"
    document = source.load(folder)
    tagged = render_pdf(document, folder, flavour="2a")
    _flavour, found = pdf_checks.check_pdf(tagged, document, "x.pdf", layout=LAYOUT_1)
    claims = [f for f in found if f.code == "PDF-PDFA-CLAIM"]
    assert claims and "0.1" in claims[0].message
    untagged = render_pdf(document, folder, flavour="2u")
    _flavour, found = pdf_checks.check_pdf(untagged, document, "x.pdf", layout=LAYOUT_1)
    assert "PDF-PDFA-CLAIM" not in {f.code for f in found}
