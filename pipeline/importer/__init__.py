"""``unfolio import``: a UN Word document (.docx) becomes a document source folder.

Stages, each its own module: ``ooxml`` opens the package safely, ``wordml`` reads the body,
notes and comments into plain blocks, ``styles`` says what each paragraph style is,
``masthead`` reads the first-page header and footer and the document variables, ``convert``
cuts the blocks into parts and builds ``document.json``, ``markdown`` writes the Markdown,
``report`` records what was read, changed or left behind. The folder is written into a
staging folder beside the destination and renamed into place, so a failed import leaves
nothing behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline import atomic
from pipeline.errors import UserError
from pipeline.importer import convert, masthead, ooxml
from pipeline.importer.report import Report
from pipeline.importer.wordml import Walker

__all__ = ["ImportResult", "convert_docx", "import_docx"]


@dataclass(frozen=True)
class ImportResult:
    folder: Path
    files: dict[str, bytes]  # name → content, document.json first
    report: Report


def convert_docx(path: Path) -> tuple[dict[str, bytes], Report]:
    """The files of the source folder ``path`` becomes, and the import report (no I/O
    besides reading ``path``)."""
    package = ooxml.open_docx(path)
    report = Report(path.name)
    body = Walker(package, report).body()
    front, blocks = convert.front_matter(body.blocks, report)
    notes = convert.front_notes(body, body.blocks[: len(body.blocks) - len(blocks)], report)
    values = masthead.read(package, front, report)
    parts = convert.build_parts(body, blocks, report)
    meta = convert.document_json(values, parts, report, notes)
    files = {"document.json": (json.dumps(meta, ensure_ascii=False, indent=2) + "\n").encode()}
    for part in parts:
        files[part.name] = convert.part_text(part).encode("utf-8")
    convert.font_gaps(files, meta.get("language"), report)
    return files, report


def import_docx(path: Path, output: Path) -> ImportResult:
    """Convert ``path`` and write the source folder ``output`` (new, or an empty folder)."""
    output = Path(output)
    _check_output(output)
    files, report = convert_docx(Path(path))
    parent = output.parent if str(output.parent) else Path(".")
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{output.name}.", suffix=".part"))
    try:
        for name, data in files.items():
            atomic.write_new(staging / name, data, sync=False)
        os.chmod(staging, 0o755)
        atomic.sync_tree(staging, [staging / n for n in files], [staging])
        if output.is_dir() and not output.is_symlink():
            output.rmdir()  # empty (checked above); a file added since makes this fail
        os.rename(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    atomic.fsync_dir(parent)
    return ImportResult(output, files, report)


def _check_output(output: Path) -> None:
    if output.is_symlink():
        raise UserError(f"{output}: is a symbolic link; expected a new folder")
    if output.exists():
        if not output.is_dir():
            raise UserError(f"{output}: exists and is not a folder; expected a new folder")
        if any(output.iterdir()):
            raise UserError(
                f"{output}: the folder exists and is not empty; import writes a new source "
                "folder (choose another name, or empty it)"
            )
    parent = output.parent if str(output.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"{parent}: the folder to write into does not exist")
