"""Body text: CommonMark with footnotes and tables; nothing but text reaches the PDF."""

import pytest

from pipeline.body import MarkupError, to_html


def test_raw_html_is_shown_as_text():
    html = to_html(
        '<script>alert(1)</script>\n\nA <link rel="attachment" href="file:///etc/passwd"> b\n'
    )
    assert "<script>" not in html and "<link" not in html
    assert "&lt;script&gt;" in html and "&lt;link" in html


def test_footnotes_are_rendered_in_place_for_css_floats():
    html = to_html("Text.[^a] More.\n\n[^a]: The *note*.\n")
    assert '<span class="footnote">The <em>note</em>.</span>' in html
    assert "footnotes-list" not in html and "↩" not in html


def test_tables_ordered_lists_headings_and_links_are_kept():
    html = to_html(
        "# I. Chapter\n\n5. Fifth paragraph\n6. Sixth\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[x](https://undocs.org/A/1)\n"
    )
    assert "<h1>I. Chapter</h1>" in html
    assert '<ol start="5">' in html
    assert "<table>" in html and "<td>2</td>" in html
    assert '<a href="https://undocs.org/A/1">x</a>' in html


def test_every_refused_construct_is_listed_with_its_line():
    with pytest.raises(MarkupError) as caught:
        to_html("![a](a.png)\n\n[b](file:///x)\n\n![c](http://127.0.0.1:9/c.png)\n")
    assert [p.line for p in caught.value.problems] == [1, 3, 5]


@pytest.mark.parametrize(
    ("markdown", "line", "expected"),
    [
        ("# I. Title\n\ntext\n\n### A. Too deep\n", 5, "skips a level"),
        ("## A first heading that is not #\n", 1, "first heading of a part must be '#'"),
        ("text\n\n# I.\n\n## A.\n\n#### 1. Too deep\n", 7, "expected at most '###'"),
    ],
)
def test_a_heading_that_skips_a_level_is_refused_with_its_line(markdown, line, expected):
    with pytest.raises(MarkupError) as caught:
        to_html(markdown)
    assert [(p.line, expected in p.message) for p in caught.value.problems] == [(line, True)]


def test_headings_may_climb_back_any_number_of_levels():
    assert "<h3" in to_html("# I.\n\n## A.\n\n### 1.\n\n# II.\n\n## A.\n")
