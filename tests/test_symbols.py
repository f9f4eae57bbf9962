"""UN document symbols: the examples of UN-FORMAT.md §6, normalisation, file stems, links."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.symbols import (
    SERIES,
    Symbol,
    SymbolError,
    file_stem,
    format_joint,
    parse_file_stem,
    parse_symbol,
    parse_symbols,
    undocs_url,
)

bounded = settings(max_examples=200, deadline=None)

# UN-FORMAT.md §6 "Valid" examples (the joint one is in test_valid_joint_example_...), each
# with the session, year, sequential number, modifiers and reissue count it carries.
VALID = [
    ("A/75/785", "75", None, 785, (), 0),
    ("S/2021/230", None, 2021, 230, (), 0),
    ("A/RES/75/1", "75", None, 1, (), 0),
    ("S/RES/2565 (2021)", None, 2021, 2565, (), 0),
    ("A/RES/2758(XXVI)", "26", None, 2758, (), 0),
    ("A/RES/ES-11/1", "ES-11", None, 1, (), 0),
    ("A/C.1/75/L.1", "75", None, 1, (), 0),
    ("E/CN.4/2002/1", None, 2002, 1, (), 0),
    ("A/HRC/WG.6/34/ITA/3", "34", None, 3, (), 0),
    ("A/AC.109/2019/L.18", None, 2019, 18, (), 0),
    ("A/74/L.75", "74", None, 75, (), 0),
    ("A/INF/76/1", "76", None, 1, (), 0),
    ("A/76/100*", "76", None, 100, (), 1),
    ("A/59/2005/Add.2", "59", None, 2005, ("Add.2",), 0),
    ("A/75/785/Corr.1", "75", None, 785, ("Corr.1",), 0),
    ("A/75/785/Rev.1/Add.2", "75", None, 785, ("Rev.1", "Add.2"), 0),
    ("S/PV.8967", None, None, 8967, (), 0),
    ("A/75/PV.12", "75", None, 12, (), 0),
    ("S/PRST/2021/1", None, 2021, 1, (), 0),
    ("S/Agenda/7229", None, None, 7229, (), 0),
    ("E/2021/1", None, 2021, 1, (), 0),
    ("ST/AI/2021/1", None, 2021, 1, (), 0),
    ("TD/B/1215", None, None, 1215, (), 0),
    ("ECE/TRANS/WP.29/2020/81", None, 2020, 81, (), 0),
]

# UN-FORMAT.md §6 "Invalid" examples that are rejected, with what the message must say.
INVALID = [
    ("a/75/785", "series 'a' must be upper-case, like 'A'"),
    ("A75/785", "series 'A75' must be capital letters followed by '/'"),
    ("A//75/785", "empty part between slashes"),
    ("A/75/785/", "ends with '/'"),
    ("A/75/785/Add1", "modifier 'Add1' needs a dot and a number, like 'Add.1'"),
    ("A/75/785/Add.0", "modifier 'Add.0' is numbered from 1"),
    ("A/75/0785", "'0785' is zero or has a leading zero"),
    ("A/75/785/Corr.", "modifier 'Corr.' needs a number after the dot, like 'Corr.1'"),
    ("A/75/ 785", "unexpected space in ' 785'"),
]

# The semantic rules §6 asks for beyond the regex, and other shapes it rules out.
SEMANTICALLY_INVALID = [
    ("A/75/Add.1/785", "modifier 'Add.1' must come after the sequential number"),
    ("A/75/Summary/785", "modifier 'Summary' must come after the sequential number"),
    ("X/75/785", "unknown series 'X'"),
    ("A/2021/785", "'A/' is followed by a session"),
    ("S/75/230", "Security Council symbols carry a year"),
    ("S/1800/230", "neither a session nor a year"),
    ("E/2101/1", "neither a session nor a year"),
    ("A/RES/2758", "resolutions read like"),
    ("A/RES/75/1(XXVI)", "roman session"),
    ("A/RES/2758(IIII)", "roman session"),
    ("S/RES/2565", "Security Council resolutions carry their year"),
    ("S/RES/2565 (1900)", "outside 1946–2100"),
    ("S/RES/2565(XXVI)", "Security Council resolutions carry their year"),
    ("A/75/785 (2021)", "only resolutions carry"),
    ("A/75/785/Add.01", "numbered from 1"),
    ("A/75/L.01", "leading zero"),
    ("A/ES-011/1", "leading zero"),
    ("A/75/INF", "expected a sequential number"),
    ("A/C.1/ES-11", "expected a sequential number"),
    ("A/Add.1", "expected a sequential number"),
    ("A/76/1*00", "'*' marks a reissue"),
    ("A/75/(785)", "parentheses only hold"),
    ("A/75/785-E/E", "names a language twice"),
    ("A", "expected a series, '/' and a number"),
    ("", "empty symbol"),
    ("A/75/785–S/2021/230", "expected one symbol, not a joint symbol"),
    ("A/75/785-S/2021/230", "expected one symbol, not a joint symbol"),
]


@pytest.mark.parametrize(("text", "session", "year", "number", "modifiers", "reissue"), VALID)
def test_valid_example_parses_to_its_parts(text, session, year, number, modifiers, reissue):
    symbol = parse_symbol(text)
    assert (symbol.text, str(symbol)) == (text, text)
    assert (symbol.session, symbol.year, symbol.number) == (session, year, number)
    assert (symbol.modifiers, symbol.reissue) == (modifiers, reissue)
    assert symbol.series == text.split("/")[0]


def test_valid_joint_example_parses_to_two_symbols():
    symbols = parse_symbols("A/75/785–S/2021/230")
    assert [s.text for s in symbols] == ["A/75/785", "S/2021/230"]
    assert format_joint(symbols) == "A/75/785–S/2021/230"


@pytest.mark.parametrize(("text", "message"), INVALID + SEMANTICALLY_INVALID)
def test_invalid_symbol_is_rejected_saying_what_was_expected(text, message):
    with pytest.raises(SymbolError, match=re.escape(message)):
        parse_symbol(text)


def test_error_message_quotes_the_symbol_and_the_offending_part():
    with pytest.raises(SymbolError) as caught:
        parse_symbol("A/75/785/Add1")
    assert str(caught.value) == (
        "A/75/785/Add1: modifier 'Add1' needs a dot and a number, like 'Add.1'"
    )


@pytest.mark.parametrize(
    ("given_text", "canonical"),
    [
        ("S/RES/2565(2021)", "S/RES/2565 (2021)"),  # §6: the SC year needs a space
        ("S/RES/2565  (2021)", "S/RES/2565 (2021)"),
        ("A/RES/2758 (XXVI)", "A/RES/2758(XXVI)"),
        ("A／75／785", "A/75/785"),  # full-width slashes
        ("S/RES/2565（2021）", "S/RES/2565 (2021)"),
        ("  A/76/100*\n", "A/76/100*"),
    ],
)
def test_symbol_is_normalised_to_its_canonical_form(given_text, canonical):
    assert parse_symbol(given_text).text == canonical


@pytest.mark.parametrize(
    "joint",
    [
        "A/75/785-S/2021/230",  # §6: hyphen-minus instead of en dash
        "A/75/785 – S/2021/230",  # §6: spaces around the dash
        "A/75/785—S/2021/230",
        "A/75/785 - S/2021/230",
        "A/75/785–S/2021/230",
        " A／75／785 – S／2021／230 ",
    ],
)
def test_joint_symbol_with_any_dash_is_normalised_to_en_dash(joint):
    assert format_joint(parse_symbols(joint)) == "A/75/785–S/2021/230"


@pytest.mark.parametrize(
    ("joint", "texts"),
    [
        ("A/ES-11/L.1-S/2021/1", ["A/ES-11/L.1", "S/2021/1"]),
        ("A/RES/ES-11/1-S/RES/2565 (2021)", ["A/RES/ES-11/1", "S/RES/2565 (2021)"]),
        ("A/S-8/1-E/2021/1", ["A/S-8/1", "E/2021/1"]),
        ("A/RES/3201(S-VI)-S/2021/1", ["A/RES/3201(S-VI)", "S/2021/1"]),
        ("A/75/1-E/F/S", ["A/75/1-E/F/S"]),  # a language-limited tail, not a joint symbol
        ("A/75/1-E/F-S/2021/1", ["A/75/1-E/F", "S/2021/1"]),
        ("A/75/1-E/2021/1", ["A/75/1", "E/2021/1"]),
        ("A/75/1-S/2021/1-E/2021/1", ["A/75/1", "S/2021/1", "E/2021/1"]),
    ],
)
def test_hyphen_minus_splits_only_between_two_complete_symbols(joint, texts):
    assert [s.text for s in parse_symbols(joint)] == texts


def test_list_of_symbols_is_parsed_one_symbol_per_item():
    symbols = parse_symbols(["A/75/9001", "S/2021/9001"])
    assert format_joint(symbols) == "A/75/9001–S/2021/9001"


@pytest.mark.parametrize(
    ("joint", "message"),
    [
        ("A/75/1–S/2021/1–E/2021/1–T/2021/1", "expected 1 to 3 symbols, got 4"),
        ("A/75/1-S/2021/1-E/2021/1-T/2021/1", "expected 1 to 3 symbols, got 4"),
        ("A/75/785–A/75/785", "the same symbol appears twice"),
        ("S/2021/230–A/75/785", "the General Assembly symbol comes first"),
        ("A/75/785–S/2021/0230", "'0230' is zero or has a leading zero"),
        ("A/75/785-S/2021/0230", "'0230' is zero or has a leading zero"),
        ("A/75/785–", "empty symbol"),
        ("", "empty symbol"),
        (["A/75/785–S/2021/230"], "expected one symbol, not a joint symbol"),
        ([], "expected 1 to 3 symbols, got 0"),
    ],
)
def test_bad_joint_symbol_is_rejected(joint, message):
    with pytest.raises(SymbolError, match=re.escape(message)):
        parse_symbols(joint)


@pytest.mark.parametrize(
    ("texts", "language", "stem"),
    [
        (["A/75/9001", "S/2021/9001"], "zh", "A_75_9001--S_2021_9001-ZH"),
        (["A/75/785"], "en", "A_75_785-EN"),
        (["A/76/100*"], "fr", "A_76_100_x-FR"),
        (["A/76/100**"], "fr", "A_76_100_x_x-FR"),
        (["S/RES/2565 (2021)"], "ru", "S_RES_2565__2021-RU"),
        (["A/RES/2758(XXVI)"], "ar", "A_RES_2758__XXVI-AR"),
        (["A/RES/3201(S-VI)"], "es", "A_RES_3201__S-VI-ES"),
        (["A/RES/ES-11/1"], "en", "A_RES_ES-11_1-EN"),
        (["A/75/785/Rev.1/Add.2"], "en", "A_75_785_Rev.1_Add.2-EN"),
        (["A/HRC/46/L.1-E/F"], "en", "A_HRC_46_L.1-E_F-EN"),
        (["A/75/1", "S/2021/1", "E/2021/1*"], "es", "A_75_1--S_2021_1--E_2021_1_x-ES"),
    ],
)
def test_file_stem_is_derived_and_read_back(texts, language, stem):
    symbols = tuple(parse_symbol(t) for t in texts)
    assert file_stem(symbols, language) == stem
    assert parse_file_stem(stem) == (symbols, language)


def test_format_joint_and_file_stem_keep_the_order_given():
    symbols = (parse_symbol("S/2021/230"), parse_symbol("A/75/785"))
    assert format_joint(symbols) == "S/2021/230–A/75/785"
    assert parse_file_stem(file_stem(symbols, "en")) == (symbols, "en")


@pytest.mark.parametrize("count", [0, 4])
def test_format_joint_and_file_stem_need_one_to_three_symbols(count):
    symbols = [parse_symbol(f"A/75/{n}") for n in range(1, count + 1)]
    with pytest.raises(SymbolError, match=f"expected 1 to 3 symbols, got {count}"):
        format_joint(symbols)
    with pytest.raises(SymbolError, match=f"expected 1 to 3 symbols, got {count}"):
        file_stem(symbols, "en")


@pytest.mark.parametrize(
    "stem",
    [
        "A_75_785",  # no language
        "A_75_785-DE",
        "A_75_785-zh",
        "A/75/785-ZH",
        "A_75_785-S_2021_230-ZH",  # joint symbols are joined by "--"
        "A_75_785__XXVI-EN",  # a roman session on a non-resolution
        "A_75_785_x_y-EN",
        "A_75_785---S_2021_230-EN",
        "-EN",
        "",
    ],
)
def test_malformed_file_stem_is_rejected(stem):
    with pytest.raises(SymbolError):
        parse_file_stem(stem)


def test_file_stem_refuses_a_language_outside_the_six():
    with pytest.raises(SymbolError, match="expected one of ar zh en fr ru es"):
        file_stem([parse_symbol("A/75/785")], "de")


@pytest.mark.parametrize(
    ("text", "language", "url"),
    [
        ("A/RES/59/50", "zh", "https://undocs.org/ch/A/RES/59/50"),  # as in the seed
        ("A/75/785", "en", "https://undocs.org/A/75/785"),
        ("A/75/785", "ar", "https://undocs.org/ar/A/75/785"),
        ("A/75/785", "fr", "https://undocs.org/fr/A/75/785"),
        ("A/75/785", "ru", "https://undocs.org/ru/A/75/785"),
        ("A/75/785", "es", "https://undocs.org/es/A/75/785"),
        ("S/RES/2565 (2021)", "en", "https://undocs.org/S/RES/2565%20%282021%29"),
        ("A/RES/2758(XXVI)", "zh", "https://undocs.org/ch/A/RES/2758%28XXVI%29"),
        ("A/76/100*", "en", "https://undocs.org/A/76/100%2A"),
    ],
)
def test_undocs_url_uses_ch_for_chinese_and_no_prefix_for_english(text, language, url):
    assert undocs_url(parse_symbol(text), language) == url


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("A/75/9001", ("A", "/75/9001")),
        ("S/RES/2565 (2021)", ("S", "/RES/2565 (2021)")),
        ("ECE/TRANS/WP.29/2020/81", ("ECE", "/TRANS/WP.29/2020/81")),
    ],
)
def test_masthead_split_separates_the_series_from_the_rest(text, split):
    assert parse_symbol(text).masthead_split == split


# -- properties -----------------------------------------------------------------------------

NAMED = ["HRC", "BUR", "INF", "TRANS", "B", "AI", "PC", "PRST", "Agenda", "NGO"]
DOTTED = ["AC", "C", "CN", "CONF", "GC", "SC", "Sub", "WG"]
NATURES = ["L", "PV", "SR", "CRP", "WP", "R"]
small = st.integers(1, 999)


def roman(value: int) -> str:
    numerals = [(100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX")]
    numerals += [(5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for number, letters in numerals:
        count, value = divmod(value, number)
        out += letters * count
    return out


years = st.integers(1946, 2100)
sessions = st.one_of(small.map(str), st.builds("{}-{}".format, st.sampled_from(["S", "ES"]), small))
modifiers = st.one_of(
    st.builds("{}.{}".format, st.sampled_from(["Rev", "Add", "Corr", "Amend"]), st.integers(1, 20)),
    st.just("Summary"),
)


def period(draw: st.DrawFn, series: str, first: bool) -> tuple[str | None, int | None]:
    """A session or a year, as §6 allows it after this series."""
    if series == "S":
        return None, draw(years)
    if series == "A" and first:
        return draw(sessions), None
    value = draw(st.one_of(years, sessions))
    return (value, None) if isinstance(value, str) else (None, value)


@st.composite
def symbols(draw: st.DrawFn) -> Symbol:
    """A valid symbol, built part by part, with the fields the parser must find in it."""
    series = draw(st.sampled_from(sorted(SERIES)))
    body = st.one_of(
        st.sampled_from(NAMED), st.builds("{}.{}".format, st.sampled_from(DOTTED), small)
    )
    segments = draw(st.lists(body, max_size=2))
    session, year, tail = None, None, ""
    number = draw(st.integers(1, 99999))
    if draw(st.booleans()):  # a resolution
        if series == "S":
            year = draw(years)
            segments += ["RES", str(number)]
            tail = f" ({year})"
        elif draw(st.booleans()):
            prefix, value = draw(st.sampled_from(["", "S-", "ES-"])), draw(st.integers(1, 399))
            session, tail = f"{prefix}{value}", f"({prefix}{roman(value)})"
            segments += ["RES", str(number)]
        else:
            session, year = period(draw, series, first=False)
            segments += ["RES", session or str(year), str(number)]
    else:
        if draw(st.booleans()):
            session, year = period(draw, series, first=not segments)
            segments.append(session or str(year))
        nature = draw(st.sampled_from(["", *NATURES]))
        segments.append(f"{nature}.{number}" if nature else str(number))
    added = tuple(draw(st.lists(modifiers, max_size=3)))
    languages = draw(st.lists(st.sampled_from("ACEFRS"), unique=True, max_size=3))
    reissue = draw(st.integers(0, 3))
    segments += added
    language_tail = "-" + "/".join(languages) if languages else ""
    text = f"{series}/{'/'.join(segments)}{tail}{language_tail}{'*' * reissue}"
    return Symbol(text, series, tuple(segments), session, year, number, added, reissue)


any_order = st.lists(symbols(), min_size=1, max_size=3, unique_by=lambda s: s.text).map(tuple)
joints = any_order.map(lambda found: tuple(sorted(found, key=lambda s: s.series != "A")))
languages = st.sampled_from(["ar", "zh", "en", "fr", "ru", "es"])


@bounded
@given(symbols())
def test_generated_symbol_parses_to_the_parts_it_was_built_from(symbol):
    assert parse_symbol(symbol.text) == symbol
    assert parse_symbol(str(parse_symbol(symbol.text))) == symbol


@bounded
@given(any_order, languages)
def test_file_stem_round_trips_and_stays_within_the_safe_characters(symbols, language):
    stem = file_stem(symbols, language)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", stem)
    assert parse_file_stem(stem) == (symbols, language)


@bounded
@given(joints, st.sampled_from(["–", "-", "—", " – ", " - "]))
def test_joint_string_with_any_separator_parses_back_to_its_symbols(symbols, separator):
    joint = separator.join(s.text for s in symbols)
    assert parse_symbols(joint) == symbols
    assert parse_symbols(format_joint(symbols)) == symbols


symbolish = st.text(alphabet="AESTR/-–—.() *0123456789IVXLCdxv_\t／", max_size=40)


@bounded
@given(st.one_of(st.text(max_size=60), symbolish))
def test_arbitrary_text_raises_nothing_but_symbol_error(text):
    for parse in (parse_symbol, parse_symbols, parse_file_stem):
        with contextlib.suppress(SymbolError):
            parse(text)
