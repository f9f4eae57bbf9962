"""`unfolio preview`: a PNG per page of the PDF itself, from a PDF, a bag or an archive."""

from __future__ import annotations

import io

import pikepdf
import pytest
from PIL import Image

from pipeline.cli import main

from .conftest import REPO

BAGS_010 = REPO / "tests" / "fixtures" / "bags-0.1.0"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def pages_of(pdf_bytes: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        return len(pdf.pages)


@pytest.mark.parametrize(
    "target",
    ["A_HRC_49_9105-FR", "E_2022_9104-ZH.zip", "A_76_9102-AR.tar.gz"],
)
def test_preview_of_a_bag_draws_every_page_of_its_pdf(capsys, tmp_path, target):
    stem = target.removesuffix(".zip").removesuffix(".tar.gz")
    code, out, _ = run(capsys, "preview", str(BAGS_010 / target), "-o", str(tmp_path / "p"))
    assert code == 0
    pngs = sorted((tmp_path / "p").glob("*.png"))
    if target.endswith(("zip", "gz")):
        import tarfile
        import zipfile

        path = BAGS_010 / target
        member = f"{stem}/data/objects/{stem}.pdf"
        if target.endswith(".zip"):
            with zipfile.ZipFile(path) as bundle:
                data = bundle.read(member)
        else:
            with tarfile.open(path) as bundle:
                data = bundle.extractfile(member).read()
    else:
        data = (BAGS_010 / target / "data" / "objects" / f"{stem}.pdf").read_bytes()
    assert [p.name for p in pngs] == [f"{stem}-p{n:02d}.png" for n in range(1, pages_of(data) + 1)]
    with Image.open(pngs[0]) as image:
        assert image.format == "PNG" and image.width > 500
        assert image.convert("L").getextrema()[0] < 100  # something dark is drawn: the text
    assert out.strip().endswith(f"{len(pngs)} pages of {BAGS_010 / target}")


def test_preview_of_a_pdf_file_and_the_dpi(capsys, tmp_path):
    pdf = BAGS_010 / "A_HRC_49_9105-FR" / "data" / "objects" / "A_HRC_49_9105-FR.pdf"
    code, _, _ = run(capsys, "preview", str(pdf), "-o", str(tmp_path), "--dpi", "72")
    assert code == 0
    with Image.open(tmp_path / "A_HRC_49_9105-FR-p01.png") as image:
        # A4 (595.3 × 841.9 pt) at 72 dpi: one pixel a point, rounded up
        assert (image.width, image.height) == (596, 842)


def test_preview_refuses_a_source_folder_saying_what_to_do(capsys, tmp_path):
    source = REPO / "tests" / "fixtures" / "minimal"
    code, _, err = run(capsys, "preview", str(source), "-o", str(tmp_path / "p"))
    assert code == 2 and "a source folder, not a PDF or bag; render it first" in err
    assert not (tmp_path / "p").exists()


def test_preview_refuses_what_is_not_a_pdf(capsys, tmp_path):
    fake = tmp_path / "x.pdf"
    fake.write_bytes(b"not a pdf")
    code, _, err = run(capsys, "preview", str(fake), "-o", str(tmp_path / "p"))
    assert code == 2 and "not a readable PDF" in err
    code, _, err = run(capsys, "preview", str(tmp_path / "gone.pdf"), "-o", str(tmp_path / "p"))
    assert code == 2 and "no such PDF, bag or archive" in err
