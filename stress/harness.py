"""Run one stress case against the real CLI and hold it to the invariants every case shares.

A case is a function of a :class:`Workspace`: it writes what it needs into its own temp
folder, runs ``unfolio`` as subprocesses (``ws.run`` / ``ws.build`` / ``ws.verify``), and
states what it expected with ``ws.check``. After it, whatever it did, :func:`run_case` checks:

* no ``Traceback (most recent call last)`` and no "internal error" in any stdout or stderr;
* every exit code in {0, 1, 2} (unless the case killed the process on purpose), no process
  hung past its timeout, and no process of a run still alive after the run exited;
* every output folder a build wrote into holds only complete bags: each folder and archive
  passes ``unfolio verify --bagit-only``, no sidecar is without its archive, and no
  ``.NAME.staging-*`` / ``.NAME.old-*`` entry is left once the last build there succeeded;
* nothing was written outside the case's folder: its canary folder (outside the case folder,
  where hostile paths point), the shared canary and the work folder's top level are unchanged;
* no network connection: every URL a case writes names a loopback port on which a listener
  waits (the HTTP(S) proxy variables name it too); it must see no connection.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "documents" / "en-joint-letter"
UNFOLIO = (sys.executable, "-m", "pipeline")
TRACEBACK = "Traceback (most recent call last)"
EXIT_CODES = frozenset({0, 1, 2})
DEFAULT_TIMEOUT = 120.0  # seconds one command may take before it is killed as hung
STRAY_GRACE = 10.0  # seconds the rest of a process group may outlive its leader
LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?P<kind>staging|old)-[0-9]+-[0-9a-f]+(\.owner)?")
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
GROUPS = ("input", "limits", "faults", "verify")


def _passwd_marker() -> str:
    """The first line of /etc/passwd up to its shell: text no PDF or bag may ever hold."""
    try:
        first = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").splitlines()[0]
    except (OSError, IndexError):
        return "root:x:0:0"
    return ":".join(first.split(":")[:4]) or "root:x:0:0"


PASSWD_MARKER = _passwd_marker()

# The valid document every input case bends: the fixture the test suite bends too.
MINIMAL = REPO / "tests" / "fixtures" / "minimal"
MINIMAL_DOCUMENT: dict[str, Any] = json.loads(
    (MINIMAL / "document.json").read_text(encoding="utf-8")
)
MINIMAL_PARTS: dict[str, str] = {
    name: (MINIMAL / name).read_text(encoding="utf-8") for name in ("letter.md", "annex-1.md")
}
MINIMAL_BAG = "A_75_9001--S_2021_9001-EN"  # the bag name of MINIMAL_DOCUMENT
FIXTURE_BAG = "A_76_9101--S_2022_9101-EN"  # the bag name of the en-joint-letter fixture


class Skip(Exception):
    """Raised by a case that cannot run here (the reason goes to the table)."""


# --- cases and rows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    group: str
    expected: str
    body: Callable[[Workspace], None]
    quick: bool = False  # part of STRESS_QUICK=1 runs
    weight: float = 1.0  # rough cost, to start the long cases first


def case(
    cases: list[Case], name: str, group: str, expected: str, *, quick: bool = False,
    weight: float = 1.0,
) -> Callable[[Callable[[Workspace], None]], Callable[[Workspace], None]]:  # fmt: skip
    """Decorator: register ``body`` as a case in ``cases``."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group}")

    def register(body: Callable[[Workspace], None]) -> Callable[[Workspace], None]:
        cases.append(Case(name, group, expected, body, quick=quick, weight=weight))
        return body

    return register


@dataclass
class Row:
    case: Case
    status: str  # PASS, FAIL or SKIP
    command: str
    happened: str
    failures: list[str]
    details: list[str]
    seconds: float


@dataclass(frozen=True)
class Settings:
    workdir: Path
    repeat: int = 10
    quick: bool = False
    seed: str = "0"
    keep: bool = False
    atime: bool = False  # reading a file updates its atime here (see atime_works)


# --- processes --------------------------------------------------------------------------------


