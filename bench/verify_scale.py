"""Verify at archive scale (issues 11 and 16): the rows of ``make bench`` about ``verify``.

    python bench/verify_scale.py [--quick] [--workdir build/bench/verify] [--results FILE.md]

``bench/run.py`` calls :func:`rows` after its own steps and appends the section to its results;
run alone, this writes the section to ``--results`` (default: print it). Rows:

1. verify per bag, full and ``--fixity``, at ``--jobs 1`` and ``--jobs 2`` (``FULL_BAGS`` bags;
   ``--no-second-opinions``, so the row measures unfolio's own checks), and the full-verify
   throughput of ``--jobs 2`` over ``--jobs 1`` (target ≥ 1.8×);
2. ``verify --fixity --jobs 2`` of ``FIXITY_BAGS`` bags against ``sha256sum -c`` then
   ``sha512sum -c`` of the same payload and tag manifests, one shell loop over the bags
   (target ≤ 3×);
3. the peak RSS of ``verify --fixity --jobs 2`` over ``MANY_BAGS`` bags, the largest of any
   process of the run (``RUSAGE_CHILDREN`` of a fresh wrapper process; target ≤ 300 MB);
4. the 300,000-absent-files manifest of issue 11, text and ``--json``: seconds and peak RSS
   (targets: 60 s, 300 MB).

The bags are one bag built from the example and copied (payload files hard-linked) into
folders of their own, each under its real name, so that a full verify passes them all.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "A_75_9001--S_2021_9001-ZH"
PYTHON = sys.executable
UNFOLIO = [PYTHON, "-m", "pipeline"]

FULL_BAGS, FIXITY_BAGS, MANY_BAGS, ABSENT = 200, 1000, 10_000, 300_000
QUICK_SIZES = (6, 20, 40, 3000)
TARGET_SCALING, TARGET_SUM_RATIO, TARGET_RSS_MB, TARGET_ABSENT_S = 1.8, 3.0, 300, 60

_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "t = time.perf_counter() - t\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(done.returncode, round(t, 3), round(peak, 1))\n"
    "sys.stderr.write(done.stderr.decode(errors='replace')[-2000:])\n"
)


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "SOURCE_DATE_EPOCH": "1614902400"}


def log(message: str) -> None:
    print(f"[bench verify {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def measured(command: list[str]) -> tuple[int, float, float]:
    """``(exit code, seconds, peak RSS MiB of any process)`` of ``command``, in a fresh wrapper."""
    done = subprocess.run(
        [PYTHON, "-c", _WRAPPER, *command], capture_output=True, text=True, env=env(), check=False
    )
    code, seconds, peak = done.stdout.split()
    return int(code), float(seconds), float(peak)


def one_bag(work: Path) -> Path:
    out = work / "source-bag"
    if not out.exists():
        command = [*UNFOLIO, "build", str(EXAMPLE), "-o", str(out), "--jobs", "1", "--pdfa", "2u"]
        subprocess.run(command, check=True, capture_output=True, env=env())
    return next(p for p in out.iterdir() if p.is_dir())


def copies(bag: Path, folder: Path, count: int) -> list[Path]:
    """``count`` copies of ``bag``, each in a folder of its own under its own name."""
    made = []
    for number in range(count):
        target = folder / f"{number:05d}" / bag.name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(bag, target, copy_function=os.link)
        made.append(target)
    return made


def verify_time(bags: list[Path], *flags: str) -> tuple[float, float]:
    code, seconds, peak = measured([*UNFOLIO, "verify", *flags, *map(str, bags)])
    if code != 0:
        raise SystemExit(f"verify {' '.join(flags)} failed on good bags (exit {code})")
    return seconds, peak


def checksum_loop(bags: list[Path], work: Path) -> float:
    listing = work / "bags.txt"
    listing.write_text("".join(f"{bag}\n" for bag in bags), encoding="utf-8")
    script = (
        'while IFS= read -r d; do (cd "$d" && '
        "sha256sum --quiet -c manifest-sha256.txt tagmanifest-sha256.txt && "
        "sha512sum --quiet -c manifest-sha512.txt tagmanifest-sha512.txt) || exit 1; "
        f'done < "{listing}"'
    )
    started = time.perf_counter()
    subprocess.run(["sh", "-c", script], check=True)
    return time.perf_counter() - started


def absent_bag(bag: Path, work: Path, count: int) -> Path:
    target = work / f"absent-{count}" / bag.name
    if target.exists():
        return target
    shutil.copytree(bag, target)
    for algorithm in ("sha256", "sha512"):
        zeros = "0" * hashlib.new(algorithm).digest_size * 2
        with open(target / f"manifest-{algorithm}.txt", "a", encoding="utf-8") as manifest:
            manifest.writelines(f"{zeros}  data/objects/absent-{n:06d}.txt\n" for n in range(count))
    tags = sorted(p for p in target.iterdir() if p.is_file() and not p.name.startswith("tagm"))
    for algorithm in ("sha256", "sha512"):
        lines = [f"{hashlib.new(algorithm, p.read_bytes()).hexdigest()}  {p.name}\n" for p in tags]
        (target / f"tagmanifest-{algorithm}.txt").write_text("".join(lines), encoding="utf-8")
    return target


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def rows(
    work: Path, *, quick: bool = False, sizes: tuple[int, int, int, int] | None = None
) -> list[str]:
    """Run every row; the Markdown section of the results."""
    full_n, fixity_n, many_n, absent_n = sizes or (
        QUICK_SIZES if quick else (FULL_BAGS, FIXITY_BAGS, MANY_BAGS, ABSENT)
    )
    work.mkdir(parents=True, exist_ok=True)
    bag = one_bag(work)
    pool = copies(bag, work / "bags", max(full_n, fixity_n, many_n))
    per_bag: dict[tuple[str, int], float] = {}
    for mode, flags in (("full", ("--no-second-opinions",)), ("fixity", ("--fixity",))):
        for jobs in (1, 2):
            log(f"{mode} verify of {full_n} bags, --jobs {jobs}")
            seconds, _ = verify_time(pool[:full_n], *flags, "--jobs", str(jobs))
            per_bag[mode, jobs] = seconds / full_n
    scaling = per_bag["full", 1] / per_bag["full", 2]
    log(f"--fixity --jobs 2 of {fixity_n} bags, then sha256sum -c + sha512sum -c")
    fixity_s, _ = verify_time(pool[:fixity_n], "--fixity", "--jobs", "2")
    sums_s = checksum_loop(pool[:fixity_n], work)
    log(f"--fixity --jobs 2 of {many_n} bags, peak RSS")
    many_s, many_rss = verify_time(pool[:many_n], "--fixity", "--jobs", "2")
    absent = absent_bag(bag, work, absent_n)
    absent_rows = []
    for label, flags in (("text", ()), ("--json", ("--json",))):
        log(f"the {absent_n:,}-absent-files manifest, {label}")
        code, seconds, peak = measured([*UNFOLIO, "verify", *flags, str(absent)])
        ok = code == 1 and seconds < TARGET_ABSENT_S and peak < TARGET_RSS_MB
        absent_rows.append(
            f"| verify of a manifest of {absent_n:,} absent files, {label} | {seconds:.1f} s, "
            f"{peak:.0f} MB | < {TARGET_ABSENT_S} s, < {TARGET_RSS_MB} MB | {verdict(ok)} |"
        )
    scale_note = " (quick run: small sizes, indicative only)" if quick or sizes else ""
    return [
        "",
        f"## Verify at archive scale{scale_note}",
        "",
        "`bench/verify_scale.py`: copies of one bag built from the example (payload files "
        "hard-linked), each under its real name; full verify without second opinions.",
        "",
        "| row | measured | target | verdict |",
        "|---|---:|---:|---|",
        f"| full verify --jobs 2 ÷ --jobs 1 throughput, {full_n} bags | {scaling:.2f}× "
        f"| ≥ {TARGET_SCALING}× | {verdict(scaling >= TARGET_SCALING)} |",
        f"| {fixity_n} bags: verify --fixity --jobs 2 ÷ sha256sum -c + sha512sum -c | "
        f"{fixity_s / sums_s:.2f}× ({fixity_s:.1f} s vs {sums_s:.1f} s) | ≤ {TARGET_SUM_RATIO}× "
        f"| {verdict(fixity_s / sums_s <= TARGET_SUM_RATIO)} |",
        f"| peak RSS of verify --fixity --jobs 2 over {many_n:,} bags ({many_s:.0f} s) | "
        f"{many_rss:.0f} MB | ≤ {TARGET_RSS_MB} MB | {verdict(many_rss <= TARGET_RSS_MB)} |",
        *absent_rows,
        "",
        "| verify per bag | --jobs 1 | --jobs 2 |",
        "|---|---:|---:|",
        *(
            f"| {mode} | {per_bag[mode, 1] * 1000:.0f} ms | {per_bag[mode, 2] * 1000:.0f} ms |"
            for mode in ("full", "fixity")
        ),
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    parser.add_argument("--workdir", type=Path, default=REPO / "build" / "bench" / "verify")
    parser.add_argument("--results", type=Path)
    parser.add_argument(
        "--sizes", help="FULL,FIXITY,MANY,ABSENT bag counts and manifest lines (a partial run)"
    )
    args = parser.parse_args(argv)
    sizes = tuple(int(n) for n in args.sizes.split(",")) if args.sizes else None
    lines = rows(args.workdir.resolve(), quick=args.quick, sizes=sizes)  # type: ignore[arg-type]
    text = "\n".join(lines)
    if args.results:
        args.results.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
