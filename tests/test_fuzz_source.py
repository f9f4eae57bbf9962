"""Fuzzing ``validate`` (issue 6, item 4): hypothesis over document.json values and bodies.

Every example must end in exit 0, or exit 2 with one ``error:`` line per problem — never a
traceback, never an "internal error", never output that cannot be written as UTF-8. The run is
bounded for CI and deterministic (``derandomize``); ``FUZZ_EXAMPLES=2000`` runs more, with
random seeds, e.g. ``FUZZ_EXAMPLES=5000 pytest tests/test_fuzz_source.py``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import MINIMAL_DOCUMENT
from .test_hostile_content import assert_clean_exit, run_cli, write_source

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=EXAMPLES or 150,
    deadline=None,
    derandomize=not EXAMPLES,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Every code point, surrogates and controls included.
ANY_CHAR = st.characters(exclude_categories=())
ANY_TEXT = st.text(ANY_CHAR, max_size=40)
NASTY_TEXT = st.one_of(
    ANY_TEXT,
    st.sampled_from(
        [
            "",
            " ",
            "\n",
            "21-90001\n",
            "A/75/9001\n",
            "letter.md\n",
            "x" * 2001,
            "\u202e",
            "\ud800",
            "\udfff\ud800",
            "\ufeff",
            "\x00",
            "</style><style>@import url(http://127.0.0.1:9/x)</style>",
            "{{ 7*7 }}",
            "../../etc/passwd",
            "document.json",
            "2021-02-30",
            "ES-11",
            "S/RES/2565 (2021)",
            "GE.21-90001",
        ]
    ),
)
NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 1, 75, 99, 100, 1946, 2021, 2044, 2021.0, 75.5, 1e300, -0.0]),
)
JSON = st.recursive(
    st.none() | st.booleans() | NUMBERS | NASTY_TEXT,
    lambda children: (
        st.lists(children, max_size=6)
        | st.dictionaries(
            NASTY_TEXT | st.sampled_from(sorted(MINIMAL_DOCUMENT)), children, max_size=6
        )
    ),
    max_leaves=25,
)
# JSON pointers of the minimal document where a fuzzed value goes.
POINTERS = [
    (),
    ("symbols",),
    ("symbols", 0),
    ("language",),
    ("original_languages",),
    ("original_languages", 0),
    ("distribution",),
    ("date",),
    ("duty_station",),
    ("organs",),
    ("organs", 0),
    ("organs", 0, "organ"),
    ("organs", 0, "session"),
    ("organs", 0, "agenda_items"),
    ("organs", 0, "agenda_items", 0),
    ("organs", 0, "agenda_items", 0, "item"),
    ("organs", 0, "agenda_items", 0, "sub_item"),
    ("organs", 0, "agenda_items", 0, "title"),
    ("organs", 1, "year"),
    ("title",),
    ("subtitle",),
    ("job_number",),
    ("processing_dates",),
    ("processing_dates", 1),
    ("parts",),
    ("parts", 0),
    ("parts", 0, "kind"),
    ("parts", 0, "text"),
    ("parts", 0, "signature"),
    ("parts", 0, "signature", "name"),
    ("parts", 1, "heading"),
    ("parts", 1, "original_language"),
    ("remarks",),
    ("unexpected",),
]


def _put(document: dict, path: tuple, value: object) -> object:
    if not path:
        return value
    node = document
    for key in path[:-1]:
        node = node[key]
    if isinstance(node, list) and path[-1] >= len(node):
        node.append(value)
    else:
        node[path[-1]] = value
    return document


def _validate(folder: Path) -> tuple[int, str, str]:
    code, out, err = run_cli("validate", str(folder))
    assert_clean_exit(code, out, err)
    (out + err).encode("utf-8")  # printable: no lone surrogate reaches the terminal
    if code == 0:
        assert out.startswith("ok: "), out
    code_json, report, _ = run_cli("validate", "--json", str(folder))
    assert code_json == code and json.loads(report)["documents"][0]["valid"] == (code == 0)
    report.encode("utf-8")
    return code, out, err


@FUZZ
@given(
    edits=st.lists(st.tuples(st.sampled_from(POINTERS), JSON), min_size=1, max_size=4),
    ascii_only=st.booleans(),
)
def test_fuzzed_document_json_values(edits, ascii_only):
    document = json.loads(json.dumps(MINIMAL_DOCUMENT))
    for path, value in edits:
        try:
            document = _put(document, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit replaced the container this path goes through
    text = json.dumps(document, ensure_ascii=ascii_only)
    with tempfile.TemporaryDirectory() as root:
        folder = write_source(Path(root), metadata=text.encode("utf-8", "surrogatepass"))
        _validate(folder)


@FUZZ
@given(
    data=st.binary(max_size=300)
    | st.text(ANY_CHAR, max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass"))
)
def test_fuzzed_document_json_bytes(data):
    with tempfile.TemporaryDirectory() as root:
        code, _, _ = _validate(write_source(Path(root), metadata=data))
        assert code == 2


# -- Markdown bodies --------------------------------------------------------------------------

MARKDOWN_PIECES = st.sampled_from(
    [
        "\n",
        "\n\n",
        "\r\n",
        "\r",
        "\t",
        "    ",
        "# ",
        "###### ",
        "- ",
        "* ",
        "+ ",
        "1. ",
        "5) ",
        "> ",
        ">>>> ",
        "*",
        "**",
        "_",
        "__",
        "~~",
        "`",
        "```\n",
        "~~~\n",
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        "![",
        "](",
        "[^1]",
        "[^1]: ",
        "[^x]",
        "[^x]: ",
        "^[",
        "|",
        "| a | b |\n",
        "|---|---|\n",
        "---\n",
        "===\n",
        "***\n",
        "\\",
        "&amp;",
        "&#x202E;",
        "&#0;",
        "&#xD800;",
        "&#12;",
        "&NewLine;",
        "&zwj;",
        "&#x4E2D;",
        "<script>alert(1)</script>",
        "<img src=http://127.0.0.1:9/x>",
        "<http://127.0.0.1:9/auto>",
        "<file:///etc/passwd>",
        "[a](http://127.0.0.1:9/)",
        "[a](file:///etc/passwd)",
        "[a](javascript:x)",
        "[a](mailto:a@b.c)",
        "[r]: http://127.0.0.1:9/ref\n",
        "[a][r]",
        "word ",
        "Text. ",
        "\u200b",
        "\u200f",
        "\u202e",
        "\u2028",
        "\x0b",
        "\x00",
        "\ufeff",
        "中文",
        "عربي",
        "x" * 600,
        "{{ 7*7 }}",
        "A/75/9001",
    ]
)
MARKDOWN = st.lists(MARKDOWN_PIECES | st.text(ANY_CHAR, max_size=12), max_size=40).map("".join)


@FUZZ
@given(letter=MARKDOWN, annex=MARKDOWN | st.binary(max_size=100))
def test_fuzzed_markdown_bodies(letter, annex):
    with tempfile.TemporaryDirectory() as root:
        parts = {
            "letter.md": letter.encode("utf-8", "surrogatepass"),
            "annex-1.md": annex
            if isinstance(annex, bytes)
            else annex.encode("utf-8", "surrogatepass"),
        }
        _validate(write_source(Path(root), parts=parts))


@FUZZ
@given(depth=st.integers(0, 400), kind=st.sampled_from(["> ", "- ", "1. ", "*", "[", "^["]))
def test_fuzzed_nesting(depth, kind):
    indent = {"- ": "  ", "1. ": "   "}.get(kind)
    if indent:
        text = "".join(indent * i + kind + f"level {i}\n" for i in range(depth))
    elif kind in ("*", "["):
        closing = "]" if kind == "[" else "*"
        text = kind * depth + "x" + closing * depth + "\n"
    else:
        text = kind * depth + "deep" + "]" * (depth if kind == "^[" else 0) + "\n"
    with tempfile.TemporaryDirectory() as root:
        _validate(write_source(Path(root), parts={"letter.md": text or "x\n"}))