@dataclass
class Proc:
    argv: list[str]
    cwd: Path
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    maxrss_mb: float
    timed_out: bool = False
    killed: bool = False  # killed on purpose by the case
    strays: str = ""  # processes of the run still alive after it exited

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    def first_line(self) -> str:
        streams = (self.stderr,) if self.json() is not None else (self.stderr, self.stdout)
        lines = [line.strip() for stream in streams for line in stream.splitlines()]
        lines = [line for line in lines if line and not line.startswith("{")]
        errors = [line for line in lines if line.lower().startswith("error")]
        return (errors or lines or [""])[0]

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except ValueError:
            return None


def _group_members(pgid: int) -> list[str]:
    """Live (non-zombie) processes of process group ``pgid``, as "pid:name"."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name_end = stat.rfind(")")
        fields = stat[name_end + 2 :].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(f"{entry.name}:{stat[stat.find('(') + 1 : name_end]}")
    return found


class Running:
    """A command started in its own session; reaped with ``wait4`` to read its peak RSS."""

    def __init__(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str], logs: Path):
        self.argv = list(argv)
        self.cwd = cwd
        self.out_path = logs.with_suffix(".out")
        self.err_path = logs.with_suffix(".err")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.popen = subprocess.Popen(
                self.argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=out,
                stderr=err, start_new_session=True,
            )  # fmt: skip
        self.pid = self.popen.pid
        self.started = time.monotonic()
        self.ended: float | None = None
        self.status: int | None = None
        self.maxrss_kb = 0
        self.killed = False
        self.timed_out = False

    def poll(self) -> bool:
        """True once the process has exited (and been reaped)."""
        if self.status is None:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                self._reaped(status, usage)
        return self.status is not None

    def _reaped(self, status: int, usage) -> None:
        self.status = status
        self.maxrss_kb = usage.ru_maxrss
        self.ended = time.monotonic()
        self.popen.returncode = os.waitstatus_to_exitcode(status)  # Popen must not reap again

    def kill(self, sig: int = signal.SIGKILL, *, group: bool = True) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if group:
                os.killpg(self.pid, sig)
            else:
                os.kill(self.pid, sig)
        if sig == signal.SIGKILL:
            self.killed = True

    def wait(self, timeout: float = DEFAULT_TIMEOUT, strays_grace: float = STRAY_GRACE) -> Proc:
        deadline = self.started + timeout
        pause = 0.005
        while not self.poll():
            if time.monotonic() > deadline:
                self.timed_out = True
                self.kill(signal.SIGKILL)
                self.killed = False  # not on purpose
                _, status, usage = os.wait4(self.pid, 0)
                self._reaped(status, usage)
                break
            time.sleep(pause)
            pause = min(pause * 1.5, 0.05)
        strays = ""
        limit = time.monotonic() + strays_grace
        while members := _group_members(self.pid):
            if time.monotonic() > limit:
                strays = ", ".join(members)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        assert self.status is not None and self.ended is not None
        return Proc(
            argv=self.argv, cwd=self.cwd, returncode=self.popen.returncode,
            stdout=self.out_path.read_text(encoding="utf-8", errors="replace"),
            stderr=self.err_path.read_text(encoding="utf-8", errors="replace"),
            seconds=self.ended - self.started, maxrss_mb=self.maxrss_kb / 1024,
            timed_out=self.timed_out, killed=self.killed, strays=strays,
        )  # fmt: skip


# --- the loopback listener and the canary -----------------------------------------------------


class Listener:
    """A TCP socket on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.hits: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(0.5)
                try:
                    first = conn.recv(200).split(b"\r\n", 1)[0].decode("latin-1")
                except OSError:
                    first = ""
                self.hits.append(f"{peer[0]}:{peer[1]} {first!r}")
                with contextlib.suppress(OSError):
                    conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def _age_atime(path: Path) -> None:
    """Set ``path``'s atime a day before its mtime: with relatime, any read then updates it."""
    info = path.stat()
    os.utime(path, ns=(info.st_mtime_ns - 86_400 * 10**9, info.st_mtime_ns))


def atime_works(folder: Path) -> bool:
    """Does reading a file in ``folder`` update its atime (relatime or strictatime)?"""
    probe = folder / ".atime-probe"
    probe.write_text("probe\n")
    _age_atime(probe)
    before = probe.stat().st_atime_ns
    probe.read_text()
    works = probe.stat().st_atime_ns != before
    probe.unlink()
    return works


