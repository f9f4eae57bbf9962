"""Signed builds and `verify --trust`: each SIG- code fails on its fixture, and a good signed
bag passes with no false alarm.

Keys and certificates are made at test time (tests/pki.py); nothing reaches the network. A
forger's edits are resealed (manifests recomputed) so that only a signature can catch them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pikepdf
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from pipeline import source
from pipeline.cli import main
from pipeline.config import Config
from pipeline.package import build_bag, buildkey
from pipeline.sign import Signer, form, keys
from pipeline.sign import pdf as sign_pdf_module
from pipeline.sign.cms import SIGNATURE_NAME, sign_detached
from pipeline.verify import Options, signature, verify_target
from pipeline.verify import bagit as verify_bagit

from . import pki
from .conftest import EXAMPLE, MINIMAL, REPO
from .test_verify import reseal

NAME = "A_75_9001--S_2021_9001-EN"
PDF = f"data/objects/{NAME}.pdf"
WHEN = datetime.fromtimestamp(int(pki.EPOCH), tz=UTC)
OLD_BAGS = REPO / "tests" / "fixtures" / "bags-0.1.0"


@pytest.fixture(scope="module")
def pki_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pki")
    files: dict[str, Path] = {}
    for stem, party in (("signer", pki.signer()), ("stranger", pki.stranger()),
                        ("expired", pki.expired())):  # fmt: skip
        files[f"{stem}.key"], files[f"{stem}.cert"] = party.write(folder, stem)
    files["ca"] = pki.ca().write_cert(folder / "ca.pem")
    files["other-ca"] = pki.other_ca().write_cert(folder / "other-ca.pem")
    return files


def _sign_args(files: dict[str, Path], who: str = "signer") -> list[str]:
    return ["--sign-key", str(files[f"{who}.key"]), "--sign-cert", str(files[f"{who}.cert"])]


def _build(out: Path, files: dict[str, Path], *extra: str) -> int:
    os.environ["SOURCE_DATE_EPOCH"] = pki.EPOCH
    try:
        return main(["build", str(MINIMAL), "-o", str(out), "--pdfa", "2u", *extra,
                     *_sign_args(files)])  # fmt: skip
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]


@pytest.fixture(scope="module")
def signed(tmp_path_factory, pki_files) -> Path:
    out = tmp_path_factory.mktemp("signed")
    assert _build(out, pki_files) == 0
    return out / NAME


@pytest.fixture
def bag(signed, tmp_path) -> Path:
    return Path(shutil.copytree(signed, tmp_path / NAME))


def identity(party: pki.Party) -> keys.Identity:
    return keys.Identity(party.key, party.certificate, (pki.ca().certificate,))


def anchors(*paths: Path) -> tuple:
    return tuple(signature.load_anchors(list(paths)))


def codes(bag: Path, **options) -> list[tuple[str, str]]:
    report = verify_target(bag, Options(second_opinions=False, **options))
    return [(f.code, f.file) for f in report.findings]


def unsigned_revision(pdf: bytes) -> bytes:
    revision = sign_pdf_module.unsigned_revision(pdf)
    assert revision is not None
    return revision


# -- a good signed bag --------------------------------------------------------------------------


def test_a_signed_bag_verifies_with_its_trust_anchor_naming_signer_and_time(
    signed, pki_files, capsys
):
    assert (signed / SIGNATURE_NAME).is_file()
    assert SIGNATURE_NAME not in (signed / "tagmanifest-sha256.txt").read_text()
    assert main(["verify", "--trust", str(pki_files["ca"]), "--require-signature",
                 str(signed)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert f"signature: {SIGNATURE_NAME} signed by " in out and "Test Signer" in out
    assert "2021-03-05T00:00:00+00:00 (trusted)" in out
    assert main(["verify", "--json", "--trust", str(pki_files["ca"]), str(signed)]) == 0
    report = json.loads(capsys.readouterr().out)
    schema = json.loads((REPO / "schemas" / "verify-report.schema.json").read_text())
    jsonschema.validate(report, schema)
    signatures = report["targets"][0]["signatures"]
    assert [s["file"] for s in signatures] == [SIGNATURE_NAME, PDF]
    assert all(s["trusted"] and s["signing_time"].startswith("2021-03-05") for s in signatures)
    assert {"tool": "openssl", "verdict": "valid"}.items() <= next(
        o for o in report["targets"][0]["second_opinions"] if o["tool"] == "openssl"
    ).items() or not shutil.which("openssl")


def test_without_trust_anchors_a_signed_bag_passes_with_a_warning(signed):
    report = verify_target(signed, Options(second_opinions=False))
    assert {(f.code, f.file) for f in report.findings} == {
        ("SIG-TRUST-UNCHECKED", SIGNATURE_NAME),
        ("SIG-TRUST-UNCHECKED", PDF),
    }
    assert report.passed(strict=False) and not report.passed(strict=True)


def test_signed_output_is_byte_identical_across_runs(signed, pki_files, tmp_path):
    assert _build(tmp_path, pki_files, "--force") == 0
    again = tmp_path / NAME
    files = sorted(p.relative_to(signed) for p in signed.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for relative in files:
        assert (signed / relative).read_bytes() == (again / relative).read_bytes(), relative


def test_the_revision_before_the_signature_is_the_pdf_that_was_signed(signed):
    document = source.load(MINIMAL)
    pdf = (signed / PDF).read_bytes()
    first = unsigned_revision(pdf)
    assert sign_pdf_module.unsigned_revision(first) is None
    as_built = keys.Identity(pki.signer().key, pki.signer().certificate)  # no --sign-chain
    assert Signer(as_built, WHEN).sign_pdf(first) == pdf
    from pipeline.typeset import gate

    assert gate.check(first, document, "2u") == []


def test_the_signature_increment_keeps_info_xmp_and_id_unfolios_own(signed):
    pdf = (signed / PDF).read_bytes()
    first = unsigned_revision(pdf)
    with pikepdf.open(io.BytesIO(first)) as before, pikepdf.open(io.BytesIO(pdf)) as after:
        assert dict(after.docinfo) == dict(before.docinfo)
        assert after.Root.Metadata.read_bytes() == before.Root.Metadata.read_bytes()
        assert after.trailer.ID[0] == before.trailer.ID[0]
        assert after.trailer.ID[1] != before.trailer.ID[1]
        assert "/Extensions" not in after.Root
        (sig,) = [f for f in after.Root.AcroForm.Fields]
        assert sig.V.SubFilter == "/ETSI.CAdES.detached" and sig.V.M == "D:20210305000000Z"
    assert b"pyHanko" not in pdf[len(first) :]


def test_a_rebuild_with_the_same_certificate_is_skipped_and_another_rebuilds(
    signed, pki_files, tmp_path, capsys
):
    out = tmp_path / "out"
    shutil.copytree(signed, out / NAME)
    assert _build(out, pki_files) == 0
    assert "built" not in capsys.readouterr().out  # up to date: skipped
    document = source.load(MINIMAL)
    plain = buildkey.key_for(document, flavour="2u", config=Config())
    ours = buildkey.key_for(document, flavour="2u", config=Config(),
                            signing=Signer(identity(pki.signer()), WHEN).key_values())  # fmt: skip
    theirs = buildkey.key_for(document, flavour="2u", config=Config(),
                              signing=Signer(identity(pki.stranger()), WHEN).key_values())  # fmt: skip
    chained = buildkey.key_for(document, flavour="2u", config=Config(), signing=Signer(
        keys.Identity(pki.signer().key, pki.signer().certificate), WHEN).key_values())  # fmt: skip
    assert len({plain, ours, theirs, chained}) == 4


def test_a_signed_batch_with_two_workers_signs_in_the_main_process(
    pki_files, tmp_path, make_source
):
    second = make_source({"symbols": ["A/75/9002"]})
    os.environ["SOURCE_DATE_EPOCH"] = pki.EPOCH
    try:
        code = main(["build", str(MINIMAL), str(second), "-o", str(tmp_path / "out"), "--jobs",
                     "2", "--pdfa", "2u", *_sign_args(pki_files)])  # fmt: skip
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    assert code == 0
    bags = sorted((tmp_path / "out").iterdir())
    assert len([b for b in bags if not b.name.startswith(".")]) == 2
    for built in bags:
        if not built.name.startswith("."):
            assert main(["verify", "--no-second-opinions", "--trust", str(pki_files["ca"]),
                         "--require-signature", str(built)]) == 0  # fmt: skip


def test_a_signing_identity_refuses_to_travel_to_another_process():
    with pytest.raises(TypeError, match="never leaves"):
        pickle.dumps(identity(pki.signer()))
    assert "PRIVATE" not in repr(identity(pki.signer()))


def test_the_verify_unlisted_tag_rule_and_the_writer_name_the_same_file():
    assert verify_bagit.SIGNATURE_NAME == SIGNATURE_NAME


# -- keys and options ---------------------------------------------------------------------------


def test_a_signing_time_outside_the_certificate_is_an_input_error(pki_files, tmp_path, capsys):
    os.environ["SOURCE_DATE_EPOCH"] = pki.EPOCH
    try:
        code = main(["build", str(MINIMAL), "-o", str(tmp_path), *_sign_args(pki_files, "expired")])
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    assert code == 2
    err = capsys.readouterr().err
    assert "outside the certificate's validity" in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_a_key_that_is_not_the_certificates_is_an_input_error(pki_files, tmp_path, capsys):
    args = [
        "--sign-key",
        str(pki_files["stranger.key"]),
        "--sign-cert",
        str(pki_files["signer.cert"]),
    ]
    assert main(["build", str(MINIMAL), "-o", str(tmp_path), *args]) == 2
    assert "does not belong to the certificate" in capsys.readouterr().err


def test_an_encrypted_key_and_a_pkcs12_file_take_the_passphrase_from_the_environment(tmp_path):
    party = pki.signer()
    encrypted = tmp_path / "key.pem"
    encrypted.write_bytes(
        party.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    cert = party.write_cert(tmp_path / "cert.pem")
    environ = {keys.PASSPHRASE_ENV: "s3cret"}
    assert (
        keys.load_pem(encrypted, cert, environ=environ).fingerprint == identity(party).fingerprint
    )
    with pytest.raises(keys.UserError, match=keys.PASSPHRASE_ENV):
        keys.load_pem(encrypted, cert, environ={})
    bundle = tmp_path / "org.p12"
    bundle.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"org", party.key, party.certificate, [pki.ca().certificate],
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )  # fmt: skip
    loaded = keys.load_pkcs12(bundle, environ=environ)
    assert loaded.subject == identity(party).subject and len(loaded.chain) == 1
    with pytest.raises(keys.UserError, match="wrong passphrase"):
        keys.load_pkcs12(bundle, environ={keys.PASSPHRASE_ENV: "nope"})


def test_the_signing_table_of_the_configuration_signs_and_trusts(pki_files, tmp_path):
    config = tmp_path / "unfolio.toml"
    config.write_text(
        "[signing]\n"
        f'key = "{pki_files["signer.key"]}"\ncertificate = "{pki_files["signer.cert"]}"\n'
        f'trust = ["{pki_files["ca"]}"]\nrequire_signature = true\n',
        encoding="utf-8",
    )
    os.environ["SOURCE_DATE_EPOCH"] = pki.EPOCH
    try:
        assert main(["build", str(MINIMAL), "-o", str(tmp_path / "out"), "--config", str(config),
                     "--pdfa", "2u"]) == 0  # fmt: skip
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    built = tmp_path / "out" / NAME
    assert (built / SIGNATURE_NAME).is_file()
    assert main(["verify", "--no-second-opinions", "--strict", "--config", str(config),
                 str(built)]) == 0  # fmt: skip
    (built / SIGNATURE_NAME).unlink()
    assert main(["verify", "--no-second-opinions", "--config", str(config), str(built)]) == 1


def test_a_bad_signing_table_names_the_key(tmp_path, capsys):
    config = tmp_path / "unfolio.toml"
    config.write_text('[signing]\nkey = "nowhere.pem"\ncolour = 1\n', encoding="utf-8")
    assert main(["build", str(MINIMAL), "-o", str(tmp_path / "o"), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "signing.key" in err and "signing.colour" in err and "go together" in err


# -- each SIG- code on its fixture --------------------------------------------------------------


def test_an_unsigned_bag_fails_only_with_require_signature(signed, tmp_path):
    unsigned = unsigned_revision((signed / PDF).read_bytes())
    built = build_bag(source.load(MINIMAL), unsigned, "2u", tmp_path, Config())
    assert codes(built) == []
    assert codes(built, require_signature=True) == [("SIG-MISSING", "")]
    ca = pki.ca().write_cert(tmp_path / "ca.pem")
    assert codes(built, trust=anchors(ca)) == [("SIG-UNSIGNED", "")]  # a warning: passes
    assert verify_target(built, Options(second_opinions=False, trust=anchors(ca))).passed(False)


def test_the_words_byterange_in_an_unsigned_pdf_do_not_make_a_signature(signed, tmp_path):
    pdf = unsigned_revision((signed / PDF).read_bytes())
    assert not signature.pdf_signed(pdf + b"% /ByteRange [0 1 2 3]\n")
    assert signature.pdf_signed((signed / PDF).read_bytes())


def test_bags_of_unfolio_0_1_get_no_signature_finding_unless_one_is_required():
    # (their exit 0 as a whole is the layout rules' test, tests/test_verify_layouts.py)
    for target in sorted(OLD_BAGS.iterdir()):
        if target.name.endswith((".sha256", ".md")):
            continue
        for require, expected in ((False, []), (True, ["SIG-MISSING"])):
            report = verify_target(
                target, Options(second_opinions=False, require_signature=require)
            )
            assert [f.code for f in report.findings if f.code.startswith("SIG-")] == expected


def test_a_stripped_bag_signature_or_pdf_signature_is_incomplete(bag):
    pdf = (bag / PDF).read_bytes()
    (bag / SIGNATURE_NAME).unlink()
    assert ("SIG-INCOMPLETE", SIGNATURE_NAME) in codes(bag)
    (bag / PDF).write_bytes(unsigned_revision(pdf))
    (bag / SIGNATURE_NAME).write_bytes(sign_detached(b"x", identity(pki.signer()), WHEN))
    reseal(bag)
    (bag / SIGNATURE_NAME).write_bytes(
        sign_detached((bag / "tagmanifest-sha512.txt").read_bytes(), identity(pki.signer()), WHEN)
    )
    assert ("SIG-INCOMPLETE", PDF) in codes(bag)


def test_a_signature_copied_from_another_bag_does_not_sign_this_one(bag, signed, tmp_path):
    document = source.load(MINIMAL)
    signer = Signer(identity(pki.signer()), WHEN)
    (tmp_path / "other").mkdir()
    other = build_bag(document, (signed / PDF).read_bytes(), "2u", tmp_path / "other",
                      Config(contact_name="Someone Else"), sign_tag_manifest=signer.sign_tag_manifest)  # fmt: skip
    shutil.copyfile(other / SIGNATURE_NAME, bag / SIGNATURE_NAME)
    assert codes(bag, trust=anchors(Path(pki.ca().write_cert(tmp_path / "ca.pem")))) == [
        ("SIG-BAG-DIGEST", SIGNATURE_NAME)
    ]


def test_a_bag_re_manifested_by_someone_without_the_key_fails_the_digest(bag):
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    (bag / "bag-info.txt").write_text(info.replace("United Nations", "Untied Nations"))
    reseal(bag)
    assert ("SIG-BAG-DIGEST", SIGNATURE_NAME) in codes(bag)


def test_a_signature_made_with_another_key_does_not_verify(bag):
    forged = keys.Identity(pki.stranger().key, pki.signer().certificate, (pki.ca().certificate,))
    (bag / SIGNATURE_NAME).write_bytes(
        sign_detached((bag / "tagmanifest-sha512.txt").read_bytes(), forged, WHEN)
    )
    assert codes(bag) == [("SIG-BAG-INVALID", SIGNATURE_NAME), ("SIG-TRUST-UNCHECKED", PDF)]


def test_a_garbled_or_oversized_bag_signature_is_invalid(bag):
    (bag / SIGNATURE_NAME).write_bytes(b"-----BEGIN nonsense")
    assert ("SIG-BAG-INVALID", SIGNATURE_NAME) in codes(bag)
    (bag / SIGNATURE_NAME).write_bytes(b"0" * (signature.MAX_SIGNATURE_BYTES + 1))
    found = verify_target(bag, Options(second_opinions=False)).findings
    assert any(f.code == "SIG-BAG-INVALID" and "larger than" in f.message for f in found)


def test_an_untrusted_signer_is_an_error_with_anchors_and_a_warning_without(bag, tmp_path):
    ca = pki.ca().write_cert(tmp_path / "ca.pem")
    other = pki.other_ca().write_cert(tmp_path / "other.pem")
    assert codes(bag, trust=anchors(other)) == [
        ("SIG-UNTRUSTED", SIGNATURE_NAME),
        ("SIG-UNTRUSTED", PDF),
    ]
    stranger = keys.Identity(
        pki.stranger().key, pki.stranger().certificate, (pki.other_ca().certificate,)
    )
    (bag / SIGNATURE_NAME).write_bytes(
        sign_detached((bag / "tagmanifest-sha512.txt").read_bytes(), stranger, WHEN)
    )
    found = codes(bag, trust=anchors(ca))
    assert ("SIG-UNTRUSTED", SIGNATURE_NAME) in found
    assert ("SIG-SIGNER-MISMATCH", SIGNATURE_NAME) in found
    assert ("SIG-UNTRUSTED", PDF) not in found


def test_a_signature_by_an_expired_certificate_fails_cert_time(bag, tmp_path):
    late = keys.Identity(pki.expired().key, pki.expired().certificate, (pki.ca().certificate,))
    (bag / SIGNATURE_NAME).write_bytes(
        sign_detached((bag / "tagmanifest-sha512.txt").read_bytes(), late, WHEN)
    )
    found = codes(bag, trust=anchors(pki.ca().write_cert(tmp_path / "ca.pem")))
    assert ("SIG-CERT-TIME", SIGNATURE_NAME) in found
    assert ("SIG-SIGNER-MISMATCH", SIGNATURE_NAME) in found


def _incremental_edit(pdf: bytes) -> bytes:
    """Append an update that changes the document's language, as a PDF editor would save."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.root[generic.pdf_name("/Lang")] = generic.TextStringObject("fr")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_signed_then_changed_incrementally_fails_pdf_changed(bag):
    (bag / PDF).write_bytes(_incremental_edit((bag / PDF).read_bytes()))
    reseal(bag)
    assert ("SIG-PDF-CHANGED", PDF) in codes(bag)


