"""Put a bag on disk so that a crash at any moment leaves a complete bag or a recoverable one.

**A folder bag.** A directory cannot be replaced in one rename when the destination exists
(``rename`` refuses a non-empty target), so replacing a bag takes three steps, each a rename in
the output folder:

1. write every file into ``.NAME.staging-<pid>-<random>`` beside the destination, make it
   durable (one ``syncfs`` on Linux, else an fsync per file and folder);
2. rename the existing bag (if any) aside to ``.NAME.old-<pid>-<random>``;
3. rename the staging folder to ``NAME``, fsync the folder, then delete the old bag.

A crash before 2 leaves the old bag in place; between 2 and 3 leaves no bag at ``NAME`` and the
old one aside, which :func:`recover` (run at the start of every write) renames back; after 3
the new bag is in place and the leftover aside is deleted by the next run. Within one process
an exception undoes step 2 at once.

**An archive** (``--format zip|tgz``) is one file, so it replaces the old one in one rename;
its ``sha256sum`` sidecar is a second file. Both are written in full to temp files beside
them first (``.NAME.zip.staging-<pid>-<random>``, fsynced), then: the old sidecar is removed,
the archive renamed into place, the new sidecar renamed into place, the folder fsynced after
each. A crash therefore leaves the old pair, the old or new archive *without* a sidecar, or
the new pair — never an archive beside a sidecar that describes another archive. So a sidecar
that disagrees with its archive always means damage or tampering (``verify`` reports it as an
error), and a missing sidecar is what an interrupted build can leave (``verify`` warns; the
next build, which finds no sidecar and so does not count the archive as up to date, rewrites
both).

**One writer per destination.** Every write holds an exclusive ``flock`` on ``.NAME.lock``
beside the destination from before :func:`recover` until the new bag is in place, so two
builds of the same bag into the same folder never interleave their steps: the second waits
(up to :data:`LOCK_TIMEOUT` seconds, then :class:`BagLocked`) and then replaces the first's
bag with its own. The lock file is removed by its holder on the way out (a waiter that
finds it gone or replaced takes a new one); one left by a killed run is harmless — the kernel
dropped the lock with the process — and is reused and removed by the next run.

**Ownership.** Every staging and aside entry carries its owner's pid in its name, and a
staging folder has an owner file ``.NAME.staging-<pid>-<random>.owner`` beside it (not inside:
it must not become part of the bag). A run removes or restores only entries whose owner
process is dead, so runs that do not take the lock (older versions) never remove a live run's
work either. A reused pid only makes a run keep a stale entry longer, never remove a live one.

**Replacing.** Under the lock, before anything is written, the digest of the bag already at
the destination (:mod:`pipeline.package.replace`) is compared with the new one's: a different
one is a replacement, returned to the caller (:class:`Built`) to report; with
``replace=False`` it is :class:`ReplaceRefused` instead, and the old bag is not touched.

**Faults.** Any ``OSError`` while writing (full file system, permission refused, read-only
file system, lock not obtained) is raised as :class:`WriteFailed` — still an ``OSError`` —
whose message names the destination, the cause and what is left there, e.g.
``out/X.zip: no space left on device while writing the new archive; the archive already
there is untouched``. Whatever was partly written is removed first.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline import atomic
from pipeline.config import Config
from pipeline.model import Document
from pipeline.package import archive, buildkey, contents, ocfl, replace
from pipeline.package.replace import Replaced

Format = Literal["dir", "zip", "tgz", "ocfl"]
FORMATS: tuple[str, ...] = ("dir", "zip", "tgz", "ocfl")

LOCK_TIMEOUT = 600.0
"""Seconds a write waits for another run writing the same destination before giving up."""
_LOCK_POLL = 0.02

_LEFTOVER = re.compile(
    r"\.(?P<name>.+)\.(?P<kind>staging|old)-(?P<pid>[0-9]+)-[0-9a-f]+(?P<owner>\.owner)?"
)


class WriteFailed(OSError):
    """The bag or archive could not be written; nothing partial is left at the destination.

    An ``OSError`` (``errno`` is the cause's), so code that catches ``OSError`` still does;
    ``str()`` is one line for the user: ``<dest>: <cause> while <step>; <what is left>``.
    """

    def __init__(self, dest: Path, cause: OSError | None, step: str, left: str):
        code = cause.errno if cause is not None and cause.errno is not None else errno.EIO
        reason = _reason(cause) if cause is not None else os.strerror(code).lower()
        super().__init__(code, reason)
        self.dest = Path(dest)
        self.step = step
        self.left = left
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.dest}: {self.reason} while {self.step}; {self.left}"

    def __reduce__(self):  # picklable (worker processes send it back), whatever the subclass
        return _rebuild, (type(self), str(self.dest), self.errno, self.reason, self.step, self.left)


def _rebuild(
    cls: type[WriteFailed], dest: str, code: int, reason: str, step: str, left: str
) -> WriteFailed:
    failed = cls(Path(dest), OSError(code, reason), step, left)
    failed.reason = reason
    return failed


class NotABag(WriteFailed):
    """Something that is not a bag sits at the bag's name: it is not ours to replace."""

    def __str__(self) -> str:
        return f"{self.dest}: {self.reason}; {self.left}"


def _is_bag_folder(path: Path) -> bool:
    """A real folder (not a link) with a ``bagit.txt`` file: what a writer may replace."""
    try:
        return stat.S_ISDIR(path.lstat().st_mode) and stat.S_ISREG(
            (path / "bagit.txt").lstat().st_mode
        )
    except OSError:
        return False


def check_replaceable(dest: Path) -> None:
    """Raise :class:`NotABag` if something other than a folder bag is at ``dest``."""
    if os.path.lexists(dest) and not _is_bag_folder(dest):
        raise NotABag(
            dest,
            OSError(errno.EEXIST, "something that is not a bag is at this name"),
            "checking the destination",
            "it is untouched: move it away or build into another folder",
        )


class ReplaceRefused(WriteFailed):
    """``--no-replace``: a bag built from different content is at the destination."""

    def __str__(self) -> str:
        return f"{self.dest}: {self.reason}; {self.left}"


def _check_replacement(dest: Path, old: str | None, new: str, allowed: bool) -> Replaced | None:
    """The replacement this write makes, or :class:`ReplaceRefused` when it may not."""
    if old is None or old == new:
        return None
    if not allowed:
        raise ReplaceRefused(
            dest,
            replace.refusal(dest, old, new),
            "checking the destination",
            "--no-replace keeps it: nothing was written",
        )
    return Replaced(old, new)


class BagLocked(WriteFailed):
    """Another run kept the destination's lock for longer than the timeout."""

    def __str__(self) -> str:
        return f"{self.dest}: {self.reason} ({self.step}); {self.left}"


def _reason(cause: OSError) -> str:
    text = cause.strerror or str(cause) or type(cause).__name__
    text = text[:1].lower() + text[1:]
    where = cause.filename
    if where is not None and cause.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        text += f" ({where})"
    return text


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on this host); permission errors mean it does."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def recover(dest: Path) -> None:
    """Tidy what dead runs left beside ``dest``: restore an aside bag, remove the rest."""
    parent = dest.parent
    leftovers = []
    for entry in parent.iterdir():
        match = _LEFTOVER.fullmatch(entry.name)
        if match and match["name"] == dest.name and not pid_alive(int(match["pid"])):
            leftovers.append((entry, match))
    asides = sorted(
        (entry for entry, m in leftovers if m["kind"] == "old" and entry.is_dir()),
        key=lambda p: p.stat().st_mtime_ns,
    )
    if asides and not dest.exists():
        os.rename(asides[-1], dest)  # the most recently set aside is the last bag in place
        atomic.fsync_dir(parent)
    for entry, _ in leftovers:
        if entry.exists() or entry.is_symlink():
            _remove(entry)


