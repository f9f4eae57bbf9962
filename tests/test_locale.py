"""Locale strings and grammar, checked against hand-written expectations.

Expected values come from UN-FORMAT.md §5 and §5.1, from real UN documents quoted there or
found since, and from the grammar of each language; none is computed with the code under test.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipeline.locale import LANGUAGES, get
from pipeline.resources import styles_dir

NBSP = "\u00a0"
DATE = dt.date(2021, 3, 5)
EDGES = (1, 11, 20, 21, 71, 80, 81, 99)


def _table(rows: dict[str, tuple[str, ...]]) -> list[tuple[str, int, str]]:
    """(language, n, expected) rows from one tuple of expected strings per language, in EDGES order."""
    return [
        (lang, n, text)
        for lang, texts in rows.items()
        for n, text in zip(EDGES, texts, strict=True)
    ]


# --- the languages themselves ---


def test_languages_are_listed_in_un_order():
    assert LANGUAGES == ("ar", "zh", "en", "fr", "ru", "es")


@pytest.mark.parametrize("code", ["de", "EN", "zh-CN", "", None, 3])
def test_unknown_language_code_is_a_value_error_naming_it(code):
    with pytest.raises(ValueError, match="unknown language code"):
        get(code)


def test_the_same_locale_object_is_reused():
    assert get("fr") is get("fr")


@pytest.mark.parametrize(
    ("lang", "letter", "direction"),
    [
        ("ar", "A", "rtl"),
        ("zh", "C", "ltr"),
        ("en", "E", "ltr"),
        ("fr", "F", "ltr"),
        ("ru", "R", "ltr"),
        ("es", "S", "ltr"),
    ],
)
def test_job_letter_and_direction(lang, letter, direction):
    locale = get(lang)
    assert (locale.code, locale.job_letter, locale.direction) == (lang, letter, direction)


# --- masthead (UN-FORMAT.md §2 and §5) ---


@pytest.mark.parametrize(
    ("lang", "label"),
    [
        ("ar", "الأمــم المتحـدة"),
        ("zh", "联合国"),
        ("en", "United Nations"),
        ("fr", "Nations Unies"),
        ("ru", "Организация Объединенных Наций"),
        ("es", "Naciones Unidas"),
    ],
)
def test_masthead_top_label(lang, label):
    assert get(lang).united_nations == label


def test_arabic_masthead_label_is_stretched_with_kashida_but_the_plain_name_is_not():
    assert "\u0640" in get("ar").united_nations
    assert get("ar").united_nations_plain == "الأمم المتحدة"
    assert get("en").united_nations_plain == "United Nations"


ORGAN_NAMES = {
    "ar": ("الجمعية العامة", "مجلس الأمن", "المجلس الاقتصادي والاجتماعي", "مجلس حقوق الإنسان"),
    "zh": ("大会", "安全理事会", "经济及社会理事会", "人权理事会"),
    "en": (
        "General Assembly",
        "Security Council",
        "Economic and Social Council",
        "Human Rights Council",
    ),
    "fr": (
        "Assemblée générale",
        "Conseil de sécurité",
        "Conseil économique et social",
        "Conseil des droits de l’homme",
    ),
    "ru": (
        "Генеральная Ассамблея",
        "Совет Безопасности",
        "Экономический и Социальный Совет",
        "Совет по правам человека",
    ),
    "es": (
        "Asamblea General",
        "Consejo de Seguridad",
        "Consejo Económico y Social",
        "Consejo de Derechos Humanos",
    ),
}


@pytest.mark.parametrize(
    ("lang", "organ", "name"),
    [
        (lang, organ, name)
        for lang, names in ORGAN_NAMES.items()
        for organ, name in zip(("GA", "SC", "ECOSOC", "HRC"), names, strict=True)
    ],
)
def test_organ_names(lang, organ, name):
    assert get(lang).organ_name(organ) == name


def test_chinese_masthead_letter_spaces_two_character_organ_names():
    assert get("zh").organ_masthead_name("GA") == "大\u3000会"
    assert get("zh").organ_masthead_name("SC") == "安全理事会"
    assert get("en").organ_masthead_name("GA") == "General Assembly"


def test_unknown_organ_is_a_value_error():
    with pytest.raises(ValueError, match="unknown organ"):
        get("en").organ_name("UNESCO")


# --- session and year lines (UN-FORMAT.md §5 table and §5.1) ---


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("ar", "الدورة الخامسة والسبعون"),
        ("zh", "第七十五届会议"),
        ("en", "Seventy-fifth session"),
        ("fr", "Soixante-quinzième session"),
        ("ru", "Семьдесят пятая сессия"),
        ("es", "Septuagésimo quinto período de sesiones"),
    ],
)
def test_general_assembly_session_75(lang, line):
    assert get(lang).session_line(75) == line
    assert get(lang).session_line("75") == line


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("ar", "السنة السادسة والسبعون"),
        ("zh", "第七十六年"),
        ("en", "Seventy-sixth year"),
        ("fr", "Soixante-seizième année"),
        ("ru", "Семьдесят шестой год"),
        ("es", "Septuagésimo sexto año"),
    ],
)
def test_security_council_year_line_for_2021(lang, line):
    assert get(lang).sc_year_line(2021) == line


SESSION_EDGES = _table(
    {
        "ar": (
            "الدورة الأولى",
            "الدورة الحادية عشرة",
            "الدورة العشرون",
            "الدورة الحادية والعشرون",
            "الدورة الحادية والسبعون",
            "الدورة الثمانون",
            "الدورة الحادية والثمانون",
            "الدورة التاسعة والتسعون",
        ),
        "zh": (
            "第一届会议",
            "第十一届会议",
            "第二十届会议",
            "第二十一届会议",
            "第七十一届会议",
            "第八十届会议",
            "第八十一届会议",
            "第九十九届会议",
        ),
        "en": (
            "First session",
            "Eleventh session",
            "Twentieth session",
            "Twenty-first session",
            "Seventy-first session",
            "Eightieth session",
            "Eighty-first session",
            "Ninety-ninth session",
        ),
        "fr": (
            "Première session",
            "Onzième session",
            "Vingtième session",
            "Vingt et unième session",
            "Soixante et onzième session",
            "Quatre-vingtième session",
            "Quatre-vingt-unième session",
            "Quatre-vingt-dix-neuvième session",
        ),
        "ru": (
            "Первая сессия",
            "Одиннадцатая сессия",
            "Двадцатая сессия",
            "Двадцать первая сессия",
            "Семьдесят первая сессия",
            "Восьмидесятая сессия",
            "Восемьдесят первая сессия",
            "Девяносто девятая сессия",
        ),
        "es": (
            "Primer período de sesiones",
            "Undécimo período de sesiones",
            "Vigésimo período de sesiones",
            "Vigésimo primer período de sesiones",
            "Septuagésimo primer período de sesiones",
            "Octogésimo período de sesiones",
            "Octogésimo primer período de sesiones",
            "Nonagésimo noveno período de sesiones",
        ),
    }
)


@pytest.mark.parametrize(("lang", "n", "line"), SESSION_EDGES)
def test_session_line_at_edge_ordinals(lang, n, line):
    assert get(lang).session_line(n) == line


YEAR_EDGES = _table(
    {
        "ar": (
            "السنة الأولى",
            "السنة الحادية عشرة",
            "السنة العشرون",
            "السنة الحادية والعشرون",
            "السنة الحادية والسبعون",
            "السنة الثمانون",
            "السنة الحادية والثمانون",
            "السنة التاسعة والتسعون",
        ),
        "zh": (
            "第一年",
            "第十一年",
            "第二十年",
            "第二十一年",
            "第七十一年",
            "第八十年",
            "第八十一年",
            "第九十九年",
        ),
        "en": (
            "First year",
            "Eleventh year",
            "Twentieth year",
            "Twenty-first year",
            "Seventy-first year",
            "Eightieth year",
            "Eighty-first year",
            "Ninety-ninth year",
        ),
        "fr": (
            "Première année",
            "Onzième année",
            "Vingtième année",
            "Vingt et unième année",
            "Soixante et onzième année",
            "Quatre-vingtième année",
            "Quatre-vingt-unième année",
            "Quatre-vingt-dix-neuvième année",
        ),
        "ru": (
            "Первый год",
            "Одиннадцатый год",
            "Двадцатый год",
            "Двадцать первый год",
            "Семьдесят первый год",
            "Восьмидесятый год",
            "Восемьдесят первый год",
            "Девяносто девятый год",
        ),
        "es": (
            "Primer año",
            "Undécimo año",
            "Vigésimo año",
            "Vigésimo primer año",
            "Septuagésimo primer año",
            "Octogésimo año",
            "Octogésimo primer año",
            "Nonagésimo noveno año",
        ),
    }
)


@pytest.mark.parametrize(("lang", "n", "line"), YEAR_EDGES)
def test_security_council_year_line_at_edge_ordinals(lang, n, line):
    assert get(lang).sc_year_line(1945 + n) == line


def test_english_evidence_from_a_inf_76_1():
    expected = [
        "Seventy-sixth session",
        "Seventy-seventh session",
        "Seventy-eighth session",
        "Seventy-ninth session",
        "Eightieth session",
        "Eighty-first session",
        "Eighty-second session",
        "Eighty-third session",
        "Eighty-fourth session",
        "Eighty-fifth session",
    ]
    assert [get("en").session_line(n) for n in range(76, 86)] == expected


@pytest.mark.parametrize(
    ("lang", "n", "line"),
    [
        ("es", 59, "Quincuagésimo noveno período de sesiones"),
        ("es", 56, "Quincuagésimo sexto período de sesiones"),
        ("es", 62, "Sexagésimo segundo período de sesiones"),
        ("ru", 34, "Тридцать четвертая сессия"),
        ("ru", 69, "Шестьдесят девятая сессия"),
        ("zh", 55, "第五十五届会议"),
        ("ar", 74, "الدورة الرابعة والسبعون"),
        ("fr", 53, "Cinquante-troisième session"),
        ("fr", 71, "Soixante et onzième session"),
    ],
)
def test_session_lines_seen_in_real_documents(lang, n, line):
    assert get(lang).session_line(n) == line


def test_chinese_security_council_year_55_as_on_a_55_326():
    assert get("zh").sc_year_line(2000) == "第五十五年"


@pytest.mark.parametrize(
    ("lang", "emergency", "special"),
    [
        ("ar", "الدورة الاستثنائية الطارئة الحادية عشرة", "الدورة الاستثنائية الثامنة"),
        ("zh", "第十一届紧急特别会议", "第八届特别会议"),
        ("en", "Eleventh emergency special session", "Eighth special session"),
        ("fr", "Onzième session extraordinaire d’urgence", "Huitième session extraordinaire"),
        ("ru", "Одиннадцатая чрезвычайная специальная сессия", "Восьмая специальная сессия"),
        (
            "es",
            "Undécimo período extraordinario de sesiones de emergencia",
            "Octavo período extraordinario de sesiones",
        ),
    ],
)
def test_emergency_special_and_special_sessions(lang, emergency, special):
    assert get(lang).session_line("ES-11") == emergency
    assert get(lang).session_line("S-8") == special


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("ar", "الدورة الاستثنائية الطارئة الأولى"),
        ("fr", "Première session extraordinaire d’urgence"),
        ("es", "Primer período extraordinario de sesiones de emergencia"),
        ("ru", "Первая чрезвычайная специальная сессия"),
    ],
)
def test_first_emergency_special_session_agrees_with_its_noun(lang, line):
    assert get(lang).session_line("ES-1") == line


@pytest.mark.parametrize("session", [0, 100, -3, "0", "076", "ES-", "ES-0", "S-100", "X-3", "75th"])
def test_malformed_session_is_a_value_error(session):
    with pytest.raises(ValueError, match="session"):
        get("en").session_line(session)


@pytest.mark.parametrize("year", [1945, 2045, 1900])
def test_security_council_year_outside_1946_to_2044_is_a_value_error(year):
    with pytest.raises(ValueError, match="Security Council"):
        get("en").sc_year_line(year)


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("ar", "دورة عام 2021"),
        ("zh", "2021年届会"),
        ("en", "2021 session"),
        ("fr", "Session de 2021"),
        ("ru", "Сессия 2021 года"),
        ("es", "Período de sesiones de 2021"),
    ],
)
def test_ecosoc_session_is_named_by_its_year(lang, line):
    assert get(lang).ecosoc_session_line(2021) == line


# --- ordinals as running text ---


def test_french_21_is_vingt_et_unieme():
    assert get("fr").ordinal(21) == "vingt et unième"


def test_french_71_is_soixante_et_onzieme():
    assert get("fr").ordinal(71) == "soixante et onzième"


def test_french_80_is_quatre_vingtieme_and_81_takes_no_et():
    assert get("fr").ordinal(80) == "quatre-vingtième"
    assert get("fr").ordinal(81) == "quatre-vingt-unième"
    assert get("fr").ordinal(91) == "quatre-vingt-onzième"


def test_french_99_is_quatre_vingt_dix_neuvieme():
    assert get("fr").ordinal(99) == "quatre-vingt-dix-neuvième"


def test_french_seventies_count_on_from_soixante():
    assert get("fr").ordinal(70) == "soixante-dixième"
    assert get("fr").ordinal(77) == "soixante-dix-septième"
    assert get("fr").ordinal(17) == "dix-septième"


def test_french_first_agrees_with_its_noun():
    assert get("fr").ordinal(1, "f") == "première"
    assert get("fr").ordinal(1, "m") == "premier"
    assert get("fr").ordinal(21, "f") == get("fr").ordinal(21, "m") == "vingt et unième"


def test_spanish_masculine_drops_the_final_o_of_primero_and_tercero_before_its_noun():
    assert get("es").ordinal(1) == "primer"
    assert get("es").ordinal(3) == "tercer"
    assert get("es").ordinal(13) == "decimotercer"
    assert get("es").ordinal(21) == "vigésimo primer"
    assert get("es").ordinal(43) == "cuadragésimo tercer"
    assert get("es").ordinal(75) == "septuagésimo quinto"


def test_spanish_feminine_changes_every_word():
    assert get("es").ordinal(1, "f") == "primera"
    assert get("es").ordinal(21, "f") == "vigésima primera"
    assert get("es").ordinal(13, "f") == "decimotercera"
    assert get("es").ordinal(99, "f") == "nonagésima novena"


def test_russian_ordinal_agrees_in_its_last_word():
    assert get("ru").ordinal(21, "f") == "двадцать первая"
    assert get("ru").ordinal(21, "m") == "двадцать первый"
    assert get("ru").ordinal(40, "f") == "сороковая"
    assert get("ru").ordinal(40, "m") == "сороковой"
    assert get("ru").ordinal(4, "f") == "четвертая"  # е, not ё, as the UN writes it


def test_arabic_masculine_ordinals_for_annexes():
    assert get("ar").ordinal(1, "m") == "الأول"
    assert get("ar").ordinal(11, "m") == "الحادي عشر"
    assert get("ar").ordinal(12, "m") == "الثاني عشر"
    assert get("ar").ordinal(21, "m") == "الحادي والعشرون"
    assert get("ar").ordinal(12, "f") == "الثانية عشرة"
    assert get("ar").ordinal(10, "f") == "العاشرة"


def test_chinese_ordinal_is_di_plus_the_numeral():
    assert get("zh").ordinal(1) == "第一"
    assert get("zh").ordinal(10) == "第十"
    assert get("zh").ordinal(11) == "第十一"
    assert get("zh").ordinal(20) == "第二十"
    assert get("zh").ordinal(21) == "第二十一"
    assert get("zh").ordinal(99) == "第九十九"


def test_english_ordinals_are_lower_case():
    assert get("en").ordinal(1) == "first"
    assert get("en").ordinal(40) == "fortieth"
    assert get("en").ordinal(42) == "forty-second"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("n", [0, 100, -1, True, 1.0, "5"])
def test_ordinal_outside_1_to_99_is_a_value_error(lang, n):
    with pytest.raises(ValueError, match="1 to 99"):
        get(lang).ordinal(n)


def test_unknown_gender_is_a_value_error():
    with pytest.raises(ValueError, match="gender"):
        get("ru").ordinal(5, "n")


# --- agenda lines ---


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("ar", "البند 130 (ر) من جدول الأعمال"),
        ("zh", "议程项目130(t)"),
        ("en", "Agenda item 130 (t)"),
        ("fr", "Point 130 t) de l’ordre du jour"),
        ("ru", "Пункт 130(t) повестки дня"),
        ("es", "Tema 130 t) del programa"),
    ],
)
def test_agenda_item_with_sub_item(lang, line):
    assert get(lang).agenda_item_line([("130", "t")]) == line


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("ar", "البندان 45 و 55 من جدول الأعمال"),
        ("zh", "议程项目45和55"),
        ("en", "Agenda items 45 and 55"),
        ("fr", "Points 45 et 55 de l’ordre du jour"),
        ("ru", "Пункты 45 и 55 повестки дня"),
        ("es", "Temas 45 y 55 del programa"),
    ],
)
def test_two_agenda_items(lang, line):
    assert get(lang).agenda_item_line([("45", None), ("55", None)]) == line


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("ar", "البنود 12 و 13 (أ) و 14 من جدول الأعمال"),
        ("zh", "议程项目12、13(a)和14"),
        ("en", "Agenda items 12, 13 (a) and 14"),
        ("fr", "Points 12, 13 a) et 14 de l’ordre du jour"),
    ],
)
def test_three_agenda_items(lang, line):
    assert get(lang).agenda_item_line([("12", None), ("13", "a"), ("14", None)]) == line


def test_single_agenda_item_without_sub_item():
    assert get("en").agenda_item_line([("118", None)]) == "Agenda item 118"
    assert get("ru").agenda_item_line([("118", None)]) == "Пункт 118 повестки дня"  # A/69/972


def test_arabic_sub_item_letters_follow_abjad_order():
    abjad = [letter if letter != "ه" else "هـ" for letter in "أبجدهوزحطيكلمنسعفصقرشتثخذضظغ"]
    latin = "abcdefghijklmnopqrstuvwxyz"
    lines = [get("ar").agenda_item_line([("1", letter)]) for letter in latin]
    assert lines == [f"البند 1 ({letter}) من جدول الأعمال" for letter in abjad[:26]]


def test_arabic_rejects_a_sub_item_it_cannot_transliterate():
    with pytest.raises(ValueError, match="sub-item"):
        get("ar").agenda_item_line([("130", "aa")])


def test_spanish_human_rights_council_agenda_is_de_la_agenda():
    assert get("es").agenda_item_line([("3", None)], organ="HRC") == "Tema 3 de la agenda"
    assert get("en").agenda_item_line([("3", None)], organ="HRC") == "Agenda item 3"


def test_empty_agenda_is_a_value_error():
    with pytest.raises(ValueError, match="at least one item"):
        get("en").agenda_item_line([])


# --- distribution block (UN-FORMAT.md §2.2) ---


@pytest.mark.parametrize(
    ("lang", "distribution", "date", "original", "block"),
    [
        (
            "ru",
            "general",
            dt.date(2019, 8, 14),
            "en",
            ("Distr.: General", "14 August 2019", "Russian", "Original: English"),
        ),
        (
            "ar",
            "limited",
            dt.date(2020, 7, 16),
            "en",
            ("Distr.: Limited", "16 July 2020", "Arabic", "Original: English"),
        ),
        (
            "zh",
            "general",
            DATE,
            "ru",
            ("Distr.: General", "5 March 2021", "Chinese", "Original: Russian"),
        ),
    ],
)
def test_arabic_chinese_russian_print_the_distribution_block_in_english(
    lang, distribution, date, original, block
):
    assert get(lang).distribution_block(distribution, date, [original], False) == block


def test_french_and_spanish_localize_the_distribution_block():
    assert get("fr").distribution_block("general", dt.date(2009, 11, 16), ["en"], False) == (
        "Distr. générale",
        "16 novembre 2009",
        "Français",
        f"Original{NBSP}: anglais",
    )
    assert get("es").distribution_block("general", dt.date(2001, 6, 15), ["en"], False) == (
        "Distr. general",
        "15 de junio de 2001",
        "Español",
        "Original: inglés",
    )


def test_english_original_leaves_the_version_language_line_blank():
    assert get("en").distribution_block("general", dt.date(2021, 2, 15), ["en"], True) == (
        "Distr.: General",
        "15 February 2021",
        "",
        "Original: English",
    )


def test_several_original_languages_are_joined_with_a_slash():
    en = get("en").distribution_block("general", DATE, ["en", "fr"], True)
    assert en[2:] == ("", "Original: English/French")
    fr = get("fr").distribution_block("general", DATE, ["en", "fr"], True)
    assert fr[2:] == ("", f"Original{NBSP}: anglais/français")
    ru = get("ru").distribution_block("restricted", DATE, ["en", "fr"], False)
    assert ru == ("Distr.: Restricted", "5 March 2021", "Russian", "Original: English/French")


def test_spanish_limited_and_french_restricted():
    assert get("es").distribution_block("limited", DATE, ["es"], True)[0] == "Distr. limitada"
    assert get("fr").distribution_block("restricted", DATE, ["fr"], True)[0] == "Distr. restreinte"


def test_distribution_block_rejects_bad_input():
    with pytest.raises(ValueError, match="distribution"):
        get("en").distribution_block("secret", DATE, ["en"], True)
    with pytest.raises(ValueError, match="at least one language"):
        get("en").distribution_block("general", DATE, [], True)
    with pytest.raises(ValueError, match="language code"):
        get("zh").distribution_block("general", DATE, ["de"], False)


# --- dates ---


@pytest.mark.parametrize(
    ("lang", "fifth", "first", "december"),
    [
        ("ar", "5 آذار/مارس 2021", "1 آذار/مارس 2021", "31 كانون الأول/ديسمبر 2021"),
        ("zh", "2021年3月5日", "2021年3月1日", "2021年12月31日"),
        ("en", "5 March 2021", "1 March 2021", "31 December 2021"),
        ("fr", "5 mars 2021", "1er mars 2021", "31 décembre 2021"),
        ("ru", "5 марта 2021 года", "1 марта 2021 года", "31 декабря 2021 года"),
        ("es", "5 de marzo de 2021", "1 de marzo de 2021", "31 de diciembre de 2021"),
    ],
)
def test_dates_in_each_language(lang, fifth, first, december):
    locale = get(lang)
    assert locale.format_date(DATE) == fifth
    assert locale.format_date(dt.date(2021, 3, 1)) == first
    assert locale.format_date(dt.date(2021, 12, 31)) == december


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ar", "2 آذار/مارس 2021"),
        ("zh", "2021年3月2日"),
        ("en", "2 March 2021"),
        ("fr", "2 mars 2021"),
        ("ru", "2 марта 2021 года"),
        ("es", "2 de marzo de 2021"),
    ],
)
def test_date_examples_of_the_format_table(lang, text):
    assert get(lang).format_date(dt.date(2021, 3, 2)) == text


def test_arabic_double_month_names_seen_in_documents():
    ar = get("ar")
    assert ar.format_date(dt.date(2020, 6, 1)) == "1 حزيران/يونيه 2020"
    assert ar.format_date(dt.date(2020, 9, 1)) == "1 أيلول/سبتمبر 2020"


# --- languages, annexes, signatures, footer ---


@pytest.mark.parametrize(
    ("lang", "russian"),
    [
        ("ar", "الروسية"),
        ("zh", "俄文"),
        ("en", "Russian"),
        ("fr", "russe"),
        ("ru", "русский"),
        ("es", "ruso"),
    ],
)
def test_name_of_russian_in_each_language(lang, russian):
    assert get(lang).language_name("ru") == russian


def test_language_names_in_english_and_french():
    assert [get("en").language_name(c) for c in LANGUAGES] == [
        "Arabic",
        "Chinese",
        "English",
        "French",
        "Russian",
        "Spanish",
    ]
    assert [get("fr").language_name(c) for c in LANGUAGES] == [
        "arabe",
        "chinois",
        "anglais",
        "français",
        "russe",
        "espagnol",
    ]


@pytest.mark.parametrize(
    ("lang", "marker"),
    [
        ("ar", "[الأصل: بالروسية]"),
        ("zh", "[原件：俄文]"),
        ("en", "[Original: Russian]"),
        ("fr", f"[Original{NBSP}: russe]"),
        ("ru", "[Подлинный текст на русском языке]"),
        ("es", "[Original: ruso]"),
    ],
)
def test_annex_original_language_marker(lang, marker):
    assert get(lang).annex_original_marker("ru") == marker


def test_chinese_marker_matches_the_seed_and_french_one_the_alignment_sample():
    assert get("zh").annex_original_marker("ru") == "[原件：俄文]"
    assert get("zh").annex_original_marker("fr") == "[原件：法文]"
    assert get("ru").annex_original_marker("en") == "[Подлинный текст на английском языке]"


@pytest.mark.parametrize(
    ("lang", "labels"),
    [
        ("ar", ("المرفق", "المرفق الأول", "المرفق الثاني", "المرفق الرابع عشر")),
        ("zh", ("附件", "附件一", "附件二", "附件十四")),
        ("en", ("Annex", "Annex I", "Annex II", "Annex XIV")),
        ("fr", ("Annexe", "Annexe I", "Annexe II", "Annexe XIV")),
        ("ru", ("Приложение", "Приложение I", "Приложение II", "Приложение XIV")),
        ("es", ("Anexo", "Anexo I", "Anexo II", "Anexo XIV")),
    ],
)
def test_annex_labels(lang, labels):
    locale = get(lang)
    assert (
        locale.annex_label(),
        locale.annex_label(1),
        locale.annex_label(2),
        locale.annex_label(14),
    ) == labels


def test_annex_number_must_be_positive():
    with pytest.raises(ValueError, match="annex number"):
        get("en").annex_label(0)


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("ar", "(توقيع) Bashar Ja'afari"),
        ("en", "(Signed) Bashar Ja'afari"),
        ("fr", "(Signé) Bashar Ja'afari"),
        ("ru", "(Подпись) Bashar Ja'afari"),
        ("es", "(Firmado) Bashar Ja'afari"),
    ],
)
def test_signature_line(lang, line):
    assert get(lang).signed("Bashar Ja'afari") == line


def test_chinese_signature_puts_the_name_first_as_in_the_seed():
    assert get("zh").signed("马哈马达明·马哈马达明诺夫") == "马哈马达明·马哈马达明诺夫(签名)"


def test_signature_keeps_braces_in_a_name_as_they_are():
    assert get("en").signed("{name}") == "(Signed) {name}"


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ar", "يرجى إعادة الاستعمال"),
        ("zh", "请回收"),
        ("en", "Please recycle"),
        ("fr", "Merci de recycler"),
        ("ru", "Просьба отправить на вторичную переработку"),
        ("es", "Se ruega reciclar"),
    ],
)
def test_please_recycle(lang, text):
    assert get(lang).please_recycle == text


# --- the data files themselves ---


def _raw(lang: str) -> dict:
    return json.loads((styles_dir() / "locale" / f"{lang}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_uncertain_key_names_a_real_string(lang):
    data = _raw(lang)
    for path in get(lang).uncertain:
        node = data
        for part in path.split("."):
            assert isinstance(node, dict) and part in node, f"{lang}: _uncertain names {path!r}"
            node = node[part]


def test_uncertainty_is_kept_where_no_document_was_seen():
    assert "please_recycle" in get("ar").uncertain
    assert "please_recycle" in get("zh").uncertain
    assert "distribution_block_language" in get("zh").uncertain
    assert "organs.SC" in get("fr").uncertain
    assert get("en").uncertain["distribution.restricted"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_locale_file_explains_itself(lang):
    assert "pipeline/locale.py" in _raw(lang)["_about"]