def test_a_signature_revision_that_also_paints_over_page_one_fails_pdf_revision(bag, monkeypatch):
    from pyhanko.pdf_utils import generic

    add_field = sign_pdf_module._add_field

    def add_field_and_paint(writer):
        page_ref = writer.find_page_for_modification(0)[0]
        page = page_ref.get_object()
        box = writer.add_object(generic.StreamObject(stream_data=b"1 1 1 rg 0 0 612 400 re f"))
        page[generic.pdf_name("/Contents")] = generic.ArrayObject([page.raw_get("/Contents"), box])
        writer.update_container(page)
        add_field(writer)

    monkeypatch.setattr(sign_pdf_module, "_add_field", add_field_and_paint)
    pdf = unsigned_revision((bag / PDF).read_bytes())
    (bag / PDF).write_bytes(Signer(identity(pki.signer()), WHEN).sign_pdf(pdf))
    reseal(bag)
    (bag / SIGNATURE_NAME).write_bytes(
        sign_detached((bag / "tagmanifest-sha512.txt").read_bytes(), identity(pki.signer()), WHEN)
    )
    found = verify_target(bag, Options(second_opinions=False)).findings
    revision = [f for f in found if f.code == "SIG-PDF-REVISION"]
    assert revision and all(f.file == PDF for f in revision)
    assert any("/Contents" in f.message for f in revision) and any(
        "adds object" in f.message for f in revision
    )


