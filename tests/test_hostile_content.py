"""Hostile content (issue 6, item 1): every case is run through ``validate`` and a real build.

Each ends either in a correct PDF that holds nothing from outside the source — the hostile
markup printed as literal text, no image, no embedded file, no URI action but the document's
own web links, no byte of a local file, no connection to a listener on a loopback port — or
in a refusal: exit code 2 and one ``error:`` line naming the file and the line or the JSON
pointer. Helpers here are shared by test_limits.py and the fuzz tests.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from pipeline.cli import main
from pipeline.model import MAX_NESTING, MAX_WORD_CHARS
from pipeline.typeset import typography

from .conftest import MINIMAL_DOCUMENT, MINIMAL_PARTS

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
SECRET = "S3CR3T-70f1c2a9"  # the content of local files no PDF may ever contain
UNDOCS = "https://undocs.org/A/RES/59/50"  # the one link of conftest's letter.md


# -- running unfolio ----------------------------------------------------------------------


def run_cli(*args: str) -> tuple[int, str, str]:
    """``unfolio ARGS`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def write_source(
    root: Path,
    document: dict | None = None,
    parts: dict[str, str | bytes] | None = None,
    *,
    metadata: str | bytes | None = None,
    name: str = "doc",
) -> Path:
    """A source folder: the conftest minimal document with ``document`` merged in, or the
    literal ``metadata`` text; ``parts`` add or replace part files (``None`` values delete)."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    if metadata is None:
        meta = json.loads(json.dumps(MINIMAL_DOCUMENT))
        meta.update(document or {})
        metadata = json.dumps(meta, ensure_ascii=False, indent=2)
    data = metadata.encode("utf-8", "surrogatepass") if isinstance(metadata, str) else metadata
    (folder / "document.json").write_bytes(data)
    for part, text in {**MINIMAL_PARTS, **(parts or {})}.items():
        if text is None:
            continue
        (folder / part).write_bytes(text if isinstance(text, bytes) else text.encode())
    return folder


@dataclass
class Built:
    code: int
    out: str
    err: str
    pdf: bytes | None  # the PDF inside the bag, when one was built
    bag: Path | None


def build(folder: Path, output: Path, *extra: str) -> Built:
    """``unfolio build -j 1 FOLDER -o OUTPUT``: the real renderer, in this process."""
    code, out, err = run_cli("build", "-j", "1", str(folder), "-o", str(output), *extra)
    bags = [p for p in output.iterdir() if p.is_dir()] if output.is_dir() else []
    bag = bags[0] if len(bags) == 1 else None
    pdfs = list((bag / "data" / "objects").glob("*.pdf")) if bag else []
    return Built(code, out, err, pdfs[0].read_bytes() if pdfs else None, bag)


def assert_clean_exit(code: int, out: str, err: str) -> None:
    """Exit 0, or exit 2 with every stderr line an ``error:`` message; never a traceback."""
    assert "Traceback" not in err and "internal error" not in err, err
    assert code in (0, 2), (code, err)
    if code == 2:
        lines = err.strip().splitlines()
        assert lines and all(line.startswith("error: ") for line in lines), err


def assert_refused(code: int, err: str, *where: str, says: str = "") -> None:
    """Exit 2 naming ``where`` (``letter.md:3``, ``at /title``) and saying ``says``."""
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == 2, (code, err)
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), err
    assert any(all(w in line for w in where) and says in line for line in lines), err


def validate_and_build(folder: Path, tmp_path: Path) -> tuple[tuple[int, str, str], Built]:
    checked = run_cli("validate", str(folder))
    built = build(folder, tmp_path / "out")
    return checked, built


# -- what is in a PDF ---------------------------------------------------------------------


@dataclass
class PdfFacts:
    text: str  # pypdfium2's extracted text, pages joined
    pages: int
    uris: list[str] = field(default_factory=list)
    other_actions: list[str] = field(default_factory=list)
    images: int = 0
    embedded: list[str] = field(default_factory=list)
    streams: bytes = b""  # every stream, decoded where possible, concatenated

    @property
    def flat(self) -> str:
        return squash(self.text)


def squash(text: str) -> str:
    """Text without what line breaking adds or removes: whitespace, hyphens, soft hyphens,
    and pdfium's U+FFFE for a hyphen at a line end."""
    return re.sub(r"[\s\-\u00ad\u2010\ufffe]", "", text)


def _objects(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Object]:
    def nested(obj):
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            yield obj
            children = [v for _, v in obj.items()]
        elif isinstance(obj, pikepdf.Array):
            children = list(obj)
        else:
            return
        for child in children:
            containers = pikepdf.Dictionary | pikepdf.Stream | pikepdf.Array
            if isinstance(child, containers) and not child.is_indirect:
                yield from nested(child)

    for obj in pdf.objects:
        yield from nested(obj)


def pdf_facts(data: bytes) -> PdfFacts:
    from pipeline.typeset.textcheck import extract

    facts = PdfFacts(text=extract(data), pages=0)
    chunks = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        facts.pages = len(pdf.pages)
        for obj in _objects(pdf):
            kind = obj.get("/S")
            if kind == pikepdf.Name.URI:
                facts.uris.append(bytes(obj.get("/URI")).decode("latin-1"))
            elif kind is not None and "/S" in obj and obj.get("/Type") in (None, "/Action"):
                facts.other_actions.append(str(kind))
            if "/JS" in obj or "/AA" in obj:
                facts.other_actions.append("JavaScript")
            if obj.get("/Subtype") == pikepdf.Name.Image:
                facts.images += 1
            if "/EF" in obj:
                facts.embedded.append(str(obj.get("/UF", obj.get("/F", ""))))
            if isinstance(obj, pikepdf.Stream):
                try:
                    chunks.append(obj.read_bytes())
                except pikepdf.PdfError:
                    chunks.append(obj.read_raw_bytes())
    facts.streams = b"\n".join(chunks)
    return facts


def assert_nothing_from_outside(facts: PdfFacts, links: set[str] = frozenset()) -> None:
    """No image, attachment, action or local file content: only the document's web links."""
    assert facts.images == 0
    assert facts.embedded == []
    assert facts.other_actions == []
    assert set(facts.uris) == set(links), facts.uris
    assert SECRET.encode() not in facts.streams


# -- a listener that must never be called --------------------------------------------------


class Listener:
    """A TCP socket on 127.0.0.1 (random port) that records every connection it accepts."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.socket.settimeout(0.05)
        self.port = self.socket.getsockname()[1]
        self.connections: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def url(self, path: str = "x") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, peer = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(peer)
            connection.close()

    def assert_untouched(self) -> None:
        """No connection so far; then prove the listener was listening by connecting once."""
        assert self.connections == [], f"unfolio connected to {self.connections}"
        with socket.create_connection(("127.0.0.1", self.port), timeout=2):
            pass
        for _ in range(100):
            if self.connections:
                break
            self._stop.wait(0.02)
        assert len(self.connections) == 1, "the listener was not listening"

    def close(self) -> None:
        self._stop.set()
        self.socket.close()
        self._thread.join(timeout=2)


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    try:
        yield server
    finally:
        server.close()


def secret_beside(folder: Path) -> None:
    """A local file next to the source and one inside it, both holding SECRET."""
    (folder / "secret.txt").write_text(SECRET)
    (folder.parent / "outside.txt").write_text(SECRET)


# -- raw HTML and markup in metadata: printed as text --------------------------------------


def test_raw_html_in_the_body_is_printed_as_text(tmp_path, listener):
    url = listener.url
    lines = [
        f'<script src="{url("script.js")}">alert(1)</script>',
        f"<style>@import url({url('import.css')}); "
        f"body {{ background: url({url('bg.png')}) }}</style>",
        '<link rel="attachment" href="secret.txt">',
        '<link rel="attachment" href="file:///etc/passwd">',
        f'<link rel="stylesheet" href="{url("sheet.css")}">',
        f'<img src="{url("img.png")}"> <img src="secret.txt">',
        f'<iframe src="{url("frame")}"></iframe> <object data="{url("obj")}"></object>',
        f'<svg><image href="{url("svg.png")}"/></svg>',
        "text <b>bold</b> <a href='file:///etc/passwd'>anchor</a>",
    ]
    folder = write_source(tmp_path, parts={"letter.md": "\n\n".join(lines) + "\n"})
    secret_beside(folder)
    (code, _, err), built = validate_and_build(folder, tmp_path)
    assert code == 0, err
    assert built.code == 0, built.err
    facts = pdf_facts(built.pdf)
    for line in lines:  # printed as text, with English typography (’ for a closing ')
        assert squash(typography.apply(line, "en")) in facts.flat, line
    assert_nothing_from_outside(facts)
    assert sorted(p.name for p in (built.bag / "data/objects/source").iterdir()) == [
        "annex-1.md",
        "document.json",
        "letter.md",
    ]
    listener.assert_untouched()


PRINTED_FIELDS = (
    "/title",
    "/subtitle",
    "/organs/0/agenda_items/0/title",
    "/parts/0/heading",
    "/parts/0/title",
    "/parts/0/signature/name",
    "/parts/0/signature/title",
)


def _injection(url: str, field_name: str) -> str:
    tag = field_name.strip("/").replace("/", ".")
    return (
        f"</style><style>@import url({url}/{tag});</style>"
        f'<img src="{url}/{tag}.png"><link rel=attachment href="secret.txt">'
        f"{{{{ 7 * 7 }}}} {tag} ]]></x:y>&amp;"
    )


def test_markup_in_every_printed_metadata_field_is_printed_as_text(tmp_path, listener):
    url = f"http://127.0.0.1:{listener.port}"
    values = {f: _injection(url, f) for f in PRINTED_FIELDS}
    document = {
        "title": values["/title"],
        "subtitle": values["/subtitle"],
        "organs": [
            {
                "organ": "GA",
                "session": 75,
                "agenda_items": [
                    {"item": "130", "title": values["/organs/0/agenda_items/0/title"]}
                ],
            },
            {"organ": "SC", "year": 2021},
        ],
        "parts": [
            {
                "kind": "main",
                "text": "letter.md",
                "heading": values["/parts/0/heading"],
                "title": values["/parts/0/title"],
                "signature": {
                    "name": values["/parts/0/signature/name"],
                    "title": values["/parts/0/signature/title"],
                },
            }
        ],
        "remarks": values["/title"],
    }
    folder = write_source(tmp_path, document)
    secret_beside(folder)
    (code, _, err), built = validate_and_build(folder, tmp_path)
    assert code == 0, err
    assert built.code == 0, built.err
    facts = pdf_facts(built.pdf)
    for name, value in values.items():
        assert squash(value) in facts.flat, name
    # (each value holds "{{ 7 * 7 }}": found literally, so the template never evaluated it)
    assert_nothing_from_outside(facts, {UNDOCS})
    bag_info = (built.bag / "bag-info.txt").read_text(encoding="utf-8")
    assert all(re.match(r"[A-Za-z-]+: ", line) for line in bag_info.splitlines()), bag_info
    with pikepdf.open(io.BytesIO(built.pdf)) as pdf:  # the XMP holds the title, escaped
        assert values["/title"] in str(pdf.open_metadata().get("dc:title"))
    premis = etree.parse(str(built.bag / "data" / "metadata" / "premis.xml"))  # well-formed
    assert premis.getroot().tag.endswith("premis")
    listener.assert_untouched()


def test_web_links_are_kept_as_links_and_nothing_is_fetched(tmp_path, listener):
    url = listener.url
    text = (
        f"An [inline link]({url('inline')}) and an autolink <{url('auto')}>.\n\n"
        "A [reference link][ref] and mail to <someone@example.org>.[^1]\n\n"
        f"[ref]: {url('ref')}\n"
        f'[^1]: A note with [a link]({url("note")} "title").\n'
    )
    folder = write_source(tmp_path, parts={"letter.md": text})
    (code, _, err), built = validate_and_build(folder, tmp_path)
    assert code == 0 and built.code == 0, err + built.err
    links = {url("inline"), url("auto"), url("ref"), url("note"), "mailto:someone@example.org"}
    assert_nothing_from_outside(pdf_facts(built.pdf), links)
    listener.assert_untouched()


def test_no_route_in_the_source_or_the_emblem_reaches_the_network(tmp_path, listener):
    """Every place a URL can hide, at once: the build is refused (images) or contains text."""
    url = listener.url
    refused = write_source(
        tmp_path,
        parts={
            "letter.md": f"![a]({url('md-image')})\n\n[![b]({url('in-link')})](https://x.org)\n",
            "annex-1.md": f"Note.[^1]\n\n[^1]: ![c]({url('fn-image')})\n\n"
            f"ref ![d][i]\n\n[i]: {url('ref-image')}\n",
        },
        name="refused",
    )
    code, _, err = run_cli("validate", str(refused))
    assert_refused(code, err, "letter.md:1", says="no images")
    assert len(err.strip().splitlines()) == 4, err  # every image, in both parts
    assert build(refused, tmp_path / "out-refused").code == 2

    emblem = tmp_path / "emblem.svg"
    emblem.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="10" height="10">'
        f"<style>@import url({url('svg-import')});</style>"
        f'<image xlink:href="{url("svg-image")}" width="10" height="10"/>'
        f'<image href="file://{tmp_path}/outside.txt" width="1" height="1"/>'
        f'<use href="{url("svg-use")}#x"/></svg>'
    )
    folder = write_source(tmp_path, name="emblem")
    secret_beside(folder)
    out = tmp_path / "emblem.pdf"
    code, _, err = run_cli("render", str(folder), "-o", str(out), "--emblem", str(emblem))
    assert "Traceback" not in err and "internal error" not in err, err
    if out.exists():  # WeasyPrint may leave the SVG's references out, or the render fails
        assert_nothing_from_outside(pdf_facts(out.read_bytes()), {UNDOCS})
    listener.assert_untouched()


def test_the_renderer_itself_fetches_nothing_remote_or_outside(tmp_path, listener):
    """The engine's fetcher, given HTML that no body can produce: refuses, never connects."""
    from pipeline.typeset import engine

    (tmp_path / "outside.txt").write_text(SECRET)
    base = tmp_path / "src"
    base.mkdir()
    for html in (
        f'<img src="{listener.url("img")}">',
        f'<link rel="stylesheet" href="{listener.url("css")}">',
        f"<style>@import url({listener.url('import')});</style><p>x</p>",
        f'<link rel="attachment" href="file://{tmp_path}/outside.txt">',
        '<link rel="attachment" href="../outside.txt">',
        f"<p style=\"background: url('{listener.url('bg')}')\">x</p>",
    ):
        with pytest.raises(engine.RenderError, match="refused to fetch"):
            engine.render(f"<html><body>{html}</body></html>", base)
    listener.assert_untouched()


# -- links and images that are refused ----------------------------------------------------


@pytest.mark.parametrize(
    "markdown",
    [
        "[x](file:///etc/passwd)",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](vbscript:msgbox)",
        "[x](../secret.txt)",
        "[x](secret.txt)",
        "[x](/etc/passwd)",
        "[x](//127.0.0.1:9/x)",
        "[x](<file:///etc/passwd>)",
        "<file:///etc/passwd>",
        "[x][r]\n\n[r]: file:///etc/passwd",
        "x[^1]\n\n[^1]: [y](file:///etc/passwd)",
        "| a |\n|---|\n| [x](file:///etc/passwd) |",
        "# [x](file:///etc/passwd)",
    ],
)
def test_links_that_do_not_point_at_the_web_are_refused_with_the_line(tmp_path, markdown):
    folder = write_source(tmp_path, parts={"letter.md": f"First line.\n\n{markdown}\n"})
    code, _, err = run_cli("validate", str(folder))
    assert_refused(code, err, "letter.md:", says="link target")
    assert re.search(r"letter\.md:(3|5|7)", err), err
    built = build(folder, tmp_path / "out")
    assert built.code == 2 and built.bag is None and "link target" in built.err


@pytest.mark.parametrize(
    "markdown",
    [
        "![x](img.png)",
        "![x](http://127.0.0.1:9/x.png)",
        "![x](data:image/png;base64,iVBORw0KGgo=)",
        "![x][i]\n\n[i]: ../secret.png",
        "[![x](a.png)](https://example.org)",
        "x[^1]\n\n[^1]: ![y](a.png)",
        "x ^[inline note ![y](a.png)]",
        "| a |\n|---|\n| ![x](a.png) |",
    ],
)
def test_images_are_refused_with_the_line(tmp_path, markdown):
    folder = write_source(tmp_path, parts={"letter.md": f"{markdown}\n"})
    code, _, err = run_cli("validate", str(folder))
    assert_refused(code, err, "letter.md:", says="no images")
    assert build(folder, tmp_path / "out").code == 2


# -- control, bidi and zero-width characters ----------------------------------------------


@pytest.mark.parametrize(
    ("pointer", "value", "code_point"),
    [
        ("/title", "Letter\u202egnp.exe", "U+202E"),  # RIGHT-TO-LEFT OVERRIDE
        ("/title", "Letter\u2067x\u2069", "U+2067"),  # RIGHT-TO-LEFT ISOLATE
        ("/title", "Letter\u202ax", "U+202A"),  # LEFT-TO-RIGHT EMBEDDING
        ("/title", "Letter\u206ex", "U+206E"),  # NATIONAL DIGIT SHAPES (deprecated)
        ("/title", "Letter\ufff9x", "U+FFF9"),  # INTERLINEAR ANNOTATION ANCHOR
        ("/title", "Letter\ufdd0x", "U+FDD0"),  # a noncharacter
        ("/title", "Letter\n", "U+000A"),  # a final LF, which Python's "$" lets through
        ("/subtitle", "Note\r\nBagging-Date: 1999-01-01", "U+000D"),
        ("/remarks", "kept in bag-info\n", "U+000A"),
        ("/job_number", "21-90001\n", "U+000A"),
        ("/parts/0/signature/name", "A. Person\u2028B", "U+2028"),
        ("/organs/0/agenda_items/0/title", "\x1b[31mred", "U+001B"),
    ],
)
def test_control_and_bidi_characters_in_metadata_are_refused(tmp_path, pointer, value, code_point):
    document = json.loads(json.dumps(MINIMAL_DOCUMENT))
    node, keys = document, pointer.strip("/").split("/")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[keys[-1]] = value
    folder = write_source(tmp_path, document)
    code, _, err = run_cli("validate", str(folder))
    assert_refused(code, err, "document.json", f"at {pointer}", says=code_point)
    assert build(folder, tmp_path / "out").code == 2


@pytest.mark.parametrize("name", ["letter.md\n", "A/75/9001\n"])
def test_a_final_line_feed_in_a_pattern_field_is_refused(tmp_path, name):
    if name.startswith("letter"):
        document = {"parts": [{"kind": "main", "text": name}]}
        pointer = "/parts/0/text"
    else:
        document = {"symbols": [name]}
        pointer = "/symbols/0"
    code, _, err = run_cli("validate", str(write_source(tmp_path, document)))
    assert code == 2 and f"at {pointer}" in err and "Traceback" not in err, err


def test_an_unpaired_surrogate_escape_in_metadata_is_refused(tmp_path):
    text = json.dumps({**MINIMAL_DOCUMENT, "title": "x\ud800y", "remarks": "\udfff"})
    assert "\\ud800" in text  # json.dumps escapes it; the file is plain ASCII
    folder = write_source(tmp_path, metadata=text)
    code, _, err = run_cli("validate", str(folder))
    assert_refused(code, err, "at /title", says="U+D800")
    assert_refused(code, err, "at /remarks", says="U+DFFF")
    code, out, _ = run_cli("validate", "--json", str(folder))
    (report,) = json.loads(out)["documents"]
    assert code == 2 and any("U+D800" in p["message"] for p in report["problems"])


@pytest.mark.parametrize(
    ("text", "where", "code_point"),
    [
        ("ok\nbad \u202e here\n", "letter.md:2:5", "U+202E"),
        ("ok\nbad \x0b here\n", "letter.md:2:5", "U+000B"),  # splitlines() would hide these
        ("ok\nbad \x0c here\n", "letter.md:2:5", "U+000C"),
        ("ok\nbad \x1c here\n", "letter.md:2:5", "U+001C"),
        ("ok\nbad \x85 here\n", "letter.md:2:5", "U+0085"),
        ("ok\nbad \u2028 here\n", "letter.md:2:5", "U+2028"),
        ("ok\r\nbad \u2029 here\n", "letter.md:2:5", "U+2029"),
        ("ok\rbad \x00 here\n", "letter.md:2:5", "U+0000"),
        ("ok\n\nbad &#x202E; here\n", "letter.md:3", "U+202E"),
        ("ok\n\nbad &#12; here\n", "letter.md:3", "U+000C"),
        ("ok\n\nbad &#x2066; here\n", "letter.md:3", "U+2066"),
        ("x[^1]\n\n[^1]: bad &#x202D; here\n", "letter.md:3", "U+202D"),
    ],
)
def test_control_and_bidi_characters_in_a_body_are_refused_with_line_and_column(
    tmp_path, text, where, code_point
):
    folder = write_source(tmp_path, parts={"letter.md": text})
    code, _, err = run_cli("validate", str(folder))
    assert_refused(code, err, where, says=code_point)


INVISIBLE = {
    "ZERO WIDTH SPACE": "\u200b",
    "ZERO WIDTH NON-JOINER": "\u200c",
    "ZERO WIDTH JOINER": "\u200d",
    "WORD JOINER": "\u2060",
    "LEFT-TO-RIGHT MARK": "\u200e",
    "RIGHT-TO-LEFT MARK": "\u200f",
    "SOFT HYPHEN": "\u00ad",
    "ZERO WIDTH NO-BREAK SPACE": "\ufeff",
}


def test_zero_width_characters_and_bidi_marks_are_kept(tmp_path):
    """They reorder nothing and have a typographic role: allowed in metadata and body."""
    words = [f"word{i}{c}joined" for i, c in enumerate(INVISIBLE.values())]
    folder = write_source(
        tmp_path,
        {"title": "Title " + " ".join(words)},
        parts={"letter.md": " ".join(words) + " and &zwj;&lrm;&shy; references.\n"},
    )
    (code, _, err), built = validate_and_build(folder, tmp_path)
    assert code == 0 and built.code == 0, err + built.err
    facts = pdf_facts(built.pdf)
    flat = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", facts.flat)
    for i, _ in enumerate(INVISIBLE):
        assert f"word{i}joined" in flat
    assert_nothing_from_outside(facts)


# -- size: long words and lines, deep nesting, many footnotes, big tables -----------------


def _chars_off_the_page(pdf: bytes) -> list[str]:
    import pdfplumber

    off = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            off += [
                c["text"]
                for c in page.chars
                if c["x0"] < -0.5 or c["x1"] > page.width + 0.5 or c["bottom"] > page.height + 0.5
            ]
    return off


def test_long_words_and_lines_are_broken_onto_the_page(tmp_path):
    token = "x" * MAX_WORD_CHARS
    folder = write_source(
        tmp_path,
        {"title": "T" + "y" * 1999, "subtitle": "s" * 2000},
        parts={
            "letter.md": f"Before {token} after.\n\n"
            + ("word " * 5000).strip()
            + "\n\n```\ncode "
            + "z" * 300
            + " "
            + "code " * 100
            + "\n```\n\n| column | other |\n|---|---|\n| "
            + "w" * MAX_WORD_CHARS
            + " | short |\n",
        },
    )
    (code, _, err), built = validate_and_build(folder, tmp_path)
    assert code == 0 and built.code == 0, err + built.err
    flat = pdf_facts(built.pdf).flat
    assert flat.count("x") >= MAX_WORD_CHARS and flat.count("w") >= MAX_WORD_CHARS
    assert _chars_off_the_page(built.pdf) == []


