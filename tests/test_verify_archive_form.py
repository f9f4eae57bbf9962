"""An archive whose headers are not the ones unfolio's writer makes (BAG-ARCHIVE-FORM).

Each test builds a real bag archive with unfolio, then rewrites it as a forger would, with
the bag's bytes untouched and the sidecar rewritten: a folder member whose Info-ZIP Unicode
Path names the PDF (``unzip`` extracts it over the verified one), an unknown extra field,
members stored, other modes and times; tar members with setuid modes, a pax ``path`` that a
plain ustar reader does not see, owner names, the GNU format, a gzip header with a file name.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

from pipeline import source
from pipeline.config import Config
from pipeline.package import build_bag
from pipeline.verify import Options, verify_target

from .conftest import MINIMAL

EPOCH = "1614902400"
QUICK = Options(second_opinions=False, reproduce=False)


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, Path]:
    from pipeline.typeset import render_pdf

    out = tmp_path_factory.mktemp("archives")
    document = source.load(MINIMAL)
    built = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        pdf = render_pdf(document, MINIMAL, flavour="2u")
        for fmt in ("zip", "tgz"):
            (out / fmt).mkdir()
            built[fmt] = build_bag(document, pdf, "2u", out / fmt, Config(), fmt=fmt)
        patch.delenv("SOURCE_DATE_EPOCH")
        for fmt in ("zip", "tgz"):
            (out / f"{fmt}-now").mkdir()
            built[f"{fmt}-now"] = build_bag(
                document, pdf, "2u", out / f"{fmt}-now", Config(), fmt=fmt
            )
    return built


def copy(archives: dict[str, Path], fmt: str, tmp_path: Path) -> Path:
    original = archives[fmt]
    target = tmp_path / original.name
    shutil.copyfile(original, target)
    return target


def reseal(archive: Path) -> None:
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    archive.with_name(archive.name + ".sha256").write_text(f"{digest}  {archive.name}\n")


def findings(path: Path) -> list[tuple[str, str]]:
    return [(f.code, f.file) for f in verify_target(path, QUICK).findings]


def forms(path: Path) -> list[str]:
    return [file for code, file in findings(path) if code == "BAG-ARCHIVE-FORM"]


@pytest.mark.parametrize("fmt", ["zip", "tgz", "zip-now", "tgz-now"])
def test_archives_as_unfolio_writes_them_have_no_form_finding(archives, tmp_path, fmt):
    path = copy(archives, fmt, tmp_path)
    reseal(path)
    assert findings(path) == []


# -- zip -------------------------------------------------------------------------------------------


def rezip(path: Path, change) -> None:
    """Rewrite the zip member by member with Python's zipfile (as unfolio's writer does), each
    ``ZipInfo`` passed through ``change(info, data) -> [(info, data), ...]``."""
    with zipfile.ZipFile(path) as bundle:
        members = [(info, bundle.read(info.filename)) for info in bundle.infolist()]
    with zipfile.ZipFile(path, "w") as bundle:
        for info, data in members:
            fresh = zipfile.ZipInfo(info.filename, info.date_time)
            fresh.compress_type = info.compress_type
            fresh.external_attr = info.external_attr
            fresh.create_system = info.create_system
            for new, payload in change(fresh, data):
                bundle.writestr(new, payload, compresslevel=9)
    reseal(path)


def test_a_plain_rewrite_of_the_zip_has_no_form_finding(archives, tmp_path):
    path = copy(archives, "zip", tmp_path)
    rezip(path, lambda info, data: [(info, data)])
    assert findings(path) == []


def test_a_folder_member_whose_unicode_path_is_the_pdf_fails_bag_archive_form(archives, tmp_path):
    """H13: ``unzip`` writes the member to its Unicode Path, over the verified PDF; zipfile
    (and so verify's extraction) sees an empty folder: "BAG-ARCHIVE-FORM"."""
    path = copy(archives, "zip", tmp_path)
    top = path.name.removesuffix(".zip")
    pdf_name = f"{top}/data/objects/{top}.pdf"
    shadow = f"{top}/data/objects/old/"

    def change(info, data):
        out = [(info, data)]
        if info.filename == pdf_name:
            forged = zipfile.ZipInfo(shadow, info.date_time)
            forged.compress_type = zipfile.ZIP_DEFLATED
            forged.external_attr = info.external_attr
            forged.create_system = 3
            name = pdf_name.encode()
            forged.extra = struct.pack(
                "<HHBI", 0x7075, 5 + len(name), 1, zlib.crc32(shadow.encode())
            )
            forged.extra += name
            out.append((forged, data + b"\n% FORGED COPY\n"))
        return out

    rezip(path, change)
    assert shadow in forms(path)


def test_an_unknown_extra_field_fails_bag_archive_form(archives, tmp_path):
    path = copy(archives, "zip", tmp_path)

    def change(info, data):
        if info.filename.endswith("bagit.txt"):
            info.extra = struct.pack("<HH", 0xCAFE, 6) + b"forged"
        return [(info, data)]

    rezip(path, change)
    assert [name for name in forms(path) if name.endswith("bagit.txt")]


def test_members_stored_not_deflated_fail_bag_archive_form(archives, tmp_path):
    path = copy(archives, "zip", tmp_path)

    def change(info, data):
        info.compress_type = zipfile.ZIP_STORED
        return [(info, data)]

    rezip(path, change)
    assert [name for name in forms(path) if name.endswith("bag-info.txt")]


@pytest.mark.parametrize(
    "field, value",
    [("external_attr", (0o104755 << 16)), ("date_time", (2030, 1, 1, 0, 0, 0))],
)
def test_another_mode_or_time_fails_bag_archive_form(archives, tmp_path, field, value):
    path = copy(archives, "zip", tmp_path)

    def change(info, data):
        if not info.filename.endswith("/"):
            if field == "date_time":
                info = zipfile.ZipInfo(info.filename, value)
                info.compress_type, info.create_system = zipfile.ZIP_DEFLATED, 3
                info.external_attr = 0o100644 << 16
            else:
                info.external_attr = value
        return [(info, data)]

    rezip(path, change)
    assert [name for name in forms(path) if name.endswith("bagit.txt")]


def test_every_member_at_another_time_than_the_recorded_epoch_fails(archives, tmp_path):
    path = copy(archives, "zip", tmp_path)

    def change(info, data):
        moved = zipfile.ZipInfo(info.filename, (2030, 1, 1, 0, 0, 0))
        moved.compress_type, moved.create_system = info.compress_type, 3
        moved.external_attr = info.external_attr
        return [(moved, data)]

    rezip(path, change)
    top = path.name.removesuffix(".zip") + "/"
    assert top in forms(path)


def test_an_empty_folder_member_fails_bag_archive_form(archives, tmp_path):
    path = copy(archives, "zip", tmp_path)
    top = path.name.removesuffix(".zip")

    def change(info, data):
        out = [(info, data)]
        if info.filename == f"{top}/data/":
            extra = zipfile.ZipInfo(f"{top}/data/forged/", info.date_time)
            extra.external_attr, extra.create_system = info.external_attr, 3
            out.append((extra, b""))
        return out

    rezip(path, change)
    assert f"{top}/data/forged/" in forms(path)


# -- tar.gz ----------------------------------------------------------------------------------------


def retar(path: Path, change, *, fmt: int = tarfile.PAX_FORMAT, gzip_name: str = "") -> None:
    """Rewrite the tar member by member, each ``TarInfo`` passed through ``change``, inside a
    gzip stream made as unfolio's writer makes it (unless ``gzip_name`` is given)."""
    with tarfile.open(path) as bundle:
        members = [
            (info, bundle.extractfile(info).read() if info.isfile() else None) for info in bundle
        ]
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(filename=gzip_name, mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as z,
        tarfile.open(fileobj=z, mode="w", format=fmt) as bundle,
    ):
        for info, data in members:
            change(info)
            bundle.addfile(info, io.BytesIO(data) if data is not None else None)
    path.write_bytes(buffer.getvalue())
    reseal(path)


def test_a_plain_rewrite_of_the_tgz_has_no_form_finding(archives, tmp_path):
    path = copy(archives, "tgz", tmp_path)
    retar(path, lambda info: None)
    assert findings(path) == []


def test_setuid_modes_fail_bag_archive_form(archives, tmp_path):
    path = copy(archives, "tgz", tmp_path)

    def change(info):
        if info.isfile():
            info.mode = 0o6755

    retar(path, change)
    assert [name for name in forms(path) if name.endswith("bag-info.txt")]


def test_a_pax_path_other_than_the_ustar_name_fails_bag_archive_form(archives, tmp_path):
    path = copy(archives, "tgz", tmp_path)

    def change(info):
        if info.name.endswith("/bagit.txt"):
            info.pax_headers = {"path": info.name}
            info.name = info.name.replace("bagit.txt", "other.txt")

    retar(path, change)
    assert [name for name in forms(path) if name.endswith("bagit.txt")]


@pytest.mark.parametrize(
    "change",
    [
        lambda info: setattr(info, "uname", "root"),
        lambda info: setattr(info, "uid", 1000),
        lambda info: setattr(info, "mtime", 1893456000),
        lambda info: info.pax_headers.update(comment="certified"),
    ],
    ids=["owner-name", "uid", "mtime", "pax-comment"],
)
def test_other_header_fields_fail_bag_archive_form(archives, tmp_path, change):
    path = copy(archives, "tgz", tmp_path)
    retar(path, change)
    assert forms(path)


def test_the_gnu_format_fails_bag_archive_form(archives, tmp_path):
    path = copy(archives, "tgz", tmp_path)
    retar(path, lambda info: None, fmt=tarfile.GNU_FORMAT)
    assert forms(path)


def test_a_gzip_header_with_a_file_name_fails_bag_archive_form(archives, tmp_path):
    path = copy(archives, "tgz", tmp_path)
    retar(path, lambda info: None, gzip_name="forged.tar")
    assert path.name in forms(path)


def test_a_plain_tar_fails_bag_archive_form(archives, tmp_path):
    path = copy(archives, "tgz", tmp_path)
    path.write_bytes(gzip.decompress(path.read_bytes()))
    reseal(path)
    assert path.name in forms(path)


def test_another_tools_archive_is_judged_by_bagit_alone_under_bagit_only(archives, tmp_path):
    path = copy(archives, "tgz", tmp_path)
    retar(path, lambda info: setattr(info, "uname", "root"), gzip_name="other.tar")
    assert forms(path)
    found = verify_target(path, Options(second_opinions=False, bagit_only=True)).findings
    assert not [f for f in found if f.code == "BAG-ARCHIVE-FORM"]
