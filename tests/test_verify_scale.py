"""Verify at archive scale: bounded reports, --jobs, --fixity, the audit log and --since.

Speed and memory are measured in bench/ (bench/verify_scale.py), never here: these tests say
what the machinery does — a cap and its count, a stream that is one valid JSON document, a
crash or timeout that fails one bag only, a resealed bag whose digest moves.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import shutil
import threading
from pathlib import Path

import jsonschema
import pytest

from pipeline import source
from pipeline.cli import main
from pipeline.config import Config
from pipeline.package import bagit as writer
from pipeline.package import build_bag
from pipeline.verify import Options, audit, verify_target
from pipeline.verify.findings import MAX_PER_CODE, Findings
from pipeline.verify.target import bag_digest

from .conftest import MINIMAL, REPO

EPOCH = "1614902400"
QUICK = Options(second_opinions=False)
OLD_BAGS = REPO / "tests" / "fixtures" / "bags-0.1.0"
SCHEMA = json.loads((REPO / "schemas" / "verify-report.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    from pipeline.typeset import render_pdf

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        document = source.load(MINIMAL)
        pdf = render_pdf(document, MINIMAL, flavour="2u")
        return build_bag(document, pdf, "2u", tmp_path_factory.mktemp("built"), Config())


@pytest.fixture
def bag(built, tmp_path) -> Path:
    return Path(shutil.copytree(built, tmp_path / built.name))


def reseal(bag: Path) -> None:
    """Payload-Oxum, the payload manifests and the tag manifests recomputed (a forger's repair)."""
    payload = {
        p.relative_to(bag).as_posix(): p.read_bytes()
        for p in sorted((bag / "data").rglob("*"))
        if p.is_file()
    }
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    info = re.sub(r"(?m)^Payload-Oxum: .*$", f"Payload-Oxum: {writer.payload_oxum(payload)}", info)
    (bag / "bag-info.txt").write_text(info, encoding="utf-8")
    for algorithm in writer.ALGORITHMS:
        (bag / f"manifest-{algorithm}.txt").write_bytes(writer.manifest(payload, algorithm))
    reseal_tags(bag)


def reseal_tags(bag: Path) -> None:
    tags = {
        p.name: p.read_bytes()
        for p in bag.iterdir()
        if p.is_file() and not p.name.startswith("tagmanifest-")
    }
    for algorithm in writer.ALGORITHMS:
        (bag / f"tagmanifest-{algorithm}.txt").write_bytes(writer.manifest(tags, algorithm))


def list_absent(bag: Path, count: int) -> None:
    for algorithm in writer.ALGORITHMS:
        digits = hashlib.new(algorithm).digest_size * 2
        with open(bag / f"manifest-{algorithm}.txt", "a", encoding="utf-8") as manifest:
            manifest.writelines(f"{'0' * digits}  data/absent/{n:06d}.txt\n" for n in range(count))
    reseal_tags(bag)


# -- bounded reports ----------------------------------------------------------------------------


def test_findings_of_one_code_are_capped_and_the_rest_counted_in_one_more(bag):
    list_absent(bag, 300)
    report = verify_target(bag, QUICK)
    missing = [f for f in report.findings if f.code == "BAG-FILE-MISSING"]
    assert len(missing) == MAX_PER_CODE + 1
    assert [f.file for f in missing[:3]] == [f"data/absent/{n:06d}.txt" for n in range(3)]
    counted = missing[-1]
    assert counted.omitted == 300 - MAX_PER_CODE and counted.file == ""
    assert f"{300 - MAX_PER_CODE:,} more BAG-FILE-MISSING" in counted.message
    assert report.errors == 300  # the counts are of every finding, listed or not


def test_the_json_report_of_a_capped_target_matches_its_schema(bag, capsys):
    list_absent(bag, 150)
    assert main(["verify", "--json", "--no-second-opinions", str(bag)]) == 1
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    (target,) = data["targets"]
    assert target["errors"] == 150
    assert [f["omitted"] for f in target["findings"] if "omitted" in f] == [50]


def test_capped_findings_cross_a_process_boundary_with_their_counts():
    findings = Findings(cap=2)
    from pipeline.verify.bagit import FILE_MISSING

    findings += [FILE_MISSING(f"data/{n}", "absent") for n in range(5)]
    again = pickle.loads(pickle.dumps(findings))
    assert isinstance(again, Findings) and again == findings
    assert again.count_of("error") == 5 and again[-1].omitted == 3
    again.append(FILE_MISSING("data/x", "absent"))
    assert again[-1].omitted == 4 and len(again) == 3


# -- many bags: the stream, the jobs, a crash or timeout ------------------------------------------


def test_a_json_stream_over_several_bags_is_one_document_matching_the_schema(
    bag, built, tmp_path, capsys
):
    (bag / "data" / "objects" / "extra.txt").write_text("not listed")
    again = Path(shutil.copytree(built, tmp_path / "again" / built.name))
    args = ["verify", "--json", "--no-second-opinions", str(built), str(bag), str(again)]
    assert main(args) == 1
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    assert [t["passed"] for t in data["targets"]] == [True, False, True]
    assert data["ok"] is False
    assert data["targets"][0]["digest"] == bag_digest(built)


def test_jobs_2_verifies_in_workers_and_reports_every_bag(bag, built, capsys):
    (bag / "data" / "objects" / "extra.txt").write_text("not listed")
    args = ["verify", "--jobs", "2", "--json", "--no-second-opinions", str(built), str(bag)]
    assert main(args) == 1
    data = json.loads(capsys.readouterr().out)
    verdicts = {t["path"]: t["passed"] for t in data["targets"]}
    assert verdicts == {str(built): True, str(bag): False}
    failed = next(t for t in data["targets"] if t["path"] == str(bag))
    assert "BAG-FILE-UNLISTED" in {f["code"] for f in failed["findings"]}


def test_a_bag_past_the_timeout_fails_alone_and_the_others_still_pass(bag, built, capsys):
    """The slow bag lists a sparse 256 GiB payload file (no disk used; minutes to hash); its
    worker is killed past --timeout plus the pool's grace, and that bag alone fails,
    BAG-UNCHECKED. The good bag (imports and re-render included, a few seconds idle) shares two
    cores with the hashing worker and whatever else the machine runs: 20 s leaves it room, and
    is still far short of the slow bag's hashing, so neither outcome is left to chance."""
    big = bag / "data" / "objects" / "big.bin"
    with open(big, "wb") as handle:
        handle.truncate(256 * 2**30)
    for algorithm in writer.ALGORITHMS:
        digits = hashlib.new(algorithm).digest_size * 2
        with open(bag / f"manifest-{algorithm}.txt", "a", encoding="utf-8") as manifest:
            manifest.write(f"{'0' * digits}  data/objects/big.bin\n")
    reseal_tags(bag)
    args = ["verify", "--jobs", "2", "--timeout", "20", "--json", "--no-second-opinions"]
    assert main([*args, str(bag), str(built)]) == 1
    data = json.loads(capsys.readouterr().out)
    by_path = {t["path"]: t for t in data["targets"]}
    assert [f["code"] for f in by_path[str(bag)]["findings"]] == ["BAG-UNCHECKED"]
    assert "timed out" in by_path[str(bag)]["findings"][0]["message"]
    assert by_path[str(built)]["passed"] is True, by_path[str(built)]["findings"]


def test_the_bags_written_by_0_1_0_pass_fixity_with_jobs_2(capsys):
    bags = sorted(str(p) for p in OLD_BAGS.iterdir() if p.is_dir() or p.suffix in (".zip", ".gz"))
    assert len(bags) == 5
    assert main(["verify", "--fixity", "--jobs", "2", *bags]) == 0
    assert "5 of 5 passed" in capsys.readouterr().out


# -- --fixity ---------------------------------------------------------------------------------------


def test_fixity_passes_a_good_bag_without_pdf_or_profile_checks(built):
    report = verify_target(built, Options(fixity=True, second_opinions=False))
    assert report.findings == [] and report.checks == ["bagit", "premis-fixity"]


def test_fixity_fails_a_changed_file(bag):
    letter = bag / "data" / "objects" / "source" / "letter.md"
    letter.write_text(letter.read_text(encoding="utf-8").replace("a", "b", 1), encoding="utf-8")
    codes = {f.code for f in verify_target(bag, Options(fixity=True)).findings}
    assert "BAG-CHECKSUM" in codes


def test_fixity_fails_a_resealed_change_by_premis_fixity(bag):
    letter = bag / "data" / "objects" / "source" / "letter.md"
    letter.write_text(letter.read_text(encoding="utf-8").replace("a", "b", 1), encoding="utf-8")
    reseal(bag)  # BagIt is satisfied; PREMIS still records the old digests
    found = [(f.code, f.file) for f in verify_target(bag, Options(fixity=True)).findings]
    assert ("META-PREMIS-FIXITY", "data/objects/source/letter.md") in found
    assert all(code.startswith(("META-PREMIS", "BAG-")) for code, _ in found)


# -- the audit log and --since ------------------------------------------------------------------------


def test_log_appends_one_json_line_per_bag_per_run(bag, built, tmp_path, capsys):
    log = tmp_path / "audit.jsonl"
    for _ in range(2):
        assert main(["verify", "--fixity", "--log", str(log), str(built), str(bag)]) == 0
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4
    first = lines[0]
    assert set(first) >= {"time", "target", "verdict", "codes", "digest"}
    assert first["target"] == str(built) and first["verdict"] == "valid"
    assert first["digest"] == bag_digest(built)
    assert (
        first["digest"]
        == "sha256:" + hashlib.sha256((built / "tagmanifest-sha512.txt").read_bytes()).hexdigest()
    )


def test_since_names_a_resealed_bag_that_still_passes_and_a_broken_one(
    bag, built, tmp_path, capsys
):
    log = tmp_path / "audit.jsonl"
    other = Path(shutil.copytree(built, tmp_path / "second" / built.name))
    assert main(["verify", "--fixity", "--log", str(log), str(built), str(bag), str(other)]) == 0
    letter = bag / "data" / "objects" / "source" / "letter.md"
    letter.write_text(letter.read_text(encoding="utf-8") + "\nAdded.\n", encoding="utf-8")
    reseal(bag)  # passes BagIt again; its digest moves (and PREMIS catches the edit)
    (other / "data" / "objects" / "extra.txt").write_text("x")
    capsys.readouterr()
    args = ["verify", "--fixity", "--since", str(log), "--json", str(built), str(bag), str(other)]
    main(args)
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    since = {t["path"]: t["since"] for t in data["targets"]}
    assert since[str(built)]["changed"] is False
    assert since[str(bag)]["changed"] is True
    assert any(w.startswith("digest ") for w in since[str(bag)]["what"])
    assert since[str(other)]["changed"] is True
    assert "verdict valid → invalid" in since[str(other)]["what"]


def test_since_a_log_with_a_torn_line_skips_it_and_says_so(built, tmp_path, capsys):
    log = tmp_path / "audit.jsonl"
    assert main(["verify", "--fixity", "--log", str(log), str(built)]) == 0
    with open(log, "a", encoding="utf-8") as handle:
        handle.write('{"time": "2026-01-01T00:00:00Z", "target": "cut sho')
    assert main(["verify", "--fixity", "--since", str(log), str(built)]) == 0
    captured = capsys.readouterr()
    assert f"{log}:2: not an audit record" in captured.err
    assert "since the last audit: unchanged" in captured.out


def test_log_lines_written_at_once_by_two_writers_never_interleave(built, tmp_path):
    path = tmp_path / "audit.jsonl"
    report = verify_target(built, QUICK)
    line = audit.record(report, strict=False, mode="unfolio")
    line["codes"] = ["X" * 5000]  # long lines, where a torn write would show

    def write() -> None:
        with audit.Log(path) as log:
            for _ in range(200):
                log.append(line)

    writers = [threading.Thread(target=write) for _ in range(2)]
    for writer_thread in writers:
        writer_thread.start()
    for writer_thread in writers:
        writer_thread.join()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 400 and all(json.loads(text) == line for text in lines)


def test_fixity_with_bagit_only_is_a_usage_error(built, capsys):
    assert main(["verify", "--fixity", "--bagit-only", str(built)]) == 2


def test_a_local_dask_cluster_verifies_each_bag_as_local_workers_do(bag, built, capsys):
    distributed = pytest.importorskip("distributed")
    (bag / "data" / "objects" / "extra.txt").write_text("not listed")
    with distributed.LocalCluster(
        n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        args = ["verify", "--fixity", "--json", "--executor", "dask"]
        code = main([*args, "--scheduler", cluster.scheduler_address, str(built), str(bag)])
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    assert code == 1
    assert {t["path"]: t["passed"] for t in data["targets"]} == {str(built): True, str(bag): False}


def test_scheduler_without_dask_is_a_usage_error(built, capsys):
    assert main(["verify", "--scheduler", "tcp://127.0.0.1:1", str(built)]) == 2


def test_the_json_stream_writes_what_the_whole_report_would_hold(bag, built):
    from pipeline.verify.report import JsonStream, as_json

    (bag / "data" / "objects" / "extra.txt").write_text("not listed")
    reports = [verify_target(path, QUICK) for path in (built, bag)]
    parts: list[str] = []
    stream = JsonStream(parts.append, QUICK)
    assert parts == []  # nothing before the first target is done
    for report in reports:
        stream.add(report)
    stream.close()
    assert json.loads("".join(parts)) == as_json(reports, QUICK)


def test_second_opinions_are_skipped_on_a_bag_with_very_long_manifests(bag, monkeypatch):
    from pipeline.verify import target

    monkeypatch.setattr(target, "MAX_OPINION_ENTRIES", 5)
    opinions = {o.tool: o for o in verify_target(bag, Options()).opinions}
    assert opinions["bagit-python"].verdict == "skipped"
    assert "over 5" in opinions["bagit-profile"].detail


# -- --fixity and signatures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signed_bag(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A bag signed by the throwaway signer, its CA, and another CA (tests/pki.py)."""
    from . import pki

    folder = tmp_path_factory.mktemp("pki")
    key, cert = pki.signer().write(folder, "signer")
    ca = pki.ca().write_cert(folder / "ca.pem")
    other = pki.other_ca().write_cert(folder / "other-ca.pem")
    out = tmp_path_factory.mktemp("signed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", pki.EPOCH)
        args = ["build", str(MINIMAL), "-o", str(out), "--pdfa", "2u"]
        assert main([*args, "--sign-key", str(key), "--sign-cert", str(cert)]) == 0
    return next(p for p in out.iterdir() if p.is_dir()), ca, other


def test_fixity_with_trust_checks_the_bag_signature_in_workers(signed_bag, tmp_path, capsys):
    signed, ca, other = signed_bag
    resealed = Path(shutil.copytree(signed, tmp_path / "resealed" / signed.name))
    letter = resealed / "data" / "objects" / "source" / "letter.md"
    letter.write_text(letter.read_text(encoding="utf-8") + "\nAdded.\n", encoding="utf-8")
    reseal(resealed)  # BagIt is whole again; the signature covers the old tag manifest
    args = ["verify", "--fixity", "--jobs", "2", "--json", "--trust", str(ca)]
    assert main([*args, str(signed), str(resealed)]) == 1
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, SCHEMA)
    by_path = {t["path"]: t for t in data["targets"]}
    good = by_path[str(signed)]
    assert good["passed"] and "signature" in good["checks"]
    assert [s["trusted"] for s in good["signatures"]] == [True]
    bad_codes = {f["code"] for f in by_path[str(resealed)]["findings"]}
    assert any(code.startswith("SIG-BAG-") for code in bad_codes)
    assert main(["verify", "--fixity", "--trust", str(other), str(signed)]) == 1


def test_manifests_read_a_chunk_at_a_time_give_the_lines_of_the_whole(monkeypatch):
    """Line ends and multi-byte characters split across chunks of 1 to 7 bytes."""
    import io
    import random

    from pipeline.verify.bagit import bag as shared
    from pipeline.verify.bagit import text

    class Bag:
        declaration = text.Declaration()

        def __init__(self) -> None:
            self.findings = Findings()
            self.lf_only: dict[str, bool] = {}

    rng = random.Random(1)
    pieces = ["a", "bb", "\n", "\r", "\r\n", "é", "字", "x" * 40]
    for _ in range(300):
        data = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))).encode()
        monkeypatch.setattr(shared, "CHUNK_BYTES", rng.randint(1, 7))
        bag = Bag()
        lines = list(shared.decoded_lines(bag, "m.txt", io.BytesIO(data), 10**6))
        assert lines == text.split_lines(data.decode()), data
        assert bag.lf_only["m.txt"] == shared.ends_lf_only(data, "utf-8")
        assert list(bag.findings) == []