@pytest.mark.parametrize(
    "markdown",
    [
        "x" * (MAX_WORD_CHARS + 1),
        "a " + "x" * 5000 + " b",
        "a " + "x" * 300 + "**" + "y" * 300 + "** b",  # one word across an element
        "| a |\n|---|\n| " + "z" * 3000 + " |",  # minutes of layout in a table cell
        "<https://example.org/" + "p" * 1000 + ">",
        "```\n" + "c" * 1000 + "\n```",
    ],
    ids=["limit+1", "5000", "across emphasis", "table cell", "autolink", "code block"],
)
def test_a_word_longer_than_the_limit_is_refused(tmp_path, markdown):
    folder = write_source(tmp_path, parts={"letter.md": f"First.\n\n{markdown}\n"})
    code, _, err = run_cli("validate", str(folder))
    assert_refused(code, err, "letter.md:", says=f"the limit is {MAX_WORD_CHARS}")
    assert re.search(r"letter\.md:[35]: ", err), err


def test_chinese_text_has_no_spaces_and_is_not_one_long_word(tmp_path):
    text = "联合国同各区域组织及其他组织的合作" * 200
    folder = write_source(tmp_path, {"language": "zh"}, parts={"letter.md": text})
    code, _, err = run_cli("validate", str(folder))
    assert code == 0, err


