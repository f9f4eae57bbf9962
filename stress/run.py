"""``make stress``: every hostile-input, limit, fault and hostile-bag case, as one table.

    python -m stress.run [--quick] [--repeat N] [--jobs N] [--only TEXT] [--seed S] [--keep]

Environment: ``STRESS_REPEAT=N`` repeats each fault case N times (default 10),
``STRESS_QUICK=1`` runs a representative subset once (well under a minute),
``STRESS_JOBS`` cases run side by side (default: 2, or 1 on one core), ``STRESS_ONLY=text``
runs the cases whose name or group contains the text, ``STRESS_SEED`` fixes the random kill
moments (the seed of a run is printed, so a failure can be replayed), ``STRESS_KEEP=1`` keeps
the work folder. Options override the environment.

The Markdown table goes to stdout and to ``build/stress.md`` (failures, with their output and
tracebacks, are listed below it); the exit status is 1 when any case failed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path

from . import cases_faults, cases_input, cases_verify
from .harness import REPO, Case, Row, Settings, Shared, atime_works, run_case

ALL_CASES: list[Case] = [*cases_input.CASES, *cases_faults.CASES, *cases_verify.CASES]
CELL = 420  # characters of one table cell


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "no", "false")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m stress.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", default=_flag("STRESS_QUICK"))
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("STRESS_JOBS", "0") or 0))
    parser.add_argument("--only", default=os.environ.get("STRESS_ONLY", ""))
    parser.add_argument("--seed", default=os.environ.get("STRESS_SEED") or secrets.token_hex(4))
    parser.add_argument("--keep", action="store_true", default=_flag("STRESS_KEEP"))
    parser.add_argument("--results", type=Path, default=REPO / "build" / "stress.md")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = int(os.environ.get("STRESS_REPEAT") or (1 if args.quick else 10))
    if args.jobs <= 0:
        args.jobs = max(1, min(2, os.cpu_count() or 1))
    return args


def select(cases: list[Case], *, quick: bool, only: str) -> list[Case]:
    chosen = [c for c in cases if c.quick or not quick]
    if only:
        needle = only.lower()
        chosen = [c for c in chosen if needle in c.name.lower() or needle == c.group]
    return chosen


def run_cases(cases: list[Case], settings: Settings, jobs: int, progress=None) -> list[Row]:
    """Run ``cases`` (the heaviest first, ``jobs`` at a time); rows in the cases' order."""
    shared = Shared(settings)
    rows: dict[int, Row] = {}
    order = sorted(range(len(cases)), key=lambda i: -cases[i].weight)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {
            pool.submit(run_case, cases[i], settings, i + 1, shared): i for i in order
        }  # fmt: skip
        for done, future in enumerate(as_completed(futures), 1):
            index = futures[future]
            rows[index] = row = future.result()
            if progress:
                progress(f"[{done}/{len(cases)}] {row.status} {row.case.group}: "
                         f"{row.case.name} ({row.seconds:.1f} s)")  # fmt: skip
    return [rows[i] for i in range(len(cases))]


def _cell(text: str, limit: int = CELL) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def table(rows: list[Row]) -> str:
    lines = [
        "| # | case | group | command | expected | happened | result |",
        "|--:|------|-------|---------|----------|----------|--------|",
    ]
    for number, row in enumerate(rows, 1):
        happened = row.happened
        if row.failures:
            happened = "; ".join(f"✗ {f}" for f in row.failures) + " — " + happened
        command = f"`{_cell(row.command, 160)}`" if row.command else ""
        result = f"**{row.status}**" if row.status == "FAIL" else row.status
        lines.append(
            f"| {number} | {_cell(row.case.name)} | {row.case.group} | {command} | "
            f"{_cell(row.case.expected)} | {_cell(happened)} | {result} |"
        )
    return "\n".join(lines)


def report(rows: list[Row], args: argparse.Namespace, seconds: float) -> str:
    counts = {s: sum(r.status == s for r in rows) for s in ("PASS", "FAIL", "SKIP")}
    mode = "quick" if args.quick else "full"
    head = [
        "# unfolio stress run",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {mode} run · fault cases repeated "
        f"{args.repeat}× · {args.jobs} case(s) at a time · seed `{args.seed}` · "
        f"{seconds:.0f} s in all",
        "",
        f"**{len(rows)} cases: {counts['PASS']} PASS, {counts['FAIL']} FAIL, "
        f"{counts['SKIP']} SKIP**",
        "",
        "Every case is also held to the shared invariants: no traceback, exit code 0/1/2, no "
        "process left running, only complete bags in an output folder (`verify --bagit-only`) "
        "and no staging/aside entry after a successful run, nothing written outside the case "
        "folder (canary), no connection to the loopback listener whose port every URL names.",
        "",
        table(rows),
    ]
    failed = [(n, r) for n, r in enumerate(rows, 1) if r.status == "FAIL"]
    if failed:
        head += ["", "## Failures", ""]
        for number, row in failed:
            head += [f"### {number}. {row.case.name} ({row.case.group})", ""]
            head += [f"- command: `{row.command}`", f"- expected: {row.case.expected}"]
            head += [f"- happened: {row.happened}"]
            head += [f"- ✗ {f}" for f in row.failures]
            for detail in row.details:
                head += ["", "```", detail.rstrip(), "```"]
            head.append("")
    return "\n".join(head).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cases = select(ALL_CASES, quick=args.quick, only=args.only)
    if not cases:
        print(f"no case matches {args.only!r}", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="unfolio-stress-"))
    settings = Settings(workdir, repeat=args.repeat, quick=args.quick, seed=args.seed,
                        keep=args.keep, atime=atime_works(workdir))  # fmt: skip
    print(f"stress: {len(cases)} cases, repeat {args.repeat}, jobs {args.jobs}, "
          f"seed {args.seed}, work folder {workdir}", file=sys.stderr)  # fmt: skip
    started = time.monotonic()
    try:
        rows = run_cases(cases, settings, args.jobs, lambda line: print(line, file=sys.stderr))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    text = report(rows, args, time.monotonic() - started)
    print(text)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    print(f"stress: table written to {args.results}", file=sys.stderr)
    return 1 if any(r.status == "FAIL" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
