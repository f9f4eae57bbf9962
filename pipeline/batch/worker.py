"""The per-document function: one source folder in, one :class:`Result` out, never an exception.

``build_one`` is what every executor runs — in this process (``--executor inline``), in a local worker
process (:mod:`pipeline.batch.pool`), or on a Dask worker (:mod:`pipeline.batch.dask`). It
loads and validates the source again (it may have changed since the skip check), computes
the build key from what it read, renders, and writes the bag. ``plan`` is the cheap part
that runs in the main process first: validate, compute the key, compare it with the bag on
disk. It never imports WeasyPrint.

**Signed builds.** The signing key never leaves the main process. A task of a signed build
carries only what the build key records of the signing (the certificate's fingerprint and
library versions, :func:`pipeline.sign.key_values`); its worker renders and gates the
unsigned PDF and sends it back (:class:`Staged`) instead of writing the bag, and the main
process signs the PDF, gates the signed file and writes the signed bag (:func:`finish`).
Rendering stays parallel; signing and writing (about 0.25 s a document, docs/signing.md)
happen one bag at a time.

``warm`` is a worker's initializer: it imports WeasyPrint and the rest of the pipeline and
builds the process's one ``FontConfiguration`` and parsed stylesheets, rendering nothing.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.config import Config
from pipeline.errors import UserError

Status = Literal["built", "skipped", "invalid", "failed"]
STATUSES: tuple[Status, ...] = ("built", "skipped", "invalid", "failed")


@dataclass(frozen=True)
class Task:
    """One document to build: everything a worker needs, picklable, with absolute paths."""

    source: Path
    output: Path
    flavour: str
    fmt: str
    config: Config
    timeout: float | None = None  # seconds; enforced in-process where signals allow
    # Environment the client decided with, applied where the task runs (a Dask worker on
    # another machine): ``(("SOURCE_DATE_EPOCH", "1614902400"),)``; None means unset.
    environ: tuple[tuple[str, str | None], ...] = ()
    # A signed build: what the build key records of the signing (never the key). The worker
    # then returns the unsigned PDF (Result.staged) for the main process to sign and write.
    signing: tuple[tuple[str, str], ...] = ()
    replace: bool = True  # False: refuse to replace a bag built from different content


@dataclass(frozen=True)
class Staged:
    """A rendered, gated, unsigned PDF on its way back to the process that signs."""

    document: object  # pipeline.model.Document
    pdf: bytes


@dataclass
class Result:
    """What became of one source folder."""

    source: str
    status: Status
    bag: str | None = None
    name: str | None = None
    key: str | None = None
    reason: str | None = None
    problems: list[dict[str, object]] = field(default_factory=list)
    seconds: float = 0.0
    worker: int | None = None  # pid of the process that built it
    rss_mb: float | None = None  # its resident memory after the document
    retire: bool = False  # the worker should be replaced after this document
    # what reports and --json say of the document and its bag (None: not known)
    symbol: str | None = None
    language: str | None = None
    title: str | None = None
    pages: int | None = None
    size: int | None = None
    digest: str | None = None  # sha256:… of the archive, or of a folder's tagmanifest-sha512.txt
    staged: Staged | None = None  # a signed build's unsigned PDF, until the main process signs
    #: {"old_digest", "new_digest"} when the bag replaced one built from different content
    replaced: dict[str, str] | None = None
    version: str | None = None  # --format ocfl: the OCFL version the build added

    @property
    def messages(self) -> list[str]:
        """One line per problem (invalid input, PDF/A gate findings), else the reason."""
        if self.problems:
            return [_problem_text(p) for p in self.problems]
        return [self.reason] if self.reason else []

    def as_dict(self) -> dict[str, object]:
        data = {
            "source": self.source,
            "status": self.status,
            "bag": self.bag,
            "name": self.name,
            "build_key": self.key,
            "reason": self.reason,
            "problems": self.problems,
            "seconds": round(self.seconds, 3),
            "worker": self.worker,
            "replaced": self.replaced,
        }
        if self.rss_mb is not None:
            data["rss_mb"] = round(self.rss_mb, 1)
        if self.version is not None:
            data["ocfl_version"] = self.version
        data.update(
            symbol=self.symbol, language=self.language, title=self.title, pages=self.pages,
            size=self.size, digest=self.digest,
        )  # fmt: skip
        return data


def _problem_text(problem: dict[str, object]) -> str:
    from pipeline.errors import Problem

    return str(Problem(**problem))  # type: ignore[arg-type]


def invalid(source: Path | str, exc: UserError, **fields) -> Result:
    return Result(
        str(source), "invalid", reason=str(exc.problems[0]) if exc.problems else None,
        problems=[p.as_dict() for p in exc.problems], **fields,
    )  # fmt: skip


def failed(source: Path | str, reason: str, **fields) -> Result:
    return Result(str(source), "failed", reason=reason, **fields)


# --- the main process's part: is there anything to do? ---------------------------------------


@dataclass(frozen=True)
class Plan:
    """The skip check's verdict on one source: skip it (with a result) or build it."""

    name: str | None
    key: str | None
    result: Result | None  # set when nothing is to be built (skipped, or invalid input)


