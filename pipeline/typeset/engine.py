"""WeasyPrint, set up once per process: fonts, stylesheets, an allow-list fetcher, a log guard.

- One ``FontConfiguration`` per process; the stylesheets in ``styles/css`` are parsed once
  with it (``@font-face`` rules then load the pinned font files once).
- ``AllowListFetcher`` serves ``data:`` URLs and ``file:`` URLs of regular files under its
  roots, and nothing else: no network, no redirects, no devices. A refusal raises
  ``FetchRefused``, which stops the render. Stylesheets may also name a pinned font as
  ``font:FILE``; only the fonts of ``styles/fonts.json`` resolve.
- WeasyPrint only logs what breaks PDF/A (a ``.notdef`` glyph, the fontTools subsetting
  fallback, an unknown option, an image that failed to load): ``render`` turns such records
  into a ``RenderError``.
- CJK subsets are compacted before the file is written (:func:`compact_cid_fonts`): WeasyPrint
  keeps every glyph slot up to the highest glyph id used, which makes a 20-glyph subset of a
  65,535-glyph Noto CJK face about 140 KB; the compact program holds only the glyphs drawn.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import shutil
import threading
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from pipeline.typeset import libraries

with libraries.fast_lookup():  # WeasyPrint finds its C libraries as it is imported
    import pydyf  # WeasyPrint's PDF writer
    from weasyprint.text.ffi import ffi as _ffi
    from weasyprint.text.ffi import harfbuzz as _hb
    from weasyprint.text.ffi import harfbuzz_subset as _hb_subset

from pipeline import fonts
from pipeline.errors import UserError
from pipeline.model import MAX_PAGES
from pipeline.resources import style_file, styles_dir
from pipeline.typeset import wpfixes

STYLESHEETS = ("fonts.css", "geometry.css", "unfolio.css", "languages.css")
#: Font sheets only documents in these languages need (loaded after fonts.css).
LANGUAGE_FONT_SHEETS = {"zh": "fonts-zh.css", "ar": "fonts-ar.css"}
PDF_VARIANTS = ("pdf/a-2b", "pdf/a-2u", "pdf/a-3b", "pdf/a-3u")

# Log records that mean the PDF would not be what we promise (PDF/A, pinned fonts, no fetch).
_FATAL_WARNINGS = (
    ".notdef glyph",
    "Using fontTools instead of HarfBuzz",
    "Unable to subset",
    "cannot be loaded",
    "Too many glyphs missing",
    "Failed to load",
    "Failed to render",
    "Unsupported color space",
    "Unknown subglyph",
    "is only allowed in page margins",
)


class RenderError(RuntimeError):
    """WeasyPrint reported something that would break the PDF's promises."""


def _weasyprint():
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    return weasyprint, FontConfiguration, FatalURLFetchingError, URLFetcher, URLFetcherResponse


_wp, _FontConfiguration, _Fatal, _URLFetcher, _Response = _weasyprint()
wpfixes.apply()


class FetchRefused(_Fatal):
    """The fetcher refused a URL (outside the roots, another scheme, not a regular file)."""

    def __init__(self, url: str, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(f"refused to fetch {url[:120]!r}: {reason}")


class AllowListFetcher(_URLFetcher):
    """``data:`` URLs, ``file:`` URLs of regular files under ``roots``, and pinned fonts."""

    def __init__(self, roots: Iterable[str | os.PathLike[str]], *, fonts_allowed: bool = False):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=5)
        self.roots = tuple(os.path.realpath(r) for r in roots)
        self.fonts_allowed = fonts_allowed

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "font" and self.fonts_allowed:
            return self._font(url)
        if scheme != "file":
            raise FetchRefused(url, "only file: and data: URLs are fetched")
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused(url, "remote file URL")
        path = os.path.realpath(url2pathname(parts.path))  # resolves "..", symlinks
        inside = any(os.path.commonpath([path, root]) == root for root in self.roots)
        if not inside:
            raise FetchRefused(url, "outside the template and source folders")
        if not os.path.isfile(path):
            raise FetchRefused(url, "not a regular file")
        return super().fetch(Path(path).as_uri(), headers)

    def _font(self, url: str):
        name = unquote(url.split(":", 1)[1])
        pinned = {face.file for face in fonts.faces()}
        path = fonts.locate(name) if name in pinned else None
        if path is None:
            raise FetchRefused(url, "not a pinned font file present on this host")
        return _Response(path.as_uri(), body=path.read_bytes(), headers={})