def test_a_pdf_signature_with_an_altered_value_is_invalid(bag):
    pdf = bytearray((bag / PDF).read_bytes())
    contents = re.search(rb"/Contents <([0-9A-Fa-f]+)>", bytes(pdf))
    hex_digits = contents.group(1).rstrip(b"0")
    where = contents.start(1) + len(hex_digits) - 4
    pdf[where] = ord("0") if pdf[where] != ord("0") else ord("1")
    (bag / PDF).write_bytes(bytes(pdf))
    reseal(bag)
    (bag / SIGNATURE_NAME).write_bytes(
        sign_detached((bag / "tagmanifest-sha512.txt").read_bytes(), identity(pki.signer()), WHEN)
    )
    assert ("SIG-PDF-INVALID", PDF) in codes(bag)


def test_openssl_rejecting_a_signature_unfolio_accepts_is_a_finding(bag, tmp_path, monkeypatch):
    script = tmp_path / "openssl"
    script.write_text("#!/bin/sh\n[ \"$1\" = version ] && echo 'OpenSSL 9.9' && exit 0\n"
                      "echo 'Verification failure' >&2\nexit 4\n")  # fmt: skip
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    report = verify_target(bag, Options(trust=anchors(pki.ca().write_cert(tmp_path / "ca.pem"))))
    assert ("SIG-OPINION-OPENSSL", SIGNATURE_NAME) in [(f.code, f.file) for f in report.findings]


