"""``make bench``: every number of issue 5, measured side by side in one run.

    python bench/run.py [--quick] [--workdir build/bench] [--results bench/results.md]

``BENCH_QUICK=1`` (or ``--quick``) runs a small corpus in well under a minute and writes
``bench/results-quick.md``; the full run writes ``bench/results.md``. Steps, in order:

1. corpus: ``bench/corpus.py`` writes the documents into the work folder (full: 500 Chinese
   and 40 in each other language, one in 25 a long report with a table);
2. warm: one fresh process (``bench/warm.py``) is a warm worker; for a sample of each
   language it times the plain WeasyPrint render of the same HTML (same stylesheets and
   fonts, same process) against the pipeline stage by stage, the validator apart;
3. cold: a fresh ``unfolio build`` process per document against a fresh ``bench/plain.py``;
4. throughput: ``unfolio build --jobs 1`` and ``--jobs 2`` on a mixed subset into an empty
   folder, in the order 1 2 2 1 1 2, median of three each;
5. memory and size: every Chinese document built by one worker (``--jobs 1``, recycling
   off), the VmHWM of every process of the build read from /proc while it runs (and the
   tree's ``RUSAGE_CHILDREN`` as a check); then the other languages with ``--jobs 2`` into the
   same folder; the PDF sizes are read from the bags both wrote;
6. no-change rebuild: the same ``unfolio build`` of the Chinese documents again, over the
   bags of step 5 (every document skipped), median of three.
7. verify at archive scale: ``bench/verify_scale.py`` (its docstring lists the rows).

Then the results, their ratios against the targets and a PASS/FAIL per target go to the
results file. The machine is shared and noisy: compare ratios, which are measured side by
side, rather than absolute times across runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import corpus
import verify_scale

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
EXAMPLE = REPO / "examples" / "A_75_9001--S_2021_9001-ZH"
PYTHON = sys.executable
UNFOLIO = [PYTHON, "-m", "pipeline"]
LANGUAGES = corpus.LANGUAGES

TARGET_WARM = 1.25
TARGET_WARM_VALIDATOR = 2.0
TARGET_TAGS = 1.15  # warm pipeline cost, tagged 2a ÷ untagged 2u (issue 12)
TARGET_SCALING = 1.8
TARGET_RSS_MB = 400
TARGET_NOCHANGE_S = 5.0
TARGET_NOCHANGE_DOCS = 500


@dataclass(frozen=True)
class Plan:
    quick: bool
    counts: dict[str, int]
    long_every: int
    warm_typical: int  # sample per language
    warm_long: int
    warm_repeat: int
    cold_languages: tuple[str, ...]
    cold_runs: int
    throughput_per_language: int
    throughput_runs: int
    nochange_runs: int


FULL = Plan(
    quick=False,
    counts={"zh": 500, "ar": 40, "en": 40, "fr": 40, "ru": 40, "es": 40},
    long_every=corpus.LONG_EVERY,
    warm_typical=6,
    warm_long=1,
    warm_repeat=3,
    cold_languages=LANGUAGES,
    cold_runs=3,
    throughput_per_language=15,
    throughput_runs=3,
    nochange_runs=3,
)
QUICK = Plan(
    quick=True,
    counts={"zh": 6, "ar": 2, "en": 2, "fr": 2, "ru": 2, "es": 2},
    long_every=0,
    warm_typical=1,
    warm_long=0,
    warm_repeat=3,
    cold_languages=("zh",),
    cold_runs=1,
    throughput_per_language=1,
    throughput_runs=1,
    nochange_runs=1,
)


@dataclass
class Results:
    plan: Plan
    started: float = field(default_factory=time.perf_counter)
    corpus: list[corpus.Generated] = field(default_factory=list)
    warm: dict = field(default_factory=dict)
    cold: dict[str, dict[str, float]] = field(default_factory=dict)
    throughput: dict[int, list[float]] = field(default_factory=dict)
    throughput_cpu: dict[int, list[float]] = field(default_factory=dict)
    throughput_docs: int = 0
    memory: dict = field(default_factory=dict)
    sizes: dict[str, list[int]] = field(default_factory=dict)
    nochange: list[float] = field(default_factory=list)
    nochange_docs: int = 0
    verify: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    load: tuple[float, float, float] = field(default_factory=os.getloadavg)
    pressure: str = field(default_factory=lambda: cpu_pressure())


def cpu_pressure() -> str:
    """The share of time some runnable task waited for a CPU over the last 60 s (Linux PSI)."""
    try:
        text = Path("/proc/pressure/cpu").read_text(encoding="ascii")
        return re.search(r"some avg10=\S+ avg60=(\S+)", text)[1] + " %"
    except (OSError, TypeError):
        return "?"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": "0"}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env(), **kwargs)
    return time.perf_counter() - started, done


# -- 2. warm ---------------------------------------------------------------------------------


def warm_sample(results: Results) -> list[Path]:
    plan = results.plan
    sample: list[Path] = []
    for language in LANGUAGES:
        docs = [g for g in results.corpus if g.language == language]
        sample += [g.folder for g in docs if g.kind == "typical"][: plan.warm_typical]
        sample += [g.folder for g in docs if g.kind == "long"][: plan.warm_long]
    return [*sample, EXAMPLE]


def step_warm(results: Results, work: Path) -> None:
    sample = warm_sample(results)
    log(f"warm: {len(sample)} documents x {results.plan.warm_repeat} in one worker process")
    out = work / "warm.json"
    seconds, done = run(
        [PYTHON, str(BENCH / "warm.py"), str(work / "warm-bags"), *map(str, sample),
         "--repeat", str(results.plan.warm_repeat), "--json", str(out), "--sizes",
         "--flavour", "2a", "--untagged", "2u"]
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"bench/warm.py failed:\n{done.stderr[-3000:]}")
    results.warm = json.loads(out.read_text(encoding="utf-8"))
    results.warm["seconds"] = seconds
    for failure in results.warm["failed"]:
        results.failures.append(f"warm: {failure['source']}: {failure['reason'][:300]}")


# -- 3. cold ---------------------------------------------------------------------------------


def step_cold(results: Results, work: Path) -> None:
    plan = results.plan
    for language in plan.cold_languages:
        folder = next(g.folder for g in results.corpus if g.language == language)
        build, plain = [], []
        for i in range(plan.cold_runs):
            out = work / "cold" / f"{language}-{i}"
            out.mkdir(parents=True, exist_ok=True)
            seconds, done = run(
                [*UNFOLIO, "build", str(folder), "-o", str(out), "--jobs", "1", "--force"]
            )
            if done.returncode != 0:
                results.failures.append(f"cold build of {folder.name}: {done.stderr[-500:]}")
            build.append(seconds)
            seconds, done = run([PYTHON, str(BENCH / "plain.py"), str(folder), str(out / "p.pdf")])
            if done.returncode != 0:
                results.failures.append(f"cold plain render of {folder.name}: {done.stderr[-500:]}")
            plain.append(seconds)
        results.cold[language] = {
            "build": statistics.median(build),
            "plain": statistics.median(plain),
            "document": folder.name,
        }
        log(f"cold {language}: build {results.cold[language]['build']:.2f} s, plain "
            f"{results.cold[language]['plain']:.2f} s")  # fmt: skip


# -- 4. throughput ---------------------------------------------------------------------------


def build_command(sources_file: Path, out: Path, jobs: int, *extra: str) -> list[str]:
    return [*UNFOLIO, "build", f"@{sources_file}", "-o", str(out), "--jobs", str(jobs),
            "--json", *extra]  # fmt: skip


def summary(done: subprocess.CompletedProcess, what: str, results: Results) -> dict:
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(  # noqa: B904  (the JSON error says nothing the stderr tail does not)
            f"{what}: no JSON summary (exit {done.returncode}):\n{done.stderr[-3000:]}"
        )
    counts = report["summary"]
    if counts["failed"] or counts["invalid"]:
        bad = [d for d in report["documents"] if d["status"] in ("failed", "invalid")]
        results.failures += [f"{what}: {d['source']}: {d['reason']}" for d in bad[:10]]
    return report


def step_throughput(results: Results, work: Path) -> None:
    plan = results.plan
    subset: list[Path] = []
    for language in LANGUAGES:
        docs = [g.folder for g in results.corpus if g.language == language]
        subset += docs[: plan.throughput_per_language]
    listing = work / "throughput.txt"
    listing.write_text("".join(f"{p}\n" for p in subset), encoding="utf-8")
    results.throughput_docs = len(subset)
    order = [1, 2, 2, 1, 1, 2][: 2 * plan.throughput_runs] if plan.throughput_runs > 1 else [1, 2]
    results.throughput = {1: [], 2: []}
    results.throughput_cpu = {1: [], 2: []}
    for n, jobs in enumerate(order):
        out = work / "throughput" / f"run-{n}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        cpu = children_cpu()
        seconds, done = run(build_command(listing, out, jobs))
        results.throughput_cpu[jobs].append(children_cpu() - cpu)
        summary(done, f"throughput --jobs {jobs}", results)
        results.throughput[jobs].append(seconds)
        log(f"throughput --jobs {jobs}: {len(subset)} documents in {seconds:.1f} s")
        shutil.rmtree(out, ignore_errors=True)


# -- 5. memory and size ----------------------------------------------------------------------


class TreeWatch(threading.Thread):
    """Poll /proc for every descendant of a pid: peak RSS (VmHWM) and command line of each."""

    def __init__(self, root: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peaks: dict[int, float] = {}
        self.kinds: dict[int, str] = {}
        self.stop = threading.Event()

    def descendants(self) -> list[int]:
        children: dict[int, list[int]] = defaultdict(list)
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as stat:
                        ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children[ppid].append(int(entry))
        found, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += children.get(pid, [])
        return found

    def sample(self) -> None:
        for pid in self.descendants():
            try:
                with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
                    hwm = next((ln for ln in status if ln.startswith("VmHWM:")), None)
                if pid not in self.kinds:
                    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                        self.kinds[pid] = classify(pid, self.root, cmdline.read())
            except OSError:
                continue
            if hwm:
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), int(hwm.split()[1]) / 1024)

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            time.sleep(self.interval)


def classify(pid: int, root: int, cmdline: bytes) -> str:
    text = cmdline.replace(b"\0", b" ").decode(errors="replace")
    if "resource_tracker" in text:
        return "resource tracker"
    if "multiprocessing" in text or "spawn_main" in text:
        return "worker"
    if "rusage-wrapper" in text:
        return "wrapper"
    return "main" if "pipeline" in text else "other"


_WRAPPER = (
    "import resource, subprocess, sys  # rusage-wrapper\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _watched_build(listing: Path, out: Path, jobs: int, label: str, results: Results):
    """One ``unfolio build`` with recycling off, the VmHWM of each of its processes watched."""
    command = build_command(listing, out, jobs, "--max-tasks-per-worker", "1000000000")
    started = time.perf_counter()
    process = subprocess.Popen(
        [PYTHON, "-c", _WRAPPER, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env(),
    )  # fmt: skip
    watch = TreeWatch(process.pid)
    watch.start()
    stdout, stderr = process.communicate()
    watch.stop.set()
    watch.join()
    seconds = time.perf_counter() - started
    report = summary(subprocess.CompletedProcess(command, process.returncode, stdout, stderr),
                     label, results)  # fmt: skip
    tree_max = int(stderr.strip().splitlines()[-1]) / 1024 if stderr.strip() else None
    return seconds, report, watch, tree_max


def step_memory_and_size(results: Results, work: Path) -> Path:
    """Every Chinese document through ONE worker (the memory target is per worker across
    the Chinese documents, so none of them may go to another), then the rest with two."""
    out = work / "corpus-bags"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    chinese = [g for g in results.corpus if g.language == "zh"]
    others = [g for g in results.corpus if g.language != "zh"]
    listing = work / "corpus-zh.txt"
    listing.write_text("".join(f"{g.folder}\n" for g in chinese), encoding="utf-8")
    log(f"{len(chinese)} Chinese documents, --jobs 1 (one worker), never recycled")
    seconds, report, watch, tree_max = _watched_build(
        listing, out, 1, "Chinese documents, one worker", results
    )
    workers = {p: mb for p, mb in watch.peaks.items() if watch.kinds.get(p) == "worker"}
    mains = [mb for p, mb in watch.peaks.items() if watch.kinds.get(p) == "main"]
    after = [d["rss_mb"] for d in report["documents"] if d.get("rss_mb") is not None]
    by_worker: dict[int, int] = defaultdict(int)
    for d in report["documents"]:
        if d.get("worker"):
            by_worker[d["worker"]] += 1
    results.memory = {
        "seconds": seconds,
        "documents": len(report["documents"]),
        "built": report["summary"]["built"],
        "worker_peaks_mb": sorted(workers.values()),
        "workers": [(pid, workers[pid], by_worker.get(pid, 0)) for pid in sorted(workers)],
        "main_peak_mb": max(mains) if mains else None,
        "tree_max_mb": tree_max,
        "rss_after_document_max_mb": max(after) if after else None,
    }
    log(f"Chinese documents in {seconds:.1f} s; worker peaks {results.memory['worker_peaks_mb']}")
    reports = [report]
    if others:
        listing = work / "corpus-others.txt"
        listing.write_text("".join(f"{g.folder}\n" for g in others), encoding="utf-8")
        log(f"the other {len(others)} documents, --jobs 2")
        reports.append(_watched_build(listing, out, 2, "other languages", results)[1])
    language_of = {str(g.folder): g.language for g in results.corpus}
    results.sizes = defaultdict(list)
    for d in (d for r in reports for d in r["documents"]):
        if d["status"] == "built" and d.get("bag"):
            pdfs = list((Path(d["bag"]) / "data" / "objects").glob("*.pdf"))
            if pdfs:
                results.sizes[language_of[d["source"]]].append(pdfs[0].stat().st_size)
    return out


# -- 6. no-change rebuild --------------------------------------------------------------------


def step_nochange(results: Results, work: Path, bags: Path) -> None:
    chinese = [g.folder for g in results.corpus if g.language == "zh"]
    docs = chinese[:TARGET_NOCHANGE_DOCS] if len(chinese) >= TARGET_NOCHANGE_DOCS else chinese
    listing = work / "nochange.txt"
    listing.write_text("".join(f"{p}\n" for p in docs), encoding="utf-8")
    results.nochange_docs = len(docs)
    for _ in range(results.plan.nochange_runs):
        seconds, done = run(build_command(listing, bags, 2))
        report = summary(done, "no-change rebuild", results)
        if report["summary"]["skipped"] != len(docs):
            results.failures.append(
                f"no-change rebuild: {report['summary']['skipped']} of {len(docs)} skipped"
            )
        results.nochange.append(seconds)
    log(f"no-change rebuild of {len(docs)}: {statistics.median(results.nochange):.2f} s")


# -- 7. verify, with and without reproduction (issue 11) ---------------------------------------


VERIFY_SAMPLE_PER_LANGUAGE = {True: 1, False: 5}  # quick: one bag per language


def step_verify(results: Results, bags: Path) -> None:
    """``unfolio verify`` of a sample of the corpus bags (every language), in one process,
    once with reproduction (the default: re-render and compare) and once ``--no-reproduce``;
    second opinions off in both, so the difference is the re-render alone."""
    per_language = VERIFY_SAMPLE_PER_LANGUAGE[results.plan.quick]
    language_of = {g.folder.name: g.language for g in results.corpus}
    chosen: dict[str, list[Path]] = defaultdict(list)
    for bag in sorted(p for p in bags.iterdir() if p.is_dir() and not p.name.startswith(".")):
        info = (bag / "bag-info.txt").read_text(encoding="utf-8")
        language = next(
            (line.split(":", 1)[1].strip() for line in info.splitlines()
             if line.startswith("UN-Language:")),
            language_of.get(bag.name, "?"),
        )  # fmt: skip
        if len(chosen[language]) < per_language:
            chosen[language].append(bag)
    sample = [bag for language in LANGUAGES for bag in chosen.get(language, [])]
    if not sample:
        results.failures.append("verify: no bag to verify")
        return
    timings = {}
    for label, extra in (("with", []), ("without", ["--no-reproduce"])):
        command = [*UNFOLIO, "verify", "--no-second-opinions", *extra, *map(str, sample)]
        seconds, done = run(command)
        if done.returncode != 0:
            results.failures.append(f"verify {label} reproduction: exit {done.returncode}")
        timings[label] = seconds
    results.verify = {"bags": len(sample), **timings}
    log(
        f"verify of {len(sample)} bags: {timings['with'] / len(sample):.2f} s/bag with "
        f"reproduction, {timings['without'] / len(sample):.2f} s/bag without"
    )


def verify_lines(results: Results) -> list[str]:
    v = results.verify
    if not v:
        return []
    n = v["bags"]
    return [
        "## Verify cost per bag (issue 11)",
        "",
        f"`unfolio verify --no-second-opinions` of {n} corpus bags (every language) in one "
        "process, the process start included:",
        "",
        "| verify | total s | per bag s |",
        "|---|---:|---:|",
        f"| with reproduction (default: re-render the source, compare the bytes) | "
        f"{v['with']:.2f} | {v['with'] / n:.2f} |",
        f"| without (`--no-reproduce`: exact content, links, drawing, gate, bag) | "
        f"{v['without']:.2f} | {v['without'] / n:.2f} |",
        "",
    ]


# -- the report ------------------------------------------------------------------------------


def verdict(ok: bool | None, indicative: bool = False) -> str:
    if ok is None:
        return "n/a"
    word = "PASS" if ok else "FAIL"
    return f"({word}, indicative)" if indicative else f"**{word}**"


def fmt_bytes(n: float) -> str:
    return f"{n:,.0f}"


def versions() -> str:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "?"

    harfbuzz = (
        subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "libharfbuzz-subset0"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        or "?"
    )
    return (
        f"Python {platform.python_version()}, WeasyPrint {version('weasyprint')}, "
        f"pydyf {version('pydyf')}, pikepdf {version('pikepdf')}, pypdfium2 "
        f"{version('pypdfium2')}, fontTools {version('fonttools')}, HarfBuzz {harfbuzz}"
    )


def host() -> str:
    cpu = "?"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    memory = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, TypeError):
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} × {cpu}, {memory} RAM"


def warm_rows(results: Results) -> tuple[list[str], dict[str, float]]:
    docs = results.warm["documents"]
    by_language: dict[str, list[dict]] = defaultdict(list)
    for d in docs:
        by_language[d["language"]].append(d)
    rows = []
    totals: dict[str, float] = defaultdict(float)

    def row(label: str, group: list[dict]) -> str:
        plain = sum(d["plain"] for d in group)
        without = sum(d["pipeline_without_validator"] for d in group)
        validator = sum(d["stages"]["validator"] for d in group)
        total = sum(d["pipeline"] for d in group)
        stages = {s: sum(d["stages"][s] for d in group) / plain for s in
                  ("load", "typeset", "postpass", "own_checks", "package")}  # fmt: skip
        cpu = sum(d["pipeline_cpu"] for d in group) / sum(d["plain_cpu"] for d in group)
        return (
            f"| {label} | {len(group)} | {plain / len(group):.3f} | "
            f"{without / len(group):.3f} | {validator / len(group):.3f} | "
            f"{total / len(group):.3f} | **{without / plain:.2f}×** | **{total / plain:.2f}×** | "
            f"{cpu:.2f}× | " + " | ".join(f"{stages[s]:.2f}" for s in stages) + " |"
        )

    for language in LANGUAGES:
        group = by_language.get(language, [])
        if group:
            rows.append(row(language, group))
    rows.append(row("all", docs))
    totals["plain"] = sum(d["plain"] for d in docs)
    totals["without"] = sum(d["pipeline_without_validator"] for d in docs)
    totals["total"] = sum(d["pipeline"] for d in docs)
    per_language = [
        sum(d["pipeline_without_validator"] for d in g) / sum(d["plain"] for d in g)
        for g in by_language.values()
    ]
    per_language_total = [
        sum(d["pipeline"] for d in g) / sum(d["plain"] for d in g) for g in by_language.values()
    ]
    totals["worst_language"] = max(per_language)
    totals["worst_language_total"] = max(per_language_total)
    # the typical document: the median of the per-document ratios (the sums above weigh long
    # documents more)
    totals["median_document"] = statistics.median(
        d["pipeline_without_validator"] / d["plain"] for d in docs
    )
    totals["median_document_total"] = statistics.median(d["pipeline"] / d["plain"] for d in docs)
    tagged = [d for d in docs if d.get("pipeline_untagged")]
    totals["tags"] = (
        sum(d["pipeline"] for d in tagged) / sum(d["pipeline_untagged"] for d in tagged)
        if tagged
        else float("nan")
    )
    return rows, totals


def report(results: Results, path: Path) -> None:
    plan = results.plan
    warm_table, warm = warm_rows(results)
    ratio = warm["without"] / warm["plain"]
    ratio_total = warm["total"] / warm["plain"]
    j1 = statistics.median(results.throughput[1])
    j2 = statistics.median(results.throughput[2])
    scaling = j1 / j2
    peaks = results.memory["worker_peaks_mb"]
    peak = max(peaks) if peaks else None
    zh_count = sum(g.language == "zh" for g in results.corpus)
    nochange = statistics.median(results.nochange)
    full_size = not plan.quick and zh_count >= TARGET_NOCHANGE_DOCS
    example = next(d for d in results.warm["documents"] if d["source"] == str(EXAMPLE))
    elapsed = time.perf_counter() - results.started

    lines = [
        "# Benchmark results (issue 5)" + (" — QUICK run" if plan.quick else ""),
        "",
        f"Written by `make bench{' BENCH_QUICK=1' if plan.quick else ''}` "
        f"(`bench/run.py`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; the whole run took "
        f"**{elapsed / 60:.1f} min**. Host: {host()}. {versions()}. Load average (1 min) at "
        f"the start {results.load[0]:.2f}, at the end {os.getloadavg()[0]:.2f}; CPU pressure "
        f"(share of the last minute some task waited for a core) {results.pressure} at the "
        f"start, {cpu_pressure()} at the end: other processes on the host share the cores "
        "and add noise to every number, the `--jobs 2` throughput most.",
        "",
        f"Corpus: {len(results.corpus)} documents generated from `tests/fixtures/documents/*` "
        f"and `examples/*` by `bench/corpus.py` ("
        + ", ".join(f"{lang} {plan.counts.get(lang, 0)}" for lang in LANGUAGES)
        + (
            f"; one in {plan.long_every} of each language a long report with a table"
            if plan.long_every
            else ""
        )
        + "). PDF/A-2u. Everything below was measured in this "
        "one run, side by side; the machine is shared, so compare ratios, not seconds across runs.",
        "",
        "## Targets",
        "",
        "| target | measured | limit | verdict |",
        "|---|---:|---:|---|",
        f"| warm per-document cost without the PDF/A validator (validate, render, post-pass, "
        f"own checks, package) ÷ plain WeasyPrint render, whole sample | {ratio:.2f}× | "
        f"≤ {TARGET_WARM}× | {verdict(ratio <= TARGET_WARM, plan.quick)} |",
        f"| … the same, median document | {warm['median_document']:.2f}× | ≤ {TARGET_WARM}× | "
        f"{verdict(warm['median_document'] <= TARGET_WARM, plan.quick)} |",
        f"| … the same, worst language | {warm['worst_language']:.2f}× | ≤ {TARGET_WARM}× | "
        f"{verdict(warm['worst_language'] <= TARGET_WARM, plan.quick)} |",
        f"| warm per-document cost with the validator ÷ plain, whole sample | "
        f"{ratio_total:.2f}× | ≤ {TARGET_WARM_VALIDATOR}× | "
        f"{verdict(ratio_total <= TARGET_WARM_VALIDATOR, plan.quick)} |",
        f"| … the same, median document | {warm['median_document_total']:.2f}× | "
        f"≤ {TARGET_WARM_VALIDATOR}× | "
        f"{verdict(warm['median_document_total'] <= TARGET_WARM_VALIDATOR, plan.quick)} |",
        f"| … the same, worst language | {warm['worst_language_total']:.2f}× | "
        f"≤ {TARGET_WARM_VALIDATOR}× | "
        f"{verdict(warm['worst_language_total'] <= TARGET_WARM_VALIDATOR, plan.quick)} |",
        f"| warm cost with tags ÷ without (the whole pipeline, PDF/A-2a ÷ PDF/A-2u, whole "
        f"sample) | {warm['tags']:.2f}× | ≤ {TARGET_TAGS}× | "
        f"{verdict(warm['tags'] <= TARGET_TAGS, plan.quick)} |",
        f"| throughput `--jobs 2` ÷ `--jobs 1` ({results.throughput_docs} documents, median of "
        f"{len(results.throughput[1])}) | {scaling:.2f}× | ≥ {TARGET_SCALING}× | "
        f"{verdict(scaling >= TARGET_SCALING, plan.quick)} |",
        f"| peak RSS of the one worker that built all {zh_count} Chinese documents | "
        + (f"{peak:.0f} MiB" if peak else "?")
        + f" | ≤ {TARGET_RSS_MB} MiB | "
        + verdict(peak <= TARGET_RSS_MB if peak and zh_count >= TARGET_NOCHANGE_DOCS else None)
        + " |",
        f"| no-change rebuild of {results.nochange_docs} documents | {nochange:.2f} s | "
        f"< {TARGET_NOCHANGE_S} s for {TARGET_NOCHANGE_DOCS} | "
        + verdict(nochange < TARGET_NOCHANGE_S if full_size else None)
        + " |",
        f"| Chinese example PDF size (`{EXAMPLE.name}`) | {fmt_bytes(example['pdf_bytes'])} B | "
        f"smaller than WeasyPrint's own subsets: {fmt_bytes(example['uncompacted_pdf_bytes'])} B "
        f"| {verdict(example['pdf_bytes'] < example['uncompacted_pdf_bytes'])} |",
        "",
    ]
    if plan.quick:
        lines += ["Quick run: a handful of documents, so the ratios are indicative only (the "
                  "throughput ratio mostly measures worker start-up) and the corpus is too small "
                  "for the RSS and no-change targets (n/a); run `make bench` for the verdicts.",
                  ""]  # fmt: skip
    if results.failures:
        lines += [
            "**Documents that failed** (the gate or the renderer refused them; they are "
            "counted as failed in the builds and left out of the warm timings):",
            "",
            *sorted(f"- {f}" for f in dict.fromkeys(results.failures)),
            "",
        ]

    lines += [
        "## Warm per-document cost (one warm worker process)",
        "",
        f"{len(results.warm['documents'])} documents ({plan.warm_typical} typical"
        + (f" + {plan.warm_long} long" if plan.warm_long else "")
        + " per language, plus the Chinese example), each run "
        f"{results.warm['repeat']}× per side in ABBA order; the best run per document and side "
        "(the least disturbed by other work on the host), then sums. "
        "*Plain* is `weasyprint.HTML(string=html).write_pdf()` of the document's HTML with the "
        "same parsed stylesheets and `FontConfiguration`, no PDF/A variant, in the same process. "
        "*Pipeline* is what a build worker does: `source.load`, typeset (coverage, layout, "
        "PDF/A render), post-pass, gate (own checks + text round trip; the `pikepdf.pdfa` "
        "validator timed apart), package the bag. Stage columns are fractions of plain. The "
        "ratios are of wall time; the CPU-time ratio (process time of the same runs) is hardly "
        "moved by other processes on the host, but does not see the bag's fsync waits.",
        "",
        "| language | docs | plain s/doc | pipeline w/o validator s/doc | validator s/doc | "
        "pipeline s/doc | w/o validator ÷ plain | with validator ÷ plain | CPU time, with "
        "validator ÷ plain | load | typeset | post-pass | own checks | package |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *warm_table,
        "",
        f"Peak RSS of the warm process: {results.warm['peak_rss_mb']:.0f} MiB.",
        "",
        "## Cold process, one document",
        "",
        "A fresh `unfolio build SRC --jobs 1 --force` (interpreter start, imports, fonts, "
        "stylesheets, one document, bag) against a fresh `bench/plain.py` (interpreter, "
        "imports, the same fonts and stylesheets, plain render); median of "
        f"{plan.cold_runs}.",
        "",
        "| language | document | unfolio build s | plain s | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    for language, c in results.cold.items():
        lines.append(
            f"| {language} | `{c['document']}` | {c['build']:.2f} | {c['plain']:.2f} | "
            f"{c['build'] / c['plain']:.2f}× |"
        )
    lines += [
        "",
        "## Throughput",
        "",
        f"`unfolio build @list --jobs N` of {results.throughput_docs} documents "
        f"({plan.throughput_per_language} per language, first of each) into an empty folder, "
        "wall time of the whole command (start-up and worker spawn included). CPU is the user + "
        "system time of all its processes: when it stays put while the wall time moves, other "
        "work on the host took the cores.",
        "",
        "| jobs | runs (s) | median s | documents/s | CPU s per run |",
        "|---:|---|---:|---:|---|",
    ]
    for jobs in (1, 2):
        times = results.throughput[jobs]
        median = statistics.median(times)
        lines.append(
            f"| {jobs} | {', '.join(f'{t:.1f}' for t in times)} | {median:.1f} | "
            f"{results.throughput_docs / median:.2f} | "
            f"{', '.join(f'{t:.1f}' for t in results.throughput_cpu[jobs])} |"
        )
    m = results.memory
    lines += [
        "",
        f"Scaling: {scaling:.2f}× on {os.cpu_count()} cores.",
        "",
        "## Memory: every Chinese document through one worker",
        "",
        f"{m['documents']} Chinese documents ({m['built']} built) by `unfolio build --jobs 1` "
        f"in {m['seconds']:.0f} s ({m['documents'] / m['seconds']:.2f} documents/s), with "
        "`--max-tasks-per-worker 1000000000` so that the one worker is never recycled (the "
        "default recycles after 200 documents, which can only lower these numbers). Peak RSS "
        "is VmHWM read from /proc every 0.1 s for every process of the build.",
        "",
        "| process | peak RSS (MiB) | documents |",
        "|---|---:|---:|",
    ]
    for i, (pid, mb, count) in enumerate(m["workers"]):
        lines.append(f"| worker {i + 1} (pid {pid}) | {mb:.0f} | {count} |")
    if m["main_peak_mb"] is not None:
        lines.append(
            f"| main process (plans, skip checks, no rendering) | {m['main_peak_mb']:.0f} | |"
        )
    lines += [
        "",
        "Check: the largest `ru_maxrss` of the process tree (`RUSAGE_CHILDREN`) was "
        + (f"{m['tree_max_mb']:.0f} MiB" if m["tree_max_mb"] else "?")
        + "; the largest RSS a worker reported after a document was "
        + (
            f"{m['rss_after_document_max_mb']:.0f} MiB." if m["rss_after_document_max_mb"] else "?."
        ),
        "",
        "## No-change rebuild",
        "",
        f"`unfolio build` of the {results.nochange_docs} Chinese documents again over the bags "
        "just built (every one skipped on its build key, no worker started): "
        + ", ".join(f"{t:.2f} s" for t in results.nochange)
        + f"; median {nochange:.2f} s ({results.nochange_docs / nochange:.0f} documents/s).",
        "",
        "## PDF size per language",
        "",
        "Final PDF/A-2u files in the bags of the whole-corpus build; the warm sample gives, for "
        "the same documents, the plain WeasyPrint PDF and the PDF/A with WeasyPrint's own font "
        "subsets (unfolio before the compaction of CJK subsets).",
        "",
        "| language | bags | median B | mean B | max B | sample: unfolio B | sample: "
        "WeasyPrint subsets B | sample: plain WeasyPrint B |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    sample_docs: dict[str, list[dict]] = defaultdict(list)
    for d in results.warm["documents"]:
        if d["source"] != str(EXAMPLE):
            sample_docs[d["language"]].append(d)
    for language in LANGUAGES:
        sizes = results.sizes.get(language, [])
        group = sample_docs.get(language, [])
        if not sizes:
            continue

        def mean(key: str, group: list[dict] = group) -> str:
            return fmt_bytes(statistics.mean(d[key] for d in group)) if group else "?"

        lines.append(
            f"| {language} | {len(sizes)} | {fmt_bytes(statistics.median(sizes))} | "
            f"{fmt_bytes(statistics.mean(sizes))} | {fmt_bytes(max(sizes))} | "
            f"{mean('pdf_bytes')} | {mean('uncompacted_pdf_bytes')} | {mean('plain_pdf_bytes')} |"
        )
    lines += [
        "",
        f"The Chinese example: {fmt_bytes(example['pdf_bytes'])} B "
        f"(with WeasyPrint's own subsets {fmt_bytes(example['uncompacted_pdf_bytes'])} B; "
        f"plain WeasyPrint, not PDF/A, {fmt_bytes(example['plain_pdf_bytes'])} B).",
        "",
        *verify_lines(results),
        "## How to read this",
        "",
        "- The two cost ratios are sums over the warm sample of each document's best time, "
        "so long documents weigh more; the per-language rows show short documents, where the "
        "fixed costs (gate, post-pass, the bag's fsyncs) weigh most.",
        "- *own checks* is the gate without the validator: structure, attachments, XMP, and "
        "the pypdfium2 text round trip. The validator is `pikepdf.pdfa.validate_written` on "
        "the written bytes, as `unfolio verify` runs it.",
        "- Chinese subsets are embedded compact (only the glyphs drawn, as a bare CID-keyed "
        "CFF); this is why the Chinese render is no slower than plain WeasyPrint and its "
        "validation is cheap. See docs/performance.md.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    parser.add_argument("--workdir", type=Path, default=REPO / "build" / "bench")
    parser.add_argument("--results", type=Path)
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    path = args.results or BENCH / ("results-quick.md" if plan.quick else "results.md")
    work = args.workdir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    results = Results(plan)
    log(f"{'quick' if plan.quick else 'full'} run in {work}")
    results.corpus = corpus.generate(work / "corpus", plan.counts, long_every=plan.long_every)
    log(f"corpus: {len(results.corpus)} documents")
    step_warm(results, work)
    step_cold(results, work)
    step_throughput(results, work)
    bags = step_memory_and_size(results, work)
    step_nochange(results, work, bags)
    step_verify(results, bags)
    report(results, path)
    with open(path, "a", encoding="utf-8") as written:  # issues 11 and 16: verify's rows
        written.write("\n".join(verify_scale.rows(work / "verify", quick=plan.quick)))
    log(f"wrote {path} in {(time.perf_counter() - results.started) / 60:.1f} min")
    print(path.read_text(encoding="utf-8").split("## Warm per-document")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