def plan(task: Task, *, force: bool = False) -> Plan:
    """Validate the source and compare its build key with the bag on disk. No rendering."""
    from pipeline import source
    from pipeline.package import buildkey
    from pipeline.package.contents import bag_name

    started = time.perf_counter()
    try:
        document = source.load(task.source)
    except UserError as exc:
        return Plan(None, None, invalid(task.source, exc))
    except OSError as exc:
        return Plan(None, None, failed(task.source, f"cannot read the source: {exc}"))
    name = bag_name(document)
    drafted = _placeholders_left(document, task.source)
    if drafted is not None:
        return Plan(name, None, drafted)
    try:
        key = buildkey.key_for(
            document, flavour=task.flavour, config=task.config, fmt=task.fmt, signing=task.signing
        )
    except OSError as exc:  # an emblem or styles file vanished
        return Plan(name, None, failed(task.source, f"cannot compute the build key: {exc}"))
    existing = buildkey.existing_key(task.output, name, task.fmt)
    if not force and existing == key:
        bag = buildkey.destination(task.output, name, task.fmt)
        skipped = Result(
            str(task.source), "skipped", bag=str(bag), name=name, key=key,
            seconds=time.perf_counter() - started, **_about(document),
        )  # fmt: skip
        return Plan(name, key, skipped)
    if task.fmt == "dir":  # not worth a render if the writer would refuse the destination
        from pipeline.package.write import NotABag, check_replaceable

        try:
            check_replaceable(buildkey.destination(task.output, name, task.fmt))
        except NotABag as refused:
            return Plan(name, key, failed(task.source, str(refused), name=name))
    if not task.replace and task.fmt != "ocfl" and existing is not None and existing != key:
        # another build key is other content: refused before a render (the writer checks
        # the digests again under the lock, for what this cannot see)
        bag = buildkey.destination(task.output, name, task.fmt)
        reason = (
            f"{bag}: a bag built from different content is there (UN-Build-Key {existing}; "
            f"the new one's would be {key}); --no-replace keeps it: nothing was written"
        )
        return Plan(name, key, failed(task.source, reason, name=name))
    return Plan(name, key, None)


def _placeholders_left(document, folder: Path) -> Result | None:
    """An invalid result naming every placeholder ``unfolio new`` left, or None: a draft is
    never archived."""
    from pipeline import placeholders
    from pipeline.errors import InvalidSource, Problem

    left = placeholders.find(document, str(folder))
    if not left:
        return None
    return invalid(folder, InvalidSource([
        Problem(p.file, f"{p.message}; fill it in before building", p.pointer, p.line, p.column)
        for p in left
    ]), **_about(document))  # fmt: skip


# --- the worker's part -----------------------------------------------------------------------

_warm = False


def warm() -> None:
    """Import and set up everything rendering needs, once per process; renders nothing."""
    global _warm
    if _warm:
        return
    from pipeline import source
    from pipeline.package import buildkey, write  # noqa: F401  (import cost paid here)
    from pipeline.typeset import engine, gate, layout, postpass  # noqa: F401

    source.document_schema()
    engine.font_config()
    engine.stylesheets()
    buildkey.environment()  # hashes the pinned font files once
    _warm = True


class DocumentTimeout(BaseException):
    """The per-document time limit ran out (from a SIGALRM handler); a BaseException so that
    no ``except Exception`` in a library swallows it."""


_armed = False


def _alarm(signum, frame):
    if _armed:
        raise DocumentTimeout


