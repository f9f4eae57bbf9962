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
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from pipeline import fonts
from pipeline.resources import styles_dir

STYLESHEETS = ("fonts.css", "geometry.css", "unfolio.css", "languages.css")
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
                return _FontConfiguration()
            finally:
                if saved is None:
                    del os.environ["FONTCONFIG_FILE"]
                else:
                    os.environ["FONTCONFIG_FILE"] = saved


_ENV_LOCK = threading.Lock()


@cache
def stylesheets() -> tuple:
    """The parsed stylesheets, once per process; a CSS warning (typo) is an error."""
    css_dir = styles_dir() / "css"
    fetcher = AllowListFetcher([styles_dir()], fonts_allowed=True)
    with _guard() as records:
        sheets = tuple(
            _wp.CSS(filename=str(css_dir / name), url_fetcher=fetcher, font_config=font_config())
            for name in STYLESHEETS
        )
    css_problems = [message for message, _ in records]  # a CSS warning is a typo: all fatal
    if css_problems:
        raise RenderError("stylesheet problems:\n" + "\n".join(css_problems))
    return sheets


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
) -> bytes:
    """Render ``html`` to PDF bytes (raw WeasyPrint output, before the post-pass).

    ``base_url`` is the document's source folder: relative URLs resolve there, and the fetcher
    allows it and the templates folder (plus any extra ``roots``). ``pdf_identifier`` defaults
    to a digest of the HTML, so equal input gives an equal file.
    """
    if pdf_variant not in PDF_VARIANTS:
        raise ValueError(f"pdf_variant {pdf_variant!r}: expected one of {', '.join(PDF_VARIANTS)}")
    sheets = stylesheets()
    base = Path(base_url).resolve()
    fetcher = AllowListFetcher([styles_dir() / "templates", base, *roots])
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
            pdf = document.write_pdf(**options)
        except FetchRefused as refused:
            raise RenderError(str(refused)) from None
        problems = [message for message, fatal in records if fatal]
    if problems:
        raise RenderError("WeasyPrint: " + "; ".join(problems))
    return pdf
