"""An archive that shows a streaming reader something verify never checked, or misnames its bag.

Each test builds a real bag archive with unfolio, then forges it the way an attacker would:
bytes after the zip's end record, a local record the central directory omits, a local name
that is not the directory's, a second gzip member, an archive renamed. The sidecar is
rewritten to match, so only the check under test can catch it.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import struct
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
QUICK = Options(second_opinions=False)


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, Path]:
    from pipeline.typeset import render_pdf

    out = tmp_path_factory.mktemp("archives")
    for fmt in ("zip", "tgz"):
        (out / fmt).mkdir()
    document = source.load(MINIMAL)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        pdf = render_pdf(document, MINIMAL, flavour="2u")
        return {
            fmt: build_bag(document, pdf, "2u", out / fmt, Config(), fmt=fmt)
            for fmt in ("zip", "tgz")
        }


def copy(archives: dict[str, Path], fmt: str, tmp_path: Path, name: str | None = None) -> Path:
    original = archives[fmt]
    target = tmp_path / (name or original.name)
    shutil.copyfile(original, target)
    return target


def reseal(archive: Path) -> None:
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    archive.with_name(archive.name + ".sha256").write_text(f"{digest}  {archive.name}\n")


def findings(path: Path) -> list[tuple[str, str]]:
    return [(f.code, f.file) for f in verify_target(path, QUICK).findings]


def test_built_archives_have_no_record_findings(archives, tmp_path):
    for fmt in ("zip", "tgz"):
        path = copy(archives, fmt, tmp_path)
        reseal(path)
        assert findings(path) == []


def test_bytes_after_the_zip_end_record_fail_bag_archive_trailing(archives, tmp_path):
    path = copy(archives, "zip", tmp_path)
    with open(path, "ab") as handle:
        handle.write(b"PK\x03\x04 a second payload")
    reseal(path)
    assert ("BAG-ARCHIVE-TRAILING", path.name) in findings(path)


def _hide_record(data: bytes, name: str, payload: bytes) -> bytes:
    """Insert a stored local record before the central directory, shifting its offset."""
    end = data.rindex(b"PK\x05\x06")
    (directory_size, directory_at) = struct.unpack("<LL", data[end + 12 : end + 20])
    raw = name.encode()
    crc = zlib.crc32(payload)
    record = struct.pack(
        "<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0x21, crc, len(payload), len(payload), len(raw), 0
    )
    record += raw + payload
    shifted = struct.pack("<LL", directory_size, directory_at + len(record))
    return data[:directory_at] + record + data[directory_at : end + 12] + shifted + data[end + 20 :]


def test_a_local_record_the_central_directory_omits_fails_bag_archive_unlisted_record(
    archives, tmp_path
):
    path = copy(archives, "zip", tmp_path)
    top = path.name.removesuffix(".zip")
    hidden = f"{top}/data/objects/hidden.txt"
    path.write_bytes(_hide_record(path.read_bytes(), hidden, b"what a streaming reader sees"))
    with zipfile.ZipFile(path) as bundle:  # the directory knows nothing of it
        assert hidden not in bundle.namelist() and bundle.testzip() is None
    reseal(path)
    assert ("BAG-ARCHIVE-UNLISTED-RECORD", hidden) in findings(path)


def test_a_local_name_other_than_the_directorys_fails_bag_archive_unlisted_record(
    archives, tmp_path
):
    path = copy(archives, "zip", tmp_path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as bundle:
        info = next(i for i in bundle.infolist() if i.filename.endswith("letter.md"))
    at = info.header_offset + 30
    name = info.filename.encode()
    forged = name.replace(b"letter.md", b"letter.sh")
    data[at : at + len(name)] = forged
    path.write_bytes(bytes(data))
    reseal(path)
    assert ("BAG-ARCHIVE-UNLISTED-RECORD", forged.decode()) in findings(path)


def test_a_second_gzip_member_fails_bag_archive_trailing(archives, tmp_path):
    """A second member of zeros: tarfile reads it as end-of-archive padding and gzip -dc
    appends it; a second member of tar data is caught as corrupt already (non-zero padding)."""
    path = copy(archives, "tgz", tmp_path)
    with open(path, "ab") as handle:
        handle.write(gzip.compress(bytes(10240), mtime=0))
    reseal(path)
    assert ("BAG-ARCHIVE-TRAILING", path.name) in findings(path)


def test_zeros_after_the_gzip_member_fail_bag_archive_trailing(archives, tmp_path):
    path = copy(archives, "tgz", tmp_path)
    with open(path, "ab") as handle:
        handle.write(bytes(512))  # gzip -d skips them silently
    reseal(path)
    assert ("BAG-ARCHIVE-TRAILING", path.name) in findings(path)


@pytest.mark.parametrize("fmt", ["zip", "tgz"])
def test_an_archive_not_named_after_its_bag_fails_bag_archive_bag_name(archives, tmp_path, fmt):
    suffix = ".zip" if fmt == "zip" else ".tar.gz"
    path = copy(archives, fmt, tmp_path, name=f"renamed{suffix}")
    reseal(path)
    assert ("BAG-ARCHIVE-BAG-NAME", path.name) in findings(path)


def test_a_zip_comment_fails_bag_archive_comment(archives, tmp_path):
    """unfolio writes no comment; one is text beside the bag that unzip prints and no
    manifest covers (the end record's length field is set, so no byte trails it)."""
    path = copy(archives, "zip", tmp_path)
    with zipfile.ZipFile(path, "a") as bundle:
        bundle.comment = b"Approved by the General Assembly"
    reseal(path)
    found = verify_target(path, QUICK).findings
    assert ("BAG-ARCHIVE-COMMENT", path.name) in [(f.code, f.file) for f in found]
    assert "BAG-ARCHIVE-TRAILING" not in {f.code for f in found}
    assert any("Approved by" in f.message for f in found)


def test_a_member_comment_fails_bag_archive_comment(archives, tmp_path):
    path = copy(archives, "zip", tmp_path)
    data = bytearray(path.read_bytes())
    directory = data.rfind(b"PK\x05\x06")
    entries = struct.unpack("<H", data[directory + 10 : directory + 12])[0]
    at = struct.unpack("<L", data[directory + 16 : directory + 20])[0]
    comment = b"see the corrected version"
    # the first central directory entry: set its comment length, insert the comment
    name, extra, old = struct.unpack("<3H", data[at + 28 : at + 34])
    assert entries and old == 0
    data[at + 32 : at + 34] = struct.pack("<H", len(comment))
    data[at + 46 + name + extra : at + 46 + name + extra] = comment
    directory += len(comment)
    size = struct.unpack("<L", data[directory + 12 : directory + 16])[0] + len(comment)
    data[directory + 12 : directory + 16] = struct.pack("<L", size)
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as bundle:
        assert any(info.comment == comment for info in bundle.infolist())
    reseal(path)
    assert ("BAG-ARCHIVE-COMMENT", path.name) in findings(path)