def _can_alarm() -> bool:
    import threading

    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def rss_mb() -> float | None:
    """This process's resident set size in MiB (``/proc/self/statm``; peak RSS elsewhere)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
    except (OSError, ValueError, IndexError):
        try:
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        except (ImportError, OSError):
            return None


def build_one(task: Task) -> Result:
    """Build one document; every failure becomes a ``Result``, never an exception.

    With ``task.timeout`` and in a main thread, a SIGALRM stops a runaway render between two
    Python steps (WeasyPrint's layout is Python); a call stuck inside a C library is stopped
    only by the worker pool, which kills the process.
    """
    started = time.perf_counter()
    for name, value in task.environ:
        if os.environ.get(name) != value:
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    try:
        warm()  # before the clock starts: a cold process's imports are not the document's time
    except Exception as exc:
        return failed(task.source, f"cannot set up rendering: {type(exc).__name__}: {exc}")
    alarm = bool(task.timeout) and _can_alarm()
    previous = None
    global _armed
    try:
        if alarm:
            previous = signal.signal(signal.SIGALRM, _alarm)
            _armed = True
            signal.setitimer(signal.ITIMER_REAL, float(task.timeout))  # type: ignore[arg-type]
        try:
            result = _build(task)
        finally:
            _armed = False  # a late signal is ignored from here on
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except DocumentTimeout:
        result = failed(
            task.source, f"timed out after {task.timeout:g} s (render stopped)", retire=True
        )
    finally:
        if alarm:
            signal.signal(signal.SIGALRM, previous)
    result.seconds = time.perf_counter() - started
    result.worker = os.getpid()
    result.rss_mb = rss_mb()
    return result


def _build(task: Task) -> Result:
    from pipeline import source
    from pipeline.package import buildkey
    from pipeline.package.contents import bag_name

    src = task.source
    try:
        document = source.load(src)
        name = bag_name(document)
        drafted = _placeholders_left(document, src)
        if drafted is not None:
            return drafted
        key = buildkey.key_for(
            document, flavour=task.flavour, config=task.config, fmt=task.fmt, signing=task.signing
        )
        from pipeline.typeset import render_pdf
        from pipeline.typeset.engine import RenderError
        from pipeline.typeset.gate import GateFailed

        try:
            pdf = render_pdf(
                document,
                src,
                flavour=task.flavour,
                emblem=task.config.emblem,
                styles=task.config.styles,
            )
        except GateFailed as exc:
            findings = [str(f) for f in exc.findings] or ["PDF/A gate failed"]
            more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
            problems = [{"file": str(src), "message": f} for f in findings]
            return failed(
                src, findings[0] + more, name=name, key=key, problems=problems,
                **_about(document),
            )  # fmt: skip
        except RenderError as exc:
            return failed(src, str(exc), name=name, key=key, **_about(document))
        if task.signing:  # the main process signs and writes
            return Result(
                str(src), "built", name=name, key=key, staged=Staged(document, pdf),
                **_about(document),
            )  # fmt: skip
        built = write_bag(document, pdf, task, key)
        from pipeline.report.facts import page_count, size_and_digest

        size, digest = size_and_digest(Path(built.path))
        about = dict(_about(document), pages=page_count(pdf), size=size, digest=digest)
    except UserError as exc:
        return invalid(src, exc)
    except OSError as exc:  # package.WriteFailed says where, why and what is left
        return failed(src, str(exc))
    except ValueError as exc:
        return failed(src, str(exc))
    except Exception as exc:  # a bug in unfolio or a library: report it, keep the batch going
        return failed(src, f"internal error: {type(exc).__name__}: {exc}", retire=True)
    replaced = built.replaced.as_dict() if built.replaced else None
    return Result(
        str(src), "built", bag=str(built.path), name=name, key=key, replaced=replaced,
        version=built.version, **about,
    )  # fmt: skip


def _about(document) -> dict[str, str]:
    return {"symbol": document.symbol, "language": document.language, "title": document.title}


def write_bag(document, pdf: bytes, task: Task, key: str):
    """``package.build`` with the key computed from what this worker read."""
    from pipeline.package.write import build

    return build(
        document, pdf, task.flavour, task.output, task.config,
        key=key, fmt=task.fmt, replace_old=task.replace,
    )  # fmt: skip


def finish(result: Result, task: Task, signer) -> Result:
    """In the main process: sign a staged PDF, gate the signed file, write the signed bag.

    ``signer`` is the run's :class:`pipeline.sign.Signer`; a result without a staged PDF
    (skipped, invalid, failed) is returned as it is.
    """
    staged = result.staged
    if staged is None:
        return result
    result.staged = None
    from pipeline.package.write import build
    from pipeline.typeset import gate

    src = task.source
    try:
        signed = signer.sign_pdf(staged.pdf)
        findings = gate.check(
            signed,
            staged.document,
            task.flavour,
            signature_allowed=True,  # the one signed update just appended
            styles=task.config.styles,
        )
        if findings:
            problems = [{"file": str(src), "message": f"signed PDF: {f}"} for f in findings]
            return failed(src, f"signed PDF: {findings[0]}", name=result.name, key=result.key,
                          problems=problems)  # fmt: skip
        built = build(
            staged.document, signed, task.flavour, task.output, task.config,
            key=result.key, fmt=task.fmt, replace_old=task.replace,
            sign_tag_manifest=signer.sign_tag_manifest,
        )  # fmt: skip
    except OSError as exc:
        return failed(src, str(exc), name=result.name, key=result.key)
    except Exception as exc:  # a bug in unfolio or pyHanko: report it, keep the batch going
        return failed(src, f"internal error while signing: {type(exc).__name__}: {exc}",
                      name=result.name, key=result.key)  # fmt: skip
    result.bag = str(built.path)
    result.replaced = built.replaced.as_dict() if built.replaced else None
    result.version = built.version
    from pipeline.report.facts import page_count, size_and_digest

    result.pages = page_count(signed)  # what reports and --json say of the signed bag
    result.size, result.digest = size_and_digest(Path(built.path))
    return result
