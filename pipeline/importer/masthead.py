"""The masthead values a UN Word file holds, read from where the UN's templates put them.

The UN's Word files carry no masthead in the body: it is a table in the first-page header
(symbol, organ, "Distr.: General", date, "Original: English"), the job number and the
processing dates are the first-page footer's first line ("26-04887 (E)    150426"), and the
document settings hold the same values again as document variables (``w:docVars``:
``Symbol1``, ``FooterJN``, ``Session1``, ``Agenda1``, ``Title1``, ``DutyStation``…), which are
read when the header or footer lacks one. Session, agenda item and title come from the body's
front matter (styles ``Session``, ``AgendaItemNormal``, ``TitleHCH``…), which the importer
hands in. Each value is matched against the locale strings unfolio prints (the six languages'
organ names, "Distr." lines, dates, "Original:" lines, session lines), so what is read is what
unfolio will print back. What cannot be read is left as ``[[TO FILL: field]]``, the mark
``unfolio new`` uses (``pipeline/placeholders.py``), and a job number as ``YY-00000``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from lxml import etree

from pipeline import locale, symbols
from pipeline.importer.ooxml import R, WordPackage, w
from pipeline.importer.report import Report
from pipeline.importer.wordml import MC, decode_string

LANGUAGES = ("en", "fr", "es", "ru", "zh", "ar")
BLOCK_LANGUAGES = ("en", "fr", "es")  # the languages the distribution block is printed in
ORGANS = ("GA", "SC", "ECOSOC", "HRC")
PLACEHOLDER = "[[TO FILL: {field}]]"  # as pipeline/placeholders.py (unfolio new)
_JOB = re.compile(r"((?:GE\.|V\.)?\d{2}-\d{5})\s*\(([A-Z])\)((?:\s+\d{6}){0,2})")
_BARE_JOB = re.compile(r"^(?:GE\.|V\.)?\d{2}-\d{5}$")
_AGENDA = re.compile(r"(\d{1,3})\s*(?:\(([a-z]{1,2}|[\u0600-\u06ff]{1,2})\)|([a-z]{1,2})\))?")
_STATIONS = {"new york": "new-york", "geneva": "geneva", "vienna": "vienna"}


def placeholder(name: str) -> str:
    return PLACEHOLDER.format(field=name)


@dataclass
class Masthead:
    """document.json fields read so far (without ``parts``) and what is still to fill."""

    values: dict[str, object] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def doc_vars(package: WordPackage) -> dict[str, str]:
    if package.settings is None:
        return {}
    found = {}
    for var in package.settings.iter(w("docVar")):
        name, value = var.get(w("name")), decode_string(var.get(w("val")) or "")
        if name and value and value != "-":
            found[name] = value
    return found


def first_page(package: WordPackage) -> tuple[list[str], list[str], list[str]]:
    """Paragraph texts of the first page's header and footer, and their part names."""
    section = next(package.document.iter(w("sectPr")), None)
    header, footer, names = [], [], []
    if section is None:
        return header, footer, names
    title_page = section.find(w("titlePg")) is not None
    for kind, out in (("header", header), ("footer", footer)):
        refs = {
            ref.get(w("type"), "default"): ref.get(f"{{{R}}}id")
            for ref in section.iter(w(f"{kind}Reference"))
        }
        rel = refs.get("first") if title_page else None
        rel = rel or refs.get("default")
        found = package.part_for(rel) if rel else None
        if found is not None:
            names.append(found[0])
            out.extend(_lines(found[1]))
    return header, footer, names


def _lines(part: etree._Element) -> list[str]:
    """The lines of a header or footer: a paragraph's own text (a text box's paragraphs are
    lines of their own, read once: not again from the box's VML copy), split at line breaks."""
    lines = []
    fallback = f"{{{MC}}}Fallback"
    for p in part.iter(w("p")):
        if any(a.tag == fallback for a in p.iterancestors()):
            continue
        pieces = [""]
        for node in p.iter(w("t"), w("tab"), w("br"), w("cr")):
            owner = next(node.iterancestors(w("p")), None)
            if owner is not p or node.getparent().tag != w("r"):
                continue
            if node.tag in (w("br"), w("cr")):
                pieces.append("")
            else:
                pieces[-1] += (node.text or "") if node.tag == w("t") else " "
        lines += [" ".join(t.split()) for t in pieces if t.strip()]
    return lines


