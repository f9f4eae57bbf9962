"""Descriptive metadata for Archivematica: ``data/metadata/metadata.csv``.

Archivematica reads a transfer's descriptive metadata only from ``metadata/metadata.csv``
(its "Import metadata" documentation): UTF-8, a header row whose first column is
``filename``, and one row per described object whose ``filename`` is the path the object has
in the transfer after Archivematica moves a bag's ``data/objects/`` to ``objects/`` —
``objects/NAME.pdf``. Columns named ``dc.*`` become a Dublin Core ``dmdSec`` of the AIP's
METS; a repeated column repeats the element.

One row, for the PDF: the source under ``objects/source/`` is the same document in its
editable form and carries no description of its own (``document.json`` *is* this
description), so a second row would only repeat the first. The values are pure functions of
the document, so ``verify`` writes the file again and compares bytes.
"""

from __future__ import annotations

import csv
import io

from pipeline.model import Document
from pipeline.symbols import undocs_url

METADATA_CSV_PATH = "data/metadata/metadata.csv"
#: The DCMI Type of every UN document unfolio writes.
DC_TYPE = "Text"


def _row(document: Document, pdf_name: str) -> list[tuple[str, str]]:
    from pipeline.typeset.postpass import PUBLISHER  # the XMP's dc:publisher (lazy: pikepdf)

    cells = [("filename", f"objects/{pdf_name}")]
    cells += [("dc.identifier", symbol.text) for symbol in document.symbols]
    cells += [
        ("dc.title", document.title),
        ("dc.language", document.language),
        ("dc.date", document.date.isoformat()),
        ("dc.type", DC_TYPE),
        ("dc.publisher", PUBLISHER),
    ]
    if document.subtitle:
        cells.append(("dc.description", document.subtitle))
    cells += [("dc.relation", undocs_url(symbol, document.language)) for symbol in document.symbols]
    return cells


def metadata_csv(document: Document, pdf_name: str) -> bytes:
    """The file's bytes: a header and one row, CRLF line ends (RFC 4180), UTF-8 without BOM."""
    cells = _row(document, pdf_name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([name for name, _ in cells])
    writer.writerow([value for _, value in cells])
    return buffer.getvalue().encode("utf-8")
