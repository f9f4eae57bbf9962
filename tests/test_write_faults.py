"""The bag writer under faults: concurrent builds, an unwritable or full output folder, and
SIGKILL at random moments — never a partial or mixed bag at the destination, a clear error,
and the next run recovers."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import source
from pipeline.config import Config
from pipeline.package import BagLocked, NotABag, WriteFailed, build_bag, recover, write
from pipeline.package.buildkey import key_for
from pipeline.verify import archive as opener

from .conftest import EXAMPLE, REPO, TAG_FILES, TAG_MANIFESTS

EPOCH = 1614902400  # 2021-03-05T00:00:00Z
NAME = "A_75_9001--S_2021_9001-ZH"
SUFFIX = {"dir": "", "zip": ".zip", "tgz": ".tar.gz"}
FORMATS = ["dir", "zip", "tgz"]
FORK = multiprocessing.get_context("fork")


@pytest.fixture(scope="module")
def document():
    return source.load(EXAMPLE)


@pytest.fixture(scope="module")
def pdf(document) -> bytes:
    from pipeline.typeset import render_pdf

    return render_pdf(document, EXAMPLE, flavour="2u")


@pytest.fixture(scope="module")
def keys(document) -> dict[str, str]:
    return {fmt: key_for(document, flavour="2u", config=Config(), fmt=fmt) for fmt in FORMATS}


@pytest.fixture
def build(document, pdf, keys, monkeypatch):
    """Build the example's bag into ``out`` as ``fmt`` (with a date that can be varied)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))

    def make(out: Path, fmt: str = "dir", day: int = 0) -> Path:
        os.environ["SOURCE_DATE_EPOCH"] = str(EPOCH + 86400 * day)
        try:
            return build_bag(document, pdf, "2u", out, Config(), key=keys[fmt], fmt=fmt)
        finally:
            os.environ["SOURCE_DATE_EPOCH"] = str(EPOCH)

    return make


def dest_of(out: Path, fmt: str) -> Path:
    return out / (NAME + SUFFIX[fmt])


def sidecar_of(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


# -- a tiny independent fixity checker ----------------------------------------------------------


def check_bag_folder(bag: Path) -> None:
    """Every file listed in both payload manifests and both tag manifests, with matching
    digests; nothing unlisted; and bagit-python agrees."""
    files = {p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file()}
    payload = {f for f in files if f.startswith("data/")}
    assert files == payload | TAG_FILES | TAG_MANIFESTS, files
    for kind, listed in (("manifest", payload), ("tagmanifest", TAG_FILES)):
        for algorithm in ("sha256", "sha512"):
            lines = (bag / f"{kind}-{algorithm}.txt").read_text(encoding="utf-8").splitlines()
            entries = dict(reversed(line.split("  ", 1)) for line in lines)
            assert set(entries) == listed, (kind, algorithm)
            for path, digest in entries.items():
                assert hashlib.new(algorithm, (bag / path).read_bytes()).hexdigest() == digest, path
    bagit = pytest.importorskip("bagit")
    bagit.Bag(str(bag)).validate()


def check_complete(dest: Path, fmt: str) -> None:
    """``dest`` is a complete bag (a folder, or an archive opening into one); an archive's
    sidecar, when there, matches it."""
    if fmt == "dir":
        check_bag_folder(dest)
        return
    sidecar = opener.check_sidecar(dest)
    assert [f.code for f in sidecar] in ([], ["BAG-ARCHIVE-SIDECAR-MISSING"]), sidecar
    scratch = Path(tempfile.mkdtemp(prefix="unfolio-test-"))
    try:
        root, findings = opener.open_archive(dest, scratch / "open")
        assert findings == [] and root is not None, findings
        check_bag_folder(root)
    finally:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)


def only_the_bag(out: Path, fmt: str) -> list[str]:
    expected = [NAME] if fmt == "dir" else [NAME + SUFFIX[fmt], NAME + SUFFIX[fmt] + ".sha256"]
    return sorted(expected)


def listing(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir())