def read(
    package: WordPackage, front: dict[str, str], report: Report, *, language: str | None = None
) -> Masthead:
    """The masthead values of ``package``; ``front`` holds the body's front matter by role."""
    header, footer, names = first_page(package)
    variables = doc_vars(package)
    where_header = f"{names[0]} (first-page header)" if header and names else "header"
    if front.get("masthead"):  # a masthead table at the top of the body, not in a header
        header = header + front["masthead"].split("\n")
        where_header = "word/document.xml (masthead table at the top of the body)"
    where_footer = f"{names[-1]} (first-page footer)" if footer and names else "footer"
    out = Masthead()

    used: list[str] = []

    def got(name: str, value: object, where: str, text: str) -> None:
        out.values[name] = value
        used.append(text)
        report.add("read", name, where, f"{text!r} → {value!r}", text)

    def missing(name: str, value: object, why: str) -> None:
        out.values[name] = value
        out.missing.append(name)
        report.add("to-fill", name, "document.json", why)

    # job number, version language, processing dates: the first footer line, else docVars
    job = None
    for line in footer:
        match = _JOB.search(line)
        if match:
            job = match
            got("job_number", match.group(1), where_footer, line)
            break
    if job is None:
        for name in ("FooterJN", "jobn", "JobNo"):
            candidate = variables.get(name, "").split(" (")[0].strip()
            if _BARE_JOB.match(candidate):
                got("job_number", candidate, f"word/settings.xml, docVar {name}", variables[name])
                job = _JOB.search(variables.get("jobnDT", variables.get("jobn", "")))
                break
        else:
            missing(
                "job_number",
                "00-00000",
                "no job number in the first-page footer or the document variables (00-00000 is "
                "the placeholder)",
            )
    language = language or _language_from_job(job) or _language_from_styles(package)
    if language is None:
        language = "en"
        report.add(
            "to-fill",
            "language",
            "document.json",
            "no version language found "
            "(job-number letter or document language): English assumed; check it",
        )
    out.values["language"] = language
    if job is not None and job.group(3).split():
        dates = [_ddmmyy(d) for d in job.group(3).split()]
        if all(dates):
            got("processing_dates", [d.isoformat() for d in dates], where_footer, job.group(3))

    _read_symbols(header, variables, where_header, got, missing)
    _read_block(header, where_header, got, missing)
    if "date" not in out.values:
        missing("date", placeholder("date"), "no date in the first-page header")
    if "distribution" not in out.values:
        missing(
            "distribution",
            placeholder("distribution"),
            'no "Distr.:" line in the first-page header',
        )
    if "original_languages" not in out.values:
        missing(
            "original_languages",
            [placeholder("original_languages")],
            'no "Original:" line in the first-page header',
        )
    _read_station(out, variables, job, got)
    organs = _read_organs(header, front, variables, out, where_header, got, missing, report)
    out.values["organs"] = organs
    title = front.get("title") or variables.get("Title1")
    if title:
        src = "body (title style)" if front.get("title") else "word/settings.xml, docVar Title1"
        got("title", title, src, title)
    else:
        missing(
            "title",
            placeholder("title"),
            "no title paragraph (style TitleHCH or Title) and no Title1 document variable",
        )
    if front.get("sponsors"):
        _read_sponsors(front["sponsors"], out, got, report)
    subtitle = front.get("subtitle") or (
        variables.get("Title2") if not front.get("title") else None
    )
    if subtitle:
        got("subtitle", subtitle, "body (subtitle style)", subtitle)
    _unread(header, where_header, used, report)
    _unread(footer, where_footer, used, report)
    _running(package, set(names), out, report)
    return out


