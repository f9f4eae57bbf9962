"""The warm server behind ``UNFOLIO_WARM=1``: the same bytes, exit codes and messages as a
cold process, the caller's folder and environment, private to the user, gone when idle,
never for a command that signs."""

from __future__ import annotations

import array
import contextlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pipeline import warm

REPO = Path(__file__).resolve().parents[1]
LETTER = REPO / "tests" / "fixtures" / "documents" / "en-joint-letter"
UNFOLIO = [sys.executable, "-m", "pipeline"]


@pytest.fixture
def runtime():
    """A private runtime folder per test (short: a socket's path holds about 100 bytes);
    every server started in it is stopped after."""
    folder = Path(tempfile.mkdtemp(prefix="uw-"))
    yield folder
    for pid_file in (folder / "unfolio-warm").glob("*.pid"):
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
    shutil.rmtree(folder, ignore_errors=True)


def unfolio(args, cwd, runtime, warm_on=True, **env):
    environment = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PYTHONPATH": str(REPO),
                   "UNFOLIO_WARM_IDLE": "30", **env}  # fmt: skip
    environment.pop("UNFOLIO_WARM", None)
    if warm_on:
        environment["UNFOLIO_WARM"] = "1"
    # the console script's entry: main() with no argv reads sys.argv, as `unfolio` does
    code = "import sys; from pipeline.cli import main; sys.argv[0] = 'unfolio'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, env=environment, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip


def servers(runtime) -> list[Path]:
    return sorted((runtime / "unfolio-warm").glob("*.sock"))


def test_a_warm_render_writes_the_bytes_a_cold_render_writes(tmp_path, runtime):
    shutil.copytree(LETTER, tmp_path / "src")
    cold = unfolio(["render", "src", "-o", "cold.pdf", "--pdfa", "2u"], tmp_path, runtime, False)
    assert cold.returncode == 0, cold.stderr
    assert not (runtime / "unfolio-warm").exists()  # cold by default
    for name in ("warm1.pdf", "warm2.pdf"):
        done = unfolio(["render", "src", "-o", name, "--pdfa", "2u"], tmp_path, runtime)
        assert done.returncode == 0, done.stderr
        assert f"wrote {name}" in done.stdout  # the caller's stdout, relative path: its cwd
    assert len(servers(runtime)) == 1
    assert (tmp_path / "warm1.pdf").read_bytes() == (tmp_path / "cold.pdf").read_bytes()
    assert (tmp_path / "warm2.pdf").read_bytes() == (tmp_path / "cold.pdf").read_bytes()


def test_a_warm_build_carries_the_callers_environment_exit_code_and_messages(tmp_path, runtime):
    shutil.copytree(LETTER, tmp_path / "src")
    first = unfolio(["build", "src", "-o", "bags", "--pdfa", "2u"], tmp_path, runtime,
                    SOURCE_DATE_EPOCH="1700000000")  # fmt: skip
    assert first.returncode == 0, first.stderr
    (bag,) = (tmp_path / "bags").iterdir()
    assert "Bagging-Date: 2023-11-14" in (bag / "bag-info.txt").read_text()
    second = unfolio(["build", "src", "-o", "bags", "--pdfa", "2u"], tmp_path, runtime,
                     SOURCE_DATE_EPOCH="1600000000")  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert "Bagging-Date: 2020-09-13" in (bag / "bag-info.txt").read_text()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "document.json").write_text("{")
    bad = unfolio(["render", "bad", "-o", "x.pdf"], tmp_path, runtime)
    assert bad.returncode == 2
    assert "document.json:1:2" in bad.stderr and "Traceback" not in bad.stderr
    assert len(servers(runtime)) == 1


def test_a_command_that_signs_never_goes_to_the_server(tmp_path, monkeypatch):
    monkeypatch.setenv("UNFOLIO_WARM", "1")
    monkeypatch.chdir(tmp_path)
    assert warm.wanted(["render", "src", "-o", "x.pdf"])
    assert not warm.wanted(["build", "src", "-o", "b", "--sign-key", "k.pem"])
    assert not warm.wanted(["verify", "bags"])  # reproduction must not run warm
    (tmp_path / "unfolio.toml").write_text('[signing]\nkey = "k.pem"\n')
    assert not warm.wanted(["build", "src", "-o", "b"])
    (tmp_path / "other.toml").write_text('source_organization = "X"\n')
    assert warm.wanted(["build", "src", "-o", "b", "--config", "other.toml"])
    monkeypatch.setenv("UNFOLIO_WARM", "0")
    assert not warm.wanted(["render", "src", "-o", "x.pdf"])


def test_the_server_is_private_and_refuses_other_users(tmp_path, runtime):
    shutil.copytree(LETTER, tmp_path / "src")
    assert unfolio(["render", "src", "-o", "a.pdf"], tmp_path, runtime).returncode == 0
    folder = runtime / "unfolio-warm"
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    (address,) = servers(runtime)
    assert oct(address.stat().st_mode & 0o777) == "0o600"
    if os.getuid() != 0:
        pytest.skip("needs root to connect as another user")
    for opened in (runtime, folder):  # let another user reach the socket at all: only the
        opened.chmod(0o711)  # server's own check of the peer's uid is left to refuse them
    address.chmod(0o666)
    child = os.fork()
    if child == 0:
        code = 3
        try:
            os.setuid(65534)
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(str(address))
            request = json.dumps({"argv": ["--version"], "cwd": "/", "env": {}}).encode()
            fds = array.array("i", [0, 1, 2]).tobytes()  # a request the server would serve
            client.sendmsg([struct.pack("!I", len(request)), request],
                           [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])  # fmt: skip
            try:
                code = 0 if client.recv(4) == b"" else 1  # closed without an answer
            except ConnectionResetError:
                code = 0  # closed with the request unread: refused all the same
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_an_idle_server_exits_and_removes_its_socket(tmp_path, runtime):
    shutil.copytree(LETTER, tmp_path / "src")
    done = unfolio(["render", "src", "-o", "a.pdf"], tmp_path, runtime, UNFOLIO_WARM_IDLE="1")
    assert done.returncode == 0
    deadline = time.monotonic() + 20
    while servers(runtime) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not servers(runtime)


def test_a_changed_installation_gets_a_server_of_its_own(tmp_path, monkeypatch):
    styles = tmp_path / "styles"
    shutil.copytree(REPO / "styles", styles)
    monkeypatch.setattr("pipeline.resources.styles_dir", lambda: styles)
    before = warm.identity()
    css = styles / "css" / "unfolio.css"
    os.utime(css, ns=(css.stat().st_mtime_ns + 1_000_000,) * 2)
    assert warm.identity() != before


def test_a_shared_temp_folder_made_by_someone_else_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    base = tmp_path / f"unfolio-{os.getuid()}"
    base.mkdir(mode=0o777)
    base.chmod(0o777)  # open to others: a socket there could be swapped
    with pytest.raises(OSError, match="not a private folder"):
        warm._private_folder()
    monkeypatch.setenv("UNFOLIO_WARM", "1")
    assert warm.run(["render", "x", "-o", "y.pdf"]) is None  # the caller then runs cold


def test_a_signing_passphrase_never_reaches_the_server(monkeypatch):
    monkeypatch.setenv("UNFOLIO_SIGN_PASSPHRASE", "secret")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    sent = warm._environment()
    assert "UNFOLIO_SIGN_PASSPHRASE" not in sent and sent["SOURCE_DATE_EPOCH"] == "1700000000"
