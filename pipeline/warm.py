"""A warm unfolio for ``make``: one per-user server keeps the renderer loaded; each ``render``
or ``build`` the CLI hands it runs in a fork of that warm process.

A cold ``unfolio render`` spends most of its time importing WeasyPrint, parsing stylesheets
and loading fonts; ``make`` starts one process per target and pays that every time. With
``UNFOLIO_WARM=1`` (or ``warm = true`` in ``unfolio.toml`` — not yet; the environment is the
switch) the CLI connects to the server, starting it when none runs, and sends its arguments,
working folder and environment, with its standard input, output and error as file
descriptors (``SCM_RIGHTS``). The server forks; the child takes the caller's folder,
environment and descriptors and runs the very ``main`` the caller would have run, so output
and exit code are the caller's own, and the bytes written are those a cold process writes
(``tests/test_warm.py``). What is warm is only what never depends on a document: imported
modules, the ``FontConfiguration``, parsed stylesheets (re-parsed when a file changes) and
font repertoires.

Safety:

- private: the socket is in a folder of the user's own (0700, owner checked), and the server
  serves only peers with its own uid (``SO_PEERCRED``);
- never stale: the socket's name is a digest of the unfolio code, the shipped styles and
  schemas (their sizes and times), the Python executable and its site-packages folders, so an
  upgraded install starts its own server and the old one idles out; the pinned font files,
  which the server has loaded, are checked before every request, and a server whose fonts
  changed refuses it (the caller runs cold) and exits;
- safe to run twice: a lock serialises starting the server; each request is its own process;
- exits when idle (``UNFOLIO_WARM_IDLE`` seconds, default 120) with no request running;
- never holds a signing key: a command that signs (``--sign-*`` options, or a ``[signing]``
  table in its configuration) runs cold in the caller's own process;
- ``verify`` never runs warm: its reproduction must depend on nothing but the bag.

Anything that prevents the warm path (no socket support, a server that will not start)
falls back to running in the caller's process: warm is a speed-up, never a requirement.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import hashlib
import json
import os
import selectors
import signal
import socket
import stat
import struct
import sys
import sysconfig
import time
from pathlib import Path

from pipeline import __version__

COMMANDS = ("render", "build")
_MAX_REQUEST = 1 << 20
_START_TIMEOUT = 30.0
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes; the server binds a temporary name first


def wanted(argv: list[str]) -> bool:
    """Whether this command line should run warm."""
    if os.environ.get("UNFOLIO_WARM", "") in ("", "0") or os.environ.get("UNFOLIO_WARM_CHILD"):
        return False
    command = next((a for a in argv if not a.startswith("-")), None)
    if command not in COMMANDS or any(a.startswith("--sign") for a in argv):
        return False
    return not _config_signs(argv)


def _config_signs(argv: list[str]) -> bool:
    """True when the configuration the command would read has a ``[signing]`` table (or
    cannot be read: then the caller's own process reports it)."""
    import tomllib

    path = Path("unfolio.toml")
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            path = Path(argv[i + 1])
        elif arg.startswith("--config="):
            path = Path(arg.split("=", 1)[1])
    if not path.exists():
        return False
    try:
        return "signing" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True


# -- where the server lives ---------------------------------------------------------------------


def _private_folder() -> Path:
    """``$XDG_RUNTIME_DIR/unfolio-warm`` (or ``$TMPDIR/unfolio-UID/unfolio-warm``), created
    0700; refused when it, or the per-user folder made for it in a shared temp folder, is a
    link, someone else's, or open to others."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        folders = [Path(runtime) / "unfolio-warm"]
    else:
        base = Path(os.environ.get("TMPDIR") or "/tmp") / f"unfolio-{os.getuid()}"
        folders = [base, base / "unfolio-warm"]
    for folder in folders:
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise OSError(f"{folder} is not a private folder of this user")
    return folders[-1]


def identity() -> str:
    """A digest that changes whenever the code or data a warm server holds could differ."""
    from pipeline.resources import schemas_dir, styles_dir

    hasher = hashlib.sha256(f"{__version__}\0{sys.executable}\0{sys.version}".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        hasher.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    stamped = [p for d in (styles_dir(), schemas_dir()) for p in sorted(d.rglob("*"))]
    # installed packages: an install or upgrade changes these folders (not the caller's own
    # folder, which sys.path may also hold and which every build writes into)
    stamped += sorted({Path(sysconfig.get_path(kind)) for kind in ("purelib", "platlib")})
    for path in stamped:
        with contextlib.suppress(OSError):
            info = path.stat()
            hasher.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return hasher.hexdigest()[:20]


# -- the client ---------------------------------------------------------------------------------


def run(argv: list[str]) -> int | None:
    """Run ``argv`` in the warm server (starting it if need be): its exit code, or None when
    the warm path is not available (the caller then runs the command itself)."""
    try:
        folder = _private_folder()
        address = folder / f"{identity()}.sock"
        if len(os.fsencode(address)) > _MAX_SOCKET_PATH:
            return None  # longer than a Unix socket address can be
        connection = _connect(address) or _start_and_connect(folder, address)
    except OSError:
        return None
    if connection is None:
        return None
    with connection:
        request = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": _environment()})
        fds = array.array("i", [0, 1, 2])
        try:
            connection.sendmsg(
                [struct.pack("!I", len(request)), request.encode("utf-8")],
                [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds.tobytes())],
            )
            child = _read_int(connection)
        except OSError:
            return None
        return _wait_for_exit(connection, child)


def _environment() -> dict[str, str]:
    """The caller's environment as the server may see it: never a signing passphrase (a
    command that signs does not come here; this keeps one exported for other targets out
    of a long-lived process too)."""
    from pipeline.sign.keys import PASSPHRASE_ENV

    return {k: v for k, v in os.environ.items() if k != PASSPHRASE_ENV}


def _wait_for_exit(connection: socket.socket, child: int) -> int:
    """The child's exit code; Ctrl-C and termination reach the child as they would have
    reached the caller's own process."""

    def forward(signum, _frame):
        with contextlib.suppress(OSError):
            os.kill(child, signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            try:
                return _read_int(connection)
            except InterruptedError:
                continue
            except OSError:
                print("unfolio: the warm server went away during the command", file=sys.stderr)
                return 1
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _connect(address: Path) -> socket.socket | None:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(str(address))
    except OSError:
        client.close()
        return None
    return client


def _start_and_connect(folder: Path, address: Path) -> socket.socket | None:
    lock_fd = os.open(folder / "start.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        connection = _connect(address)  # another caller may have started it meanwhile
        if connection is not None:
            return connection
        with contextlib.suppress(FileNotFoundError):
            address.unlink()  # a dead server's socket
        server = _spawn(address)
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            connection = _connect(address)
            if connection is not None:
                return connection
            if server.poll() is not None:
                return None  # it could not start: the caller runs cold
            time.sleep(0.02)
        return None
    finally:
        os.close(lock_fd)


def _spawn(address: Path):
    """Start ``python -m pipeline.warm ADDRESS`` detached from the caller's session."""
    import subprocess

    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.warm", str(address)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
        cwd="/",
        env={k: v for k, v in _environment().items() if k != "UNFOLIO_WARM"},
    )


def _read_int(connection: socket.socket) -> int:
    data = b""
    while len(data) < 4:
        chunk = connection.recv(4 - len(data))
        if not chunk:
            raise ConnectionError("the warm server closed the connection")
        data += chunk
    return struct.unpack("!i", data)[0]


# -- the server ---------------------------------------------------------------------------------


def _font_stamps() -> tuple:
    from pipeline import fonts

    stamps = []
    for face in fonts.faces():
        path = fonts.locate(face.file)
        try:
            info = path.stat() if path is not None else None
        except OSError:
            info = None
        stamps.append((face.file, info and (info.st_ino, info.st_size, info.st_mtime_ns)))
    return tuple(stamps)


def _fonts_unchanged(loaded: tuple) -> bool:
    from pipeline import fonts

    fonts.locate.cache_clear()
    return _font_stamps() == loaded


def _warm_up() -> None:
    """Load everything that does not depend on a document, once."""
    from pipeline import source
    from pipeline.typeset import coverage, engine, gate, layout, postpass  # noqa: F401

    engine.font_config()
    engine.stylesheets()
    for language in ("latin", "zh", "ar"):
        with contextlib.suppress(Exception):
            coverage.covered(language)
    source.document_schema()
    with contextlib.suppress(Exception):  # the build key's environment: font bytes hashed once
        from pipeline.package import buildkey

        buildkey.environment()
    with contextlib.suppress(Exception):
        import pikepdf.pdfa  # noqa: F401
        import pypdfium2  # noqa: F401


def serve(address: Path, idle: float) -> None:
    """Accept requests on ``address`` until ``idle`` seconds pass with none running."""
    loaded_fonts = _font_stamps()
    _warm_up()
    import gc

    gc.freeze()  # the warm heap stays shared with every child
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    temporary = address.with_name(f".{os.getpid()}")
    listener.bind(str(temporary))
    os.chmod(temporary, 0o600)
    listener.listen(16)
    os.replace(temporary, address)  # callers see the socket only once it accepts
    _bound_inode["inode"] = address.stat().st_ino
    pid_file = address.with_suffix(".pid")
    pid_file.write_text(f"{os.getpid()}\n", encoding="ascii")
    children: dict[int, socket.socket] = {}
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    # a child's exit wakes the loop at once (SIGCHLD writes to this pipe), so the caller
    # hears its exit code without a polling delay
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector.register(wake_read, selectors.EVENT_READ)
    last = time.monotonic()
    try:
        while True:
            for key, _ in selector.select(timeout=1.0):
                if key.fileobj == wake_read:
                    with contextlib.suppress(BlockingIOError):
                        while os.read(wake_read, 512):
                            pass
                elif key.fileobj is listener:
                    connection, _ = listener.accept()
                    if not _fonts_unchanged(loaded_fonts):
                        connection.close()  # the caller runs cold; a new server loads them
                        return
                    pid = _serve_one(connection, listener)
                    if pid is None:
                        connection.close()
                    else:
                        children[pid] = connection
            for pid in list(children):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    connection = children.pop(pid)
                    with contextlib.suppress(OSError):
                        connection.sendall(struct.pack("!i", os.waitstatus_to_exitcode(status)))
                    connection.close()
                    last = time.monotonic()
            if not children and time.monotonic() - last > idle:
                return
            if not _still_ours(address):
                return  # replaced or removed: a newer server owns the name
    finally:
        with contextlib.suppress(OSError):
            if _still_ours(address):
                address.unlink()
                pid_file.unlink()
        listener.close()


def _still_ours(address: Path) -> bool:
    try:
        return address.stat().st_ino == _bound_inode.get("inode", address.stat().st_ino)
    except OSError:
        return False


_bound_inode: dict[str, int] = {}


def _serve_one(connection: socket.socket, listener: socket.socket) -> int | None:
    """Fork a child for the request on ``connection``; its pid, or None if refused."""
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    _pid, uid, _gid = struct.unpack("3i", credentials)
    if uid != os.getuid():
        return None
    try:
        connection.settimeout(10)
        header, fds = _receive(connection, 4)
        (length,) = struct.unpack("!I", header)
        if length > _MAX_REQUEST or len(fds) != 3:
            return None
        body = b""
        while len(body) < length:
            chunk = connection.recv(length - len(body))
            if not chunk:
                return None
            body += chunk
        request = json.loads(body)
        connection.settimeout(None)
    except (OSError, ValueError):
        return None
    pid = os.fork()
    if pid == 0:  # the child: become the caller's process and run its command
        listener.close()
        os._exit(_child(request, fds))  # no atexit: the server's font folder stays
    for fd in fds:
        os.close(fd)
    with contextlib.suppress(OSError):
        connection.sendall(struct.pack("!i", pid))
    return pid


def _child(request: dict, fds: list[int]) -> int:
    try:
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        sys.stdin = os.fdopen(0, "r", closefd=False)
        sys.stdout = os.fdopen(1, "w", closefd=False)
        sys.stderr = os.fdopen(2, "w", closefd=False)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["UNFOLIO_WARM_CHILD"] = "1"
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        from pipeline.cli import main

        code = main(list(request["argv"]))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # never let a child fall back into the server's loop
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    return code


def _receive(connection: socket.socket, size: int) -> tuple[bytes, list[int]]:
    fds = array.array("i")
    data, ancillary, _flags, _addr = connection.recvmsg(size, socket.CMSG_LEN(3 * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    while len(data) < size:
        more = connection.recv(size - len(data))
        if not more:
            break
        data += more
    return data, list(fds)


def main(argv: list[str]) -> int:
    address = Path(argv[0])
    idle = float(os.environ.get("UNFOLIO_WARM_IDLE", "120"))
    serve(address, idle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
