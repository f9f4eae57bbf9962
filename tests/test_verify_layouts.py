from pipeline.verify.layouts import LAYOUT_1, LAYOUT_2, layout_of


def test_a_release_names_its_layout():
    assert layout_of([("Bag-Software-Agent", "unfolio 0.1.0")]) == LAYOUT_1
    assert layout_of([("Bag-Software-Agent", "unfolio 0.2.3")]) == LAYOUT_2


def test_an_unknown_or_missing_or_repeated_agent_names_no_layout():
    assert layout_of([]) is None
    assert layout_of([("Bag-Software-Agent", "bagit.py v1.9")]) is None
    assert layout_of([("Bag-Software-Agent", "unfolio 9.0.0")]) is None
    assert layout_of([("Bag-Software-Agent", "unfolio 0.1.0")] * 2) is None
