"""Warm per-document cost, stage by stage, beside a plain WeasyPrint render in the same process.

    python bench/warm.py OUT_FOLDER SOURCE... [--repeat 3] [--json RESULT.json]

One process plays a warm worker: it imports everything and renders one document of each
language first (not counted). Then, for every source folder, it runs ``--repeat`` times, in
ABBA order so that drift in machine speed hits both sides alike:

- plain: ``weasyprint.HTML(string=html).write_pdf()`` of the document's HTML with the same
  parsed stylesheets and ``FontConfiguration`` (the fonts), no PDF/A variant, nothing else;
- pipeline: what a build worker does for one document — validate the source
  (``source.load``), typeset (coverage, layout, render), post-pass, gate (its own checks, the
  text round trip and the ``pikepdf.pdfa`` validator, timed separately), package the bag.

With ``--untagged FLAVOUR`` (``bench/run.py`` passes ``--flavour 2a --untagged 2u``) the
pipeline also runs, in the same ABBA rounds, with that untagged flavour, and the record holds
its total too: the bench's "tags ÷ without" row, the cost of tagging (structure tree, the
PDF-TAGS checks, the round trip in structure order).

Per document it records the best of the repeats on each side (the run least disturbed by
other work on the host; the pipeline's stages are those of its best run), the PDF sizes and
the process's peak RSS; the bench turns these into ratios. A document the gate refuses is listed
as failed and left out of the timings.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
from pathlib import Path

STAGES = ("load", "typeset", "postpass", "own_checks", "validator", "package")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("sources", type=Path, nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--flavour", default="2a")
    parser.add_argument("--untagged", help="also time this (untagged) flavour, e.g. 2u")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--sizes", action="store_true", help="also the PDF size with WeasyPrint's own subsets"
    )
    args = parser.parse_args(argv)

    import weasyprint

    from pipeline import config, source
    from pipeline.package import build_bag
    from pipeline.typeset import engine, gate, layout, postpass, typeset

    settings = config.load(None)
    validator_seconds = [0.0]
    real_validator = gate._validator

    def timed_validator(pdf, flavour):
        started = time.perf_counter()
        try:
            return iter(list(real_validator(pdf, flavour)))
        finally:
            validator_seconds[0] += time.perf_counter() - started

    gate._validator = timed_validator  # measured inside gate.check, nothing else changes

    def plain(document, folder: Path) -> bytes:
        html = layout.build_html(document)
        return weasyprint.HTML(string=html, base_url=folder.resolve().as_uri() + "/").write_pdf(
            stylesheets=list(engine.stylesheets()), font_config=engine.font_config()
        )

    def pipeline(
        folder: Path, out: Path, flavour: str | None = None
    ) -> tuple[dict[str, float], int]:
        flavour = flavour or args.flavour
        times: dict[str, float] = {}
        c0 = time.process_time()
        t0 = time.perf_counter()
        document = source.load(folder)
        t1 = time.perf_counter()
        raw = typeset(document, folder, pdf_variant=f"pdf/a-{flavour}")
        t2 = time.perf_counter()
        pdf = postpass.finish(raw, document, flavour)
        t3 = time.perf_counter()
        validator_seconds[0] = 0.0
        findings = gate.check(pdf, document, flavour)
        t4 = time.perf_counter()
        if findings:
            raise gate.GateFailed(findings)
        out.mkdir(parents=True, exist_ok=True)
        build_bag(document, pdf, flavour, out, settings)
        t5 = time.perf_counter()
        times["cpu"] = time.process_time() - c0
        times["load"] = t1 - t0
        times["typeset"] = t2 - t1
        times["postpass"] = t3 - t2
        times["validator"] = validator_seconds[0]
        times["own_checks"] = (t4 - t3) - validator_seconds[0]
        times["package"] = t5 - t4
        return times, len(pdf)

    # warm up: one document per language, not counted
    seen: set[str] = set()
    for folder in args.sources:
        language = source.load(folder).language
        if language not in seen:
            seen.add(language)
            pipeline(folder, args.out / "warm-up")
            plain(source.load(folder), folder)
    gc.collect()

    results, failed = [], []
    for folder in args.sources:
        document = source.load(folder)
        try:
            pipeline(folder, args.out / "check")
        except (gate.GateFailed, engine.RenderError) as exc:  # a finding, not a bench error
            failed.append({"source": str(folder), "language": document.language,
                           "reason": str(exc).replace("\n", " ")})  # fmt: skip
            print(f"{folder.name}: failed: {exc}", file=sys.stderr)
            continue
        plain_times: list[float] = []
        plain_cpu: list[float] = []
        runs: list[dict[str, float]] = []
        plain_size = size = 0
        order = ["plain", "pipeline", "pipeline", "plain"] * ((args.repeat + 1) // 2)
        if args.untagged:
            order = [s for pair in zip(order, ["untagged"] * len(order), strict=True) for s in pair]
        counts = {"plain": 0, "pipeline": 0, "untagged": 0}
        untagged_runs: list[dict[str, float]] = []
        for side in order:
            if counts[side] >= args.repeat:
                continue
            counts[side] += 1
            if side == "plain":
                started, cpu = time.perf_counter(), time.process_time()
                plain_size = len(plain(document, folder))
                plain_times.append(time.perf_counter() - started)
                plain_cpu.append(time.process_time() - cpu)
            elif side == "untagged":
                times, _ = pipeline(folder, args.out / f"untagged-{counts[side]}", args.untagged)
                untagged_runs.append(times)
            else:
                times, size = pipeline(folder, args.out / f"run-{counts[side]}")
                runs.append(times)
        # best of the repeats on each side: the run least disturbed by anything else on the host
        best = min(runs, key=lambda r: sum(r[name] for name in STAGES))
        stage = {name: best[name] for name in STAGES}
        uncompacted = None
        if args.sizes:  # not timed: the same document without the compaction of CJK subsets
            raw = engine.render(
                layout.build_html(document),
                folder,
                f"pdf/a-{args.flavour}",
                pdf_identifier=engine.identifier(document.symbol, document.language),
                compact_fonts=False,
            )
            uncompacted = len(postpass.finish(raw, document, args.flavour))
        results.append(
            {
                "source": str(folder),
                "language": document.language,
                "plain": min(plain_times),
                "pipeline": sum(stage.values()),
                "pipeline_without_validator": sum(stage.values()) - stage["validator"],
                # process CPU time: hardly moved by other processes, blind to fsync waits
                "plain_cpu": min(plain_cpu),
                "pipeline_cpu": min(r["cpu"] for r in runs),
                "stages": stage,
                "pdf_bytes": size,
                "plain_pdf_bytes": plain_size,
                "uncompacted_pdf_bytes": uncompacted,
                "flavour": args.flavour,
                "untagged": args.untagged,
                "pipeline_untagged": min(
                    (sum(r[name] for name in STAGES) for r in untagged_runs), default=None
                ),
            }
        )
        print(
            f"{folder.name}: plain {results[-1]['plain']:.3f}s "
            f"pipeline {results[-1]['pipeline']:.3f}s "
            f"({results[-1]['pipeline'] / results[-1]['plain']:.2f}x) {size:,} B",
            file=sys.stderr,
        )
    report = {
        "repeat": args.repeat,
        "documents": results,
        "failed": failed,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    text = json.dumps(report, indent=1)
    if args.json:
        args.json.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
