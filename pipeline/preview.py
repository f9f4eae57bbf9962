"""``unfolio preview``: a PNG of every page of a PDF, to look at what was built.

The pages are those of the PDF itself — a PDF file, or the PDF inside a bag folder or a bag
archive (``.zip``, ``.tar.gz``) — never a new rendering of the source: what the officer sees
is what the archive holds. pdfium (pypdfium2) rasterises the pages, Pillow (a WeasyPrint
dependency) writes the PNGs; each PNG is written atomically, named ``STEM-pNN.png``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline import atomic
from pipeline.errors import UserError
from pipeline.report import facts

MAX_PAGES = 2000  # a preview, not a conversion: a bigger PDF is refused, not half-drawn
DEFAULT_DPI = 110


@dataclass(frozen=True)
class Page:
    number: int
    path: Path
    width: int
    height: int


def pdf_of(target: Path) -> tuple[bytes, str]:
    """The PDF bytes a target holds and the stem to name its pages after."""
    if not target.exists():
        raise UserError(f"{target}: no such PDF, bag or archive")
    lowered = target.name.lower()
    if target.is_file() and lowered.endswith(".pdf"):
        try:
            return target.read_bytes(), target.stem
        except OSError as exc:
            raise UserError(f"{target}: cannot read: {exc.strerror}") from None
    if target.is_dir() and (target / "document.json").is_file():
        raise UserError(
            f"{target}: a source folder, not a PDF or bag; render it first "
            f"(unfolio render {target} -o draft.pdf) or build it, then preview the result"
        )
    is_bag = target.is_dir() or lowered.endswith((".zip", ".tar.gz", ".tgz"))
    if not is_bag:
        raise UserError(f"{target}: expected a PDF, a bag folder or a bag archive")
    stem = target.name
    for suffix in (".tar.gz", ".tgz", ".zip"):
        if lowered.endswith(suffix):
            stem = target.name[: -len(suffix)]
            break
    data = facts.bag_pdf(target, stem) or facts.bag_pdf(target)
    if data is None:
        raise UserError(f"{target}: no PDF found in the bag's data/ folder")
    return data, stem


def render_pages(pdf: bytes, out_dir: Path, stem: str, *, dpi: int = DEFAULT_DPI) -> Iterator[Page]:
    """Write ``out_dir/STEM-pNN.png`` for each page, one page in memory at a time."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(pdf)
    except pypdfium2.PdfiumError as exc:
        raise UserError(f"{stem}: not a readable PDF ({exc})") from None
    try:
        count = len(document)
        if count > MAX_PAGES:
            raise UserError(f"{stem}: {count:,} pages; a preview draws at most {MAX_PAGES:,}")
        out_dir.mkdir(parents=True, exist_ok=True)
        width = max(2, len(str(count)))
        for index in range(count):
            page = document[index]
            try:
                image = page.render(scale=dpi / 72).to_pil()
            finally:
                page.close()
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", optimize=False)
            path = out_dir / f"{stem}-p{index + 1:0{width}d}.png"
            atomic.write_bytes(path, buffer.getvalue())
            yield Page(index + 1, path, image.width, image.height)
    finally:
        document.close()