def fingerprint(path: Path) -> object:
    """What changes when a bag folder or archive changes (names, sizes, mtimes)."""
    if path.is_dir() and not path.is_symlink():
        return snapshot(path)
    info = path.lstat()
    return (info.st_size, info.st_mtime_ns, info.st_ino)


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry under ``folder`` (not following links): path → (size, mtime)."""
    found: dict[str, tuple[int, int]] = {}
    for base, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(base, name)
            info = path.lstat()
            found[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return found


# --- the workspace a case works in ------------------------------------------------------------


class Workspace:
    """One case's temp folder, its listener and canary, and what it ran and found."""

    def __init__(self, case: Case, settings: Settings, index: int, shared: Shared):
        self.case = case
        self.settings = settings
        self.shared = shared
        slug = f"{index:03d}-{re.sub(r'[^a-z0-9]+', '-', case.name.lower()).strip('-')}"
        self.root = settings.workdir / "cases" / slug
        self.canary = settings.workdir / "canary" / slug
        for folder in (self.root, self.root / "tmp", self.root / "logs", self.canary):
            folder.mkdir(parents=True)
        self.secret = self.canary / "secret.txt"
        self.secret.write_text(f"canary of {case.name}: {PASSWD_MARKER}\n")
        _age_atime(self.secret)
        self.out = self.root / "out"
        self.listener = Listener()
        self.port = self.listener.port
        self.rng = random.Random(f"{settings.seed}:{case.name}")
        self.repeat = max(1, settings.repeat)
        self.quick = settings.quick
        self.procs: list[Proc] = []
        self.failures: list[str] = []
        self.details: list[str] = []
        self.notes: list[str] = []
        self.summary: str | None = None
        self.main: Proc | None = None
        self.outputs: dict[Path, bool] = {}  # output folder → did its last build succeed?
        self.verified: dict[Path, object] = {}  # bag → its fingerprint when verify passed
        self.cleanups: list[Callable[[], None]] = []
        self._logs = 0
        self.env = {
            **os.environ,
            "TMPDIR": str(self.root / "tmp"),
            "NO_PROXY": "",
            "no_proxy": "",
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            self.env[name] = self.env[name.lower()] = self.url()
        self._canary_before = snapshot(self.canary)
        self.secret_atime = self.secret.stat().st_atime_ns

    # -- building blocks -----------------------------------------------------------------------

    def url(self, path: str = "") -> str:
        """An http URL on this case's listener: any connection to it is a failure."""
        return f"http://127.0.0.1:{self.port}/{path}"

    def source(
        self,
        document: Mapping[str, Any] | Callable[[dict], Any] | bytes | None = None,
        parts: Mapping[str, str | bytes] | None = None,
        *,
        name: str = "doc",
        fixture: bool = False,
    ) -> Path:
        """Write a valid source folder and bend it: ``document`` updates (or, as a function,
        edits; as bytes, replaces) document.json; ``parts`` add or replace part files."""
        folder = self.root / name
        if fixture:
            shutil.copytree(FIXTURE, folder)
            metadata = json.loads((folder / "document.json").read_text(encoding="utf-8"))
        else:
            folder.mkdir()
            metadata = json.loads(json.dumps(MINIMAL_DOCUMENT))
            parts = {**MINIMAL_PARTS, **(parts or {})}
        if isinstance(document, bytes):
            (folder / "document.json").write_bytes(document)
        else:
            if callable(document):
                document(metadata)
            elif document:
                metadata.update(document)
            text = json.dumps(metadata, ensure_ascii=False, indent=2)
            (folder / "document.json").write_text(text, encoding="utf-8")
        for part, text in (parts or {}).items():
            data = text if isinstance(text, bytes) else text.encode("utf-8")
            (folder / part).write_bytes(data)
        return folder

    def start(self, *args: str | os.PathLike, cwd: Path | None = None) -> Running:
        """Start ``unfolio ARGS`` in the case folder (its own session, proxies on the listener)."""
        return self.start_argv([*UNFOLIO, *map(str, args)], cwd=cwd)

    def start_argv(self, argv: Sequence[str], cwd: Path | None = None) -> Running:
        self._logs += 1
        return Running(argv, cwd or self.root, self.env, self.root / "logs" / f"{self._logs:03d}")

    def finish(self, running: Running, timeout: float = DEFAULT_TIMEOUT, **kw) -> Proc:
        proc = running.wait(timeout, **kw)
        self.procs.append(proc)
        if self.main is None:
            self.main = proc
        return proc

    def run(self, *args: str | os.PathLike, timeout: float = DEFAULT_TIMEOUT) -> Proc:
        """Run ``unfolio ARGS`` in the case folder and wait for it."""
        return self.finish(self.start(*args), timeout)

    def build(
        self, *sources: Path, out: Path | None = None, extra: Sequence[str] = (),
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Proc:  # fmt: skip
        """``unfolio build SOURCES -o OUT --jobs 1 --json EXTRA``; OUT is watched for bags."""
        out = out or self.out
        proc = self.run("build", *sources, "-o", out, "--jobs", "1", "--json", *extra,
                        timeout=timeout)  # fmt: skip
        self.built(out, proc)
        return proc

    def built(self, out: Path, proc: Proc) -> None:
        """Record that a build wrote into ``out`` (and whether it succeeded)."""
        self.outputs[out] = proc.returncode == 0 and not proc.killed and not proc.timed_out

    def verify(self, *targets: Path, flags: Sequence[str] = (), timeout: float = 180) -> Proc:
        return self.run("verify", "--json", *flags, *targets, timeout=timeout)

    def secret_bytes(self) -> bytes:
        """The canary secret's bytes, read without counting as a read by the tool."""
        data = self.secret.read_bytes()
        _age_atime(self.secret)
        self.secret_atime = self.secret.stat().st_atime_ns
        return data

    def mark_verified(self, target: Path) -> None:
        """``unfolio verify`` passed on ``target`` as it is now: the output check, which would
        run ``verify --bagit-only`` on it again, may skip it while it stays unchanged."""
        self.verified[target] = fingerprint(target)

    # -- expectations --------------------------------------------------------------------------

    def check(self, condition: object, failure: str) -> bool:
        if not condition:
            self.failures.append(failure)
        return bool(condition)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def detail(self, text: str) -> None:
        self.details.append(text)

    def expect_exit(self, proc: Proc, *codes: int) -> bool:
        ok = proc.returncode in codes and not proc.timed_out
        if not ok:
            self.detail(f"`{self.show(proc.argv)}` exited {proc.returncode}:\n{excerpt(proc)}")
        wanted = " or ".join(map(str, codes))
        got = "no exit (hung)" if proc.timed_out else f"exit {proc.returncode}"
        return self.check(ok, f"expected exit {wanted}, got {got}")

    def expect_text(self, proc: Proc, *needles: str, where: str = "the message") -> bool:
        text = self.relative(proc.text).lower()
        missing = [n for n in needles if n.lower() not in text]
        return self.check(not missing, f"{where} does not name {', '.join(map(repr, missing))}")

    def expect_no_text(self, proc: Proc, *needles: str, where: str = "the output") -> bool:
        found = [n for n in needles if n.lower() in proc.text.lower()]
        return self.check(not found, f"{where} holds {', '.join(map(repr, found))}")

    def skip(self, reason: str) -> None:
        raise Skip(reason)

    # -- helpers ------------------------------------------------------------------------------

    def relative(self, text: str) -> str:
        return text.replace(str(self.root) + "/", "").replace(str(self.root), ".")

    def show(self, argv: Sequence[str]) -> str:
        """A command as the table shows it: ``unfolio …`` with paths relative to the case."""
        shown = ["unfolio"] if list(argv[:3]) == list(UNFOLIO) else [argv[0]]
        rest = argv[3:] if shown == ["unfolio"] else argv[1:]
        words = [self.relative(str(a)).replace(str(self.canary), "$CANARY") for a in rest]
        line = " ".join(shown + [w if w and " " not in w else repr(w) for w in words])
        return line if len(line) <= 140 else line[:137] + "…"

    def bag(self, out: Path | None = None, name: str = MINIMAL_BAG) -> Path:
        return (out or self.out) / name

    def build_result(self, proc: Proc) -> list[dict]:
        report = proc.json()
        return report.get("documents", []) if isinstance(report, dict) else []


@dataclass
class Shared:
    """What cases share, built once on first use (a lock per key)."""

    settings: Settings
    _values: dict[str, Any] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: str, make: Callable[[Path], Any]) -> Any:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                folder = self.settings.workdir / "shared" / key
                folder.mkdir(parents=True, exist_ok=True)
                self._values[key] = make(folder)
            return self._values[key]


def excerpt(proc: Proc, lines: int = 12) -> str:
    """The end of a command's output, tracebacks first, for the failure details."""
    text = proc.stderr.strip() or proc.stdout.strip()
    if TRACEBACK in text:
        text = text[text.index(TRACEBACK) :]
    tail = text.splitlines()
    if len(tail) > lines:
        tail = [*tail[:3], "…", *tail[-(lines - 4) :]]
    return "\n".join("    " + line[:300] for line in tail)


# --- PDF and bag checks -----------------------------------------------------------------------


def pdf_text(pdf: Path) -> str:
    """The PDF's text (pdftotext, else pdfminer)."""
    if shutil.which("pdftotext"):
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, timeout=120
        )
        if done.returncode == 0:
            return done.stdout.decode("utf-8", errors="replace")
    from pdfminer.high_level import extract_text

    return extract_text(str(pdf))


