from types import SimpleNamespace

from inventory.diagrams import LABEL_CHARACTERS, closeness_circle, shorten


def test_shorten_keeps_short_text_and_cuts_long_text_to_its_length():
    assert shorten("Sam", 16) == "Sam"
    assert shorten("x" * 16, 16) == "x" * 16
    assert shorten("Maximilian-Alexander von Hohenzollern", 16) == "Maximilian-Alex…"


def test_a_long_name_is_cut_short_in_the_circle_but_kept_whole_for_its_tooltip():
    long = "Maximilian-Alexander von Hohenzollern"
    person = SimpleNamespace(pk=1, name=long, relation="uncle", ring=3, deceased=False)
    placed = closeness_circle([person], linked_ids=set())["people"][0]
    assert placed.name == long
    assert len(placed.label) == LABEL_CHARACTERS and placed.label.endswith("…")