@pytest.mark.parametrize(
    "markdown",
    [
        "".join("  " * i + f"- level {i}\n" for i in range(1000)),
        "".join("   " * i + f"1. level {i}\n" for i in range(200)),
        ">" * 1000 + " deep\n",
        "> " * 100_000 + "deep\n",
        "*" * 5000 + "x" + "*" * 5000 + "\n",
        "_" * 3000 + "x" + "_" * 3000 + "\n",
        "x[^1]\n\n[^1]: " + "> " * 50 + "deep\n",
    ],
    ids=[
        "1000 lists",
        "200 ordered",
        "1000 quotes",
        "100k quotes",
        "emphasis",
        "underscores",
        "in note",
    ],
)
def test_nesting_beyond_the_limit_is_refused_never_truncated(tmp_path, markdown):
    folder = write_source(tmp_path, parts={"letter.md": markdown})
    code, _, err = run_cli("validate", str(folder))
    assert_refused(code, err, "letter.md:", says=f"the limit is {MAX_NESTING}")
    assert build(folder, tmp_path / "out").code == 2


def _words(pdf: bytes) -> list[str]:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [w["text"] for page in document.pages for w in page.extract_words()]


def test_nesting_up_to_the_limit_is_rendered_whole_and_readable(tmp_path):
    """All text kept, on the page, and each word on one line: indentation stops growing."""
    lists = "".join("  " * i + f"- listlevel{i} and words\n" for i in range(MAX_NESTING))
    quotes = ">" * MAX_NESTING + " quotedeepest and words\n"
    mixed = "".join("  " * i + ("- " if i % 2 else "- > ") for i in range(MAX_NESTING // 2))
    emphasis = "*" * (MAX_NESTING // 2) + "emphasisdeepest" + "*" * (MAX_NESTING // 2)
    text = f"{lists}\n{quotes}\n{mixed}mixeddeepest words\n\n{emphasis}\n"
    folder = write_source(tmp_path, parts={"letter.md": text})
    (code, _, err), built = validate_and_build(folder, tmp_path)
    assert code == 0 and built.code == 0, err + built.err
    words = set(_words(built.pdf))
    expected = {f"listlevel{i}" for i in range(MAX_NESTING)}
    expected |= {"quotedeepest", "emphasisdeepest", "mixeddeepest"}
    assert expected <= words, expected - words
    assert _chars_off_the_page(built.pdf) == []


FOOTNOTES = 2000  # validated; a share of them is rendered (WeasyPrint lays out ~50 notes/s)
RENDERED_FOOTNOTES = 150


def _footnoted(count: int) -> str:
    # No digit right before a call: see test_footnote_calls_right_after_numbers_pass_the_text_check
    calls = "".join(f"Paragraph text that calls a note.[^n{i}]\n" for i in range(count))
    notes = "".join(f"[^n{i}]: Footnote text of note {i}.\n" for i in range(count))
    return f"{calls}\n{notes}"


def test_thousands_of_footnotes_validate(tmp_path):
    code, _, err = run_cli(
        "validate", str(write_source(tmp_path, parts={"letter.md": _footnoted(FOOTNOTES)}))
    )
    assert code == 0, err


def test_many_footnotes_render_each_one(tmp_path):
    folder = write_source(tmp_path, parts={"letter.md": _footnoted(RENDERED_FOOTNOTES)})
    built = build(folder, tmp_path / "out")
    assert built.code == 0, built.err
    flat = pdf_facts(built.pdf).flat
    assert all(f"Footnotetextofnote{i}." in flat for i in range(RENDERED_FOOTNOTES))


def test_footnote_calls_right_after_numbers_pass_the_text_check(tmp_path):
    text = "".join(f"This is sentence number {i}.[^{i}]\n" for i in range(60))
    text += "\n" + "".join(f"[^{i}]: Note {i}.\n" for i in range(60))
    built = build(write_source(tmp_path, parts={"letter.md": text}), tmp_path / "out")
    assert built.code == 0, built.err


@pytest.mark.parametrize(
    ("markdown", "says"),
    [
        ("x[^1]\n\n[^1]: first\n[^1]: second\n", "defined twice"),
        ("x[^1]\n\n[^1]: used\n[^2]: never called\n", "never called"),
        ("x[^1]\n\n[^1]:\n", "footnote '[^1]' has no text"),
        ("x ^[ ] y\n", "an inline footnote ^[] has no text"),
        ("x[^1]\n\n[^1]: calls[^2]\n\n[^2]: y\n", "cannot call another footnote"),
        ("x ^[outer ^[inner]]\n", "cannot call another footnote"),
        ("x[^1]\n\n[^1]: a[^1]\n", "cannot call another footnote"),
    ],
)
def test_footnotes_that_would_be_lost_empty_or_loop_are_refused(tmp_path, markdown, says):
    folder = write_source(tmp_path, parts={"letter.md": markdown})
    code, _, err = run_cli("validate", str(folder))
    assert_refused(code, err, "letter.md:", says=says)


def test_long_tables_render(tmp_path):
    rows = "".join(f"| row{i} | cell text {i} | more {i} |\n" for i in range(400))
    text = f"| a | b | c |\n|---|---|---|\n{rows}"
    built = build(write_source(tmp_path, parts={"letter.md": text}), tmp_path / "out")
    assert built.code == 0, built.err
    flat = pdf_facts(built.pdf).flat
    assert "row399" in flat and "celltext399" in flat


def test_a_table_too_wide_for_the_page_is_refused_not_cut(tmp_path):
    """Its last columns would be drawn off the page: still in the text layer, never seen."""
    wide = (
        "|"
        + "|".join(f"c{i}" for i in range(60))
        + "|\n|"
        + "---|" * 60
        + "\n|"
        + "|".join(f"v{i}" for i in range(60))
        + "|\n"
    )
    built = build(write_source(tmp_path, parts={"letter.md": wide}), tmp_path / "out")
    assert built.code == 1 and "PDF-TEXT-OFFPAGE: page 1:" in built.err, built.err
    assert not list((tmp_path / "out").glob("A_*"))


# -- the fixture corpus -------------------------------------------------------------------


def _corpus() -> list[Path]:
    return sorted(p for p in HOSTILE.iterdir() if (p / "expected.json").is_file())


@pytest.mark.parametrize("folder", _corpus(), ids=lambda p: p.name)
def test_hostile_fixture_corpus(tmp_path, folder):
    """tests/fixtures/hostile/*: each folder's expected.json says what must happen."""
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    source = tmp_path / folder.name
    source.mkdir()
    for file in folder.iterdir():
        if file.name != "expected.json":
            (source / file.name).write_bytes(file.read_bytes())
    secret_beside(source)
    code, out, err = run_cli("validate", str(source))
    assert_clean_exit(code, out, err)
    built = build(source, tmp_path / "out")
    assert built.code == expected["exit"], built.err
    for text in expected.get("errors", []):
        assert text in err and text in built.err, (text, err)
    if expected["exit"] == 0:
        facts = pdf_facts(built.pdf)
        for text in expected.get("pdf_text", []):
            assert squash(text) in facts.flat, text
        assert_nothing_from_outside(facts, set(expected.get("links", [])))


# -- what unfolio prints ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["doc\nerror: forged line", "doc\u202ecod", "doc\x1b[2J", os.fsdecode(b"doc\xff")],
    ids=["line feed", "bidi override", "escape sequence", "not UTF-8"],
)
def test_a_hostile_path_cannot_forge_or_break_the_error_output(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()  # no document.json: an error that quotes the path
    code, out, err = run_cli("validate", str(folder))
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    err.encode("utf-8")  # a lone surrogate (from undecodable bytes) is written as an escape
    assert not any(c in err for c in "\u202e\x1b\udcff")
    code, out, _ = run_cli("validate", "--json", str(folder))
    json.loads(out)["documents"][0]["problems"][0]["file"].encode("utf-8")
