"""``unfolio build`` over many documents: isolation, reporting, exit codes, skips, workers.

Renders cost about half a second each, so these tests use the two quickest fixtures (a
Russian note and a Spanish draft resolution) and stand-ins for everything else.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from pipeline.cli import main
from pipeline.typeset import DEFAULT_FLAVOUR

from .conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "documents"
EPOCH = "1614902400"
RU, ES = "A_77_9103-RU", "A_C.3_77_L.91-ES"


@pytest.fixture(autouse=True)
def _workplace(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.chdir(tmp_path)  # no stray unfolio.toml


def good(tmp_path: Path, *names: str) -> list[Path]:
    """Copies of fixtures under tmp_path/src (copies, so a test may change them)."""
    folders = []
    for name in names:
        folder = tmp_path / "src" / name
        if not folder.exists():
            shutil.copytree(FIXTURES / name, folder)
        folders.append(folder)
    return folders


def broken(make_source, tmp_path: Path, name: str, **kwargs) -> Path:
    folder = make_source(**kwargs)
    target = tmp_path / "src" / name
    target.parent.mkdir(exist_ok=True)
    folder.rename(target)
    return target


def bad_json(make_source, tmp_path: Path) -> Path:
    folder = broken(make_source, tmp_path, "bad-json")
    (folder / "document.json").write_text('{"symbols": ["A/75/1"],', encoding="utf-8")
    return folder


def missing_part(make_source, tmp_path: Path) -> Path:
    folder = broken(make_source, tmp_path, "missing-part")
    (folder / "annex-1.md").unlink()
    return folder


def long_document(tmp_path: Path, paragraphs: int = 600) -> Path:
    """A valid document that takes far longer than a few seconds to render."""
    folder = tmp_path / "src" / "long"
    folder.mkdir(parents=True, exist_ok=True)
    metadata = json.loads((FIXTURES / "ru-note" / "document.json").read_text(encoding="utf-8"))
    metadata.update(symbols=["A/77/9999"], job_number="22-99999", parts=[{"kind": "main",
                    "text": "note.md"}])  # fmt: skip
    (folder / "document.json").write_text(json.dumps(metadata, ensure_ascii=False))
    sentence = "Государства-члены подчеркивают необходимость согласованных подходов. " * 8
    text = "\n\n".join(f"{n}. {sentence}" for n in range(1, paragraphs + 1))
    (folder / "note.md").write_text(text, encoding="utf-8")
    return folder


def build(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["build", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def build_json(capsys, *args: str) -> tuple[int, dict, str]:
    code, out, err = build(capsys, *args, "--json")
    return code, json.loads(out), err


def statuses(report: dict) -> dict[str, str]:
    return {Path(d["source"]).name: d["status"] for d in report["documents"]}


# --- isolation and exit codes ------------------------------------------------------------------


def test_broken_documents_are_named_and_the_others_are_built(capsys, tmp_path, make_source):
    ru, es = good(tmp_path, "ru-note", "es-draft-resolution")
    sources = [bad_json(make_source, tmp_path), ru, missing_part(make_source, tmp_path), es]
    sources.append(long_document(tmp_path))
    code, report, err = build_json(capsys, *sources, "-o", tmp_path / "bags", "--jobs", "2",
                                   "--timeout", "4")  # fmt: skip
    assert code == 1  # a render failed (the long one ran out of time), not only bad input
    assert statuses(report) == {
        "bad-json": "invalid",
        "ru-note": "built",
        "missing-part": "invalid",
        "es-draft-resolution": "built",
        "long": "failed",
    }
    assert (tmp_path / "bags" / RU / "bagit.txt").is_file()
    assert (tmp_path / "bags" / ES / "bagit.txt").is_file()
    assert not (tmp_path / "bags" / "A_77_9999-RU").exists()
    for name in ("bad-json", "missing-part", "long"):
        assert f"{tmp_path / 'src' / name}" in err  # each broken one named on stderr
    assert "timed out after 4 s" in err
    assert "Traceback" not in err
    summary = report["summary"]
    assert (summary["built"], summary["invalid"], summary["failed"]) == (2, 2, 1)
    assert summary["documents"] == 5 and summary["skipped"] == 0


def test_json_report_shape(capsys, tmp_path, make_source):
    (ru,) = good(tmp_path, "ru-note")
    bad = bad_json(make_source, tmp_path)
    code, report, _ = build_json(capsys, ru, bad, "-o", "bags", "--jobs", "1")
    assert code == 2  # every failure was invalid input
    assert report["report_version"] == 1 and report["command"] == "build"
    assert report["tool"].startswith("unfolio ") and report["exit_code"] == 2
    assert report["options"]["format"] == "dir" and report["options"]["pdfa"] == DEFAULT_FLAVOUR
    assert set(report["summary"]) >= {"documents", "built", "skipped", "invalid", "failed",
                                      "elapsed_seconds", "documents_per_second"}  # fmt: skip
    built, invalid = report["documents"]  # command-line order
    assert built["source"] == str(ru) and built["status"] == "built"
    assert built["bag"] == str(Path("bags") / RU) and built["name"] == RU
    assert built["build_key"].startswith("sha256:") and built["reason"] is None
    assert built["worker"] != os.getpid()  # several documents: built in a worker process
    assert invalid["status"] == "invalid" and invalid["bag"] is None
    assert invalid["problems"] and "document.json" in invalid["problems"][0]["file"]
    schema = json.loads((REPO / "schemas" / "build-report.schema.json").read_text("utf-8"))
    jsonschema.validate(report, schema)


def test_json_output_is_the_only_thing_on_stdout(tmp_path):
    (ru,) = good(tmp_path, "ru-note")
    run = subprocess.run(
        [sys.executable, "-m", "pipeline", "build", str(ru), str(tmp_path / "nope"), "-o",
         str(tmp_path / "bags"), "--json", "--jobs", "1"],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert run.returncode == 2
    assert json.loads(run.stdout)["summary"]["built"] == 1
    assert "not built (invalid)" in run.stderr


def test_exit_codes(capsys, tmp_path, make_source, monkeypatch):
    (ru,) = good(tmp_path, "ru-note")
    assert build(capsys, ru, "-o", "bags", "--jobs", "1")[0] == 0
    assert build(capsys, ru, "-o", "bags", "--jobs", "1")[0] == 0  # skipped is fine
    bad = bad_json(make_source, tmp_path)
    assert build(capsys, ru, bad, "-o", "bags", "--jobs", "1")[0] == 2

    from pipeline import typeset
    from pipeline.typeset.engine import RenderError

    def render_fails(document, source, **kwargs):
        raise RenderError("WeasyPrint: Failed to render")

    monkeypatch.setattr(typeset, "render_pdf", render_fails)
    # the pipeline is patched in this process, so it must build here: --executor inline
    code, _, err = build(capsys, ru, bad, "-o", "bags", "--executor", "inline", "--force")
    assert code == 1 and f"failed: {ru}: WeasyPrint: Failed to render" in err
    assert "built 0, skipped 0, failed 2 (1 invalid, 1 failed)" in err
    from pipeline.typeset.gate import Finding, GateFailed

    def gate_fails(document, source, **kwargs):
        raise GateFailed([Finding("PDF-FONTS", "font not embedded", "page 1"),
                          Finding("PDF-METADATA", "no XMP")])  # fmt: skip

    monkeypatch.setattr(typeset, "render_pdf", gate_fails)
    code, _, err = build(capsys, ru, "-o", "bags", "--jobs", "1", "--force")
    assert code == 1
    assert f"failed: {ru}: PDF-FONTS: page 1: font not embedded\n" in err
    assert f"failed: {ru}: PDF-METADATA: no XMP\n" in err
    missing_list = build(capsys, "@" + str(tmp_path / "no-list.txt"), "-o", "bags")
    assert missing_list[0] == 2 and "list file not found" in missing_list[2]


# --- sources -----------------------------------------------------------------------------------


def test_list_files_and_globs(capsys, tmp_path, make_source):
    ru, _ = good(tmp_path, "ru-note", "es-draft-resolution")
    bad = bad_json(make_source, tmp_path)
    listing = tmp_path / "todo.txt"
    listing.write_text(f"# backlog\n\n{ru}\n  {tmp_path / 'src' / 'es-*'}  \n# {bad}\n")
    code, report, _ = build_json(capsys, f"@{listing}", "-o", "bags", "--jobs", "1")
    assert code == 0 and statuses(report) == {"ru-note": "built", "es-draft-resolution": "built"}
    # A glob over all of src/ (the same folders again are skipped, the bad one is named).
    code, report, _ = build_json(capsys, str(tmp_path / "src" / "*"), f"@{listing}", "-o",
                                 "bags", "--jobs", "1")  # fmt: skip
    assert code == 2
    assert statuses(report) == {"bad-json": "invalid", "es-draft-resolution": "skipped",
                                "ru-note": "skipped"}  # fmt: skip
    code, report, _ = build_json(capsys, str(tmp_path / "nothing-*"), "-o", "bags")
    assert code == 2 and "no folder matches" in report["documents"][0]["reason"]


def test_two_sources_for_one_bag_are_refused(capsys, tmp_path):
    (ru,) = good(tmp_path, "ru-note")
    twin = tmp_path / "src" / "twin"
    shutil.copytree(ru, twin)
    code, report, _ = build_json(capsys, ru, twin, "-o", "bags", "--jobs", "1")
    assert code == 2 and statuses(report) == {"ru-note": "built", "twin": "invalid"}
    assert "also built from" in report["documents"][1]["reason"]


# --- incremental builds ----------------------------------------------------------------------


def test_an_up_to_date_bag_is_skipped_and_force_or_any_change_rebuilds(capsys, tmp_path):
    (ru,) = good(tmp_path, "ru-note")
    bag = tmp_path / "bags" / RU
    code, report, _ = build_json(capsys, ru, "-o", "bags", "--jobs", "1")
    assert code == 0 and statuses(report) == {"ru-note": "built"}
    key = report["documents"][0]["build_key"]
    assert f"UN-Build-Key: {key}" in (bag / "bag-info.txt").read_text()
    stamp = (bag / "bag-info.txt").stat().st_mtime_ns

    code, report, _ = build_json(capsys, ru, "-o", "bags")
    assert code == 0 and statuses(report) == {"ru-note": "skipped"}
    assert report["documents"][0]["build_key"] == key
    assert report["summary"]["workers_started"] == 0
    assert (bag / "bag-info.txt").stat().st_mtime_ns == stamp

    assert statuses(build_json(capsys, ru, "-o", "bags", "--jobs", "1", "--force")[1]) == {
        "ru-note": "built"
    }
    # Each input of the key: a source byte, the flavour, the configuration.
    note = ru / "note.md"
    note.write_bytes(note.read_bytes() + b"\n")
    assert statuses(build_json(capsys, ru, "-o", "bags", "--jobs", "1")[1]) == {"ru-note": "built"}
    assert statuses(build_json(capsys, ru, "-o", "bags", "--jobs", "1")[1]) == {
        "ru-note": "skipped"
    }
    assert statuses(build_json(capsys, ru, "-o", "bags", "--jobs", "1", "--pdfa", "2b")[1]) == {
        "ru-note": "built"
    }
    (tmp_path / "unfolio.toml").write_text('source_organization = "UNOG"\n')
    code, report, _ = build_json(capsys, ru, "-o", "bags", "--jobs", "1", "--pdfa", "2b")
    assert statuses(report) == {"ru-note": "built"}
    assert "Source-Organization: UNOG" in (bag / "bag-info.txt").read_text()


def test_a_no_change_rebuild_does_not_load_weasyprint(tmp_path):
    ru, es = good(tmp_path, "ru-note", "es-draft-resolution")
    assert main(["build", str(ru), str(es), "-o", str(tmp_path / "bags"), "--jobs", "1"]) == 0
    probe = (
        "import sys, json\n"
        "from pipeline.cli import main\n"
        f"code = main(['build', {str(ru)!r}, {str(es)!r}, '-o', {str(tmp_path / 'bags')!r}])\n"
        "print(json.dumps([code, sorted(m for m in sys.modules if m.split('.')[0] in "
        "('weasyprint', 'pikepdf', 'pydyf', 'fontTools'))]))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=tmp_path, check=True)  # fmt: skip
    code, heavy = json.loads(run.stdout.splitlines()[-1])
    assert code == 0 and heavy == []
    assert "skipped 2" in run.stderr


# --- worker processes ------------------------------------------------------------------------


def test_workers_are_recycled_after_max_tasks(capsys, tmp_path):
    ru, es = good(tmp_path, "ru-note", "es-draft-resolution")
    third = tmp_path / "src" / "third"
    shutil.copytree(ru, third)
    metadata = json.loads((third / "document.json").read_text(encoding="utf-8"))
    metadata["symbols"] = ["A/77/9203"]
    (third / "document.json").write_text(json.dumps(metadata, ensure_ascii=False))
    code, report, _ = build_json(capsys, ru, es, third, "-o", "bags", "--jobs", "2",
                                 "--max-tasks-per-worker", "1")  # fmt: skip
    assert code == 0
    pids = [d["worker"] for d in report["documents"]]
    assert len(set(pids)) == 3 and os.getpid() not in pids
    assert report["summary"]["workers_started"] == 3
    assert all(d["rss_mb"] > 0 for d in report["documents"])


def _worker_pids(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"spawn_main" in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_killed_worker_is_reported_and_the_batch_goes_on(tmp_path, jobs):
    """A crash (here SIGKILL; a segfault or the OOM killer alike) loses one document, with
    one worker as with two: ``--jobs 1`` builds a batch in a worker process too."""
    long = long_document(tmp_path, paragraphs=1500)
    ru, es = good(tmp_path, "ru-note", "es-draft-resolution")
    order = [long, ru, es] if jobs == "2" else [ru, es, long]  # one worker: the long one last
    command = [sys.executable, "-m", "pipeline", "build", *map(str, order), "-o",
               str(tmp_path / "bags"), "--jobs", jobs, "--json"]  # fmt: skip
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not ((tmp_path / "bags" / RU).exists() and (tmp_path / "bags" / ES).exists()):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.1)
        if jobs == "1":
            time.sleep(1.5)  # the one worker has taken the long document (about 40 s of work)
        for pid in _worker_pids(process.pid):  # the long one's worker, and any idle one
            os.kill(pid, signal.SIGKILL)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 1
    report = json.loads(out)
    assert statuses(report) == {"long": "failed", "ru-note": "built",
                                "es-draft-resolution": "built"}  # fmt: skip
    (lost,) = [d for d in report["documents"] if d["status"] == "failed"]
    assert "killed by SIGKILL" in lost["reason"]
    assert "killed by SIGKILL" in err and "Traceback" not in err


def test_timeout_in_process(capsys, tmp_path):
    long = long_document(tmp_path)
    (ru,) = good(tmp_path, "ru-note")
    started = time.monotonic()
    code, report, err = build_json(capsys, long, ru, "-o", "bags", "--jobs", "1", "--timeout", "2")
    assert code == 1 and time.monotonic() - started < 30
    assert statuses(report) == {"long": "failed", "ru-note": "built"}
    assert report["documents"][0]["reason"] == "timed out after 2 s (render stopped)"
    assert f"failed: {long}: timed out after 2 s" in err


def test_a_folder_that_is_not_a_bag_at_a_bags_name_fails_that_document_only(capsys, tmp_path):
    ru, es = good(tmp_path, "ru-note", "es-draft-resolution")
    theirs = tmp_path / "bags" / RU
    theirs.mkdir(parents=True)
    (theirs / "notes.txt").write_text("someone's work")
    code, report, _ = build_json(capsys, ru, es, "-o", "bags", "--jobs", "1")
    assert code == 1 and statuses(report) == {"ru-note": "failed", "es-draft-resolution": "built"}
    (failure,) = [d for d in report["documents"] if d["status"] == "failed"]
    assert "something that is not a bag is at this name" in failure["reason"]
    assert sorted(p.name for p in theirs.iterdir()) == ["notes.txt"]


def test_usage_errors(capsys, tmp_path):
    (ru,) = good(tmp_path, "ru-note")
    assert build(capsys, ru, "-o", "bags", "--jobs", "0")[0] == 2
    assert build(capsys, ru, "-o", "bags", "--scheduler", "tcp://127.0.0.1:1")[0] == 2
    (tmp_path / "file").write_text("")
    code, _, err = build(capsys, ru, "-o", tmp_path / "file")
    assert code == 2 and "is a file" in err
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere" / "out")
    code, _, err = build(capsys, ru, "-o", tmp_path / "dangling")
    assert code == 2 and err.strip() == f"error: {tmp_path / 'dangling'}: not a folder"


def test_archives_are_skipped_too_and_a_bag_left_aside_by_a_crash_is_put_back(capsys, tmp_path):
    (ru,) = good(tmp_path, "ru-note")
    code, report, _ = build_json(capsys, ru, "-o", "bags", "--jobs", "1", "--format", "zip")
    assert code == 0 and report["documents"][0]["bag"] == str(Path("bags") / f"{RU}.zip")
    assert (tmp_path / "bags" / f"{RU}.zip.sha256").is_file()
    assert statuses(build_json(capsys, ru, "-o", "bags", "--format", "zip")[1]) == {
        "ru-note": "skipped"
    }
    assert statuses(build_json(capsys, ru, "-o", "bags", "--format", "dir")[1]) == {
        "ru-note": "built"
    }
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    aside = tmp_path / "bags" / f".{RU}.old-{dead}-0123abcd"
    (tmp_path / "bags" / RU).rename(aside)  # as a run killed mid-replace leaves it
    code, report, _ = build_json(capsys, ru, "-o", "bags", "--format", "dir")
    assert code == 0 and statuses(report) == {"ru-note": "skipped"}
    assert (tmp_path / "bags" / RU / "bagit.txt").is_file() and not aside.exists()
