"""Write a PNG of every page of a rendered document, for people to look at.

    python scripts/preview.py SOURCE_FOLDER [-o OUT_DIR] [--scale 1.5]

Renders SOURCE_FOLDER with unfolio's typesetting (raw WeasyPrint output, before the PDF/A
post-pass: the pages look the same) and writes OUT_DIR/<folder>-pNN.png with pypdfium2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pypdfium2

from pipeline import source
from pipeline.typeset import typeset


def write_pngs(pdf: bytes, out_dir: Path, stem: str, scale: float = 1.5) -> list[Path]:
    """One PNG per page of ``pdf`` in ``out_dir``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    paths = []
    try:
        for index in range(len(document)):
            page = document[index]
            image = page.render(scale=scale).to_pil()
            path = out_dir / f"{stem}-p{index + 1:02d}.png"
            image.save(path)
            paths.append(path)
    finally:
        document.close()
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("-o", "--out", type=Path, default=Path("build/preview"))
    parser.add_argument("--scale", type=float, default=1.5, help="1.0 = 72 dpi")
    args = parser.parse_args(argv)
    document = source.load(args.source)
    pdf = typeset(document, args.source)
    (args.out).mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.source.name}.pdf").write_bytes(pdf)
    for path in write_pngs(pdf, args.out, args.source.name, args.scale):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
