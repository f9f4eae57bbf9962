"""What goes into a document's bag: payload layout and ``bag-info.txt``, with no I/O.

Layout (DESIGN.md, Archivematica's conventions)::

    data/objects/<stem>.pdf            the PDF/A
    data/objects/source/<name>         each validated source file, byte for byte
    data/metadata/metadata.csv         Dublin Core for Archivematica (:mod:`descriptive`)
    data/metadata/premis.xml           PREMIS 3.0 of everything above
    unfolio-environment.json           tag file: what the PDF was rendered with (environment)
    tagmanifest-sha512.txt.p7s         a signed build's detached CMS signature of
                                       tagmanifest-sha512.txt (in no tag manifest)

``bag-info.txt`` elements, in this fixed order: Source-Organization, Contact-Name and
Contact-Email (only when configured; RFC 8493 reserves them), External-Identifier,
External-Description, Bagging-Date, Bag-Group-Identifier, Internal-Sender-Identifier,
Bag-Software-Agent, BagIt-Profile-Identifier, Payload-Oxum, UN-Language, UN-Distribution,
UN-Build-Key. ``External-Identifier`` is the language version's undocs.org link (a URI
unique per version, so an OCFL root or registry keeps six languages of one symbol apart);
``Bag-Group-Identifier`` is the primary symbol, shared by the language family.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

from pipeline import __version__
from pipeline.config import Config
from pipeline.model import Document
from pipeline.package import bagit, descriptive, environment, premis
from pipeline.symbols import file_stem, undocs_url


def build_time(environ: dict[str, str] | None = None) -> datetime:
    """``SOURCE_DATE_EPOCH`` (reproducible builds) if set, else now; always UTC."""
    env = os.environ if environ is None else environ
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time in seconds") from None
    return datetime.now(tz=UTC).replace(microsecond=0)


def bag_name(document: Document) -> str:
    """The bag folder's name: the file stem of the symbols and language."""
    return file_stem(document.symbols, document.language)


def pdf_name(document: Document) -> str:
    return f"{bag_name(document)}.pdf"


def external_identifier(document: Document) -> str:
    """The version's undocs.org link with its language always named (primary symbol; ``ch``
    for Chinese; ``en`` too, which the printed link leaves out: the bare link is undocs.org's
    language-neutral one, so it could not say which version a bag holds)."""
    return undocs_url(document.symbols[0], document.language, language_named=True)


def payload(document: Document, pdf: bytes) -> dict[str, bytes]:
    """Payload files except premis.xml, by ``data/…`` path."""
    files = {f"data/objects/{pdf_name(document)}": pdf}
    for source in document.files:
        files[f"data/objects/source/{source.name}"] = source.data
    files[descriptive.METADATA_CSV_PATH] = descriptive.metadata_csv(document, pdf_name(document))
    return files


def bag_info(
    document: Document,
    *,
    config: Config,
    when: datetime,
    build_key: str,
    unfolio_version: str = __version__,
) -> list[tuple[str, str]]:
    """The ordered ``bag-info.txt`` elements except Payload-Oxum (the bag writer adds it);
    ``unfolio_version`` is the release that writes it (verify passes the bag's own)."""
    from pipeline.typeset.postpass import job_number  # the job number as printed

    elements = [("Source-Organization", config.source_organization)]
    if config.contact_name:
        elements.append(("Contact-Name", config.contact_name))
    if config.contact_email:
        elements.append(("Contact-Email", config.contact_email))
    elements += [
        ("External-Identifier", external_identifier(document)),
        ("External-Description", document.title),
        ("Bagging-Date", when.astimezone(UTC).date().isoformat()),
        ("Bag-Group-Identifier", document.symbols[0].text),
        ("Internal-Sender-Identifier", job_number(document)),
        ("Bag-Software-Agent", f"unfolio {unfolio_version}"),
        ("BagIt-Profile-Identifier", config.profile_identifier),
        ("UN-Language", document.language),
        ("UN-Distribution", document.distribution),
        ("UN-Build-Key", build_key),
    ]
    return elements


def bag_files(
    document: Document,
    pdf: bytes,
    *,
    flavour: str,
    config: Config,
    when: datetime,
    build_key: str,
) -> dict[str, bytes]:
    """Every file of the bag by relative path: same arguments, same bytes."""
    files = payload(document, pdf)
    files[premis.PREMIS_PATH] = premis.premis_xml(
        files,
        document=document,
        flavour=flavour,
        provenance=premis.provenance_now(config.source_organization, when),
    )
    info = bag_info(document, config=config, when=when, build_key=build_key)
    tags = {environment.RECORD_PATH: environment.record_bytes(flavour, config)}
    return bagit.build_bag_files(files, info, tags)


#: The tag file holding a signed bag's detached CMS signature of ``tagmanifest-sha512.txt``.
SIGNATURE_FILE = "tagmanifest-sha512.txt.p7s"
SIGNED_FILE = "tagmanifest-sha512.txt"


def with_signature(files: dict[str, bytes], sign: Callable[[bytes], bytes]) -> dict[str, bytes]:
    """The bag's files plus the signature of its tag manifest (made last: it covers the rest)."""
    signed = dict(files)
    signed[SIGNATURE_FILE] = sign(files[SIGNED_FILE])
    return dict(sorted(signed.items()))
