"""``make bench`` (issue 16): what users pay when nothing is warm, measured side by side.

    python bench/cold.py [--quick] [--workdir build/bench-cold] [--results bench/results-cold.md]

Rows, each a ratio or time of runs made in this one process, interleaved:

- ``unfolio --version`` / ``--help`` and a cold ``validate`` (no server running);
- a cold ``unfolio render`` of a one-page letter against a cold ``weasyprint`` command on the
  same HTML and the same stylesheets (the ones unfolio loads for the language, with the
  pinned fonts named by file);
- ``make -j2`` with one ``unfolio build`` per document against one ``unfolio build --jobs 2``
  of the same one-page documents, cold, and again with ``UNFOLIO_WARM=1`` (the warm server
  started by the first target, inside the measured time);
- ``build --jobs 2`` ÷ ``--jobs 1`` throughput on a small batch, worker start-up included.

"Cold" means no unfolio server running before each measured run (unfolio keeps no cache on disk).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
UNFOLIO = [PYTHON, "-m", "pipeline"]
MINIMAL = REPO / "tests" / "fixtures" / "minimal"

TARGETS = {
    "version": 0.15,
    "validate": 0.25,
    "render_ratio": 1.0,
    "make_ratio": 1.3,
    "scaling": 1.8,
}


def log(message: str) -> None:
    print(f"[bench-cold {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Cold:
    """An environment with a fresh runtime folder (so no warm server) for every measured run."""

    def __init__(self, work: Path):
        self.work = work

    def env(self, **extra: str) -> dict[str, str]:
        runtime = Path(tempfile.mkdtemp(prefix="r-"))  # short: a socket path is ~100 bytes
        return {**os.environ, "PYTHONPATH": str(REPO),
                "XDG_RUNTIME_DIR": str(runtime), "UNFOLIO_WARM_IDLE": "5", **extra}  # fmt: skip

    def run(self, command: list[str], cwd: Path | None = None, **extra: str) -> float:
        env = self.env(**extra)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        stop_servers(Path(env["XDG_RUNTIME_DIR"]))
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
        return seconds


def stop_servers(runtime: Path) -> None:
    for pid_file in (runtime / "unfolio-warm").glob("*.pid"):
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
    shutil.rmtree(runtime, ignore_errors=True)


def one_page_letters(out: Path, count: int) -> list[Path]:
    """``count`` one-page English letters, each with its own symbol and job number."""
    meta = json.loads((MINIMAL / "document.json").read_text(encoding="utf-8"))
    folders = []
    for i in range(count):
        folder = out / f"letter-{i:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        doc = json.loads(json.dumps(meta))
        doc["symbols"] = [f"A/75/{9100 + i}", f"S/2021/{9100 + i}"]
        doc["job_number"] = f"21-9{1000 + i:04d}"
        doc["parts"] = doc["parts"][:1]
        (folder / "document.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
        shutil.copy(MINIMAL / "letter.md", folder / "letter.md")
        folders.append(folder)
    return folders


def weasyprint_inputs(folder: Path, work: Path) -> list[str]:
    """The HTML unfolio makes for ``folder`` and its stylesheets, as a weasyprint command."""
    sys.path.insert(0, str(REPO))
    from pipeline import fonts, source
    from pipeline.resources import style_file
    from pipeline.typeset import engine, layout

    document = source.load(folder)
    html = work / "letter.html"
    html.write_text(layout.build_html(document), encoding="utf-8")
    sheets = []
    for name in engine._sheet_names(document.language):
        text = style_file(f"css/{name}").read_text(encoding="utf-8")
        for face in fonts.faces():
            path = fonts.locate(face.file)
            if path is not None:
                text = text.replace(f"font:{face.file}", path.as_uri())
        sheet = work / name
        sheet.write_text(text, encoding="utf-8")
        sheets += ["-s", str(sheet)]
    weasyprint = str(Path(PYTHON).parent / "weasyprint")
    return [weasyprint, *sheets, str(html), str(work / "plain.pdf")]


def median_of(runs: int, measure) -> float:
    return statistics.median(measure() for _ in range(runs))


def makefile(sources: list[Path], bags: Path) -> str:
    names = " ".join(f.name for f in sources)
    return (
        f"UNFOLIO := {PYTHON} -m pipeline\nDOCS := {names}\n"
        f"all: $(DOCS:%=stamps/%)\n"
        f"stamps/%:\n\t@mkdir -p stamps\n\t$(UNFOLIO) build src/$* -o {bags} --pdfa 2u\n"
        f"\t@touch $@\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    parser.add_argument("--workdir", type=Path, default=REPO / "build" / "bench-cold")
    parser.add_argument("--results", type=Path)
    args = parser.parse_args(argv)
    runs = 1 if args.quick else 3
    make_docs = 4 if args.quick else 12
    batch_docs = 6 if args.quick else 28
    results_path = args.results or REPO / "bench" / (
        "results-cold-quick.md" if args.quick else "results-cold.md"
    )
    work = args.workdir
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cold = Cold(work)
    letters = one_page_letters(work / "src", max(make_docs, batch_docs))
    letter = letters[0]
    rows: dict[str, float] = {}

    log("--version, --help, validate")
    rows["version"] = median_of(5, lambda: cold.run([*UNFOLIO, "--version"]))
    rows["help"] = median_of(5, lambda: cold.run([*UNFOLIO, "--help"]))
    rows["validate"] = median_of(5, lambda: cold.run([*UNFOLIO, "validate", str(letter)]))

    log("cold render against cold weasyprint")
    plain_command = weasyprint_inputs(letter, work)
    renders, plains = [], []
    for i in range(runs):
        renders.append(cold.run([*UNFOLIO, "render", str(letter), "-o", str(work / f"r{i}.pdf"),
                                 "--pdfa", "2u"]))  # fmt: skip
        plains.append(cold.run(plain_command))
    rows["render"], rows["plain"] = statistics.median(renders), statistics.median(plains)
    rows["render_ratio"] = rows["render"] / rows["plain"]

    log(f"make -j2 over {make_docs} documents against build --jobs 2")
    make_set = letters[:make_docs]
    tree = work / "make"

    def make_run(warm: bool) -> float:
        shutil.rmtree(tree, ignore_errors=True)
        (tree / "src").mkdir(parents=True)
        for folder in make_set:
            shutil.copytree(folder, tree / "src" / folder.name)
        (tree / "Makefile").write_text(makefile(make_set, tree / "bags"), encoding="utf-8")
        extra = {"UNFOLIO_WARM": "1"} if warm else {}
        return cold.run(["make", "-j2", "--no-print-directory"], cwd=tree, **extra)

    def batch_run(folders: list[Path], jobs: int) -> float:
        out = work / f"batch-{jobs}"
        shutil.rmtree(out, ignore_errors=True)
        return cold.run([*UNFOLIO, "build", *map(str, folders), "-o", str(out), "--pdfa", "2u",
                         "--jobs", str(jobs)])  # fmt: skip

    makes, warm_makes, builds = [], [], []
    for _ in range(runs):
        makes.append(make_run(warm=False))
        warm_makes.append(make_run(warm=True))
        builds.append(batch_run(make_set, 2))
    rows["make"], rows["make_warm"] = statistics.median(makes), statistics.median(warm_makes)
    rows["build2_make_set"] = statistics.median(builds)
    rows["make_ratio_cold"] = rows["make"] / rows["build2_make_set"]
    rows["make_ratio"] = rows["make_warm"] / rows["build2_make_set"]

    log(f"build --jobs 1 and 2 over {batch_docs} documents")
    ones, twos = [], []
    for _ in range(runs):
        ones.append(batch_run(letters[:batch_docs], 1))
        twos.append(batch_run(letters[:batch_docs], 2))
    rows["jobs1"], rows["jobs2"] = statistics.median(ones), statistics.median(twos)
    rows["scaling"] = rows["jobs1"] / rows["jobs2"]

    write_results(results_path, rows, runs=runs, make_docs=make_docs, batch_docs=batch_docs)
    print(results_path.read_text(encoding="utf-8"))
    return 0


def verdict(value: float, target: float, higher_is_better: bool = False) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "PASS" if ok else "FAIL"


def write_results(path: Path, r: dict[str, float], *, runs: int, make_docs: int,
                  batch_docs: int) -> None:  # fmt: skip
    t = TARGETS
    lines = [
        "# Cold start (issue 16)",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores; "
        f"median of {runs} (5 for the first three rows); every run with a fresh runtime folder "
        "and no warm server. Compare ratios: the machine is shared.",
        "",
        "| what | measured | target | |",
        "|---|---:|---:|---|",
        f"| `unfolio --version` | {r['version']:.3f} s | ≤ {t['version']} s | "
        f"{verdict(r['version'], t['version'])} |",
        f"| `unfolio --help` | {r['help']:.3f} s | ≤ {t['version']} s | "
        f"{verdict(r['help'], t['version'])} |",
        f"| `unfolio validate`, cold | {r['validate']:.3f} s | ≤ {t['validate']} s | "
        f"{verdict(r['validate'], t['validate'])} |",
        f"| cold `render` of a one-page letter ÷ cold `weasyprint` on the same HTML/CSS | "
        f"{r['render_ratio']:.2f}× ({r['render']:.2f} s vs {r['plain']:.2f} s) | "
        f"≤ {t['render_ratio']}× | {verdict(r['render_ratio'], t['render_ratio'])} |",
        f"| `make -j2`, one `unfolio build` per document ÷ one `build --jobs 2`, {make_docs} "
        f"one-page documents, cold processes | {r['make_ratio_cold']:.2f}× ({r['make']:.1f} s "
        f"vs {r['build2_make_set']:.1f} s) | (today's way) | |",
        f"| … with `UNFOLIO_WARM=1` (server started by the first target, in the time) | "
        f"{r['make_ratio']:.2f}× ({r['make_warm']:.1f} s) | ≤ {t['make_ratio']}× | "
        f"{verdict(r['make_ratio'], t['make_ratio'])} |",
        f"| `build --jobs 2` ÷ `--jobs 1` throughput, {batch_docs} one-page documents, worker "
        f"start-up included | {r['scaling']:.2f}× ({r['jobs1']:.1f} s vs {r['jobs2']:.1f} s) | "
        f"≥ {t['scaling']}× | {verdict(r['scaling'], t['scaling'], higher_is_better=True)} |",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