def _running(package: WordPackage, read: set[str], out: Masthead, report: Report) -> None:
    """The other headers and footers (running heads and feet): their fields show the symbol,
    the job number and the page number, which unfolio prints itself; any other line ("Advance
    unedited version") is reported, so that it is not lost unsaid."""
    symbols = [str(s) for s in out.values.get("symbols", []) or []]
    known = {_compact(s) for s in symbols} | {_compact("–".join(symbols))}
    known.add(_compact(str(out.values.get("job_number", ""))))
    seen: set[str] = set()
    for section in package.document.iter(w("sectPr")):
        for ref in section:
            if ref.tag not in (w("headerReference"), w("footerReference")):
                continue
            found = package.part_for(ref.get(f"{{{R}}}id"))
            if found is None or found[0] in read or found[0] in seen:
                continue
            seen.add(found[0])
            lines = [
                line
                for line in _lines(found[1])
                if _compact(line) not in known and not re.fullmatch(r"[\d\s/.-]*", line)
            ]
            _unread(lines, f"{found[0]} (running {ref.tag.split('}')[1][:6]})", [], report)


def _unread(lines: list[str], where: str, used: list[str], report: Report) -> None:
    """Say what became of the header and footer lines no value was read from."""
    labels = {_normal(locale.get(code).united_nations_plain) for code in LANGUAGES}
    labels |= {_normal(locale.get(code).please_recycle) for code in LANGUAGES}
    # the version's language line of the distribution block ("Français", "Chinese")
    labels |= {_normal(locale.get(code)._data.get("version_language") or "-") for code in LANGUAGES}
    for line in lines:
        if any(line in text for text in used):
            continue
        if _normal(line) in labels:
            report.add(
                "changed", "masthead label", where, f"{line!r}: unfolio's masthead prints it", line
            )
        elif re.fullmatch(r"\*[0-9A-Z]+\*", line.replace(" ", "")):
            report.add(
                "changed",
                "barcode",
                where,
                f"{line!r}: unfolio draws the barcode again from the job number",
                line,
            )
        else:
            report.add(
                "not-carried",
                "masthead text",
                where,
                f"{line!r} was not read as a masthead value",
                line,
            )


def _language_from_job(job: re.Match[str] | None) -> str | None:
    if job is None:
        return None
    letter = job.group(2)
    return next((code for code in LANGUAGES if locale.get(code).job_letter == letter), None)


def _language_from_styles(package: WordPackage) -> str | None:
    if package.styles is None:
        return None
    lang = package.styles.find(f"{w('docDefaults')}/{w('rPrDefault')}/{w('rPr')}/{w('lang')}")
    value = (lang.get(w("val")) or "") if lang is not None else ""
    code = value.split("-")[0].lower()
    return code if code in LANGUAGES else None


def _ddmmyy(text: str) -> dt.date | None:
    try:
        return dt.date(2000 + int(text[4:6]), int(text[2:4]), int(text[0:2]))
    except ValueError:
        return None


def _read_symbols(header, variables, where, got, missing) -> None:
    """Every header line that is a symbol (or a joint "A/…–S/…"), in order, at most three."""
    found: list[str] = []
    lines: list[str] = []
    for line in header:
        candidate = line.replace(" ", "") if re.fullmatch(r"[A-Z]+ /\S+", line) else line
        try:
            parsed = symbols.parse_symbols(candidate)
        except (symbols.SymbolError, ValueError):
            continue
        found += [str(s) for s in parsed if str(s) not in found]
        lines.append(line)
    if found:
        got("symbols", found[:3], where, " / ".join(lines))
        return
    named = [variables[n] for n in ("Symbol1", "Symbol2", "Symbol3") if n in variables]
    try:
        parsed = symbols.parse_symbols(named) if named else ()
    except (symbols.SymbolError, ValueError):
        parsed = ()
    if parsed:
        got("symbols", [str(s) for s in parsed], "word/settings.xml, docVar Symbol1", named[0])
    else:
        missing(
            "symbols",
            [placeholder("symbol")],
            "no document symbol in the first-page header or the document variables",
        )


def _compact(text: str) -> str:
    """A running head's symbol line as compared: no spaces, any dash the joint symbol's."""
    return re.sub(r"[-‐-―]", "–", "".join(_normal(text).split()))