class _Guard(logging.Handler):
    """Collect the WeasyPrint records of the current render (per thread)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        bucket = getattr(self.local, "records", None)
        if bucket is None:
            return
        message = record.getMessage()
        fatal = record.levelno >= logging.ERROR or any(m in message for m in _FATAL_WARNINGS)
        bucket.append((message, fatal))

    def __enter__(self):
        self.local.records = []
        return self.local.records

    def __exit__(self, *exc):
        self.local.records = None


@cache
def _guard() -> _Guard:
    guard = _Guard()
    logging.getLogger("weasyprint").addHandler(guard)
    return guard


_EMPTY_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig></fontconfig>
"""


@cache
def font_config():
    """The process's one FontConfiguration, holding the pinned fonts and nothing else.

    It is built from an empty Fontconfig configuration (no font folders), so the host's fonts
    are not even known to it: the only faces are those fonts.css declares with @font-face, and
    a character they lack is a ``.notdef`` (an error), never a silent host-font fallback.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="unfolio-fc-") as folder:
        config = Path(folder) / "fonts.conf"
        config.write_text(_EMPTY_FONTCONFIG, encoding="utf-8")
        with _ENV_LOCK:
            saved = os.environ.get("FONTCONFIG_FILE")
            os.environ["FONTCONFIG_FILE"] = str(config)
            try:
                configuration = _FontConfiguration()
            finally:
                if saved is None:
                    del os.environ["FONTCONFIG_FILE"]
                else:
                    os.environ["FONTCONFIG_FILE"] = saved
    atexit.register(release_fonts)
    return configuration


def release_fonts() -> None:
    """Remove the folder where WeasyPrint copied the @font-face files (about 12 MB).

    WeasyPrint removes it in ``FontConfiguration.__del__``, which never runs for the one
    configuration a process keeps until it exits (nor in a worker process, which ends with
    ``os._exit``): without this every build process would leave a ``weasyprint-*`` folder in
    the temp folder. Called at exit and by a retiring worker; the configuration is unusable
    afterwards.
    """
    if font_config.cache_info().currsize:
        folder = getattr(font_config(), "_folder", None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


_ENV_LOCK = threading.Lock()


def stylesheets(styles: Path | None = None, language: str | None = None) -> tuple:
    """The parsed stylesheets of a ``language`` (None: of every language), once per process
    and styles overlay: each of ``STYLESHEETS``, plus the language's font sheet, from the
    overlay's ``css/`` when it has it, else the shipped one. A CSS warning (a typo) is an
    error. Which font sheets a process has loaded does not change a byte of the PDF (the font
    families are disjoint; tests/test_typeset_languages_fonts.py checks it)."""
    names = _sheet_names(language)
    return tuple(sheet for name in names for sheet in _stylesheet(name, styles))


def _sheet_names(language: str | None) -> tuple[str, ...]:
    fonts_for = (
        tuple(LANGUAGE_FONT_SHEETS.values())
        if language is None
        else tuple(v for k, v in LANGUAGE_FONT_SHEETS.items() if k == language)
    )
    return (STYLESHEETS[0], *fonts_for, *STYLESHEETS[1:])


@cache
def _stylesheet(name: str, styles: Path | None) -> tuple:
    roots = [styles_dir()] if styles is None else [styles_dir(), Path(styles)]
    fetcher = AllowListFetcher(roots, fonts_allowed=True)
    with _guard() as records:
        sheet = _wp.CSS(
            filename=str(style_file(f"css/{name}", styles)),
            url_fetcher=fetcher,
            font_config=font_config(),
        )
    css_problems = [message for message, _ in records]  # a CSS warning is a typo: all fatal
    if css_problems:
        raise RenderError(f"stylesheet problems in css/{name}:\n" + "\n".join(css_problems))
    return (sheet,)


# -- compact CID-keyed CFF subsets ------------------------------------------------------------
#
# Why CJK subsets are large: WeasyPrint 70 subsets with HarfBuzz keeping glyph ids
# (RETAIN_GIDS), so that the glyph ids the content streams show stay valid, then drops only
# the slots after the highest id used. A Chinese text uses ids all over Noto CJK's 65,535
# glyphs, so the "subset" still has ~63,000 glyphs, nearly all empty: its CFF CharStrings
# INDEX alone is 63,000 3-byte offsets (a counter, which Flate barely compresses), plus
# 4-byte hmtx and vmtx entries per glyph. That is the ~140 KB of a 21-glyph bold face; the
# outlines are a few KB. Hinting, subroutines and the .ttc collection play no part.
#
# The fix keeps the character codes and changes only the font program. The text is drawn
# with Identity-H, so each code is a CID, and in a CIDFontType0 whose program is a
# CID-keyed CFF the PDF reader selects the glyph through the program's charset, CID -> glyph
# (ISO 32000-1 9.7.4.2) -- when the program is embedded bare (FontFile3 /CIDFontType0C).
# Embedded as /OpenType, FreeType (pdfium, Poppler, MuPDF) uses the code as a glyph index
# instead, which is why WeasyPrint keeps the ids. So the compact program is a HarfBuzz
# subset *without* RETAIN_GIDS (HarfBuzz writes each kept glyph's original CID into the
# charset) embedded bare. It is sound when, for every code drawn, the original face gives
# glyph id g the CID g (Noto CJK's charset is the identity; checked every time, from the
# font's own charset) and the compact charset holds that CID: then CID g selects the glyph
# the text was shaped with. Anything else keeps WeasyPrint's program untouched. Widths (/W),
# ToUnicode and the content streams are not changed; the gate's validator then checks that
# every code drawn has a glyph and the width /W says.

_DROP_TABLES = (b"BASE", b"DSIG", b"GDEF", b"GPOS", b"GSUB", b"JSTF", b"MATH", b"VORG",
                b"cmap", b"hhea", b"hmtx", b"name", b"post", b"vhea", b"vmtx")  # fmt: skip
_CFF_TAG = b"CFF "


def _table(face, tag: bytes) -> bytes:
    blob = _hb.hb_face_reference_table(face, _hb.hb_tag_from_string(tag, -1))
    try:
        length = _ffi.new("unsigned int *")
        data = _hb.hb_blob_get_data(blob, length)
        return bytes(_ffi.buffer(data, length[0])) if length[0] else b""
    finally:
        _hb.hb_blob_destroy(blob)


def _original_cids(face) -> list[int]:
    """The CID of each glyph of the original (full) face, read in place (no copy)."""
    blob = _hb.hb_face_reference_table(face, _hb.hb_tag_from_string(_CFF_TAG, -1))
    try:
        length = _ffi.new("unsigned int *")
        data = _hb.hb_blob_get_data(blob, length)
        if not length[0]:
            raise fonts.CFFError("no CFF table")
        return fonts.cff_cids(memoryview(_ffi.buffer(data, length[0])))
    finally:
        _hb.hb_blob_destroy(blob)


def _hb_set(hb_set, values) -> None:
    values = sorted(values)
    array = _ffi.new(f"hb_codepoint_t[{len(values)}]", values)
    _hb.hb_set_add_sorted_array(hb_set, array, len(values))


def compact_cff(face, glyphs: set[int]) -> bytes | None:
    """A bare CID-keyed CFF holding ``glyphs`` of ``face`` under CIDs equal to their ids.

    None when that cannot be proven (not CID-keyed, a charset that is not the identity on
    these glyphs, a subset that lost one): the caller then keeps the program it had.
    """
    if _hb_subset is None:
        return None
    try:
        original = _original_cids(face)
    except fonts.CFFError:
        return None
    if any(g >= len(original) or original[g] != g for g in glyphs):
        return None
    subset_input = _hb_subset.hb_subset_input_create_or_fail()
    if subset_input == _ffi.NULL:
        return None
    try:
        _hb_set(_hb_subset.hb_subset_input_glyph_set(subset_input), glyphs | {0})
        drop = _hb_subset.hb_subset_input_set(
            subset_input, _hb_subset.HB_SUBSET_SETS_DROP_TABLE_TAG
        )
        _hb_set(drop, (_hb.hb_tag_from_string(tag, -1) for tag in _DROP_TABLES))
        _hb_subset.hb_subset_input_set_flags(
            subset_input,
            _hb_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE | _hb_subset.HB_SUBSET_FLAGS_NO_HINTING,
        )
        subset = _hb_subset.hb_subset_or_fail(face, subset_input)
    finally:
        _hb_subset.hb_subset_input_destroy(subset_input)
    if subset == _ffi.NULL:
        return None
    try:
        program = _table(subset, _CFF_TAG)
    finally:
        _hb.hb_face_destroy(subset)
    try:
        cids = fonts.cff_cids(program)
    except fonts.CFFError:
        return None
    if len(set(cids)) != len(cids) or not glyphs <= set(cids):
        return None
    return program


def compact_cid_fonts(document, pdf) -> None:
    """WeasyPrint ``finisher``: embed each CJK (CID-keyed CFF) subset compact and bare.

    ``document`` is WeasyPrint's rendered document (its ``fonts`` are the faces drawn, with
    the glyph ids each drew), ``pdf`` the pydyf file about to be written.
    """
    by_file: dict[str, list] = {}
    for font in document.fonts.values():  # WeasyPrint embeds one program per font hash
        by_file.setdefault(font.hash, []).append(font)
    streams = {
        id(obj.stream[0]): obj
        for obj in pdf.objects
        if isinstance(obj, pydyf.Stream)
        and obj.extra.get("Subtype") == "/OpenType"
        and len(obj.stream) == 1
    }
    compacted: set[bytes] = set()
    for same_file in by_file.values():
        font = same_file[0]
        stream = streams.get(id(font.file_content))
        if stream is None or stream.stream[0] is not font.file_content:
            continue
        if any(f.used_in_forms or f.missing or f.bitmap for f in same_file):
            continue
        glyphs = set().union(*(f.to_unicode.keys() | f.widths.keys() for f in same_file)) - {0}
        program = compact_cff(font.hb_face, glyphs) if glyphs else None
        if program is None:
            continue
        stream.stream = [program]
        stream.extra = pydyf.Dictionary({"Subtype": "/CIDFontType0C"})
        compacted.add(stream.reference)
    if not compacted:
        return
    descriptors = {
        obj.reference
        for obj in pdf.objects
        if isinstance(obj, pydyf.Dictionary) and obj.get("FontFile3") in compacted
    }
    for obj in pdf.objects:
        # /CIDToGIDMap is for CIDFontType2 only (ISO 32000-1 Table 117); WeasyPrint writes
        # /Identity on every CIDFont. With a bare CFF it would only invite a reader to skip
        # the charset, so it goes.
        if (
            isinstance(obj, pydyf.Dictionary)
            and obj.get("Subtype") == "/CIDFontType0"
            and obj.get("FontDescriptor") in descriptors
        ):
            obj.pop("CIDToGIDMap", None)


def identifier(*keys: str) -> bytes:
    """A stable ``/ID[0]``: the same document (symbol, language) keeps it across re-renders."""
    return (
        hashlib.md5("\x1f".join(keys).encode("utf-8"), usedforsecurity=False).hexdigest().encode()
    )


def render(
    html: str,
    base_url: str | os.PathLike[str],
    pdf_variant: str = "pdf/a-2u",
    *,
    pdf_identifier: bytes | None = None,
    roots: Sequence[str | os.PathLike[str]] = (),
    attachments: Sequence | None = None,
    compact_fonts: bool = True,
    styles: Path | None = None,
    language: str | None = None,
) -> bytes:
    """Render ``html`` to PDF bytes (raw WeasyPrint output, before the post-pass).

    ``base_url`` is the document's source folder: relative URLs resolve there, and the fetcher
    allows it and the templates folder (plus any extra ``roots``). ``pdf_identifier`` defaults
    to a digest of the HTML, so equal input gives an equal file. ``compact_fonts=False``
    keeps WeasyPrint's own CJK subsets (for comparisons; see :func:`compact_cid_fonts`).
    ``styles`` is the overlay styles folder and ``language`` the document's, which selects
    the font sheets to load (None: all; see :func:`stylesheets`).
    """
    if pdf_variant not in PDF_VARIANTS:
        raise ValueError(f"pdf_variant {pdf_variant!r}: expected one of {', '.join(PDF_VARIANTS)}")
    sheets = stylesheets(None if styles is None else Path(styles), language)
    base = Path(base_url).resolve()
    templates = [styles_dir() / "templates"]
    if styles is not None:
        templates.append(Path(styles) / "templates")
    fetcher = AllowListFetcher([*templates, base, *roots])
    if pdf_identifier is None:
        pdf_identifier = identifier(html)
    options = {"pdf_variant": pdf_variant, "pdf_identifier": pdf_identifier}
    if attachments:
        options["attachments"] = list(attachments)
    with _guard() as records:
        try:
            document = _wp.HTML(
                string=html, base_url=base.as_uri() + "/", url_fetcher=fetcher
            ).render(stylesheets=list(sheets), font_config=font_config())
            if len(document.pages) > MAX_PAGES:  # before the costly PDF is written
                raise UserError(
                    f"the document lays out to {len(document.pages):,} pages; "
                    f"the limit is {MAX_PAGES:,} (model.MAX_PAGES)"
                )
            finisher = compact_cid_fonts if compact_fonts else None
            pdf = document.write_pdf(finisher=finisher, **options)
        except FetchRefused as refused:
            raise RenderError(str(refused)) from None
        problems = [message for message, fatal in records if fatal]
    if problems:
        raise RenderError("WeasyPrint: " + "; ".join(problems))
    return pdf
