"""Faults: SIGKILL mid-build, two builds at once, an unwritable or full output folder, a
source changed while it is built. Each repeats ``STRESS_REPEAT`` times (with its own seeded
random moments) and must leave, at every step, either nothing or a complete bag of one
version at the destination, and let the next run succeed with no litter beside it.

The bag's version is read from its copy of ``letter.md``, which every build of these cases
marks (``Revision mark REV<n>``): a bag holding another version than one of the two builds
that could have written it, or a PDF whose text disagrees with the bagged source, is mixed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tarfile
import threading
import time
import zipfile
from pathlib import Path

from .harness import (
    FIXTURE_BAG,
    LEFTOVER,
    Case,
    Proc,
    Running,
    Workspace,
    case,
    codes,
    describe,
    pdf_text,
    squeeze,
    verify_report,
)

CASES: list[Case] = []
SUFFIX = {"dir": "", "zip": ".zip", "tgz": ".tar.gz"}


# --- the destination and what it holds ------------------------------------------------------


def destination(out: Path, fmt: str) -> Path:
    return out / f"{FIXTURE_BAG}{SUFFIX[fmt]}"


def remove_destination(out: Path, fmt: str) -> None:
    dest = destination(out, fmt)
    if dest.is_dir():
        shutil.rmtree(dest)
    for path in (dest, dest.with_name(dest.name + ".sha256")):
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            path.unlink()


def bagged_letter(dest: Path) -> bytes | None:
    """The bag's copy of letter.md (from the folder or the archive), or None."""
    member = "data/objects/source/letter.md"
    try:
        if dest.is_dir():
            return (dest / member).read_bytes()
        if dest.name.endswith(".zip"):
            with zipfile.ZipFile(dest) as archive:
                return archive.read(f"{FIXTURE_BAG}/{member}")
        with tarfile.open(dest, "r:gz") as archive:
            handle = archive.extractfile(f"{FIXTURE_BAG}/{member}")
            return handle.read() if handle else None
    except (OSError, KeyError, zipfile.BadZipFile, tarfile.TarError):
        return None


def litter(out: Path) -> list[str]:
    return (
        sorted(e.name for e in out.iterdir() if LEFTOVER.fullmatch(e.name)) if out.exists() else []
    )


def marked(base: str, mark: str) -> bytes:
    return f"{base.rstrip()}\n\nRevision mark {mark}.\n".encode()


def judge_destination(
    ws: Workspace, out: Path, fmt: str, allowed: dict[bytes, str], when: str
) -> str:
    """Nothing, or a complete bag holding one of the ``allowed`` versions: its state in a
    word ("absent", the version's label, or "partial"/"mixed" with a failure recorded)."""
    dest = destination(out, fmt)
    sidecar = dest.with_name(dest.name + ".sha256")
    if not dest.exists():
        ws.check(not sidecar.exists(), f"{when}: a sidecar without its archive")
        return "absent"
    proc = ws.verify(dest, flags=("--no-second-opinions",))
    report = verify_report(proc).get(str(dest), {})
    if not ws.check(
        proc.returncode == 0, f"{when}: partial bag, verify: {sorted(codes(report, 'error'))[:5]}"
    ):
        ws.detail(f"{when}: verify of the destination:\n{describe(ws, proc)}")
        return "partial"
    ws.mark_verified(dest)
    version = allowed.get(bagged_letter(dest) or b"")
    ws.check(version is not None, f"{when}: the bag holds neither the old nor the new version")
    if fmt != "dir" and not sidecar.exists():
        return f"{version} (no sidecar)"
    return version or "mixed"


# --- SIGKILL at a random moment ---------------------------------------------------------------