def _normal(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split()).casefold()


def _read_block(header, where, got, missing) -> None:
    """Distribution, date and original languages, in any of the block's languages."""
    for line in header:
        norm = _normal(line)
        for code in BLOCK_LANGUAGES:
            data = locale.get(code)._data
            for value, text in data["distribution"].items():
                if _normal(text) == norm:
                    got("distribution", value, where, line)
            languages = _original(line, code)
            if languages:
                got("original_languages", languages, where, line)
        for code in LANGUAGES:
            date = parse_date(line, code)
            if date is not None:
                got("date", date.isoformat(), where, line)
                break


def _original(line: str, code: str) -> list[str]:
    data = locale.get(code)._data
    template = data["original"].replace("\u00a0", " ")
    pattern = re.escape(template).replace(re.escape("{languages}"), "(.+)")
    match = re.fullmatch(pattern, " ".join(line.replace("\u00a0", " ").split()), re.IGNORECASE)
    if not match:
        return []
    names = {_normal(n): c for c, n in data["language_names"].items()}
    found = []
    for piece in re.split(r"\s*(?:/|,| and | et | y )\s*", match.group(1)):
        piece_code = names.get(_normal(piece))
        if piece_code is None:
            return []
        found.append(piece_code)
    return found


def parse_date(text: str, code: str) -> dt.date | None:
    """A masthead date in language ``code``'s form ("7 April 2026", "2026年4月7日")."""
    data = locale.get(code)._data
    months = data.get("months_genitive" if "{month_genitive}" in data["date"] else "months", [])
    day = r"(?P<day>\d{1,2}|" + re.escape(data.get("day_one", "1")) + ")"
    month = "(?P<month>" + "|".join(map(re.escape, months)) + ")"
    pattern = re.escape(data["date"].replace("\u00a0", " "))
    pattern = (
        pattern.replace(re.escape("{day}"), day)
        .replace(re.escape("{month}"), month)
        .replace(re.escape("{month_genitive}"), month)
        .replace(re.escape("{month_number}"), r"(?P<number>\d{1,2})")
        .replace(re.escape("{year}"), r"(?P<year>\d{4})")
    )
    match = re.fullmatch(pattern, " ".join(text.replace("\u00a0", " ").split()), re.IGNORECASE)
    if not match:
        return None
    groups = match.groupdict()
    day_text = groups["day"]
    day_value = 1 if day_text == data.get("day_one") else int(day_text)
    if groups.get("number"):
        month = int(groups["number"])
    else:
        month = [m.casefold() for m in months].index(groups["month"].casefold()) + 1
    try:
        return dt.date(int(groups["year"]), month, day_value)
    except ValueError:
        return None


def _read_station(out: Masthead, variables, job, got) -> None:
    number = str(out.values.get("job_number", ""))
    if number.startswith("GE."):
        out.values["duty_station"] = "geneva"
    elif number.startswith("V."):
        out.values["duty_station"] = "vienna"
    elif variables.get("DutyStation", "").casefold() in _STATIONS:
        got(
            "duty_station",
            _STATIONS[variables["DutyStation"].casefold()],
            "word/settings.xml, docVar DutyStation",
            variables["DutyStation"],
        )
    else:
        out.values["duty_station"] = "new-york"