def squeeze(text: str) -> str:
    """Text without white space, soft hyphens and line-end hyphens, for literal comparisons."""
    text = re.sub(r"-\n", "", text.replace("\u00ad", ""))
    return re.sub(r"\s+", "", text)


_ACTIVE_KEYS = ("/JavaScript", "/JS", "/Launch", "/EmbeddedFiles", "/EF", "/GoToR", "/SubmitForm",
                "/ImportData", "/RichMedia")  # fmt: skip


def pdf_hazards(pdf: Path) -> tuple[list[str], list[str]]:
    """(what the PDF must not hold that it holds, the URIs of its links)."""
    import pikepdf

    hazards: list[str] = []
    uris: list[str] = []
    with pikepdf.open(pdf) as doc:
        if len(doc.attachments):
            hazards.append(f"{len(doc.attachments)} embedded file(s): {list(doc.attachments)}")
        if "/AF" in doc.Root:
            hazards.append("/AF (associated files) in the catalog")
        if "/OpenAction" in doc.Root and "/JS" in str(doc.Root.OpenAction):
            hazards.append("an /OpenAction with JavaScript")
        for obj in doc.objects:
            if not isinstance(obj, pikepdf.Dictionary):
                continue
            for key in _ACTIVE_KEYS:
                if key in obj:
                    hazards.append(f"{key} in object {obj.objgen}")
            if obj.get("/S") == pikepdf.Name.URI and "/URI" in obj:
                uris.append(str(obj.URI))
            if obj.get("/Type") == pikepdf.Name.Filespec:
                hazards.append(f"a /Filespec in object {obj.objgen}")
    for uri in uris:
        scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
        if scheme not in {"http", "https", "mailto"}:
            hazards.append(f"a link to {uri[:80]!r}")
    return sorted(set(hazards)), uris


