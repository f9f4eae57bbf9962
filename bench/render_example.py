"""Render time and size of one document: unfolio vs a plain WeasyPrint render of the same HTML.

    python bench/render_example.py [SOURCE_FOLDER] [--runs 5]

Everything is measured side by side in one run, the steps interleaved (machines here are
noisy; compare ratios):
- cold: ``unfolio render`` in a fresh process (imports, fonts, stylesheets, render, gate);
- warm: ``render_pdf`` again in this process (coverage, layout, render, post-pass, gate), and
  each step alone, the ``pikepdf.pdfa`` validator too;
- plain: ``weasyprint.HTML(string=html).write_pdf()`` of the same HTML with the same parsed
  stylesheets and font configuration, no PDF/A variant, no post-pass, no gate.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import weasyprint

from pipeline import source
from pipeline.typeset import engine, gate, layout, postpass, render_pdf, typeset

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "A_75_9001--S_2021_9001-ZH"


def timed(run, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, nargs="?", default=EXAMPLE)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    folder = args.source

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.pdf"
        command = [sys.executable, "-m", "pipeline", "render", str(folder), "-o", str(out)]
        cold, _ = timed(lambda: subprocess.run(command, check=True, capture_output=True), 3)

    document = source.load(folder)
    html = layout.build_html(document)
    render_pdf(document, folder)  # warm up: fonts, stylesheets, caches

    def plain() -> bytes:
        return weasyprint.HTML(string=html, base_url=folder.resolve().as_uri() + "/").write_pdf(
            stylesheets=list(engine.stylesheets()), font_config=engine.font_config()
        )

    raw = typeset(document, folder)
    pdf = postpass.finish(raw, document, "2u")
    steps = {
        "plain": plain,
        "typeset": lambda: typeset(document, folder),
        "post": lambda: postpass.finish(raw, document, "2u"),
        "gate": lambda: gate.check(pdf, document, "2u"),
        "validator": lambda: list(gate._validator(pdf, "2u")),
        "warm": lambda: render_pdf(document, folder),
    }
    times: dict[str, list[float]] = {name: [] for name in steps}
    outputs: dict[str, object] = {}
    for run in range(args.runs):  # interleaved, the order reversed every other run
        for name in steps if run % 2 == 0 else reversed(steps):
            start = time.perf_counter()
            outputs[name] = steps[name]()
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(values) for name, values in times.items()}
    plain_time, plain_pdf = median["plain"], outputs["plain"]
    raw_time, post_time, gate_time, warm = (median[n] for n in ("typeset", "post", "gate", "warm"))
    final = outputs["warm"]
    uncompacted = postpass.finish(  # the same PDF/A with WeasyPrint's own font subsets
        engine.render(
            html,
            folder,
            pdf_identifier=engine.identifier(document.symbol, document.language),
            compact_fonts=False,
        ),
        document,
        "2u",
    )

    rows = [
        ("plain WeasyPrint render of the same HTML", plain_time, len(plain_pdf)),
        ("unfolio typeset (coverage + layout + PDF/A-2u render)", raw_time, len(raw)),
        ("unfolio post-pass", post_time, None),
        ("unfolio gate (pikepdf.pdfa + own checks + text round trip)", gate_time, None),
        ("… of which pikepdf.pdfa.validate_written", median["validator"], None),
        ("unfolio render_pdf, warm (all of the above)", warm, len(final)),
        ("unfolio render, cold process (python -m pipeline render)", cold, None),
    ]
    print(f"PDF/A with WeasyPrint's own font subsets (no compaction): {len(uncompacted):,} bytes\n")
    print(
        f"Document: `{folder.name}`, median of {args.runs} runs (cold: 3), one machine, one run.\n"
    )
    print("| step | seconds | × plain | PDF bytes |")
    print("|---|---:|---:|---:|")
    for name, seconds, size in rows:
        print(f"| {name} | {seconds:.3f} | {seconds / plain_time:.2f} | {size or ''} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