def _kill_moment(ws: Workspace, running: Running, out: Path, measured: float, mode: str) -> str:
    """Wait for the moment ``mode`` picks, then SIGKILL; what moment it was."""
    if mode == "staging":  # as soon as a staging entry appears, plus up to 8 ms
        deadline = running.started + 3 * measured + 5
        while time.monotonic() < deadline and not running.poll():
            if any(".staging-" in name for name in os.listdir(out)) if out.exists() else False:
                time.sleep(ws.rng.uniform(0, 0.008))
                break
            time.sleep(0.001)
    else:
        low, high = (0.0, 1.0) if mode == "uniform" else (0.7, 1.02)
        delay = measured * ws.rng.uniform(low, high)
        while time.monotonic() < running.started + delay and not running.poll():
            time.sleep(0.002)
    at = time.monotonic() - running.started
    if running.poll():
        return f"finished before the kill ({at:.2f} s)"
    return f"killed at {at:.2f} s"


def kill_loop(
    ws: Workspace, fmt: str, *, jobs: str = "1", parent_only: bool = False, repeat: int = 0
) -> None:
    src = ws.source(fixture=True)
    base = (src / "letter.md").read_text(encoding="utf-8")
    out = ws.out
    extra = ("--format", fmt)
    (src / "letter.md").write_bytes(marked(base, "REV0"))
    first = ws.build(src, extra=extra)
    ws.expect_exit(first, 0)
    measured = first.seconds
    versions = {marked(base, "REV0"): "REV0"}
    states: dict[str, int] = {}
    kills = midwrite = 0
    repeat = repeat or ws.repeat
    for i in range(1, repeat + 1):
        when = f"iteration {i}"
        if ws.rng.random() < 0.3:
            remove_destination(out, fmt)
        new = marked(base, f"REV{i}")
        (src / "letter.md").write_bytes(new)
        allowed = {**{k: "old" for k in versions}, new: "new"}
        mode = ("staging", "uniform", "late")[i % 3]  # the first is uniform: nearly sure to kill
        running = ws.start("build", src, "-o", out, "--jobs", jobs, "--json", "--force", *extra)
        moment = _kill_moment(ws, running, out, measured, mode)
        if not running.poll():
            running.kill(signal.SIGKILL, group=not parent_only)
            kills += 1
        proc = ws.finish(running, timeout=180)
        midwrite += bool(proc.killed and litter(out))
        if i == 1:
            ws.main = proc  # the table shows the command that was killed
        ws.built(out, proc)
        if parent_only and proc.strays:
            ws.check(False, f"{when}: workers still running 10 s after their parent was killed: "
                     f"{proc.strays}")  # fmt: skip
        state = judge_destination(ws, out, fmt, allowed, f"{when} ({moment}, {mode})")
        states[state] = states.get(state, 0) + 1
        again = ws.build(src, extra=extra)
        if not ws.check(again.returncode == 0, f"{when}: the next build exited {again.returncode}"):
            ws.detail(f"{when}: the next build after the kill:\n{describe(ws, again)}")
        left = litter(out)
        ws.check(not left, f"{when}: litter after the next build: {left[:3]}")
        bagged = bagged_letter(destination(out, fmt))
        ws.check(bagged == new, f"{when}: after the next build the bag is not the new version")
        versions = {new: "old"}
    ws.check(kills > 0, f"no build of {repeat} was killed: every one finished first")
    summary = ", ".join(f"{n}× {s}" for s, n in sorted(states.items()))
    ws.summary = (f"{kills}/{repeat} builds killed (build {measured:.1f} s), {midwrite} of them "
                  f"mid-write (staging left); destination after the kill: {summary}; every next "
                  "build: exit 0, new version, no litter")  # fmt: skip


_KILL_EXPECTED = (
    "after each kill the destination is absent or a complete bag of the old or new version "
    "(verify passes{extra}); the next build exits 0, holds the new version, leaves no "
    "staging/aside entry"
)


@case(CASES, "SIGKILL during build (folder bag), random moments", "faults",
      _KILL_EXPECTED.format(extra=""), quick=True, weight=10)  # fmt: skip
def _kill_dir(ws: Workspace) -> None:
    kill_loop(ws, "dir")


@case(CASES, "SIGKILL during build --format zip", "faults",
      _KILL_EXPECTED.format(extra="; a sidecar never without its archive or disagreeing"),
      weight=10)  # fmt: skip