def test_openssl_agrees_that_a_good_bag_signature_verifies(signed, tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("no openssl on PATH")
    from pipeline.verify.opinions import openssl_cms

    assert openssl_cms(signed).verdict == "valid"


# -- the signed PDF: PDF/A form rules and tagging ---------------------------------------------


def test_the_gate_refuses_a_signature_widget_that_is_hidden(signed):
    with pikepdf.open(io.BytesIO((signed / PDF).read_bytes())) as pdf:
        assert list(form.problems(pdf)) == []
        pdf.Root.AcroForm.Fields[0].F = 2 | 4
        out = io.BytesIO()
        pdf.save(out)
    from pipeline.typeset import gate

    findings = gate.check(out.getvalue(), source.load(MINIMAL), "2u")
    assert [f.code for f in findings] == ["PDF-SIGNATURE-FORM"]


@pytest.fixture(scope="module")
def tagged_signed() -> bytes:
    import weasyprint

    html = weasyprint.HTML(string="<html lang=en><head><title>T</title></head><body><h1>Title"
                           "</h1><p>Hello <a href='https://un.org'>link</a></p></body></html>")  # fmt: skip
    raw = html.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
    return Signer(identity(pki.signer()), WHEN).sign_pdf(raw)


def test_a_tagged_pdfs_signature_widget_is_a_form_element_for_pdf_ua(tagged_signed):
    with pikepdf.open(io.BytesIO(tagged_signed)) as pdf:
        assert list(form.problems(pdf)) == []
        widget = pdf.Root.AcroForm.Fields[0]
        assert str(widget.TU) == sign_pdf_module.FIELD_DESCRIPTION
        page = next(p for p in pdf.pages if widget.objgen in [a.objgen for a in p.Annots])
        assert page.obj.Tabs == pikepdf.Name.S
        element = form._parent_tree_value(
            pdf.Root.StructTreeRoot.ParentTree, int(widget.StructParent)
        )
        assert pikepdf.Name.Form == element.S and element.K.Obj.objgen == widget.objgen
        assert int(pdf.Root.StructTreeRoot.ParentTreeNextKey) == int(widget.StructParent) + 1
        assert pikepdf.Name.Document == element.P.S


def test_a_tagged_signature_revision_adds_nothing_beyond_the_signature(tagged_signed):
    outcome = signature.Outcome()
    cert = signature._check_pdf(tagged_signed, "x.pdf", (), outcome)
    assert cert is not None
    assert [f.code for f in outcome.findings] == ["SIG-TRUST-UNCHECKED"]


def test_a_tagged_widget_without_its_accessible_name_fails_the_form_check(tagged_signed):
    with pikepdf.open(io.BytesIO(tagged_signed)) as pdf:
        del pdf.Root.AcroForm.Fields[0]["/TU"]
        assert any("/TU" in p for p in form.problems(pdf))


def test_the_bag_digest_is_the_sha256_of_the_tag_manifest_the_signature_signs(signed):
    from asn1crypto import cms

    signed_data = cms.ContentInfo.load((signed / SIGNATURE_NAME).read_bytes())["content"]
    attrs = signed_data["signer_infos"][0]["signed_attrs"]
    digest = next(a for a in attrs if a["type"].native == "message_digest")["values"][0].native
    assert digest == hashlib.sha256((signed / "tagmanifest-sha512.txt").read_bytes()).digest()


def test_only_the_signature_of_a_0_2_bag_is_exempt_from_the_unlisted_tag_rule(bag, tmp_path):
    shutil.copyfile(bag / SIGNATURE_NAME, bag / f"{SIGNATURE_NAME}.old")
    found = codes(bag)
    assert ("BAG-LAYOUT-TAG-UNLISTED", f"{SIGNATURE_NAME}.old") in found
    assert ("BAG-LAYOUT-TAG-UNLISTED", SIGNATURE_NAME) not in found
    old = Path(shutil.copytree(OLD_BAGS / "A_HRC_49_9105-FR", tmp_path / "old"))
    shutil.copyfile(bag / SIGNATURE_NAME, old / SIGNATURE_NAME)
    assert ("BAG-LAYOUT-TAG-UNLISTED", SIGNATURE_NAME) in codes(old)


def test_an_ecdsa_key_signs_pdf_and_bag_that_verify(signed, tmp_path):
    party = pki.make_leaf(pki.ca(), "EC Signer", index=7, curve=True)
    signer = Signer(keys.Identity(party.key, party.certificate), WHEN)
    pdf = signer.sign_pdf(unsigned_revision((signed / PDF).read_bytes()))
    built = build_bag(source.load(MINIMAL), pdf, "2u", tmp_path, Config(),
                      sign_tag_manifest=signer.sign_tag_manifest)  # fmt: skip
    assert codes(built, trust=anchors(pki.ca().write_cert(tmp_path / "ca.pem"))) == []


def test_a_signed_dask_build_signs_on_the_client_and_matches_a_local_one(
    signed, pki_files, tmp_path
):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        assert _build(tmp_path, pki_files, "--executor", "dask", "--scheduler",
                      cluster.scheduler_address) == 0  # fmt: skip
    remote = tmp_path / NAME
    files = sorted(p.relative_to(signed) for p in signed.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(remote) for p in remote.rglob("*") if p.is_file())
    assert all((signed / f).read_bytes() == (remote / f).read_bytes() for f in files)


def test_a_self_signed_certificate_is_trusted_when_it_is_the_anchor_and_not_otherwise(
    signed, tmp_path
):
    root = pki.ca()
    signer = Signer(keys.Identity(root.key, root.certificate), WHEN)
    pdf = signer.sign_pdf(unsigned_revision((signed / PDF).read_bytes()))
    built = build_bag(source.load(MINIMAL), pdf, "2u", tmp_path, Config(),
                      sign_tag_manifest=signer.sign_tag_manifest)  # fmt: skip
    assert codes(built, trust=anchors(root.write_cert(tmp_path / "root.pem"))) == []
    other = pki.other_ca().write_cert(tmp_path / "other.pem")
    assert codes(built, trust=anchors(other)) == [
        ("SIG-UNTRUSTED", SIGNATURE_NAME),
        ("SIG-UNTRUSTED", PDF),
    ]


def test_signature_options_with_bagit_only_are_a_usage_error(signed, pki_files, capsys):
    assert main(["verify", "--bagit-only", "--require-signature", str(signed)]) == 2
    assert "--bagit-only" in capsys.readouterr().err


def test_build_signs_with_a_pkcs12_file_whose_passphrase_is_in_the_environment(
    signed, tmp_path, monkeypatch
):
    party = pki.signer()
    bundle = tmp_path / "org.p12"
    bundle.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"org", party.key, party.certificate, None,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )  # fmt: skip
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "s3cret")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", pki.EPOCH)
    out = tmp_path / "out"
    assert main(["build", str(MINIMAL), "-o", str(out), "--pdfa", "2u", "--sign-p12",
                 str(bundle)]) == 0  # fmt: skip
    assert (out / NAME / PDF).read_bytes() == (signed / PDF).read_bytes()  # same key, same bytes
    assert main(["build", str(MINIMAL), "-o", str(out), "--sign-p12", str(bundle),
                 "--sign-key", str(bundle)]) == 2  # fmt: skip


