"""The cold-process baseline: a fresh interpreter renders one document with plain WeasyPrint.

    python bench/plain.py SOURCE_FOLDER OUT.pdf

Same HTML (``layout.build_html``), same parsed stylesheets and ``FontConfiguration`` as
unfolio's engine, no PDF/A variant, no post-pass, no gate, no bag: what a cold
``unfolio build`` of one document is compared with.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    folder, out = Path(argv[0]), Path(argv[1])
    import weasyprint

    from pipeline import source
    from pipeline.typeset import engine, layout

    html = layout.build_html(source.load(folder))
    out.write_bytes(
        weasyprint.HTML(string=html, base_url=folder.resolve().as_uri() + "/").write_pdf(
            stylesheets=list(engine.stylesheets()), font_config=engine.font_config()
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
