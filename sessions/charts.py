"""Geometry for the server-rendered PHQ-9 / GAD-7 chart (an inline SVG, no JavaScript)."""

from dataclasses import dataclass

from .models import Measure
from .phases import INITIAL_SESSIONS, TERMINATION_SESSIONS

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 14, 40
SCALE_MAX = 27  # PHQ-9 maximum; GAD-7 (max 21) shares the axis, both are item sums


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    total: int
    where: str


@dataclass(frozen=True)
class Band:
    x: float
    width: float
    name: str
    label_x: float


def _x(position: float, planned: int) -> float:
    return LEFT + position * (WIDTH - LEFT - RIGHT) / (planned + 0.5)


def _y(value: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / SCALE_MAX)


def measure_chart(planned: int, measures: list[Measure]) -> dict:
    """Everything the template needs to draw the chart for a course of `planned` sessions."""
    edges = [0.5, INITIAL_SESSIONS + 0.5, planned - TERMINATION_SESSIONS + 0.5, planned + 0.5]
    names = ["initial", "middle", "termination"]
    bands = [
        Band(
            x=_x(a, planned),
            width=_x(b, planned) - _x(a, planned),
            name=name,
            label_x=(_x(a, planned) + _x(b, planned)) / 2,
        )
        for a, b, name in zip(edges, edges[1:], names, strict=False)
    ]
    series = {}
    for kind in (Measure.Kind.PHQ9, Measure.Kind.GAD7):
        points = [
            Point(
                x=round(_x(m.session.number if m.session_id else 0, planned), 1),
                y=round(_y(m.total), 1),
                total=m.total,
                where=f"session {m.session.number}" if m.session_id else "baseline",
            )
            for m in measures
            if m.kind == kind
        ]
        points.sort(key=lambda p: p.x)
        series[kind] = {"points": points, "path": " ".join(f"{p.x},{p.y}" for p in points)}
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "plot_left": LEFT,
        "plot_right": WIDTH - RIGHT,
        "plot_bottom": HEIGHT - BOTTOM,
        "bands": bands,
        "band_top": TOP,
        "band_height": HEIGHT - TOP - BOTTOM,
        "gridlines": [{"value": v, "y": round(_y(v), 1)} for v in (0, 5, 10, 15, 20, 27)],
        "ticks": [
            {"label": "B" if n == 0 else str(n), "x": round(_x(n, planned), 1)}
            for n in range(planned + 1)
        ],
        "phq9": series[Measure.Kind.PHQ9],
        "gad7": series[Measure.Kind.GAD7],
        "has_data": any(series[k]["points"] for k in series),
    }
