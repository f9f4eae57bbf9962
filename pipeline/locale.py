"""Localized strings, ordinals and dates for the six official languages.

The strings, and the word lists ordinals are built from, are project data in
``styles/locale/<code>.json`` so that designers and translators can correct them without
touching code. This module holds only the grammar that combines them: one small function
per language. Keys a translator has not yet checked against a real UN document are listed
in each file's ``_uncertain`` map and exposed as :attr:`Locale.uncertain`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any, Literal

from pipeline.numerals import roman
from pipeline.resources import styles_dir

__all__ = ["DISTRIBUTIONS", "LANGUAGES", "ORGANS", "Gender", "Locale", "get"]

LANGUAGES: tuple[str, ...] = ("ar", "zh", "en", "fr", "ru", "es")  # UN order
#: The BCP 47 tag of each language version: the HTML ``lang`` (WeasyPrint hands it to
#: Fontconfig, which picks the SC face of the Noto CJK collection for ``zh-CN``) and the PDF's
#: ``/Lang``. Chinese is ``zh-CN``, not ``zh-Hans``: ISO 32000-1 (14.9.2) takes language tags
#: as RFC 3066 defines them, which has no script subtags, and every reader and speech engine
#: knows ``zh-CN`` as Simplified (Mandarin) Chinese; the UN's Chinese versions are in that
#: script. The other five are bare primary tags: a UN version is written for every region.
BCP47: dict[str, str] = {"ar": "ar", "zh": "zh-CN", "en": "en", "fr": "fr", "ru": "ru", "es": "es"}
ORGANS: tuple[str, ...] = ("GA", "SC", "ECOSOC", "HRC")
DISTRIBUTIONS: tuple[str, ...] = ("general", "limited", "restricted")

Gender = Literal["m", "f"]
Words = Mapping[str, Any]

_SC_YEAR_ZERO = 1945  # the Security Council's year 1 is 1946
_SESSION = re.compile(r"(?P<kind>ES-|S-)?(?P<n>[1-9][0-9]?)")
_SESSION_KEYS = {None: "session", "S-": "special_session", "ES-": "emergency_special_session"}
_REQUIRED = (
    "direction",
    "job_language_letter",
    "united_nations",
    "organs",
    "session",
    "special_session",
    "emergency_special_session",
    "sc_year",
    "ecosoc_session",
    "agenda",
    "main_committees",
    "sponsors_line",
    "draft_opening",
    "date_range",
    "distribution_block_language",
    "version_language",
    "language_names",
    "annex",
    "annex_numbered",
    "annex_original_marker",
    "signed",
    "please_recycle",
    "emblem_alt",
    "date",
    "ordinal_words",
)
_REQUIRED_IN_BLOCK_LANGUAGE = ("distribution", "original", "original_languages_joiner")
_FORMATTER = string.Formatter()


# --- grammar: one function per language, (word lists, 1..99, gender) -> lower-case ordinal ---


def _english(w: Words, n: int, gender: Gender) -> str:
    if n < 20:
        return w["units_1_to_19"][n - 1]
    tens, unit = divmod(n, 10)
    if unit == 0:
        return w["tens_ordinal"][tens - 2]
    return f"{w['tens_cardinal'][tens - 2]}-{w['units_1_to_19'][unit - 1]}"


def _french_last(w: Words, n: int) -> str:
    """1..19 as the last element of a number: unième, dixième, dix-septième."""
    if n <= 16:
        return w["units_1_to_16"][n - 1]
    return f"{w['ten']}-{w['units_1_to_16'][n - 11]}"


def _french(w: Words, n: int, gender: Gender) -> str:
    """Traditional spelling: hyphens inside the number, none around "et"; 71 soixante et onzième."""
    if n == 1:
        return w["first_feminine" if gender == "f" else "first_masculine"]
    if n < 20:
        return _french_last(w, n)
    if n >= 80:  # quatre-vingt-… never takes "et": quatre-vingt-unième
        rest = n - 80
        return (
            w["eighty_ordinal"] if rest == 0 else f"{w['eighty_cardinal']}-{_french_last(w, rest)}"
        )
    tens, unit = (6, n - 60) if n >= 70 else divmod(n, 10)  # 70-79 count on from soixante
    base = w["tens_cardinal"][tens - 2]
    if unit == 0:
        return w["tens_ordinal"][tens - 2]
    if unit in (1, 11):
        return f"{base} {w['and']} {_french_last(w, unit)}"
    return f"{base}-{_french_last(w, unit)}"


def _spanish(w: Words, n: int, gender: Gender) -> str:
    """Two-word compounds (septuagésimo quinto); the masculine is shortened before its noun."""
    if n < 10:
        words = [w["units_1_to_9"][n - 1]]
    elif n < 20:
        words = [w["teens_10_to_19"][n - 10]]
    else:
        tens, unit = divmod(n, 10)
        words = [w["tens"][tens - 2]] + ([w["units_1_to_9"][unit - 1]] if unit else [])
    if gender == "f":
        return " ".join(word[:-1] + "a" for word in words)
    if any(words[-1].endswith(full) for full in w["shortened_before_masculine_noun"]):
        words[-1] = words[-1][:-1]  # primero → primer, decimotercero → decimotercer
    return " ".join(words)


def _russian(w: Words, n: int, gender: Gender) -> str:
    """Cardinal tens + ordinal unit; only the last word agrees with the noun."""
    forms = w["feminine" if gender == "f" else "masculine"]
    if n < 20:
        return forms["units_1_to_19"][n - 1]
    tens, unit = divmod(n, 10)
    if unit == 0:
        return forms["tens"][tens - 2]
    return f"{w['tens_cardinal'][tens - 2]} {forms['units_1_to_19'][unit - 1]}"


def _chinese_number(w: Words, n: int) -> str:
    """十, 十一, 二十, 二十一: no 一 before 十."""
    digits, ten = w["digits_1_to_9"], w["ten"]
    tens, unit = divmod(n, 10)
    return (
        (digits[tens - 1] if tens > 1 else "")
        + (ten if tens else "")
        + (digits[unit - 1] if unit else "")
    )


def _chinese(w: Words, n: int, gender: Gender) -> str:
    return w["ordinal_prefix"] + _chinese_number(w, n)


def _arabic(w: Words, n: int, gender: Gender) -> str:
    """Unit before tens, joined by و: الخامسة والسبعون; 1 alone is الأولى, in compounds الحادية."""
    forms = w["feminine" if gender == "f" else "masculine"]
    if n == 1:
        return forms["first_alone"]
    if n < 10:
        return forms["units_1_to_9"][n - 1]
    if n == 10:
        return forms["tenth"]
    if n < 20:
        return f"{forms['units_1_to_9'][n - 11]} {forms['ten_after_unit']}"
    tens, unit = divmod(n, 10)
    if unit == 0:
        return w["tens"][tens - 2]
    return f"{forms['units_1_to_9'][unit - 1]} {w['and']}{w['tens'][tens - 2]}"


_GRAMMAR: dict[str, Callable[[Words, int, Gender], str]] = {
    "ar": _arabic,
    "zh": _chinese,
    "en": _english,
    "fr": _french,
    "ru": _russian,
    "es": _spanish,
}


# --- small helpers ---


def _fill(template: str, **values: Callable[[], str]) -> str:
    """Fill the placeholders a template names, computing only those: a file may use any form."""
    names = {name for _, name, _, _ in _FORMATTER.parse(template) if name is not None}
    unknown = names - values.keys()
    if unknown:
        raise ValueError(
            f"locale string {template!r} uses unknown placeholder(s) {sorted(unknown)}"
        )
    return template.format_map({name: values[name]() for name in names})


def _capitalized(text: str) -> str:
    """Masthead lines start with a capital; str.capitalize() would lower the rest."""
    return text[:1].upper() + text[1:]


def _check_number(n: object, what: str, low: int = 1, high: int = 99) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or not low <= n <= high:
        raise ValueError(f"{what} must be a whole number from {low} to {high}, not {n!r}")
    return n


def _check_choice(value: object, choices: Sequence[str], what: str) -> str:
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(choices)}")
    return str(value)


def _parse_session(session: int | str) -> tuple[str, int]:
    """75 or "75" → regular; "ES-11" → emergency special; "S-8" → special."""
    text = str(session) if isinstance(session, int) and not isinstance(session, bool) else session
    match = _SESSION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"session {session!r} is not a number 1-99, 'ES-n' or 'S-n'")
    return _SESSION_KEYS[match["kind"]], int(match["n"])


# --- the public surface ---


@dataclass(frozen=True)
class Locale:
    """The strings of one language version; get one with :func:`get`."""

    code: str
    _data: Mapping[str, Any] = field(repr=False, compare=False)

    # plain strings

    @property
    def direction(self) -> str:
        return self._data["direction"]

    @property
    def job_letter(self) -> str:
        """The letter after the job number, "C" in ``21-90001 (C)``."""
        return self._data["job_language_letter"]

    @property
    def united_nations(self) -> str:
        """The masthead's top label; Arabic prints it stretched with kashida (الأمــم المتحـدة)."""
        return self._data.get("united_nations_masthead", self._data["united_nations"])

    @property
    def united_nations_plain(self) -> str:
        """The Organization's name as running text, without masthead kashida."""
        return self._data["united_nations"]

    @property
    def please_recycle(self) -> str:
        return self._data["please_recycle"]

    @property
    def emblem_alt(self) -> str:
        """The emblem's alternative text, what a screen reader says for the masthead image."""
        return self._data["emblem_alt"]

    @property
    def uncertain(self) -> Mapping[str, str]:
        """Key path → why it is still a guess, for the Fidelity section of docs/typesetting.md."""
        return MappingProxyType(self._data.get("_uncertain", {}))

    # numbers

    def ordinal(self, n: int, gender: Gender = "m") -> str:
        """Lower-case ordinal 1-99 as it stands before its noun ("m" is the citation form).

        Gender matters in fr (1 only), es, ru and ar; Spanish masculine is shortened
        (primer, vigésimo primer), Chinese includes 第.
        """
        _check_number(n, "an ordinal")
        _check_choice(gender, ("m", "f"), "gender")
        return _GRAMMAR[self.code](self._data["ordinal_words"], n, gender)

    def _number_fields(self, n: int) -> dict[str, Callable[[], str]]:
        return {
            "ordinal": lambda: self.ordinal(n),
            "ordinal_m": lambda: self.ordinal(n, "m"),
            "ordinal_f": lambda: self.ordinal(n, "f"),
            "number": lambda: self._number(n),
            "roman": lambda: roman(n),
        }

    def _number(self, n: int) -> str:
        """The number as this language writes it in running headings: 七十五 in zh, 75 elsewhere."""
        if self.code == "zh":
            _check_number(n, "a number in Chinese numerals")
            return _chinese_number(self._data["ordinal_words"], n)
        return str(n)

    # masthead and session block

    def organ_name(self, organ: str) -> str:
        return self._data["organs"][_check_choice(organ, ORGANS, "organ")]

    def organ_masthead_name(self, organ: str) -> str:
        """The organ as the masthead prints it: zh letter-spaces two-character names (大　会)."""
        name = self.organ_name(organ)
        return self._data.get("organs_masthead", {}).get(organ, name)

    def session_line(self, session: int | str) -> str:
        """75 → "Seventy-fifth session"; "ES-11" and "S-8" give the emergency/special forms."""
        key, n = _parse_session(session)
        return _capitalized(_fill(self._data[key], **self._number_fields(n)))

    def sc_year_line(self, year: int) -> str:
        """The Security Council counts years from 1946: 2021 → "Seventy-sixth year"."""
        _check_number(
            year, "a Security Council calendar year", _SC_YEAR_ZERO + 1, _SC_YEAR_ZERO + 99
        )
        fields = self._number_fields(year - _SC_YEAR_ZERO)
        return _capitalized(_fill(self._data["sc_year"], **fields))

    def ecosoc_session_line(self, year: int) -> str:
        """ECOSOC names its sessions by calendar year: "2021 session"."""
        _check_number(year, "an ECOSOC session year", 1946, 9999)
        return _fill(self._data["ecosoc_session"], year=lambda: str(year))

    def main_committee(self, number: int) -> str:
        """The General Assembly's Main Committee n (1-6) as the session block names it; the
        Fourth is named in full: "Special Political and Decolonization Committee (Fourth
        Committee)"."""
        _check_number(number, "a Main Committee", 1, 6)
        return self._data["main_committees"][str(number)]

    def sponsors_line(self, names: str) -> tuple[str, str]:
        """A draft's sponsors line around its footnote call: ("Palau:", " draft resolution")."""
        before, after = self._data["sponsors_line"].split("{call}")
        return before.replace("{names}", names), after

    @property
    def draft_opening(self) -> str:
        """The words a draft resolution opens with: "The General Assembly,"."""
        return self._data["draft_opening"]

    def date_range(self, first: dt.date, last: dt.date) -> str:
        """A meeting's dates: "4–15 November 2019", "4–15 ноября 2019 года", "2019年11月4日至15日"."""
        same = (first.year, first.month) == (last.year, last.month) and first != last
        if first == last:
            return self.format_date(first)
        template = self._data["date_range"]["same_month" if same else "other"]
        return _fill(
            template,
            day1=lambda: str(first.day),
            day2=lambda: str(last.day),
            date1=lambda: self.format_date(first),
            date2=lambda: self.format_date(last),
        )

    def agenda_item_line(
        self, items: Sequence[tuple[str, str | None]], *, organ: str = "GA"
    ) -> str:
        """[("130", "t")] → "Agenda item 130 (t)"; several are listed as "45 and 55".

        ``organ`` picks organ-specific wording where a language has one (es HRC: "de la agenda").
        """
        if not items:
            raise ValueError("an agenda line needs at least one item")
        _check_choice(organ, ORGANS, "organ")
        words = {**self._data["agenda"], **self._data.get(f"agenda_{organ}", {})}
        parts = [self._agenda_item(words, item, sub_item) for item, sub_item in items]
        if len(parts) == 1:
            template, listed = words["one"], parts[0]
        else:
            template = words["two"] if len(parts) == 2 and "two" in words else words["several"]
            listed = words["separator"].join(parts[:-1]) + words["last_separator"] + parts[-1]
        return _fill(template, items=lambda: listed)

    def _agenda_item(self, words: Mapping[str, str], item: str, sub_item: str | None) -> str:
        if not sub_item:
            return str(item)
        letters = self._data.get("sub_item_letters")
        if letters is not None:  # Arabic writes sub-item letters in its own abjad order
            if sub_item not in letters:
                raise ValueError(f"agenda sub-item {sub_item!r} has no {self.code} letter")
            sub_item = letters[sub_item]
        return _fill(words["sub_item"], item=lambda: str(item), sub_item=lambda: sub_item)

    def distribution_block(
        self,
        distribution: str,
        date: dt.date,
        original_languages: Sequence[str],
        is_original: bool,
    ) -> tuple[str, str, str, str]:
        """The masthead's four lines; ar, ru and zh print them in English, fr and es in their own.

        The third line names this version's language and is blank in an original-language version.
        """
        block = get(self._data["distribution_block_language"])
        _check_choice(distribution, DISTRIBUTIONS, "distribution")
        if not original_languages:
            raise ValueError("the Original: line needs at least one language")
        joiner = block._data["original_languages_joiner"]
        languages = joiner.join(block.language_name(code) for code in original_languages)
        return (
            block._data["distribution"][distribution],
            block.format_date(date),
            "" if is_original else self._data["version_language"],
            _fill(block._data["original"], languages=lambda: languages),
        )

    # running text

    def format_date(self, d: dt.date) -> str:
        """5 March 2021, 1er mars 2021, 5 марта 2021 года, 2021年3月5日, 5 آذار/مارس 2021."""
        day = self._data.get("day_one", "1") if d.day == 1 else str(d.day)
        return _fill(
            self._data["date"],
            day=lambda: day,
            month=lambda: self._data["months"][d.month - 1],
            month_genitive=lambda: self._data["months_genitive"][d.month - 1],
            month_number=lambda: str(d.month),
            year=lambda: str(d.year),
        )

    def language_name(self, code: str) -> str:
        """The name of language ``code`` in this language, as in "Original: Russian" / "俄文"."""
        return self._data["language_names"][_check_choice(code, LANGUAGES, "language code")]

    def annex_original_marker(self, code: str) -> str:
        """The bracketed note under an annex heading: "[Original: Russian]", "[原件：俄文]"."""
        _check_choice(code, LANGUAGES, "language code")
        return _fill(
            self._data["annex_original_marker"],
            language=lambda: self._data["language_names"][code],
            language_prepositional=lambda: self._data["language_names_prepositional"][code],
        )

    def signed(self, name: str) -> str:
        """The signature line: "(Signed) Name"; Chinese puts the name first, "Name(签名)"."""
        return _fill(self._data["signed"], name=lambda: name)

    def annex_label(self, n: int | None = None) -> str:
        """A single annex is just "Annex"; numbered ones are "Annex I", "附件一", "المرفق الأول"."""
        if n is None:
            return self._data["annex"]
        _check_number(n, "an annex number", 1, 3999)
        return _fill(self._data["annex_numbered"], **self._number_fields(n))


def get(lang: str) -> Locale:
    """The locale for a UN language code; an unknown code is a ValueError that names it."""
    if not isinstance(lang, str) or lang not in LANGUAGES:
        raise ValueError(f"unknown language code {lang!r}; expected one of {', '.join(LANGUAGES)}")
    return _load(lang)


@cache
def _load(lang: str) -> Locale:
    """Read styles/locale/<lang>.json once and fail early, naming the file, if a key is missing."""
    path = styles_dir() / "locale" / f"{lang}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    required = _REQUIRED
    if data.get("distribution_block_language") == lang:
        required += _REQUIRED_IN_BLOCK_LANGUAGE
    missing = [key for key in required if key not in data]
    if missing:
        raise ValueError(f"{path}: missing key(s) {', '.join(missing)}")
    return Locale(lang, MappingProxyType(data))