def bag_pdf(bag: Path) -> Path | None:
    found = sorted((bag / "data" / "objects").glob("*.pdf")) if bag.is_dir() else []
    return found[0] if found else None


def check_built_pdf(
    ws: Workspace, bag: Path, *, literal: Iterable[str] = (), absent: Iterable[str] = ()
) -> str:
    """The checks of a bag built from hostile input: nothing from /etc/passwd anywhere in the
    bag, no embedded file or active content in the PDF, ``literal`` texts shown as text and
    ``absent`` ones nowhere in the text. Returns the PDF's text."""
    pdf = bag_pdf(bag)
    if not ws.check(pdf is not None, f"no PDF in {ws.relative(str(bag))}"):
        return ""
    assert pdf is not None
    text = pdf_text(pdf)
    flat = squeeze(text)
    ws.check(PASSWD_MARKER not in text, f"the PDF's text holds /etc/passwd ({PASSWD_MARKER!r})")
    for path in bag.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            ws.check(PASSWD_MARKER.encode() not in data, f"{path.name} holds /etc/passwd text")
    hazards, _ = pdf_hazards(pdf)
    ws.check(not hazards, "the PDF holds " + "; ".join(hazards[:4]))
    missing = [t for t in literal if squeeze(t) not in flat]
    ws.check(not missing, f"the PDF's text lacks the literal {missing!r}"[:300])
    present = [t for t in absent if squeeze(t) in flat]
    ws.check(not present, f"the PDF's text holds {present!r}"[:300])
    return text


