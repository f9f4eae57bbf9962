"""Check that this host can render: Python packages, Pango, HarfBuzz subsetting, fonts.

Each check says what it found and, when it fails, the command that fixes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata

from pipeline import fonts

# Distribution name → why unfolio needs it (the README says more).
PACKAGES = {
    "weasyprint": "typesets the HTML templates into PDF/A",
    "pikepdf": "post-processes and validates the PDF/A",
    "jsonschema": "validates document.json",
    "click": "the command line",
    "markdown-it-py": "parses the body text",
    "mdit-py-plugins": "footnotes in the body text",
    "jinja2": "the HTML templates",
    "segno": "the QR code of the undocs.org link",
    "python-barcode": "the Code 39 job-number barcode",
    "pypdfium2": "reads text back from the PDF for the round-trip check",
}
MIN_PANGO = (1, 44, 0)
SETUP_HINT = "run `make setup` (or: pip install unfolio)"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    found: str
    fix: str = ""


def run() -> list[Check]:
    return [*_packages(), *_libraries(), *_fonts()]


def _packages() -> Iterator[Check]:
    for name, why in PACKAGES.items():
        try:
            yield Check(f"python: {name}", True, f"{metadata.version(name)} ({why})")
        except metadata.PackageNotFoundError:
            yield Check(f"python: {name}", False, f"missing ({why})", SETUP_HINT)


def _libraries() -> Iterator[Check]:
    try:
        from weasyprint.text import ffi
    except (ImportError, OSError) as exc:  # OSError: a shared library failed to load
        yield Check(
            "pango",
            False,
            f"WeasyPrint cannot load its libraries: {exc}",
            "apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b",
        )
        return
    raw = ffi.pango.pango_version()
    version = (raw // 10000, raw // 100 % 100, raw % 100)
    shown = ".".join(map(str, version))
    yield Check(
        "pango",
        version >= MIN_PANGO,
        shown,
        "" if version >= MIN_PANGO else "apt-get install libpango-1.0-0 (1.44 or later)",
    )
    has_subset = ffi.harfbuzz_subset is not None
    yield Check(
        "harfbuzz-subset",
        has_subset,
        "present"
        if has_subset
        else "missing: fonts would be subset by fontTools, about 80 times slower for Chinese",
        "" if has_subset else "apt-get install libharfbuzz-subset0",
    )


def _fonts() -> Iterator[Check]:
    for face in fonts.faces():
        path = fonts.locate(face.file)
        label = f"font: {face.family} {face.weight} {face.style}"
        if path is None:
            yield Check(
                label,
                False,
                f"{face.file} not found ({face.purpose})",
                f"apt-get install {face.package}",
            )
        else:
            yield Check(label, True, str(path))