def lock_path(dest: Path) -> Path:
    """The lock file of ``dest``: ``.NAME.lock`` beside it."""
    return dest.parent / f".{dest.name}.lock"


@contextlib.contextmanager
def destination_lock(dest: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the exclusive lock of ``dest``, waiting up to ``timeout`` (default
    :data:`LOCK_TIMEOUT`) seconds for another holder; :class:`BagLocked` after that."""
    path = lock_path(Path(dest))
    limit = LOCK_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + limit
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    while True:
        fd = os.open(path, flags, 0o644)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise BagLocked(
                            Path(dest),
                            OSError(errno.EBUSY, "another unfolio run is writing it"),
                            f"waited {limit:g} s for its lock {path.name}",
                            "nothing was changed; try again when that run has finished",
                        ) from None
                    time.sleep(_LOCK_POLL)
            held = os.fstat(fd)
            try:
                now = os.stat(path, follow_symlinks=False)
            except FileNotFoundError:
                now = None
        except BaseException:
            os.close(fd)
            raise
        if now is not None and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino):
            break
        os.close(fd)  # the holder before us removed (or replaced) the file: lock the new one
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # while still holding it: a waiter then sees a changed file
        os.close(fd)


def _write_tree(files: Mapping[str, bytes], root: Path) -> None:
    """Write every file, then make the whole tree durable at once (:func:`atomic.sync_tree`)."""
    folders = {root}
    paths = []
    for relative, data in files.items():
        parts = relative.split("/")
        path = root.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        folders.update(root.joinpath(*parts[:i]) for i in range(1, len(parts)))
        atomic.write_new(path, data, 0o644, sync=False)
        paths.append(path)
    deepest_first = sorted(folders, key=lambda p: len(p.parts), reverse=True)
    for folder in deepest_first:
        os.chmod(folder, 0o755)
    atomic.sync_tree(root, paths, deepest_first)


def _move_into_place(staging: Path, dest: Path) -> None:
    """Rename the finished staging folder to the destination (which must not exist)."""
    os.rename(staging, dest)


class _Progress:
    """Which step a write is at, for the message of a :class:`WriteFailed`."""

    def __init__(self, dest: Path):
        self.step = "locking the destination"
        try:
            self.had_old = dest.exists()
        except OSError:
            self.had_old = False


def _left_folder(dest: Path, progress: _Progress) -> str:
    if not progress.had_old:
        return "no bag was there and none was left"
    if dest.exists():
        return "the bag already there is untouched"
    return "the previous bag is set aside and the next run restores it"


def _left_archive(dest: Path, progress: _Progress) -> str:
    sidecar = dest.with_name(archive.sidecar_name(dest.name))
    if progress.step == "moving the new sidecar into place":
        return "the new archive is in place without its sidecar; the next build writes both"
    if not progress.had_old:
        return "no archive was there and none was left"
    if sidecar.exists():
        return "the archive already there and its sidecar are untouched"
    return "the archive already there is untouched, without its sidecar; the next build writes both"


@contextlib.contextmanager
def _reporting(dest: Path, left: Callable[[Path, _Progress], str]) -> Iterator[_Progress]:
    progress = _Progress(dest)
    try:
        yield progress
    except WriteFailed:
        raise
    except OSError as exc:
        raise WriteFailed(dest, exc, progress.step, left(dest, progress)) from exc


def write_bag(files: Mapping[str, bytes], dest: Path, *, replace_old: bool = True) -> Path:
    """Write the bag ``files`` to the folder ``dest``, replacing any bag there atomically."""
    return write_bag_replacing(files, dest, replace_old=replace_old)[0]


def write_bag_replacing(
    files: Mapping[str, bytes], dest: Path, *, replace_old: bool = True
) -> tuple[Path, Replaced | None]:
    """:func:`write_bag`, and the replacement it made (None: no bag, or the same bag, was
    there); :class:`ReplaceRefused` when ``replace_old`` is False and one would be made."""
    dest = Path(dest)
    with _reporting(dest, _left_folder) as progress, destination_lock(dest):
        progress.step = "recovering what an earlier run left"
        recover(dest)
        progress.had_old = os.path.lexists(dest)
        check_replaceable(dest)
        replaced = _check_replacement(
            dest, replace.folder_digest(dest), replace.files_digest(files), replace_old
        )
        _replace_folder(files, dest, progress)
    return dest, replaced


def _replace_folder(files: Mapping[str, bytes], dest: Path, progress: _Progress) -> None:
    parent = dest.parent
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    staging = parent / f".{dest.name}.staging-{token}"
    owner = parent / f"{staging.name}.owner"
    aside = parent / f".{dest.name}.old-{token}"
    try:
        progress.step = "writing the new bag"
        atomic.write_new(owner, f"{os.getpid()}\n".encode("ascii"))
        staging.mkdir()
        _write_tree(files, staging)
        atomic.fsync_dir(parent)
        progress.step = "moving the old bag aside"
        if dest.exists():
            os.rename(dest, aside)
        progress.step = "moving the new bag into place"
        try:
            _move_into_place(staging, dest)
        except BaseException:
            if aside.exists() and not dest.exists():
                os.rename(aside, dest)
            raise
        atomic.fsync_dir(parent)
        if aside.exists():  # the new bag is in place: a failure here only leaves litter
            shutil.rmtree(aside, ignore_errors=True)  # (removed by the next run)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            owner.unlink()


def write_archive(
    data: bytes, dest: Path, *, digest: str | None = None, name: str | None = None,
    replace_old: bool = True,
) -> Path:  # fmt: skip
    """Write the archive ``data`` to the file ``dest`` and its sidecar ``dest.sha256`` beside
    it, replacing any there in the order the module docstring describes."""
    return write_archive_replacing(data, dest, digest=digest, name=name, replace_old=replace_old)[0]


def write_archive_replacing(
    data: bytes, dest: Path, *, digest: str | None = None, name: str | None = None,
    replace_old: bool = True,
) -> tuple[Path, Replaced | None]:  # fmt: skip
    """:func:`write_archive`, and the replacement it made; ``digest`` is the new bag's and
    ``name`` its folder inside the archive (without them nothing is compared)."""
    dest = Path(dest)
    sidecar = dest.with_name(archive.sidecar_name(dest.name))
    line = archive.sidecar_text(data, dest.name)
    with _reporting(dest, _left_archive) as progress, destination_lock(dest):
        progress.step = "recovering what an earlier run left"
        recover(dest)
        recover(sidecar)
        progress.had_old = dest.exists()
        replaced = None
        if digest is not None and name is not None:
            old = replace.archive_digest(dest, name)
            replaced = _check_replacement(dest, old, digest, replace_old)
        _replace_pair(data, dest, line, sidecar, progress)
    return dest, replaced


def _replace_pair(data: bytes, dest: Path, line: bytes, sidecar: Path, progress: _Progress) -> None:
    parent = dest.parent
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    temp = parent / f".{dest.name}.staging-{token}"
    temp_sidecar = parent / f".{sidecar.name}.staging-{token}"
    try:
        progress.step = "writing the new archive"
        atomic.write_new(temp, data)
        atomic.write_new(temp_sidecar, line)
        atomic.fsync_dir(parent)
        progress.step = "removing the old sidecar"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(sidecar)
        atomic.fsync_dir(parent)
        progress.step = "moving the new archive into place"
        _replace_file(temp, dest)
        atomic.fsync_dir(parent)
        progress.step = "moving the new sidecar into place"
        _replace_file(temp_sidecar, sidecar)
        atomic.fsync_dir(parent)
    finally:
        for leftover in (temp, temp_sidecar):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _replace_file(temp: Path, dest: Path) -> None:
    """Rename the finished temp file over the destination file."""
    os.replace(temp, dest)


def destination(out_dir: Path, name: str, fmt: Format) -> Path:
    """Where the bag ``name`` goes in ``out_dir``: ``NAME``, ``NAME.zip`` or ``NAME.tar.gz``."""
    if fmt == "dir":
        return Path(out_dir) / name
    return Path(out_dir) / archive.archive_name(name, fmt)


def build_bag(
    document: Document,
    pdf: bytes,
    flavour: str,
    out_dir: Path,
    config: Config,
    *,
    key: str | None = None,
    fmt: Format = "dir",
    sign_tag_manifest: Callable[[bytes], bytes] | None = None,
) -> Path:
    """Package ``document`` and its rendered ``pdf`` as a bag in ``out_dir``; its path
    (:func:`build` says what it replaced)."""
    return build(
        document, pdf, flavour, out_dir, config, key=key, fmt=fmt,
        sign_tag_manifest=sign_tag_manifest,
    ).path  # fmt: skip


@dataclass(frozen=True)
class Built:
    path: Path
    replaced: Replaced | None = None
    version: str | None = None  # --format ocfl: the version added (None: unchanged)


def build(
    document: Document,
    pdf: bytes,
    flavour: str,
    out_dir: Path,
    config: Config,
    *,
    key: str | None = None,
    fmt: Format = "dir",
    replace_old: bool = True,
    sign_tag_manifest: Callable[[bytes], bytes] | None = None,
) -> Built:
    """Package ``document`` and its rendered ``pdf`` as a bag in ``out_dir``.

    ``key`` is the build key (``UN-Build-Key``) when the caller has computed it already
    (:func:`pipeline.package.buildkey.key_for` with the same flavour, config and format);
    ``fmt`` writes the folder ``NAME``, or ``NAME.zip`` / ``NAME.tar.gz`` with a
    ``.sha256`` sidecar. ``replace_old=False`` refuses to replace a bag built from different
    content (:class:`ReplaceRefused`). ``sign_tag_manifest`` (a signed build's
    :meth:`pipeline.sign.Signer.sign_tag_manifest`) makes the detached signature of
    ``tagmanifest-sha512.txt``, written as the tag file ``tagmanifest-sha512.txt.p7s``.
    Raises :class:`WriteFailed` (an ``OSError``) when the output cannot be written,
    ``ValueError`` for a bad ``fmt`` or ``SOURCE_DATE_EPOCH``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r} (one of {', '.join(FORMATS)})")
    if key is None:
        key = buildkey.key_for(document, flavour=flavour, config=config, fmt=fmt)
    when = contents.build_time()
    files = contents.bag_files(
        document, pdf, flavour=flavour, config=config, when=when, build_key=key
    )
    if sign_tag_manifest is not None:
        files = contents.with_signature(files, sign_tag_manifest)
    name = contents.bag_name(document)
    if fmt == "ocfl":  # versions accumulate: nothing is replaced, nothing deleted
        added = ocfl.add_bag(
            Path(out_dir), contents.external_identifier(document), files, key=key, when=when
        )
        return Built(added.path, None, added.version)
    dest = destination(out_dir, name, fmt)
    if fmt == "dir":
        return Built(*write_bag_replacing(files, dest, replace_old=replace_old))
    data = archive.archive_bytes(files, name, fmt, archive.member_time())
    path, replaced = write_archive_replacing(
        data, dest, digest=replace.files_digest(files), name=name, replace_old=replace_old
    )
    return Built(path, replaced)