def _read_organs(header, front, variables, out, where, got, missing, report) -> list[dict]:
    codes: list[str] = []
    lines: list[str] = []
    for line in header:
        norm = _normal(line)
        for code in LANGUAGES:
            for organ, name in locale.get(code)._data["organs"].items():
                # "大　会": the Chinese masthead spaces the organ's name (ideographic space)
                same = _normal(name).replace(" ", "") == norm.replace(" ", "")
                if same and organ not in codes:
                    codes.append(organ)
                    lines.append(line)
    found = bool(codes)
    if not found:  # the session and agenda lines are still read, for the organ to fill
        missing(
            "organs",
            placeholder("organ"),
            "no organ (General Assembly, Security Council…) in the first-page header",
        )
        codes = [str(out.values.pop("organs"))]
    language = str(out.values["language"])
    session_text = front.get("session") or variables.get("Session1", "")
    if front.get("organ"):  # an organ line in the front matter (HRC: "General Assembly" above)
        session_text = f"{front['organ']} {session_text}"
        report.add(
            "read",
            "organs",
            "body (front matter)",
            f"{front['organ']!r}: the session's organ, above the session line",
            front["organ"],
        )
    for code in LANGUAGES:  # "Human Rights Council Sixty-first session": the session's organ
        for organ_code, name in locale.get(code)._data["organs"].items():
            if _normal(session_text).startswith(_normal(name) + " "):
                front = {**front, "session": session_text[len(name) :].strip()}
                if organ_code not in codes:
                    codes = [organ_code if c == "GA" and organ_code == "HRC" else c for c in codes]
                    if organ_code not in codes:
                        codes.append(organ_code)
    organs = []
    for code in codes[:3]:
        organ: dict[str, object] = {"organ": code}
        if code in ("GA", "HRC") or not found:
            session_text = front.get("session") or variables.get("Session1", "")
            session = parse_session(session_text, language)
            if session is not None:
                got(
                    "session",
                    session,
                    "body (Session style)"
                    if front.get("session")
                    else "word/settings.xml, docVar Session1",
                    session_text,
                )
                organ["session"] = session
            else:
                missing(
                    "session",
                    placeholder("session"),
                    "no session line (style Session) "
                    f"or Session1 document variable{': ' + repr(session_text) if session_text else ''}",
                )
                organ["session"] = out.values.pop("session")
            if not organs:  # the session block's other lines belong to its first organ
                _session_block(front, organ, got)
            items = _agenda(front.get("agenda-item") or variables.get("Agenda1", ""))
            if items:
                title = front.get("agenda-title") or variables.get("Agenda Title1")
                if title and len(items) == 1:
                    items[0]["title"] = title
                source = front.get("agenda-item") or variables.get("Agenda1", "")
                got("agenda_items", items, "body (agenda styles)", source)
                organ["agenda_items"] = items
                _printed_as(source, items, language, code, where, report)
        else:
            date = str(out.values.get("date", ""))
            organ["year"] = int(date[:4]) if date[:4].isdigit() else placeholder("year")
        organs.append(organ)
    for role in ("body", "meeting-dates"):
        if front.get(role) and not any(role.replace("-", "_") in o for o in organs):
            report.add(
                "not-carried",
                "session block",
                "body (front matter)",
                f"{front[role]!r}: no General Assembly or Human Rights Council session to "
                "print it under",
                front[role],
            )
    if found:
        got("organs", organs, where, " / ".join(lines))
    else:
        out.values["organs"] = organs
    return organs


def _session_block(front: dict[str, str], organ: dict[str, object], got) -> None:
    """The subsidiary body and the meeting's dates printed under the session line."""
    if front.get("body"):
        organ["body"] = front["body"]
        got("body", front["body"], "body (front matter)", front["body"])
    dates = parse_date_range(front.get("meeting-dates", ""))
    if dates:
        value = {"from": dates[0].isoformat(), "to": dates[1].isoformat()}
        organ["meeting_dates"] = value
        got("meeting_dates", value, "body (front matter)", front["meeting-dates"])


def is_year_line(text: str) -> bool:
    """A Security Council year line in any language ("Eighty-first year")."""
    norm = _normal(text)
    for code in LANGUAGES:
        loc = locale.get(code)
        if any(_normal(loc.sc_year_line(year)) == norm for year in range(1946, 2045)):
            return True
    return False


def parse_session(text: str, language: str) -> int | str | None:
    norm = _normal(text)
    if not norm:
        return None
    order = [language] + [c for c in LANGUAGES if c != language]
    for code in order:
        loc = locale.get(code)
        for n in range(1, 100):
            if _normal(loc.session_line(n)) == norm:
                return n
        for kind in ("ES", "S"):
            for n in range(1, 20):
                try:
                    if _normal(loc.session_line(f"{kind}-{n}")) == norm:
                        return f"{kind}-{n}"
                except (KeyError, ValueError):
                    break
    return None