def verify_report(proc: Proc) -> dict[str, dict]:
    """``verify --json`` output: target path → its report (empty if unreadable)."""
    report = proc.json()
    if not isinstance(report, dict):
        return {}
    return {t.get("path", ""): t for t in report.get("targets", []) if isinstance(t, dict)}


def codes(target: Mapping[str, Any], severity: str | None = None) -> set[str]:
    return {
        f["code"] for f in target.get("findings", [])
        if severity is None or f.get("severity") == severity
    }  # fmt: skip


# --- the invariants ---------------------------------------------------------------------------


def _check_processes(ws: Workspace) -> None:
    for proc in ws.procs:
        shown = ws.show(proc.argv)
        if TRACEBACK in proc.text:
            ws.failures.append(f"traceback from `{shown}`")
            ws.detail(f"traceback from `{shown}`:\n{excerpt(proc, 16)}")
        if "internal error" in proc.text.lower():
            ws.failures.append(f"'internal error' from `{shown}`")
            ws.detail(f"internal error from `{shown}`:\n{excerpt(proc)}")
        if proc.timed_out:
            ws.failures.append(f"`{shown}` hung: killed after {proc.seconds:.0f} s")
        elif not proc.killed and proc.returncode not in EXIT_CODES:
            ws.failures.append(f"`{shown}` exited {proc.returncode} (not 0, 1 or 2)")
            ws.detail(f"`{shown}` exited {proc.returncode}:\n{excerpt(proc)}")
        if proc.strays and not proc.killed:
            ws.failures.append(f"`{shown}` left processes running: {proc.strays}")


def check_outputs(ws: Workspace) -> None:
    """Every output folder holds complete bags only, and no litter after a successful run."""
    targets: list[Path] = []
    for out, last_ok in ws.outputs.items():
        if not out.is_dir():
            continue
        try:
            entries = sorted(out.iterdir())
        except OSError as exc:
            ws.failures.append(f"cannot list {ws.relative(str(out))}: {exc}")
            continue
        litter = [e.name for e in entries if LEFTOVER.fullmatch(e.name)]
        if litter and last_ok:
            ws.failures.append(f"left after a successful run: {', '.join(litter[:4])}")
        locks = [e.name for e in entries if e.name.endswith(".lock") and e.name.startswith(".")]
        if locks and last_ok:
            ws.note(f"lock file left: {locks[0]}")
        for entry in entries:
            if entry.name.startswith("."):
                continue
            orphan = entry.name.endswith(".sha256") and not entry.with_suffix("").exists()
            if orphan:
                ws.failures.append(f"sidecar {entry.name} without its archive")
            is_bag = entry.is_dir() or entry.name.endswith(ARCHIVE_SUFFIXES)
            if is_bag and ws.verified.get(entry) != fingerprint(entry):
                targets.append(entry)  # (not verified yet, or changed since it was)
    if not targets:
        return
    proc = ws.run("verify", "--bagit-only", "--no-second-opinions", "--json", *targets,
                  timeout=300)  # fmt: skip
    reports = verify_report(proc)
    for target in targets:
        report = reports.get(str(target))
        if report is None:
            ws.failures.append(f"verify gave no report on {ws.relative(str(target))}")
        elif not report.get("passed"):
            found = ", ".join(sorted(codes(report, "error"))[:5])
            ws.failures.append(f"partial or broken bag at {ws.relative(str(target))}: {found}")


