"""`unfolio import` on the UN's versions in the other five languages: French, Spanish,
Russian, Arabic and Chinese reports, end to end (tests/test_import_un_documents.py has the
steps and the English shapes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_import_un_documents import NB, SUB, round_trip
from tests.word_files import UNMasthead, cell, note_ref, page_break_run, para, run, table, un_docx

# -- (3) (4) the same report in French, Spanish, Russian, Arabic and Chinese ---------------
#
# The strings as the UN's versions print them (../shared/un-locale.json), typed here as a
# translator's file holds them: French no-break spaces before ":" and "1er", the typographic
# apostrophe, the English distribution block of the Russian, Arabic and Chinese mastheads with
# the version's language line, the Chinese organ spaced with an ideographic space.

LANGUAGES = {
    "fr": dict(
        un="Nations Unies",
        organ="Assemblée générale",
        lines=("Distr. générale", "1er avril 2026", "", "Français", f"Original{NB}: anglais"),
        letter="F",
        session="Quatre-vingtième session",
        agenda="Point 72 b) de l’ordre du jour",
        agenda_title="Promotion et protection des droits humains",
        title="Sécurité des documents d’essai",
        subtitle="Rapport du Secrétaire général",
        summary="Résumé",
        summary_text="Le présent rapport est soumis en application de la résolution 79/175.",
        h1="I.\tIntroduction",
        h2="A.\tContexte",
        paragraphs=(
            f"1.\tLe Secrétaire général rappelle que «{NB}la sécurité{NB}» est essentielle{NB};",
            "2.\tL’Assemblée générale est invitée à prendre note du rapport.",
        ),
        sub=("\ta)\tLes États Membres ont progressé;", "\tb)\tD’autres mesures sont requises."),
        note="Voir A/79/300, par.\u00a012.",
        annex="Annexe",
        original=f"[Original{NB}: anglais]",
        annex_title="Contributions reçues",
        annex_text="Le texte de l’annexe.",
    ),
    "es": dict(
        un="Naciones Unidas",
        organ="Asamblea General",
        lines=("Distr. general", "1 de abril de 2026", "", "Español", "Original: inglés"),
        letter="S",
        session="Octogésimo período de sesiones",
        agenda="Tema 72 b) del programa",
        agenda_title="Promoción y protección de los derechos humanos",
        title="Seguridad de los documentos de prueba",
        subtitle="Informe del Secretario General",
        summary="Resumen",
        summary_text="El presente informe se presenta en cumplimiento de la resolución 79/175.",
        h1="I.\tIntroducción",
        h2="A.\tAntecedentes",
        paragraphs=(
            "1.\tEl Secretario General recuerda que la seguridad es esencial; ¿quién lo duda?",
            "2.\tSe invita a la Asamblea General a que tome nota del informe.",
        ),
        sub=("\ta)\tLos Estados Miembros han avanzado;", "\tb)\tSe necesitan otras medidas."),
        note="Véase A/79/300, párr. 12.",
        annex="Anexo",
        original="[Original: inglés]",
        annex_title="Contribuciones recibidas",
        annex_text="El texto del anexo.",
    ),
    "ru": dict(
        un="Организация Объединенных Наций",
        organ="Генеральная Ассамблея",
        lines=("Distr.: General", "1 April 2026", "", "Russian", "Original: English"),
        letter="R",
        session="Восьмидесятая сессия",
        agenda="Пункт 72 (b) повестки дня",
        agenda_title="Поощрение и защита прав человека",
        title="Безопасность тестовых документов",
        subtitle="Доклад Генерального секретаря",
        summary="Резюме",
        summary_text="Настоящий доклад представляется в соответствии с резолюцией 79/175.",
        h1="I.\tВведение",
        h2="A.\tСправочная информация",
        paragraphs=(
            "1.\tГенеральный секретарь напоминает, что «безопасность» имеет важное значение.",
            "2.\tГенеральной Ассамблее предлагается принять к сведению доклад.",
        ),
        sub=("\ta)\tгосударства-члены добились прогресса;", "\tb)\tнеобходимы другие меры."),
        note="См. A/79/300, п. 12.",
        annex="Приложение",
        original="[Подлинный текст на английском языке]",
        annex_title="Полученные взносы",
        annex_text="Текст приложения.",
    ),
    "ar": dict(
        un="الأمم المتحدة",
        organ="الجمعية العامة",
        lines=("Distr.: General", "1 April 2026", "", "Arabic", "Original: English"),
        letter="A",
        session="الدورة الثمانون",
        agenda="البند 72 (ب) من جدول الأعمال",
        agenda_title="تعزيز حقوق الإنسان وحمايتها",
        title="سلامة وثائق الاختبار",
        subtitle="تقرير الأمين العام",
        summary="موجز",
        summary_text="يقدَّم هذا التقرير عملا بالقرار 79/175.",
        h1="أولا -\tمقدمة",
        h2="ألف -\tمعلومات أساسية",
        paragraphs=(
            "1 -\tيشير الأمين العام إلى أن السلامة أمر أساسي.",
            "2 -\tالجمعية العامة مدعوة إلى الإحاطة علما بالتقرير.",
        ),
        sub=("\t(أ)\tأحرزت الدول الأعضاء تقدما؛", "\t(ب)\tيلزم اتخاذ تدابير أخرى."),
        note="انظر A/79/300، الفقرة 12.",
        annex="المرفق",
        original="[الأصل: بالإنكليزية]",
        annex_title="التبرعات الواردة",
        annex_text="نص المرفق.",
    ),
    "zh": dict(
        un="联合国",
        organ="大\u3000会",
        lines=("Distr.: General", "1 April 2026", "", "Chinese", "Original: English"),
        letter="C",
        session="第八十届会议",
        agenda="议程项目72(b)",
        agenda_title="促进和保护人权",
        title="测试文件的安全",
        subtitle="秘书长的报告",
        summary="摘要",
        summary_text="本报告是根据第79/175号决议提交的。",
        h1="一.\t导言",
        h2="A.\t背景",
        paragraphs=("1.\t秘书长回顾，安全至关重要。", "2.\t请大会注意本报告。"),
        sub=("\t(a)\t会员国取得了进展；", "\t(b)\t需要采取其他措施。"),
        note="见A/79/300，第12段。",
        annex="附件",
        original="[原件：英文]",
        annex_title="收到的捐款",
        annex_text="附件案文。",
    ),
}


def translated_report(path: Path, language: str) -> Path:
    s = LANGUAGES[language]
    rtl = language == "ar"

    def p(style: str, *runs: str, ppr: str = "") -> str:
        if rtl:  # an Arabic paragraph: right to left, its runs marked so
            ppr = "<w:bidi/>" + ppr
            runs = tuple(run(r, rtl=True) if not r.startswith("<") else r for r in runs)
        return para(style, *runs, ppr=ppr)

    blocks = [
        p("Session", s["session"]),
        p("AgendaItemNormal", s["agenda"]),
        p("AgendaTitleH2", s["agenda_title"]),
        p("TitleHCH", "\t\t" + s["title"]),
        p("TitleH1", "\t\t" + s["subtitle"]),
        table(
            [
                [
                    cell(
                        p("SingleTxt", run(s["summary"], b=True, rtl=rtl))
                        + p("SingleTxt", "\t" + s["summary_text"])
                    )
                ]
            ]
        ),
        p("SingleTxt", page_break_run()),
        p("HCh", "\t" + s["h1"]),
        p("SingleTxt", s["paragraphs"][0], note_ref(1)),
        p("H1", "\t" + s["h2"]),
        p("SingleTxt", s["paragraphs"][1]),
        *(p("SingleTxt", line, ppr=SUB) for line in s["sub"]),
        p("SingleTxt", page_break_run()),
        p("HCh", s["annex"]),
        p("SingleTxt", s["original"]),
        p("H1", "\t\t" + s["annex_title"]),
        p("SingleTxt", s["annex_text"]),
    ]
    return un_docx(
        path,
        blocks,
        masthead=UNMasthead(
            united_nations=s["un"],
            organ=s["organ"],
            lines=s["lines"],
            job_line=f"26-01234 ({s['letter']})    150426    160426",
            rtl=rtl,
        ),
        footnotes={1: s["note"]},
        lang={"zh": "zh-CN", "ar": "ar-SA"}.get(language, f"{language}-{language.upper()}"),
        bidi=rtl,
    )


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_translated_report_imports_builds_and_verifies(capsys, tmp_path, language):
    s = LANGUAGES[language]
    docx = translated_report(tmp_path / f"{language}.docx", language)
    meta, report, source = round_trip(capsys, tmp_path, docx)
    to_fill = [i["what"] for i in report["items"] if i["kind"] == "to-fill"]
    assert to_fill == []
    # the version's language line ("Français", "Chinese") is the masthead's own, not lost text
    assert not [i for i in report["items"] if i["what"] == "masthead text"]
    assert meta["language"] == language
    assert meta["symbols"] == ["A/80/123"] and meta["date"] == "2026-04-01"
    assert meta["distribution"] == "general" and meta["original_languages"] == ["en"]
    assert meta["organs"] == [
        {
            "organ": "GA",
            "session": 80,
            "agenda_items": [{"item": "72", "sub_item": "b", "title": s["agenda_title"]}],
        }
    ]
    assert (meta["title"], meta["subtitle"]) == (s["title"], s["subtitle"])
    assert meta["job_number"] == "26-01234"
    assert meta["processing_dates"] == ["2026-04-15", "2026-04-16"]
    assert meta["parts"][1] == {
        "kind": "annex",
        "text": "annex-1.md",
        "heading": s["annex"],
        "original_language": "en",
        "title": s["annex_title"],
    }
    body = (source / "body.md").read_text()
    assert "# " + s["h1"].replace("\t", " ") in body