def snapshot(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {
            p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()
        }
    result = {"": path.read_bytes()}
    if sidecar_of(path).exists():
        result[".sha256"] = sidecar_of(path).read_bytes()
    return result


# -- two builds of the same bag at once -----------------------------------------------------------


def _build_many(args) -> None:
    document, pdf, key, out, fmt, barrier, rounds, seed = args
    barrier.wait()
    rng = random.Random(seed)
    for _ in range(rounds):
        os.environ["SOURCE_DATE_EPOCH"] = str(EPOCH + 86400 * rng.randrange(30))
        build_bag(document, pdf, "2u", out, Config(), key=key, fmt=fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_processes_building_the_same_bag_at_once_never_collide(
    document, pdf, keys, tmp_path, fmt
):
    out = tmp_path / "out"
    out.mkdir()
    barrier = FORK.Barrier(2)
    workers = [
        FORK.Process(
            target=_build_many, args=((document, pdf, keys[fmt], out, fmt, barrier, 15, seed),)
        )
        for seed in (1, 2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0]  # no build failed
    check_complete(dest_of(out, fmt), fmt)
    assert opener.check_sidecar(dest_of(out, fmt)) == [] or fmt == "dir"
    assert listing(out) == only_the_bag(out, fmt)  # no staging, aside or lock left


def _build_once(args) -> None:
    document, pdf, key, out, fmt, go = args
    go.wait(30)
    os.environ["SOURCE_DATE_EPOCH"] = str(EPOCH + 86400)
    build_bag(document, pdf, "2u", out, Config(), key=key, fmt=fmt)


def test_a_second_build_waits_for_the_lock_then_replaces_the_bag(
    document, pdf, keys, build, tmp_path
):
    out = tmp_path / "out"
    out.mkdir()
    bag = build(out)
    first = snapshot(bag)
    go = FORK.Event()
    # forked before the lock is taken: a child forked while it is held would share it
    waiter = FORK.Process(target=_build_once, args=((document, pdf, keys["dir"], out, "dir", go),))
    waiter.start()
    with write.destination_lock(bag):
        go.set()
        time.sleep(0.5)
        assert waiter.is_alive()  # waiting for the lock, not writing
        assert snapshot(bag) == first
        assert not [n for n in listing(out) if ".staging-" in n]
    waiter.join(60)
    assert waiter.exitcode == 0
    assert snapshot(bag) != first  # the second build's bag (another Bagging-Date)
    check_bag_folder(bag)
    assert listing(out) == [NAME]


def test_a_lock_held_too_long_fails_clearly_and_changes_nothing(build, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    bag = build(out)
    first = snapshot(bag)
    monkeypatch.setattr(write, "LOCK_TIMEOUT", 0.3)
    with write.destination_lock(bag), pytest.raises(BagLocked) as failure:
        build(out, day=1)
    assert isinstance(failure.value, OSError) and isinstance(failure.value, WriteFailed)
    message = str(failure.value)
    assert message.startswith(f"{bag}: another unfolio run is writing it (waited 0.3 s for")
    assert "nothing was changed" in message
    assert snapshot(bag) == first
    assert listing(out) == [NAME]


@pytest.mark.parametrize("what", ["a folder without bagit.txt", "a file", "a link to a bag"])
def test_what_is_not_a_bag_at_the_bags_name_is_never_replaced(build, tmp_path, what):
    out = tmp_path / "out"
    out.mkdir()
    theirs = out / NAME
    if what == "a folder without bagit.txt":
        theirs.mkdir()
        (theirs / "notes.txt").write_text("someone's work")
    elif what == "a file":
        theirs.write_text("someone's work")
    else:
        (tmp_path / "elsewhere").mkdir()
        elsewhere = build(tmp_path / "elsewhere")
        theirs.symlink_to(elsewhere)
    before = snapshot(theirs)
    with pytest.raises(NotABag) as failure:
        build(out)
    assert str(failure.value) == (
        f"{theirs}: something that is not a bag is at this name; "
        "it is untouched: move it away or build into another folder"
    )
    assert snapshot(theirs) == before and theirs.is_symlink() == (what == "a link to a bag")
    assert listing(out) == [NAME]


def test_a_lock_file_left_by_a_killed_run_does_not_block(build, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / f".{NAME}.lock").write_text("")  # the kernel released the lock with the process
    check_bag_folder(build(out))
    assert listing(out) == [NAME]


# -- an output folder that cannot be written ---------------------------------------------------


@contextlib.contextmanager
def refusing_writes(monkeypatch, folder: Path, code: int = errno.EACCES) -> Iterator[None]:
    """What a folder with mode 0555 does to everyone but root: every change in it refused."""
    real = {name: getattr(os, name) for name in ("open", "mkdir", "rename", "replace", "unlink")}

    def guarded(name):
        def call(*args, **kwargs):
            target = Path(os.fsdecode(args[0]))
            changes = name != "open" or args[1] & (os.O_CREAT | os.O_WRONLY | os.O_RDWR)
            touched = (
                [target, Path(os.fsdecode(args[1]))] if name in ("rename", "replace") else [target]
            )
            if changes and any(p.parent == folder for p in touched):
                raise OSError(code, os.strerror(code), str(target))
            return real[name](*args, **kwargs)

        return call

    for name in real:
        monkeypatch.setattr(os, name, guarded(name))
    try:
        yield
    finally:
        for name, function in real.items():
            monkeypatch.setattr(os, name, function)


@contextlib.contextmanager
def unwritable(monkeypatch, folder: Path) -> Iterator[None]:
    if os.geteuid() == 0:  # root ignores the mode: simulate what it does to others
        with refusing_writes(monkeypatch, folder):
            yield
        return
    folder.chmod(0o555)
    try:
        yield
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unwritable_output_folder_fails_clearly_and_leaves_the_old_bag(
    build, tmp_path, monkeypatch, fmt
):
    out = tmp_path / "out"
    out.mkdir()
    dest = build(out, fmt)
    first = snapshot(dest)
    with unwritable(monkeypatch, out), pytest.raises(WriteFailed) as failure:
        build(out, fmt, day=1)
    assert failure.value.errno == errno.EACCES
    assert str(failure.value).startswith(f"{dest}: permission denied")
    assert "untouched" in str(failure.value)
    assert snapshot(dest) == first
    assert listing(out) == only_the_bag(out, fmt)
    build(out, fmt, day=1)  # writable again: the next run succeeds
    assert snapshot(dest) != first
    check_complete(dest, fmt)
    assert listing(out) == only_the_bag(out, fmt)


def _build_as_nobody(args) -> None:
    document, pdf, key, out, queue = args
    try:
        os.setgid(65534)
        os.setuid(65534)
    except OSError as exc:
        queue.put(("skip", str(exc)))
        return
    try:
        build_bag(document, pdf, "2u", out, Config(), key=key)
    except Exception as exc:
        queue.put((type(exc).__name__, str(exc), getattr(exc, "errno", None)))
    else:
        queue.put(("built", "", None))


@pytest.mark.skipif(os.geteuid() != 0, reason="the plain chmod test covers this without root")
def test_an_unwritable_output_folder_for_real_as_an_unprivileged_user(document, pdf, keys, build):
    base = Path(tempfile.mkdtemp(prefix="unfolio-ro-"))
    try:
        base.chmod(0o755)
        out = base / "out"
        out.mkdir()
        bag = build(out)
        first = snapshot(bag)
        out.chmod(0o555)
        queue = FORK.Queue()
        child = FORK.Process(
            target=_build_as_nobody, args=((document, pdf, keys["dir"], out, queue),)
        )
        child.start()
        child.join(60)
        kind, message, code = queue.get(timeout=5)
        if kind == "skip":
            pytest.skip(f"cannot drop privileges: {message}")
        assert kind == "WriteFailed" and code == errno.EACCES, message
        assert message.startswith(f"{bag}: permission denied"), message
        assert snapshot(bag) == first and listing(out) == [NAME]
    finally:
        with contextlib.suppress(OSError):
            (base / "out").chmod(0o755)
        import shutil

        shutil.rmtree(base, ignore_errors=True)


# -- a full file system -----------------------------------------------------------------------------


@contextlib.contextmanager
def disk_full_after(monkeypatch, limit: int) -> Iterator[list[int]]:
    """``os.write`` to any staging file fails with ENOSPC once ``limit`` bytes were written."""
    real_write = os.write
    written = [0]

    def write_(fd, data):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if ".staging-" in target:
            room = limit - written[0]
            if room <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            count = real_write(fd, bytes(memoryview(data)[:room]))
            written[0] += count
            return count
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write_)
    try:
        yield written
    finally:
        monkeypatch.setattr(os, "write", real_write)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("had_old", [True, False], ids=["replacing", "first"])
def test_a_full_file_system_fails_clearly_with_no_partial_bag(
    build, tmp_path, monkeypatch, fmt, had_old
):
    out = tmp_path / "out"
    out.mkdir()
    dest = dest_of(out, fmt)
    first = snapshot(build(out, fmt)) if had_old else None
    with disk_full_after(monkeypatch, 100_000) as written, pytest.raises(WriteFailed) as failure:
        build(out, fmt, day=1)
    assert written[0] == 100_000  # it did fail part way through a file
    error = failure.value
    assert isinstance(error, OSError) and error.errno == errno.ENOSPC
    assert str(error).startswith(f"{dest}: no space left on device while writing the new ")
    if had_old:
        assert snapshot(dest) == first
        assert "untouched" in str(error)
        assert listing(out) == only_the_bag(out, fmt)
    else:
        assert "none was left" in str(error)
        assert listing(out) == []
    build(out, fmt, day=1)  # space again: the next run succeeds
    check_complete(dest, fmt)
    assert listing(out) == only_the_bag(out, fmt)


@contextlib.contextmanager
def small_tmpfs(size: int) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    point = Path(tempfile.mkdtemp(prefix="unfolio-tmpfs-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        point.rmdir()
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)
        point.rmdir()


@pytest.mark.parametrize("fmt", ["dir", "zip"])
def test_a_real_full_tmpfs_fails_clearly_and_the_next_run_recovers(build, tmp_path, fmt):
    probe = tmp_path / "probe"
    probe.mkdir()
    size = sum(len(data) for data in snapshot(build(probe, fmt)).values())
    room = (size * 3 // 2 // 4096 + 4) * 4096  # one bag fits, two do not
    with small_tmpfs(room) as out:
        dest = build(out, fmt)
        first = snapshot(dest)
        with pytest.raises(WriteFailed) as failure:
            build(out, fmt, day=1)
        assert failure.value.errno == errno.ENOSPC
        assert str(failure.value).startswith(f"{dest}: no space left on device")
        assert snapshot(dest) == first
        assert listing(out) == only_the_bag(out, fmt)
        subprocess.run(["mount", "-o", f"remount,size={room * 3}", str(out)], check=True)
        build(out, fmt, day=1)
        assert snapshot(dest) != first
        check_complete(dest, fmt)
        assert listing(out) == only_the_bag(out, fmt)


# -- crashes at the worst moments, deterministically ------------------------------------------------


def _die_at(args) -> None:
    document, pdf, key, out, fmt, where, nth = args
    calls = [0]
    real = getattr(write, where)

    def die(*a):
        calls[0] += 1
        if calls[0] == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*a)

    setattr(write, where, die)
    os.environ["SOURCE_DATE_EPOCH"] = str(EPOCH + 86400)
    build_bag(document, pdf, "2u", out, Config(), key=key, fmt=fmt)


def _run_and_die(document, pdf, keys, out, fmt, where, nth=1) -> None:
    child = FORK.Process(target=_die_at, args=((document, pdf, keys[fmt], out, fmt, where, nth),))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL


def test_killed_between_setting_the_old_bag_aside_and_the_swap(
    document, pdf, keys, build, tmp_path
):
    out = tmp_path / "out"
    out.mkdir()
    bag = build(out)
    first = snapshot(bag)
    _run_and_die(document, pdf, keys, out, "dir", "_move_into_place")
    assert not bag.exists()  # the worst moment: nothing at the destination …
    asides = [p for p in out.iterdir() if p.name.startswith(f".{NAME}.old-")]
    assert len(asides) == 1 and snapshot(asides[0]) == first  # … the old bag waits aside
    recover(bag)
    assert snapshot(bag) == first
    build(out, day=2)
    check_bag_folder(bag)
    assert listing(out) == [NAME]


@pytest.mark.parametrize("fmt", ["zip", "tgz"])
@pytest.mark.parametrize("nth", [1, 2], ids=["before-archive", "before-sidecar"])
def test_killed_between_archive_and_sidecar_never_leaves_a_mismatched_pair(
    document, pdf, keys, build, tmp_path, fmt, nth
):
    from pipeline.package import buildkey

    out = tmp_path / "out"
    out.mkdir()
    dest = build(out, fmt)
    first = dest.read_bytes()
    _run_and_die(document, pdf, keys, out, fmt, "_replace_file", nth)
    assert not sidecar_of(dest).exists()
    assert (dest.read_bytes() == first) == (nth == 1)  # old archive, or the new one
    findings = opener.check_sidecar(dest)
    assert [(f.code, f.severity) for f in findings] == [("BAG-ARCHIVE-SIDECAR-MISSING", "warning")]
    check_complete(dest, fmt)
    # an incremental build does not take an archive without a sidecar for up to date
    assert buildkey.existing_key(out, NAME, fmt) is None
    build(out, fmt, day=1)
    assert opener.check_sidecar(dest) == []
    assert listing(out) == only_the_bag(out, fmt)


# -- SIGKILL at random moments ------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    from pipeline import source
    from pipeline.config import Config
    from pipeline.package import build_bag

    spec = json.loads(sys.argv[1])
    document = source.load(Path(spec["example"]))
    pdf = Path(spec["pdf"]).read_bytes()
    out = Path(spec["out"])
    print("ready", flush=True)
    day = spec["seed"]
    while True:  # rebuild with another date each time: a mixed bag would fail its manifests
        day = (day * 7 + 3) % 97
        os.environ["SOURCE_DATE_EPOCH"] = str(spec["epoch"] + 86400 * day)
        build_bag(document, pdf, "2u", out, Config(), key=spec["key"], fmt=spec["fmt"])
    """
)


@pytest.mark.parametrize(
    ("fmt", "rounds", "budget"), [("dir", 25, 16.0), ("zip", 10, 7.0), ("tgz", 10, 7.0)]
)
def test_sigkill_at_random_moments_never_leaves_a_partial_bag(
    pdf, keys, build, tmp_path, fmt, rounds, budget
):
    out = tmp_path / "out"
    out.mkdir()
    pdf_file = tmp_path / "example.pdf"
    pdf_file.write_bytes(pdf)
    dest = dest_of(out, fmt)
    rng = random.Random(20210305)
    started = time.monotonic()
    seen = {"nothing": 0, "complete": 0}
    done = 0
    while done < rounds and (done < 3 or time.monotonic() - started < budget):
        spec = {
            "example": str(EXAMPLE),
            "pdf": str(pdf_file),
            "out": str(out),
            "fmt": fmt,
            "key": keys[fmt],
            "epoch": EPOCH,
            "seed": done,
        }
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, json.dumps(spec)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 0.12))  # each build takes ~10–30 ms: kills land anywhere
            child.send_signal(signal.SIGKILL)
            assert child.wait(30) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            if child.stdout is not None:
                child.stdout.close()
        if dest.exists():
            seen["complete"] += 1
            check_complete(dest, fmt)  # what is at the destination is a whole bag
        else:
            seen["nothing"] += 1  # (then the old bag is aside, if there was one)
        build(out, fmt, day=100 + done)  # the next run recovers and succeeds
        check_complete(dest, fmt)
        assert listing(out) == only_the_bag(out, fmt), listing(out)
        done += 1
    assert done >= min(rounds, 3)
    print(f"{fmt}: {done} kills, destination after the kill: {seen}")


# -- durability before the rename --------------------------------------------------------------


@pytest.mark.parametrize("syncfs", [None, lambda fd: -1], ids=["no syncfs", "syncfs fails"])
def test_without_a_working_syncfs_every_file_and_folder_is_fsynced(tmp_path, monkeypatch, syncfs):
    from pipeline import atomic

    monkeypatch.setattr(atomic, "_syncfs", lambda: syncfs)
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    files = {"bagit.txt": b"x", "data/a.txt": b"a", "data/sub/b.txt": b"b"}
    write._write_tree(files, tmp_path)
    expected = {str(tmp_path / name) for name in files}
    expected |= {str(tmp_path), str(tmp_path / "data"), str(tmp_path / "data" / "sub")}
    assert set(synced) == expected


def test_with_syncfs_one_call_makes_the_tree_durable(tmp_path, monkeypatch):
    from pipeline import atomic

    calls: list[int] = []
    monkeypatch.setattr(atomic, "_syncfs", lambda: lambda fd: calls.append(fd) or 0)
    monkeypatch.setattr(os, "fsync", lambda fd: pytest.fail("fsync called despite syncfs"))
    write._write_tree({"bagit.txt": b"x", "data/a.txt": b"a"}, tmp_path)
    assert len(calls) == 1 and (tmp_path / "data" / "a.txt").read_bytes() == b"a"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="syncfs is Linux's")
def test_linux_has_syncfs():
    from pipeline import atomic

    assert atomic._syncfs() is not None