def _check_escapes(ws: Workspace, workdir_entries: set[str]) -> None:
    after = snapshot(ws.canary)
    changed = sorted(
        name for name in set(after) | set(ws._canary_before)
        if after.get(name) != ws._canary_before.get(name)
    )  # fmt: skip
    ws.check(not changed, f"written outside the case folder: canary {changed[:3]}")
    if ws.settings.atime and ws.secret.exists():
        read = ws.secret.stat().st_atime_ns != ws.secret_atime
        ws.check(not read, "read outside the case folder: the canary's secret.txt was opened")
    top = {e.name for e in ws.settings.workdir.iterdir()}
    ws.check(
        top <= workdir_entries, f"written beside the case folders: {sorted(top - workdir_entries)}"
    )
    stray = [
        e.name for e in (ws.settings.workdir / "cases").iterdir()
        if not re.fullmatch(r"[0-9]{3}-[a-z0-9-]+", e.name)
    ]  # fmt: skip
    ws.check(not stray, f"written beside the case folders: {stray[:3]}")


def run_case(case: Case, settings: Settings, index: int, shared: Shared) -> Row:
    started = time.monotonic()
    ws = Workspace(case, settings, index, shared)
    status = "PASS"
    try:
        try:
            case.body(ws)
        except Skip as skip:
            status = "SKIP"
            ws.summary = f"skipped: {ws.relative(str(skip))}"
        except Exception as exc:  # a bug in the harness or the case: a failure, with its trace
            ws.failures.append(f"harness error: {type(exc).__name__}: {exc}")
            ws.detail("harness traceback:\n" + traceback.format_exc())
        if status != "SKIP":
            try:
                check_outputs(ws)
            except Exception as exc:
                ws.failures.append(f"harness error in the output check: {exc}")
        _check_processes(ws)
        _check_escapes(ws, {"cases", "canary", "shared"})
        time.sleep(0.05)  # let the listener record a connection still in flight
        if ws.listener.hits:
            ws.failures.append(
                f"{len(ws.listener.hits)} connection(s) to the loopback listener: "
                + "; ".join(ws.listener.hits[:3])
            )
    finally:
        for cleanup in reversed(ws.cleanups):
            try:
                cleanup()
            except Exception as exc:
                ws.failures.append(f"cleanup failed: {exc}")
        ws.listener.close()
        if not settings.keep:
            shutil.rmtree(ws.root, ignore_errors=True)
    ws.failures, ws.details = _counted(ws.failures), _counted(ws.details)
    if ws.failures:
        status = "FAIL"
    return Row(
        case=case, status=status,
        command=ws.show(ws.main.argv) if ws.main else "",
        happened=_happened(ws), failures=ws.failures, details=ws.details,
        seconds=time.monotonic() - started,
    )  # fmt: skip


def describe(ws: Workspace, proc: Proc) -> str:
    """What a command did, in one line: its exit, what its JSON report says, its message."""
    if proc.timed_out:
        return f"hung (killed after {proc.seconds:.0f} s)"
    if proc.killed:
        return "killed"
    text = f"exit {proc.returncode}"
    report = proc.json()
    said: list[str] = []
    if isinstance(report, dict) and isinstance(report.get("summary"), dict):
        summary = report["summary"]
        said = [f"{k} {summary[k]}" for k in ("built", "skipped", "invalid", "failed")
                if summary.get(k)]  # fmt: skip
    elif isinstance(report, dict) and isinstance(report.get("targets"), list):
        for target in report["targets"][:3]:
            found = sorted(codes(target, "error")) or sorted(codes(target, "warning"))
            said.append(f"{target.get('status')} {' '.join(found[:6])}".strip())
    line = ws.relative(proc.first_line())
    if said:
        text += f" ({', '.join(said)})"
    if line:
        text += f": {line[:160]}"
    return text


def _counted(items: list[str]) -> list[str]:
    """Each distinct item once, in order, with how many times it came (``… (×3)``)."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return [item if n == 1 else f"{item} (×{n})" for item, n in counts.items()]


def _happened(ws: Workspace) -> str:
    parts = [ws.summary] if ws.summary is not None else []
    if ws.summary is None and ws.main is not None:
        parts.append(describe(ws, ws.main))
    return "; ".join(parts + ws.notes)