def _printed_as(source, items, language, organ, where, report) -> None:
    """Say so when the masthead will word the agenda line otherwise than the Word file
    ("Item 69 of the preliminary list*" is printed "Agenda item 69")."""
    try:
        printed = locale.get(language).agenda_item_line(
            [(i["item"], i.get("sub_item")) for i in items], organ=organ
        )
    except (ValueError, KeyError):
        return
    if _normal(printed) != _normal(source.rstrip("*")):
        report.add(
            "changed",
            "agenda line",
            where,
            f"{source!r} is printed as {printed!r} (the masthead's own wording)",
            source,
        )


def _agenda(text: str) -> list[dict[str, str]]:
    if not text or not re.search(r"\d", text):
        return []
    arabic = {v: k for k, v in locale.get("ar")._data.get("sub_item_letters", {}).items()}
    items = []
    for match in _AGENDA.finditer(text):
        item = {"item": str(int(match.group(1)))}
        sub = match.group(2) or match.group(3)
        sub = arabic.get(sub, sub) if sub else sub
        if sub and re.fullmatch(r"[a-z]{1,2}", sub):
            item["sub_item"] = sub
        items.append(item)
    return items[:10]


def parse_date_range(text: str) -> tuple[dt.date, dt.date] | None:
    """A meeting's dates as a language writes them ("4–15 November 2019", "26 January–6
    February 2026", "4 a 15 de noviembre de 2019"): each end read as a masthead date, the
    first borrowing the last's month and year when it leaves them out."""
    norm = " ".join(text.replace("\u00a0", " ").split())
    pieces = re.split(r"\s*[–-]\s*|\s+a\s+", norm)
    if len(pieces) != 2 or not re.search(r"\d{4}", pieces[1]):
        return None
    for code in LANGUAGES:
        last = parse_date(pieces[1], code)
        if last is None:
            continue
        first_text = pieces[0]
        firsts = [parse_date(first_text, code), parse_date(f"{first_text} {last.year}", code)]
        if code == "es":
            firsts.append(parse_date(f"{first_text} de {last.year}", code))
        if first_text.isdigit() and 1 <= int(first_text) <= 31:
            try:
                firsts.append(last.replace(day=int(first_text)))
            except ValueError:
                continue
        for first in firsts:
            if first is not None and first < last:
                return first, last
    return None


def agenda_line_language(text: str) -> str | None:
    """The language whose agenda line ``text`` is ("Agenda item 2", "Point 3 de l'ordre du
    jour"), or None: a front-matter line without the agenda style is still read."""
    items = _agenda(text)
    if not items:
        return None
    pairs = [(i["item"], i.get("sub_item")) for i in items]
    for code in LANGUAGES:
        for organ in ("GA", "HRC"):
            try:
                printed = locale.get(code).agenda_item_line(pairs, organ=organ)
            except (ValueError, KeyError):
                continue
            if _normal(printed) == _normal(text.rstrip("*")):
                return code
    return None


def _read_sponsors(text: str, out: Masthead, got, report: Report) -> None:
    """A draft's "Albania and Zambia: draft resolution" line: the names (the words after
    them are the locale's); kept only for a draft, as the schema allows."""
    names = parse_sponsors(text)
    draft = any("/L." in str(s) for s in out.values.get("symbols", []) or [])
    if names and draft:
        got("sponsors", {"names": names}, "body (Sponsors style)", text)
        return
    why = "it is not a draft's (no L. in the symbol)" if names else "its words are not read"
    report.add("not-carried", "sponsors line", "body (Sponsors style)", f"{text!r}: {why}", text)


def parse_sponsors(text: str) -> str | None:
    norm = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())
    for code in LANGUAGES:
        before, after = locale.get(code)._data["sponsors_line"].split("{call}")
        pattern = re.escape(before).replace(re.escape("{names}"), "(?P<names>.+?)")
        pattern += r"\s*" + re.escape(" ".join(after.split())).replace(r"\ ", r"\s*")
        match = re.fullmatch(pattern, norm)
        if match:
            return match.group("names").strip()
    return None