# -- what a signature revision may change (pipeline.typeset.sigupdate) ------------------------


@pytest.fixture(scope="module", params=["2a", "2u"])
def unsigned_letter(request) -> bytes:
    from pipeline.typeset import render_pdf

    return render_pdf(source.load(MINIMAL), MINIMAL, flavour=request.param)


def _revision_problems(pdf: bytes) -> list[str]:
    from pipeline.typeset import drawing

    return [p.message for p in drawing.check_revisions(pdf, signature_allowed=True)]


def test_unfolios_signature_revision_changes_nothing_but_the_signature(unsigned_letter):
    signed = Signer(identity(pki.signer()), WHEN).sign_pdf(unsigned_letter)
    assert _revision_problems(signed) == []


def test_an_update_with_a_signature_dictionary_but_no_field_fails(unsigned_letter):
    """The red team's disguise: an unreferenced /Sig beside a repainted page 1, in one update
    written by hand (classic xref section)."""
    import re as regex
    import zlib

    with pikepdf.open(io.BytesIO(unsigned_letter)) as pdf:
        contents = pdf.pages[0].obj.Contents
        number = contents.objgen[0]
        body = zlib.compress(contents.read_bytes() + b"\nq 1 1 1 rg 0 0 612 396 re f Q")
        size, root = int(pdf.trailer.Size), pdf.Root.objgen[0]
        ids = [bytes(x).hex().encode() for x in pdf.trailer.ID]
    prev = int(regex.findall(rb"startxref\s+(\d+)\s+%%EOF", unsigned_letter)[-1])
    out = bytearray(unsigned_letter)
    at_contents = len(out)
    out += b"%d 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % (number, len(body))
    out += body + b"\nendstream\nendobj\n"
    at_sig = len(out)
    out += b"%d 0 obj\n<< /Type /Sig /ByteRange [0 0 0 0] /Contents <00> >>\nendobj\n" % size
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    out += b"%d 1\n%010d 00000 n \n%d 1\n%010d 00000 n \n" % (number, at_contents, size, at_sig)
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d /ID [<%s> <%s>] >>\n" % (
        size + 1,
        root,
        prev,
        ids[0],
        ids[1],
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    problems = _revision_problems(bytes(out))
    assert any("no signature field" in p for p in problems), problems
    assert any("stream's bytes" in p for p in problems), problems


