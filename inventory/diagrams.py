"""Geometry for the server-rendered closeness circle and timeline (inline SVG, no JavaScript)."""

import math
from dataclasses import dataclass
from datetime import date

CIRCLE_SIZE = 560
RING_RADII = {1: 95, 2: 175, 3: 255}  # outer edge of each ring
CENTRE = CIRCLE_SIZE / 2
LABEL_CHARACTERS = 16  # a longer name is cut short in the drawing


@dataclass(frozen=True)
class PlacedPerson:
    pk: int
    name: str
    relation: str
    ring: int
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str
    linked: bool
    deceased: bool

    @property
    def label(self) -> str:
        """The name as drawn: a long one is cut short (the list beside it and the dot's
        tooltip give it whole), so that it stays inside the drawing."""
        return shorten(self.name, LABEL_CHARACTERS)


def shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def closeness_circle(people, linked_ids: set[int]) -> dict:
    """Place each person in their ring, spread evenly around it, labels pointing outwards."""
    by_ring: dict[int, list] = {1: [], 2: [], 3: []}
    for person in people:
        by_ring[person.ring].append(person)
    placed = []
    for ring, members in by_ring.items():
        inner = RING_RADII.get(ring - 1, 0)
        radius = (inner + RING_RADII[ring]) / 2
        # Offset each ring so that names on neighbouring rings do not line up.
        offset = {1: -90, 2: -60, 3: -75}[ring]
        for index, person in enumerate(members):
            angle = math.radians(offset + 360 * index / len(members))
            x = CENTRE + radius * math.cos(angle)
            y = CENTRE + radius * math.sin(angle)
            right = math.cos(angle) >= 0
            placed.append(
                PlacedPerson(
                    pk=person.pk,
                    name=person.name,
                    relation=person.relation,
                    ring=ring,
                    x=round(x, 1),
                    y=round(y, 1),
                    label_x=round(x + (10 if right else -10), 1),
                    label_y=round(y + 4, 1),
                    anchor="start" if right else "end",
                    linked=person.pk in linked_ids,
                    deceased=person.deceased,
                )
            )
    return {
        "size": CIRCLE_SIZE,
        "centre": CENTRE,
        "rings": [
            {"ring": ring, "radius": r} for ring, r in sorted(RING_RADII.items(), reverse=True)
        ],
        "people": placed,
    }


TIMELINE_WIDTH, TIMELINE_HEIGHT = 760, 300
T_LEFT, T_RIGHT = 40, 20
AXIS_Y = 150
SCORE_TOP, SCORE_BOTTOM = 190, 280  # PHQ-9 band below the axis


@dataclass(frozen=True)
class TimelineMark:
    x: float
    y: float
    label: str
    when: date
    kind: str
    mood: str
    line_to: float
    label_x: float = 0
    anchor: str = "start"


# An event's label is drawn at 11 px: at most this wide per character (a generous average
# for the sans-serif fonts the browsers use), so that it can be kept inside the drawing.
LABEL_CHARACTER_WIDTH = 6.6
LABEL_GAP = 7  # between the event's dot and its label


def label_placement(x: float, label: str, width: float = TIMELINE_WIDTH) -> tuple[float, str]:
    """(x, text-anchor) of an event's label: to the right of its dot, or, where it would run
    past the drawing's right edge, to the left of it; never past the left edge either."""
    length = len(label) * LABEL_CHARACTER_WIDTH
    if x + LABEL_GAP + length <= width:
        return x + LABEL_GAP, "start"
    if x - LABEL_GAP - length >= 0:
        return x - LABEL_GAP, "end"
    return max(0.0, width - length), "start"  # longer than either side: flush right


def timeline(events, phq9, *, start: date, end: date) -> dict:
    """Events above the axis (staggered so labels do not collide), PHQ-9 totals below."""
    span = max((end - start).days, 1)
    width = TIMELINE_WIDTH - T_LEFT - T_RIGHT

    def x_of(day: date) -> float:
        return round(T_LEFT + width * (day - start).days / span, 1)

    marks = []
    for index, event in enumerate(events):
        level = index % 4
        x = x_of(event.occurred_on)
        label = shorten(event.description, 39)
        label_x, anchor = label_placement(x, label)
        marks.append(
            TimelineMark(
                x=x,
                label_x=round(label_x, 1),
                anchor=anchor,
                y=AXIS_Y - 30 - 28 * level,
                label=label,
                when=event.occurred_on,
                kind=event.kind,
                mood=event.mood_effect,
                line_to=AXIS_Y,
            )
        )
    scores = [
        {
            "x": x_of(m.administered_on),
            "y": round(SCORE_BOTTOM - (SCORE_BOTTOM - SCORE_TOP) * m.total / 27, 1),
            "total": m.total,
            "when": m.administered_on,
        }
        for m in phq9
        if start <= m.administered_on <= end
    ]
    years = range(start.year, end.year + 1)
    ticks = [
        {"x": x_of(date(y, 1, 1)), "label": str(y)} for y in years if start <= date(y, 1, 1) <= end
    ]
    return {
        "width": TIMELINE_WIDTH,
        "height": TIMELINE_HEIGHT,
        "axis_y": AXIS_Y,
        "left": T_LEFT,
        "right": TIMELINE_WIDTH - T_RIGHT,
        "marks": marks,
        "scores": scores,
        "score_path": " ".join(f"{s['x']},{s['y']}" for s in scores),
        "score_top": SCORE_TOP,
        "score_bottom": SCORE_BOTTOM,
        "ticks": ticks,
        "start": start,
        "end": end,
    }
