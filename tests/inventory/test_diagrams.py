from types import SimpleNamespace

import pytest

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


# (the dot's x, the label's length in characters) -> the label's anchor; the label's box
# always inside the 760-px drawing.
PLACEMENTS = [
    (40, 10, "start"),
    (380, 39, "start"),
    (500, 39, "end"),  # 500 + 7 + 39 * 6.6 = 764.4: past the right edge
    (740, 5, "end"),
    (740, 39, "end"),
    (100, 39, "start"),
]


@pytest.mark.parametrize(("x", "characters", "anchor"), PLACEMENTS)
def test_an_event_label_stays_inside_the_timeline(x, characters, anchor):
    from inventory.diagrams import LABEL_CHARACTER_WIDTH, TIMELINE_WIDTH, label_placement

    label = "x" * characters
    label_x, placed = label_placement(x, label)
    length = characters * LABEL_CHARACTER_WIDTH
    left = label_x if placed == "start" else label_x - length
    assert left >= 0 and left + length <= TIMELINE_WIDTH
    assert placed == anchor
