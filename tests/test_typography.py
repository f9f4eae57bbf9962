"""Typography applied at typesetting (pipeline.typeset.typography): pure functions per language."""

from __future__ import annotations

from pipeline.typeset import typography
from pipeline.typeset.typography import NNBSP


def test_french_apostrophes_become_curly():
    assert typography.apply("l'homme et aujourd'hui", "fr") == "l’homme et aujourd’hui"


def test_french_guillemets_get_narrow_no_break_spaces():
    assert typography.apply("« sans frontières »", "fr") == f"«{NNBSP}sans frontières{NNBSP}»"
    assert typography.apply('dit "non"', "fr") == f"dit «{NNBSP}non{NNBSP}»"


def test_french_space_before_high_punctuation_is_no_break():
    assert typography.apply("trois éléments : la", "fr") == f"trois éléments{NNBSP}: la"
    assert typography.apply("vraiment ? Oui ; non !", "fr") == (
        f"vraiment{NNBSP}? Oui{NNBSP}; non{NNBSP}!"
    )


def test_french_leaves_times_urls_and_symbols_alone():
    assert typography.apply("à 10:30 heures", "fr") == "à 10:30 heures"
    url = "https://undocs.org/fr/A/HRC/RES/46/1"
    assert typography.apply(f"voir {url} ici", "fr") == f"voir {url} ici"
    assert typography.apply("A/HRC/49/9105", "fr") == "A/HRC/49/9105"


def test_soft_hyphens_go_in_every_language():
    for lang in ("ar", "zh", "en", "fr", "ru", "es"):
        assert "\u00ad" not in typography.apply("us\u00adability", lang)


def test_english_apostrophe_but_no_french_spacing():
    assert typography.apply("Stakeholders' submissions: Italy", "en") == (
        "Stakeholders’ submissions: Italy"
    )


def test_superscripts_mark_french_ordinals_only():
    assert typography.superscripts("le 1er et le 2e, Mme X", "fr") == (
        'le 1<sup class="abbr">er</sup> et le 2<sup class="abbr">e</sup>, '
        'M<sup class="abbr">me</sup> X'
    )
    assert typography.superscripts("2e", "en") == "2e"


def test_apply_html_changes_text_not_tags_or_code():
    html = "<p><a href=\"https://x.org/a'b\">l'art</a> <code>l'x</code> &quot;oui&quot;</p>"
    out = typography.apply_html(html, "fr")
    assert 'href="https://x.org/a\'b"' in out
    assert "l’art" in out and "<code>l'x</code>" in out
    assert f"«{NNBSP}oui{NNBSP}»" in out


def test_french_space_before_a_colon_that_starts_a_piece_or_follows_a_call():
    """The sponsors line is set in two pieces around its call: "Grèce" "*" " : projet…"."""
    assert typography.apply(" : projet de résolution", "fr") == f"{NNBSP}: projet de résolution"
    assert typography.apply("Grèce* : projet", "fr") == f"Grèce*{NNBSP}: projet"
    assert typography.apply("x:y et 10:30", "fr") == "x:y et 10:30"


def test_superscripts_of_roman_ordinals_and_numero():
    sup = typography.superscripts
    assert sup("le XXIe siècle, chapitre Ier", "fr") == (
        'le XXI<sup class="abbr">e</sup> siècle, chapitre I<sup class="abbr">er</sup>'
    )
    assert sup("observation générale no 21, nos 3 et 4", "fr") == (
        'observation générale n<sup class="abbr">o</sup> 21, n<sup class="abbr">os</sup> 3 et 4'
    )
    assert sup("Le Ce non 5 no", "fr") == "Le Ce non 5 no"  # words, not abbreviations


def test_url_hyphens_break_before_never_after():
    out = typography.apply_html("<p>see https://a.org/x-y&amp;z-&amp;w and Nord-Sud</p>", "en")
    assert out == (
        '<p>see https://a.org/x\u200b<span class="url-hyphen">-y</span>&amp;z'
        '\u200b<span class="url-hyphen">-&amp;</span>w and Nord-Sud</p>'
    )
    # Arabic: left as is (spans split the left-to-right run, and WeasyPrint reorders the pieces)
    assert typography.apply_html("<p>انظر https://a.org/x-y</p>", "ar") == (
        "<p>انظر https://a.org/x-y</p>"
    )
    # nor in a link's text: the link annotation must sit in the Link element (PDF/UA 7.18.5)
    link = '<p><a href="https://a.org/x-y">https://a.org/x-y</a></p>'
    assert typography.apply_html(link, "en") == link


def test_an_inline_element_holding_only_invisible_characters_is_printed_empty():
    html = '<p>a <code>\u200b</code> b <em class="x">\u2060\u200b</em> <code>c\u200b</code></p>'
    assert typography.apply_html(html, "en") == (
        '<p>a <code></code> b <em class="x"></em> <code>c\u200b</code></p>'
    )