def _kill_zip(ws: Workspace) -> None:
    kill_loop(ws, "zip")


@case(CASES, "SIGKILL during build --format tgz", "faults",
      _KILL_EXPECTED.format(extra="; a sidecar never without its archive or disagreeing"),
      weight=10)  # fmt: skip
def _kill_tgz(ws: Workspace) -> None:
    kill_loop(ws, "tgz")


@case(CASES, "SIGKILL of the parent only, --jobs 2 (workers orphaned)", "faults",
      "(STRESS_REPEAT/2 times) no traceback, workers exit within 10 s; destination absent or "
      "complete; the next build exits 0 with no litter", weight=8)  # fmt: skip
def _kill_parent(ws: Workspace) -> None:
    kill_loop(ws, "dir", jobs="2", parent_only=True, repeat=max(1, ws.repeat // 2))


# --- two builds at once -------------------------------------------------------------------------


@case(CASES, "two concurrent builds of one bag into one folder (two versions)", "faults",
      "both exit 0 (the second waits for the lock); the destination is one complete "
      "version; no litter", quick=True, weight=6)  # fmt: skip
def _concurrent(ws: Workspace) -> None:
    a = ws.source(fixture=True, name="a")
    b = ws.source(fixture=True, name="b")
    base = (a / "letter.md").read_text(encoding="utf-8")
    outcomes: dict[str, int] = {}
    for i in range(1, ws.repeat + 1):
        fmt = ("dir", "zip", "tgz")[i % 3]
        va, vb = marked(base, f"A{i}"), marked(base, f"B{i}")
        (a / "letter.md").write_bytes(va)
        (b / "letter.md").write_bytes(vb)
        extra = ("--jobs", "1", "--json", "--force", "--format", fmt)
        first = ws.start("build", a, "-o", ws.out, *extra)
        time.sleep(ws.rng.uniform(0, 0.5))
        second = ws.start("build", b, "-o", ws.out, *extra)
        procs = [ws.finish(first, 180), ws.finish(second, 180)]
        for proc in procs:
            ws.built(ws.out, proc)
            ws.check(
                proc.returncode == 0, f"iteration {i} ({fmt}): a build exited {proc.returncode}"
            )
            if proc.returncode != 0:
                ws.detail(f"iteration {i} ({fmt}):\n{describe(ws, proc)}")
        state = judge_destination(ws, ws.out, fmt, {va: "A", vb: "B"}, f"iteration {i} ({fmt})")
        outcomes[state] = outcomes.get(state, 0) + 1
        ws.check(not litter(ws.out), f"iteration {i}: litter {litter(ws.out)[:3]}")
    ws.summary = "final version: " + ", ".join(f"{n}× {s}" for s, n in sorted(outcomes.items()))


# --- an unwritable or full output folder ---------------------------------------------------


def _mount(ws: Workspace, target: Path, options: str) -> None:
    """Mount a tmpfs at ``target`` (root only), or Skip; unmounted after the case."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        ws.skip("needs root and mount(8) for a tmpfs")
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        ws.skip(f"mount -t tmpfs failed: {done.stderr.strip()[:120]}")

    def unmount() -> None:
        if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(target)], capture_output=True)

    ws.cleanups.append(unmount)


def _remount(target: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(target)], check=True, capture_output=True)


def _refused_write(ws: Workspace, proc: Proc, out: Path, fmt: str, old: bytes | None, what: str,
                   needle: str) -> None:  # fmt: skip
    ws.check(proc.returncode == 1, f"{what}: expected exit 1, got {proc.returncode}")
    ws.expect_text(proc, needle, where=f"{what}: the message")
    dest = destination(out, fmt)
    if old is None:
        ws.check(not dest.exists(), f"{what}: something was left at the destination")
    else:
        state = judge_destination(ws, out, fmt, {old: "old"}, what)
        ws.check(state.startswith("old"), f"{what}: the bag already there was not kept ({state})")
    ws.check(not litter(out), f"{what}: litter {litter(out)[:3]}")


@case(CASES, "output folder read-only (read-only tmpfs; chmod 0555 when not root)", "faults",
      "exit 1; message names the destination and 'read-only'; the bag already there "
      "untouched; after it is writable again the next build exits 0", quick=True, weight=5)  # fmt: skip
def _readonly(ws: Workspace) -> None:
    src = ws.source(fixture=True)
    base = (src / "letter.md").read_text(encoding="utf-8")
    out = ws.out
    if os.geteuid() == 0:
        _mount(ws, out, "size=8m,mode=0755")
        lock, unlock, needle = (
            (lambda: _remount(out, "ro")),
            (lambda: _remount(out, "rw")),
            "read-only",
        )
    else:
        out.mkdir()
        lock, unlock, needle = (lambda: out.chmod(0o555)), (lambda: out.chmod(0o755)), "permission"
    old = marked(base, "OLD")
    refused: Proc | None = None
    for fmt in ("dir",) if ws.quick else ("dir", "zip"):
        (src / "letter.md").write_bytes(old)
        ws.expect_exit(ws.build(src, extra=("--format", fmt)), 0)
        (src / "letter.md").write_bytes(marked(base, "NEW"))
        lock()
        try:
            proc = ws.build(src, extra=("--format", fmt, "--force"))
            refused = refused or proc
            _refused_write(ws, proc, out, fmt, old, f"{fmt} over an old bag", needle)
            if fmt == "zip":  # (no tgz was ever built here)
                fresh = ws.build(src, extra=("--format", "tgz"))
                _refused_write(ws, fresh, out, "tgz", None, "tgz into an empty folder", needle)
        finally:
            unlock()
        again = ws.build(src, extra=("--format", fmt))
        ws.check(
            again.returncode == 0, f"{fmt}: the build after unlocking exited {again.returncode}"
        )
    if refused is not None:
        ws.summary = describe(ws, refused)


@case(CASES, "output on a full file system (1 MB tmpfs)", "faults",
      "exit 1; message names the destination and 'no space left'; the bag already there "
      "untouched, nothing partial; after space is freed the next build exits 0",
      quick=True, weight=5)  # fmt: skip
def _full(ws: Workspace) -> None:
    src = ws.source(fixture=True)
    base = (src / "letter.md").read_text(encoding="utf-8")
    out = ws.out
    _mount(ws, out, "size=1m,mode=0755")
    old = marked(base, "OLD")
    (src / "letter.md").write_bytes(old)
    ws.expect_exit(ws.build(src), 0)
    filler = out / ".filler"
    stat = os.statvfs(out)
    free = stat.f_bavail * stat.f_frsize
    with contextlib.suppress(OSError), open(filler, "wb") as handle:
        handle.write(b"\0" * max(0, free - 8192))
    (src / "letter.md").write_bytes(marked(base, "NEW"))
    proc = ws.build(src, extra=("--force",))
    _refused_write(ws, proc, out, "dir", old, "folder over an old bag", "no space left")
    formats = ("dir",) if ws.quick else ("dir", "zip")
    if not ws.quick:
        zipped = ws.build(src, extra=("--format", "zip"))
        _refused_write(ws, zipped, out, "zip", None, "zip into the full folder", "no space left")
    filler.unlink()
    for fmt in formats:
        again = ws.build(src, extra=("--format", fmt))
        ws.check(
            again.returncode == 0, f"{fmt}: the build after freeing space exited {again.returncode}"
        )
    ws.summary = describe(ws, proc)


@case(CASES, "output path is an existing file", "faults",
      "exit 1 or 2; message names the path; the file untouched")  # fmt: skip
def _output_is_file(ws: Workspace) -> None:
    src = ws.source()
    target = ws.root / "out.txt"
    target.write_text("keep me\n")
    proc = ws.run("build", src, "-o", target, "--jobs", "1")
    ws.expect_exit(proc, 1, 2)
    ws.expect_text(proc, "out.txt")
    ws.check(target.read_text() == "keep me\n", "the file was changed")


# --- a source changed during the build --------------------------------------------------------


class Rewriter(threading.Thread):
    """Rewrite a part again and again, alternating two versions (atomically or in place)."""

    def __init__(self, path: Path, versions: tuple[bytes, bytes], atomic: bool):
        super().__init__(daemon=True)
        self.path, self.versions, self.atomic = path, versions, atomic
        self.stop = threading.Event()
        self.writes = 0

    def run(self) -> None:
        temp = self.path.with_name(".rewrite.tmp")
        while not self.stop.is_set():
            data = self.versions[self.writes % 2]
            if self.atomic:
                temp.write_bytes(data)
                os.replace(temp, self.path)
            else:
                with open(self.path, "r+b") as handle:
                    handle.truncate(0)
                    handle.write(data)
            self.writes += 1
            time.sleep(0.0005)


@case(CASES, "a part rewritten over and over during the build", "faults",
      "exit 0 with a bag of one version (verify passes; the bagged letter.md is one of the two "
      "versions and the PDF shows that one), or exit 2 naming letter.md; a rerun after the "
      "writes stop builds or skips to the final version", quick=True, weight=6)  # fmt: skip
def _source_changed(ws: Workspace) -> None:
    src = ws.source(fixture=True)
    base = (src / "letter.md").read_text(encoding="utf-8")
    versions = (marked(base, "ALPHAVERSION"), marked(base, "BRAVOVERSION"))
    labels = {versions[0]: "ALPHAVERSION", versions[1]: "BRAVOVERSION"}
    outcomes: dict[str, int] = {}
    refusal = ""
    for i in range(1, ws.repeat + 1):
        atomic = i % 2 == 1
        rewriter = Rewriter(src / "letter.md", versions, atomic)
        rewriter.start()
        try:
            proc = ws.build(src, extra=("--force",))
        finally:
            rewriter.stop.set()
            rewriter.join()
        how = f"iteration {i} ({'rename' if atomic else 'in place'}, {rewriter.writes} writes)"
        if proc.returncode == 2:
            ws.expect_text(proc, "letter.md", where=f"{how}: the message")
            outcome = "refused"
            refusal = refusal or ws.relative(proc.first_line())
        elif ws.check(proc.returncode == 0, f"{how}: exit {proc.returncode}"):
            outcome = _judge_one_version(ws, how, labels)
        else:
            ws.detail(f"{how}:\n{describe(ws, proc)}")
            outcome = f"exit {proc.returncode}"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        final = versions[i % 2]
        (src / "letter.md").write_bytes(final)
        rerun = ws.build(src)
        ws.check(rerun.returncode == 0, f"{how}: the rerun exited {rerun.returncode}")
        ws.check(bagged_letter(ws.out / FIXTURE_BAG) == final,
                 f"{how}: after the rerun the bag does not hold the final source (stale bag "
                 "judged up to date?)")  # fmt: skip
    ws.summary = "builds: " + ", ".join(f"{n}× {s}" for s, n in sorted(outcomes.items()))
    if refusal:
        ws.summary += f"; a refusal said: {refusal[:160]}"


def _judge_one_version(ws: Workspace, how: str, labels: dict[bytes, str]) -> str:
    bag = ws.out / FIXTURE_BAG
    proc = ws.verify(bag, flags=("--no-second-opinions",))
    report = verify_report(proc).get(str(bag), {})
    ws.check(
        proc.returncode == 0, f"{how}: verify rejects the bag: {sorted(codes(report, 'error'))[:5]}"
    )
    label = labels.get(bagged_letter(bag) or b"")
    if not ws.check(label is not None, f"{how}: the bagged letter.md is neither version"):
        return "torn"
    text = squeeze(pdf_text(next((bag / "data" / "objects").glob("*.pdf"))))
    other = next(v for v in labels.values() if v != label)
    ws.check(label in text and other not in text,
             f"{how}: the PDF does not show the bagged version {label}")  # fmt: skip
    return label
