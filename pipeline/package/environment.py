"""The environment record: ``unfolio-environment.json``, what a later verify needs to re-render.

The build key (:mod:`pipeline.package.buildkey`) is one digest: it says *that* something
changed, never *what*. So the bag also records, as a tag file listed in the tag manifests, each
component the key covers that shapes the PDF, one by one:

- ``pdf.flavour``: the PDF/A flavour the PDF was rendered as (the option of the build);
- ``environment``: :func:`buildkey.environment` as it is — unfolio's version and code digest,
  Python, every output-shaping library, the native HarfBuzz/Pango/Fontconfig/FreeType/zlib,
  and a SHA-256 per pinned font file (the same list the key frames, not a second one);
- ``inputs``: digests of the shipped ``styles`` folder, of the shipped ``schemas`` folder
  (``xmp-un.json`` shapes the XMP), of the styles overlay (``null`` without one) and of the
  emblem drawn (the configured one, else the placeholder the overlay or the shipped styles
  hold);
- ``source_date_epoch``: ``SOURCE_DATE_EPOCH`` when it was set (it fixes the bag's dates; the
  PDF's dates are the masthead date), else ``null``.

``unfolio verify`` compares each component with the running environment; only when all are
equal, and the emblem and overlay are at hand, does it re-render (:mod:`pipeline.verify.reproduce`).
The record holds digests and versions only: no path, user name or host name.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.config import Config
from pipeline.package import buildkey
from pipeline.resources import schemas_dir, style_file, styles_dir

RECORD_PATH = "unfolio-environment.json"
RECORD_VERSION = 1


def folder_digest(folder: Path) -> str:
    """``sha256:<hex>`` over a folder's files, names and bytes, each framed with its length."""
    hasher = hashlib.sha256()
    for name, data in buildkey._folder_files(Path(folder)):
        buildkey._frame(hasher, name, data)
    return f"sha256:{hasher.hexdigest()}"


def file_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()


def overlay_of(config: Config) -> Path | None:
    """The styles overlay the build uses, or None (none configured, or the shipped folder)."""
    if config.styles is None or Path(config.styles).resolve() == styles_dir().resolve():
        return None
    return Path(config.styles)


def emblem_of(config: Config) -> Path:
    """The emblem file drawn: the configured one, else the placeholder (overlay first)."""
    return (
        Path(config.emblem)
        if config.emblem
        else style_file("emblem-placeholder.svg", overlay_of(config))
    )


def inputs(config: Config) -> dict[str, str | None]:
    """The digests of the data files that shape the PDF besides the source."""
    overlay = overlay_of(config)
    return {
        "emblem": file_digest(emblem_of(config)),
        "schemas": folder_digest(schemas_dir()),
        "styles": folder_digest(styles_dir()),
        "styles_overlay": None if overlay is None else folder_digest(overlay),
    }


def record(flavour: str, config: Config, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The environment record of a build with these options, as a JSON-ready dict."""
    env = os.environ if environ is None else environ
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip() or None
    return {
        "record_version": RECORD_VERSION,
        "tool": f"unfolio {__version__}",
        "pdf": {"flavour": flavour},
        "environment": buildkey.environment(),
        "inputs": inputs(config),
        "source_date_epoch": epoch,
    }


def record_bytes(flavour: str, config: Config, environ: dict[str, str] | None = None) -> bytes:
    """The tag file's bytes: sorted keys, two-space indent, UTF-8, LF, final newline."""
    text = json.dumps(
        record(flavour, config, environ), indent=2, sort_keys=True, ensure_ascii=False
    )
    return (text + "\n").encode("utf-8")