def test_a_signed_update_that_also_repaints_a_page_fails(unsigned_letter, monkeypatch):
    """A signature field made as unfolio makes it, and in the same update a new content stream
    for page 1: the signature is genuine, the revision is not only a signature."""
    from pyhanko.pdf_utils import generic

    real = sign_pdf_module._add_field

    def add_and_repaint(writer):
        real(writer)
        page_ref = writer.root["/Pages"]["/Kids"][0]
        page = page_ref.get_object()
        paint = writer.add_object(
            generic.StreamObject(stream_data=b"q 1 1 1 rg 0 0 612 396 re f Q")
        )
        page["/Contents"] = generic.ArrayObject([page.raw_get("/Contents"), paint])
        writer.update_container(page)

    monkeypatch.setattr(sign_pdf_module, "_add_field", add_and_repaint)
    signed = Signer(identity(pki.signer()), WHEN).sign_pdf(unsigned_letter)
    problems = _revision_problems(signed)
    assert any("/Contents" in p for p in problems), problems


def test_a_signed_chinese_document_passes_the_gate():
    """The widget's Form element describes the signature in English: it says so with its own
    /Lang, or PDF-TAGS-LANG-SPAN refuses every signed ar/ru/zh build."""
    from pipeline.typeset import gate, render_pdf

    document = source.load(EXAMPLE)
    signed = Signer(identity(pki.signer()), WHEN).sign_pdf(render_pdf(document, EXAMPLE))
    assert [f.code for f in gate.check(signed, document, "2a", signature_allowed=True)] == []
