"""Hostile input and limits: what ``unfolio build`` does with sources written to do harm.

Each case bends the minimal document (or the en-joint-letter fixture) one way and builds it
with ``--jobs 1``. A case expected to build also checks the bag: ``unfolio verify`` passes
(so XMP, PREMIS and bag-info still agree with document.json), bag-info.txt has no forged or
repeated label, nothing of /etc/passwd is in any file of the bag, the PDF has no embedded
file, JavaScript or non-web link, and markup in the source is shown as literal text. A case
expected to be refused checks exit 2, a message naming the file (and JSON pointer or line),
and that no bag was written. URLs point at the case's loopback listener, which must see no
connection.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from pipeline.model import (
    MAX_FOOTNOTES,
    MAX_JSON_DEPTH,
    MAX_JSON_MEMBERS,
    MAX_METADATA_BYTES,
    MAX_NESTING,
    MAX_PART_BYTES,
    MAX_PARTS,
    MAX_SOURCE_BYTES,
    MAX_TEXT_CHARS,
)

from .harness import (
    MINIMAL_BAG,
    MINIMAL_DOCUMENT,
    PASSWD_MARKER,
    Case,
    Proc,
    Workspace,
    case,
    check_built_pdf,
    codes,
    verify_report,
)

CASES: list[Case] = []

# Labels unfolio writes in bag-info.txt; any other (or a repeated one) was forged.
BAG_INFO_LABELS = frozenset(
    {
        "Source-Organization", "External-Identifier", "External-Description", "Bagging-Date",
        "Bag-Group-Identifier", "Internal-Sender-Identifier", "Bag-Software-Agent",
        "BagIt-Profile-Identifier", "Payload-Oxum", "Bag-Size", "Bag-Count", "UN-Language",
        "UN-Distribution", "UN-Build-Key", "Contact-Name", "Organization-Address",
    }
)  # fmt: skip


# --- shared expectations ---------------------------------------------------------------------


def check_bag_info(ws: Workspace, bag: Path) -> None:
    """bag-info.txt: every line a known label or a continuation, no label twice."""
    try:
        lines = (bag / "bag-info.txt").read_bytes().decode("utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        ws.check(False, f"bag-info.txt unreadable: {exc}")
        return
    seen: dict[str, int] = {}
    for line in lines[:-1] if lines and lines[-1] == "" else lines:
        if "\r" in line:
            ws.check(False, f"bag-info.txt has a CR in {line[:60]!r}")
        if line[:1] in (" ", "\t"):
            continue
        label = line.split(":", 1)[0]
        if label not in BAG_INFO_LABELS or ":" not in line:
            ws.check(False, f"bag-info.txt has a forged line {line[:60]!r}")
        seen[label] = seen.get(label, 0) + 1
    repeated = [label for label, n in seen.items() if n > 1]
    ws.check(not repeated, f"bag-info.txt repeats {repeated}")


def builds(
    ws: Workspace, src: Path, *, literal=(), absent=(), bag: str = MINIMAL_BAG,
    extra: tuple[str, ...] = (), timeout: float = 120,
) -> Proc:  # fmt: skip
    """Expect exit 0 and a bag that is sound and holds nothing it should not."""
    proc = ws.build(src, extra=extra, timeout=timeout)
    if ws.expect_exit(proc, 0):
        target = ws.out / bag
        check_built_pdf(ws, target, literal=literal, absent=absent)
        check_bag_info(ws, target)
        check_verifies(ws, target)
    ws.expect_no_text(proc, PASSWD_MARKER)
    return proc


def check_verifies(ws: Workspace, target: Path) -> None:
    proc = ws.verify(target)
    report = verify_report(proc).get(str(target), {})
    errors = sorted(codes(report, "error"))
    if ws.check(proc.returncode == 0, f"unfolio verify rejects the bag it built: {errors[:5]}"):
        ws.mark_verified(target)


def refused(ws: Workspace, *sources: Path, names: tuple[str, ...], exit_code: int = 2) -> Proc:
    """Expect exit 2 (invalid input), a message naming ``names``, and no bag."""
    proc = ws.build(*sources)
    ws.expect_exit(proc, exit_code)
    ws.expect_text(proc, *names)
    written = [p.name for p in ws.out.iterdir()] if ws.out.is_dir() else []
    ws.check(not [n for n in written if not n.startswith(".")], f"a bag was written: {written}")
    ws.expect_no_text(proc, PASSWD_MARKER)
    return proc


def letter(text: str) -> dict[str, str]:
    return {"letter.md": text}


# --- raw HTML and active content in bodies ---------------------------------------------------


@case(CASES, "raw HTML in a body", "input",
      "exit 0; the HTML is printed as literal text", quick=True)  # fmt: skip
def _raw_html(ws: Workspace) -> None:
    markup = '<div class="masthead">Forged</div> and <b>bold</b> <iframe src="/etc/passwd">'
    src = ws.source(parts=letter(f"Before.\n\n{markup}\n\nAfter <span>inline</span>.\n"))
    builds(ws, src, literal=['<div class="masthead">Forged</div>', "<span>inline</span>"])


@case(CASES, "<script> in a body", "input",
      "exit 0; literal text, no JavaScript in the PDF")  # fmt: skip
def _script(ws: Workspace) -> None:
    markup = '<script>app.alert("x"); this.exportDataObject({cName: "a"})</script>'
    src = ws.source(parts=letter(f"Text.\n\n{markup}\n"))
    builds(ws, src, literal=["<script>app.alert("])


@case(CASES, "<style> with @import and url() in a body", "input",
      "exit 0; literal text, no connection to the listener", quick=True)  # fmt: skip
def _style(ws: Workspace) -> None:
    css = (
        f"<style>@import url({ws.url('import.css')}); "
        f"body {{ background: url({ws.url('bg.png')}) }} "
        "@font-face { font-family: x; src: url(file:///etc/passwd) }</style>"
    )
    src = ws.source(parts=letter(f"Text.\n\n{css}\n\nMore <style>p{{color:red}}</style> text.\n"))
    builds(ws, src, literal=["<style>@import"])


@case(CASES, "<link rel=attachment> and <img src=file:> in a body", "input",
      "exit 0; literal text, no embedded file, nothing of /etc/passwd")  # fmt: skip
def _attachment(ws: Workspace) -> None:
    markup = (
        '<link rel="attachment" href="/etc/passwd">\n\n'
        '<a rel="attachment" href="file:///etc/passwd">passwd</a>\n\n'
        f'<img src="file:///etc/passwd"> <img src="{ws.url("i.png")}"> '
        '<object data="/etc/passwd"></object> <embed src="file:///etc/passwd">\n'
    )
    src = ws.source(parts=letter(f"Text.\n\n{markup}"))
    builds(ws, src, literal=['<link rel="attachment"', "<img"])


@case(CASES, "Markdown image of file:///etc/passwd", "input",
      "exit 2; message names letter.md, line 3 and the image", quick=True)  # fmt: skip
def _md_image_file(ws: Workspace) -> None:
    src = ws.source(parts=letter("Text.\n\n![passwd](file:///etc/passwd)\n"))
    refused(ws, src, names=("letter.md", "3", "image"))


@case(CASES, "Markdown images: http, data:, ../ and reference style", "input",
      "exit 2; message names letter.md and each image; no connection")  # fmt: skip
def _md_images(ws: Workspace) -> None:
    body = (
        f"![a]({ws.url('a.png')})\n\n"
        "![b](data:image/png;base64,iVBORw0KGgo=)\n\n"
        "![c](../../etc/passwd)\n\n"
        "![d][ref]\n\n"
        f"[ref]: {ws.url('ref.png')}\n"
    )
    src = ws.source(parts=letter(body))
    refused(ws, src, names=("letter.md", "image"))


@case(CASES, "links to file:, data:, javascript: and ../ targets", "input",
      "exit 2; message names letter.md and each refused link", quick=True)  # fmt: skip
def _links(ws: Workspace) -> None:
    body = (
        "[a](file:///etc/passwd)\n\n"
        "[b](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)\n\n"
        "[c](javascript:app.alert(1))\n\n"
        "[d](JaVaScRiPt:alert(1))\n\n"
        "[e](../../secret.txt)\n\n"
        "<file:///etc/shadow>\n\n"
        "[f][r]\n\n[r]: file:///etc/hosts\n"
    )
    src = ws.source(parts=letter(body))
    proc = refused(ws, src, names=("letter.md", "file:", "data:", "javascript:", "../"))
    lines = set(re.findall(r"letter\.md:(\d+)", proc.stderr))
    ws.check(
        len(lines) >= 6, f"expected each refused link with its line, got lines {sorted(lines)}"
    )


@case(CASES, "http link and autolink to the loopback listener", "input",
      "exit 0; the link is kept as a web link and never fetched")  # fmt: skip
def _http_links(ws: Workspace) -> None:
    body = (
        f'See [the page]({ws.url("page")} "</a><img src={ws.url("t.png")}>") and '
        f"<{ws.url('auto')}>.\n\n"
        f'<a href="{ws.url("raw")}">raw</a>\n'
    )
    builds(ws, ws.source(parts=letter(body)))


# --- injection through metadata ----------------------------------------------------------------


def _payload(ws: Workspace) -> str:
    return (
        f"</style><style>@import url({ws.url('x')})</style>"
        f'<img src={ws.url()}> "quoted" & <!-- ]]> -->'
    )


def _inject(ws: Workspace, edit) -> None:
    payload = _payload(ws)
    src = ws.source(lambda meta: edit(meta, payload))
    builds(ws, src, literal=["</style><style>@import"])


@case(CASES, "CSS/HTML injection through the title", "input",
      "exit 0; the title printed as literal text, XMP/PREMIS/bag-info intact (verify passes)",
      quick=True)  # fmt: skip
def _inject_title(ws: Workspace) -> None:
    _inject(ws, lambda meta, p: meta.update(title=f"Letter {p}"))


@case(CASES, "CSS/HTML injection through the subtitle", "input",
      "exit 0; literal text, verify passes")  # fmt: skip
def _inject_subtitle(ws: Workspace) -> None:
    _inject(ws, lambda meta, p: meta.update(subtitle=f"Sub {p}"))


@case(CASES, "CSS/HTML injection through an agenda item title", "input",
      "exit 0; literal text in the masthead, verify passes")  # fmt: skip
def _inject_agenda(ws: Workspace) -> None:
    _inject(ws, lambda meta, p: meta["organs"][0]["agenda_items"][0].update(title=f"Item {p}"))


@case(CASES, "CSS/HTML injection through the signature name", "input",
      "exit 0; literal text, verify passes")  # fmt: skip
def _inject_signature(ws: Workspace) -> None:
    _inject(ws, lambda meta, p: meta["parts"][0]["signature"].update(name=f"A. Person {p}"))


@case(CASES, "CSS/HTML injection through a part heading and title", "input",
      "exit 0; literal text, verify passes")  # fmt: skip
def _inject_heading(ws: Workspace) -> None:
    def edit(meta: dict, payload: str) -> None:
        meta["parts"][1]["heading"] = f"Annex {payload}"
        meta["parts"][1]["title"] = f"Title {payload}"

    _inject(ws, edit)


@case(CASES, "XML/XMP breakers in title and remarks", "input",
      "exit 0; PREMIS and XMP still well formed and agreeing (verify passes)")  # fmt: skip
def _xml_breakers(ws: Workspace) -> None:
    nasty = (
        "]]></premis:object><evil/><?xpacket end='w'?> &amp; &entity; "
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"> \' " <![CDATA[ x ]]>'
    )
    src = ws.source({"title": f"Letter {nasty}", "remarks": f"Remarks {nasty}"})
    builds(ws, src, literal=["<evil/>"])


@case(CASES, "bag-info labels spelled inside the title", "input",
      "exit 0; bag-info.txt has one line per label, none forged or repeated")  # fmt: skip
def _bag_info_labels(ws: Workspace) -> None:
    title = "Letter Payload-Oxum: 1.1 Bag-Size: 9 TB External-Identifier: FORGED: x " * 20
    builds(ws, ws.source({"title": title.strip()[:MAX_TEXT_CHARS]}))


@case(CASES, "CR/LF in the title (forging a bag-info line)", "input",
      "exit 2; message names document.json and /title; no bag", quick=True)  # fmt: skip
def _crlf_title(ws: Workspace) -> None:
    src = ws.source({"title": "Letter\r\nPayload-Oxum: 1.1\r\nForged-Label: yes"})
    refused(ws, src, names=("document.json", "/title"))


@case(CASES, "NEL, LS, VT, ESC, DEL, NUL and a lone surrogate in five fields", "input",
      "exit 2; message names each pointer (/subtitle, /remarks, signature, agenda, heading)")  # fmt: skip
def _control_chars(ws: Workspace) -> None:
    def edit(meta: dict) -> None:
        meta["subtitle"] = "Sub\u0085Forged-Label: x"
        meta["remarks"] = "Remarks\u2028Forged: x\u2029"
        meta["parts"][0]["signature"]["name"] = "A. Person\x1b[31m\x7f"
        meta["organs"][0]["agenda_items"][0]["title"] = "Item\x0bx\x00"
        meta["parts"][1]["heading"] = "Annex \ud800"

    meta = json.loads(json.dumps(MINIMAL_DOCUMENT))
    edit(meta)
    src = ws.source(json.dumps(meta, indent=2).encode())  # ASCII escapes: \ud800 stays lone
    refused(ws, src, names=(
        "document.json", "/subtitle", "/remarks", "/parts/0/signature/name",
        "/organs/0/agenda_items/0/title", "/parts/1/heading",
    ))  # fmt: skip


@case(CASES, "bidi overrides in the title", "input",
      "exit 2; message names document.json, /title and the character")  # fmt: skip
def _bidi_title(ws: Workspace) -> None:
    src = ws.source({"title": "Letter \u202egnp.exe\u202c dated \u2067x\u2069"})
    refused(ws, src, names=("document.json", "/title", "U+202E"))


@case(CASES, "bidi overrides in a body, raw and as character references", "input",
      "exit 2; message names letter.md and the lines")  # fmt: skip
def _bidi_body(ws: Workspace) -> None:
    a = ws.source(parts=letter("Plain.\n\nRaw \u202eoverride\u202c here.\n"), name="a")
    b = ws.source(parts=letter("Plain.\n\nEscaped &#x202E;x&#x202C; and &#8238;.\n"), name="b")
    refused(ws, a, b, names=("a/letter.md:3", "b/letter.md:3", "U+202E"))


@case(CASES, "zero-width characters, soft hyphens, LRM/RLM in title and body", "input",
      "exit 0; bag verifies")  # fmt: skip
def _zero_width(ws: Workspace) -> None:
    chars = (
        "zero\u200bwidth\u200cnon\u200djoiner\u2060word\ufeffjoiner soft\u00adhyphen \u200e\u200f"
    )
    src = ws.source({"title": f"Letter {chars}"}, parts=letter(f"Body {chars}.\n"))
    builds(ws, src)


@case(CASES, "a 5,000-character word in a body; a 2,000-character word as the title", "input",
      "each document: exit 0 and a PDF (the word wrapped), or exit 2 naming the file (line) and "
      "the word-length limit")  # fmt: skip
def _long_word(ws: Workspace) -> None:
    word = ("Pneumonoultramicroscopicsilicovolcanoconiosis" * 112)[:5000]
    title = ws.source({"title": "T" * MAX_TEXT_CHARS}, name="title")
    other = {"symbols": ["A/75/9003", "S/2021/9003"], "job_number": "21-90003"}
    body = ws.source(other, parts=letter(f"Before.\n\n{word}\n"), name="body")
    proc = ws.build(title, body)
    ws.expect_exit(proc, 0, 2)
    bags = {"title": MINIMAL_BAG, "body": "A_75_9003--S_2021_9003-EN"}
    outcome = []
    for result in ws.build_result(proc):
        name = Path(result["source"]).name
        if result["status"] == "built":
            check_built_pdf(ws, ws.out / bags[name], literal=[word[:40]] if name == "body" else [])
            check_verifies(ws, ws.out / bags[name])
        else:
            ws.check(
                result["status"] == "invalid", f"{name}: {result['status']}: {result['reason']}"
            )
            where = "letter.md:" if name == "body" else "document.json"
            ws.check(where in (result["reason"] or "") and "limit" in (result["reason"] or ""),
                     f"{name}: the message does not name {where} and the limit")  # fmt: skip
        outcome.append(f"{name} {result['status']}")
    ws.note(", ".join(outcome))


@case(CASES, "1,000-level nested list and block quote", "input",
      "exit 2; message names letter.md and the nesting limit")  # fmt: skip
def _deep_nesting(ws: Workspace) -> None:
    body = "- " * 1000 + "deep list\n\n" + ">" * 1000 + " deep quote\n\n" + "*" * 1000 + "x\n"
    refused(ws, ws.source(parts=letter(body)), names=("letter.md", str(MAX_NESTING)))


def _many_notes(n: int) -> str:
    calls = " ".join(f"A point is made here.[^{i}]" for i in range(1, n + 1))
    notes = "\n".join(f"[^{i}]: Note number {i}." for i in range(1, n + 1))
    return f"{calls}\n\n{notes}\n"


@case(CASES, f"{MAX_FOOTNOTES:,} footnotes (the limit)", "input",
      "exit 0 and a PDF with every note (or exit 1 naming the page limit)", weight=30)  # fmt: skip
def _footnotes(ws: Workspace) -> None:
    src = ws.source(parts=letter(_many_notes(MAX_FOOTNOTES)))
    proc = ws.build(src, timeout=300)
    ws.note(f"build {proc.seconds:.0f} s")
    if proc.returncode == 1:
        ws.expect_text(proc, "page")
    elif ws.expect_exit(proc, 0):
        last = f"Note number {MAX_FOOTNOTES}."
        text = check_built_pdf(ws, ws.out / MINIMAL_BAG, literal=[last])
        ws.note(f"{text.count('Note number')} notes in the text")
        check_verifies(ws, ws.out / MINIMAL_BAG)


@case(CASES, "3,000 footnotes", "input",
      "exit 2 at once; message names letter.md and the footnote limit")  # fmt: skip
def _too_many_footnotes(ws: Workspace) -> None:
    refused(
        ws, ws.source(parts=letter(_many_notes(3000))), names=("letter.md", f"{MAX_FOOTNOTES:,}")
    )


@case(CASES, "footnote calls right after a number (Point 1.[^1]), 5 notes", "input",
      "exit 0; the PDF holds every call and note")  # fmt: skip
def _footnote_after_number(ws: Workspace) -> None:
    calls = " ".join(f"Point {i}.[^{i}]" for i in range(1, 6))
    notes = "\n".join(f"[^{i}]: Note number {i}." for i in range(1, 6))
    builds(ws, ws.source(parts=letter(f"{calls}\n\n{notes}\n")), literal=["Note number 5."])


@case(CASES, "a table of 1,000 rows by 8 columns", "input",
      "exit 0 and a PDF with the last row (or exit 1 naming a limit)", weight=4)  # fmt: skip
def _huge_table(ws: Workspace) -> None:
    header = "| " + " | ".join(f"H{c}" for c in range(8)) + " |\n|" + "---|" * 8 + "\n"
    rows = "".join("| " + " | ".join(f"r{r}c{c}" for c in range(8)) + " |\n" for r in range(2000))
    proc = ws.build(ws.source(parts=letter(f"Table:\n\n{header}{rows}")), timeout=300)
    if proc.returncode == 1:
        ws.expect_text(proc, "limit")
    elif ws.expect_exit(proc, 0):
        check_built_pdf(ws, ws.out / MINIMAL_BAG, literal=["r999c7"])


# --- encodings and JSON ------------------------------------------------------------------------


@case(CASES, "invalid UTF-8 in document.json and in a part", "input",
      "exit 2; messages name document.json / annex-1.md and 'UTF-8'; batch reports both",
      quick=True)  # fmt: skip
def _bad_utf8(ws: Workspace) -> None:
    meta = json.dumps(MINIMAL_DOCUMENT, indent=2).encode().replace(b"Cooper", b"Coop\xffr")
    a = ws.source(meta, name="a")
    b = ws.source(parts={"annex-1.md": b"Caf\xc3 \xff\xfe broken\n"}, name="b")
    refused(ws, a, b, names=("document.json", "annex-1.md", "UTF-8"))


@case(CASES, "UTF-8 byte order marks on document.json and a part", "input",
      "exit 0 (a BOM is tolerated); verify passes")  # fmt: skip
def _bom(ws: Workspace) -> None:
    meta = b"\xef\xbb\xbf" + json.dumps(MINIMAL_DOCUMENT, indent=2).encode()
    src = ws.source(meta, parts={"letter.md": b"\xef\xbb\xbfI have the honour.\n"})
    builds(ws, src)


@case(CASES, "JSON with duplicate keys", "input",
      "exit 2; message names document.json and the key 'title'", quick=True)  # fmt: skip
def _duplicate_keys(ws: Workspace) -> None:
    text = json.dumps(MINIMAL_DOCUMENT, indent=2)
    text = text.replace('"title": "Letter', '"title": "Forged", "title": "Letter', 1)
    refused(ws, ws.source(text.encode()), names=("document.json", "'title'", "twice"))


@case(CASES, "JSON with NaN, Infinity and a 5,000-digit number", "input",
      "exit 2 for each; messages name document.json")  # fmt: skip
def _nan(ws: Workspace) -> None:
    text = json.dumps(MINIMAL_DOCUMENT, indent=2)
    a = ws.source(text.replace('"session": 75', '"session": NaN').encode(), name="a")
    b = ws.source(text.replace('"year": 2021', '"year": -Infinity').encode(), name="b")
    c = ws.source(text.replace('"session": 75', '"session": 7' + "5" * 5000).encode(), name="c")
    proc = refused(ws, a, b, c, names=("document.json",))
    ws.check(proc.stderr.count("document.json") >= 3, "not every document was reported")


@case(CASES, "JSON nested 100,000 deep", "input",
      "exit 2; message names document.json and the depth limit; no RecursionError")  # fmt: skip
def _deep_json(ws: Workspace) -> None:
    text = json.dumps(MINIMAL_DOCUMENT)[:-1] + ', "remarks": ' + "[" * 100_000 + "]" * 100_000 + "}"
    refused(ws, ws.source(text.encode()), names=("document.json", str(MAX_JSON_DEPTH)))


@case(CASES, "a 2 MB document.json", "input",
      "exit 2; message names document.json and its size limit")  # fmt: skip
def _big_json(ws: Workspace) -> None:
    text = json.dumps(MINIMAL_DOCUMENT)[:-1] + ', "remarks": "x"' + " " * (2 << 20) + "}"
    refused(ws, ws.source(text.encode()), names=("document.json", f"{MAX_METADATA_BYTES:,}"))


@case(CASES, "document.json empty, an array, null, and a symlink to /etc/passwd", "input",
      "exit 2; each of the four documents reported with document.json named")  # fmt: skip
def _not_an_object(ws: Workspace) -> None:
    a = ws.source(b"", name="a")
    b = ws.source(b"[]", name="b")
    c = ws.source(b"null", name="c")
    d = ws.source(name="d")
    (d / "document.json").unlink()
    (d / "document.json").symlink_to("/etc/passwd")
    proc = refused(ws, a, b, c, d, names=("document.json",))
    for name in "abcd":
        ws.check(f"{name}/document.json" in proc.stderr, f"no message names {name}/document.json")


# --- the part files ----------------------------------------------------------------------------


@case(CASES, "a part file that is a symlink to /etc/passwd", "input",
      "exit 2; message names letter.md as a symbolic link; nothing of /etc/passwd anywhere",
      quick=True)  # fmt: skip
def _part_symlink(ws: Workspace) -> None:
    src = ws.source()
    (src / "letter.md").unlink()
    (src / "letter.md").symlink_to("/etc/passwd")
    refused(ws, src, names=("letter.md", "symbolic link"))


@case(CASES, "parts named ../x.md, /etc/passwd and sub/x.md", "input",
      "exit 2; message names /parts/N/text for each; the outside file is not read",
      quick=True)  # fmt: skip
def _part_paths(ws: Workspace) -> None:
    (ws.root / "x.md").write_text(f"Outside the source folder: {PASSWD_MARKER}\n")

    def edit(meta: dict) -> None:
        meta["parts"][0]["text"] = "../x.md"
        meta["parts"][1]["text"] = "/etc/passwd"
        meta["parts"].append({"kind": "annex", "text": "sub/x.md", "heading": "Annex II"})

    src = ws.source(edit)
    (src / "sub").mkdir()
    (src / "sub" / "x.md").write_text("In a subfolder.\n")
    refused(ws, src, names=("/parts/0/text", "/parts/1/text", "/parts/2/text"))


@case(CASES, "a part that is a FIFO, and one that is a folder", "input",
      "exit 2 at once (no hang); message names both parts")  # fmt: skip
def _part_fifo(ws: Workspace) -> None:
    src = ws.source()
    (src / "letter.md").unlink()
    os.mkfifo(src / "letter.md")
    (src / "annex-1.md").unlink()
    (src / "annex-1.md").mkdir()
    proc = refused(ws, src, names=("letter.md", "annex-1.md"))
    ws.check(proc.seconds < 30, f"took {proc.seconds:.0f} s")


# --- limits ------------------------------------------------------------------------------------


def _padded(size: int) -> bytes:
    """document.json of exactly ``size`` bytes (padding inside the object)."""
    head = json.dumps(MINIMAL_DOCUMENT)[:-1].encode()
    return head + b" " * (size - len(head) - 1) + b"}"


@case(CASES, f"document.json of MAX_METADATA_BYTES + 1 ({MAX_METADATA_BYTES + 1:,} bytes)",
      "limits", "exit 2; message names document.json, its size and the limit", quick=True)  # fmt: skip
def _metadata_over(ws: Workspace) -> None:
    src = ws.source(_padded(MAX_METADATA_BYTES + 1))
    refused(
        ws, src, names=("document.json", f"{MAX_METADATA_BYTES + 1:,}", f"{MAX_METADATA_BYTES:,}")
    )


@case(CASES, "document.json of exactly MAX_METADATA_BYTES", "limits",
      "exit 0 from validate (the limit itself is allowed)")  # fmt: skip
def _metadata_at(ws: Workspace) -> None:
    proc = ws.run("validate", ws.source(_padded(MAX_METADATA_BYTES)))
    ws.expect_exit(proc, 0)


@case(CASES, f"a part of MAX_PART_BYTES + 1 ({MAX_PART_BYTES + 1:,} bytes)", "limits",
      "exit 2; message names letter.md and the limit")  # fmt: skip
def _part_over(ws: Workspace) -> None:
    line = b"Words of a long letter, repeated to reach the limit of one part file.\n"
    data = (line * (MAX_PART_BYTES // len(line) + 1))[: MAX_PART_BYTES + 1]
    refused(ws, ws.source(parts={"letter.md": data}), names=("letter.md", f"{MAX_PART_BYTES:,}"))


@case(CASES, f"MAX_PARTS + 1 ({MAX_PARTS + 1}) parts", "limits",
      "exit 2; message names /parts and the limit")  # fmt: skip
def _parts_over(ws: Workspace) -> None:
    parts = {f"annex-{i}.md": f"Annex {i}.\n" for i in range(1, MAX_PARTS + 1)}

    def edit(meta: dict) -> None:
        meta["parts"] = meta["parts"][:1] + [
            {"kind": "annex", "text": f"annex-{i}.md", "heading": f"Annex {i}"}
            for i in range(1, MAX_PARTS + 1)
        ]

    refused(ws, ws.source(edit, parts=parts), names=("/parts", str(MAX_PARTS)))


@case(CASES, "parts each under the limit, together over MAX_SOURCE_BYTES", "limits",
      "exit 2; message names the folder and the total limit")  # fmt: skip
def _source_over(ws: Workspace) -> None:
    each = MAX_SOURCE_BYTES // 3 + 1
    assert each <= MAX_PART_BYTES
    block = b"Text of an annex. " * (each // 18 + 1)
    parts = {f"annex-{i}.md": block[:each] for i in (1, 2, 3)}

    def edit(meta: dict) -> None:
        meta["parts"] += [
            {"kind": "annex", "text": f"annex-{i}.md", "heading": f"Annex {i}"} for i in (2, 3)
        ]

    refused(ws, ws.source(edit, parts=parts), names=(f"{MAX_SOURCE_BYTES:,}",))


@case(CASES, "title of MAX_TEXT_CHARS + 1; 101 agenda items; JSON one level too deep",
      "limits", "exit 2; messages name /title, the agenda items and the depth limit")  # fmt: skip
def _shape_over(ws: Workspace) -> None:
    a = ws.source({"title": "T" * (MAX_TEXT_CHARS + 1)}, name="a")
    items = [{"item": str(i), "title": f"Item {i}"} for i in range(MAX_JSON_MEMBERS + 1)]
    b = ws.source(lambda meta: meta["organs"][0].update(agenda_items=items), name="b")
    deep: object = "x"
    for _ in range(MAX_JSON_DEPTH):
        deep = [deep]
    c = ws.source({"remarks": deep}, name="c")
    refused(ws, a, b, c, names=(
        "a/document.json", "/title", "b/document.json", str(MAX_JSON_MEMBERS), "c/document.json",
        str(MAX_JSON_DEPTH),
    ))  # fmt: skip


@case(CASES, f"body nested exactly MAX_NESTING ({MAX_NESTING}) deep", "limits",
      "exit 0 (the limit itself is allowed)")  # fmt: skip
def _nesting_at(ws: Workspace) -> None:
    body = "".join("  " * i + "- level\n" for i in range(MAX_NESTING))
    builds(ws, ws.source(parts=letter(f"List:\n\n{body}")))


# Seconds one render may take in the timeout cases: the short document renders in about one
# second even on a loaded machine, the long one (about 150 pages) in well over a minute.
RENDER_TIMEOUT = 3


def _long_document(ws: Workspace, name: str) -> Path:
    paragraph = (
        "The member States reaffirm their commitment to the principles of the Charter and "
        "stress the need for agreed approaches to maritime security in the region. "
    ) * 6
    body = "\n\n".join(f"{i}. {paragraph}" for i in range(1, 1501))
    return ws.source({"symbols": ["A/75/9002", "S/2021/9002"], "job_number": "21-90002"},
                     parts=letter(body + "\n"), name=name)  # fmt: skip


def _timeout_case(ws: Workspace, jobs: str) -> None:
    slow = _long_document(ws, "long")
    fine = ws.source(name="fine")
    proc = ws.run("build", slow, fine, "-o", ws.out, "--timeout", str(RENDER_TIMEOUT), "--jobs",
                  jobs, "--json", timeout=180)  # fmt: skip
    ws.built(ws.out, proc)
    ws.expect_exit(proc, 1)
    ws.expect_text(proc, "long", "timed out")
    results = {Path(d["source"]).name: d for d in ws.build_result(proc)}
    ws.check(results.get("long", {}).get("status") == "failed", "the long document did not fail")
    other = results.get("fine", {})
    ws.check(other.get("status") == "built",
             f"the other document was not built: {other.get('reason')}")  # fmt: skip
    ws.note(f"long: {results.get('long', {}).get('seconds')} s, short: {other.get('seconds')} s")
    ws.check(proc.seconds < 60, f"the batch took {proc.seconds:.0f} s")
    ws.check(not (ws.out / "A_75_9002--S_2021_9002-EN").exists(), "a bag of the long document")


@case(CASES, f"render over --timeout {RENDER_TIMEOUT} (long document) beside a short one, --jobs 1",
      "limits", "exit 1; message names the long document and 'timed out'; the short one built",
      quick=True, weight=2)  # fmt: skip
def _timeout_j1(ws: Workspace) -> None:
    _timeout_case(ws, "1")


@case(CASES, f"render over --timeout {RENDER_TIMEOUT} beside a short one, --jobs 2 (worker pool)", "limits",
      "exit 1; 'timed out' for the long one; the short one built; no worker left behind",
      weight=2)  # fmt: skip
def _timeout_j2(ws: Workspace) -> None:
    _timeout_case(ws, "2")
