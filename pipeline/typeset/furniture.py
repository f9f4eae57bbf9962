"""First-page furniture drawn as SVG: the Code 39 job barcode and the undocs.org QR code.

Both are returned as ``data:`` URIs so the HTML names no file: the allow-list fetcher
only has to serve ``data:`` for them, and the PDF holds them as vector drawings.
"""

from __future__ import annotations

import base64
import io
import re
from functools import lru_cache

import segno
from barcode import Code39
from barcode.writer import SVGWriter

# Code 39 of the job digits, about 33 × 10 mm as measured (UN-FORMAT.md §4.1).
BARCODE_MODULE_MM = 0.23
BARCODE_HEIGHT_MM = 7.0
# QR: error level M and a 44 pt (15.5 mm) square as measured; the size is set in CSS.
QR_ERROR = "m"

_JOB_DIGITS = re.compile(r"\d{7}")


def barcode_text(job_digits: str) -> str:
    """The human-readable line printed under the bars: ``*2190001*``."""
    return f"*{job_digits}*"


@lru_cache(maxsize=256)
def barcode_svg(job_digits: str) -> str:
    """Code 39, no check digit, of the seven job digits, as an SVG document (no text)."""
    if not _JOB_DIGITS.fullmatch(job_digits):
        raise ValueError(f"expected the 7 job digits, got {job_digits!r}")
    out = io.BytesIO()
    Code39(job_digits, writer=SVGWriter(), add_checksum=False).write(
        out,
        options={
            "module_width": BARCODE_MODULE_MM,
            "module_height": BARCODE_HEIGHT_MM,
            "quiet_zone": 0,
            "write_text": False,
            "margin_top": 0,
            "margin_bottom": 0,
            "background": None,  # no white box: every fill unfolio draws is black (drawing check)
            "foreground": "black",
        },
    )
    return _scalable(out.getvalue().decode("utf-8"))


_SIZE = re.compile(r'<svg([^>]*) width="([\d.]+)mm" height="([\d.]+)mm"')
_PX_PER_MM = 96 / 25.4  # SVG user units (CSS px) per millimetre


def _scalable(svg: str) -> str:
    """Give the barcode a viewBox and let it stretch: the stylesheet sets the bars' measured
    width and height per duty station (geometry.css), which differ in aspect."""

    def box(match: re.Match[str]) -> str:
        width, height = float(match.group(2)), float(match.group(3))
        return (
            f'<svg{match.group(1)} width="{match.group(2)}mm" height="{match.group(3)}mm" '
            f'viewBox="0 0 {width * _PX_PER_MM:.3f} {height * _PX_PER_MM:.3f}" '
            'preserveAspectRatio="none"'
        )

    return _SIZE.sub(box, svg, count=1)


@lru_cache(maxsize=256)
def qr_svg(url: str) -> str:
    """The QR code of ``url`` (error level M, no quiet zone) as an SVG document."""
    qr = segno.make(url, error=QR_ERROR, boost_error=False, micro=False)
    out = io.BytesIO()
    qr.save(out, kind="svg", border=0, xmldecl=False, svgns=True, omitsize=True, dark="#000")
    return out.getvalue().decode("utf-8")


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
