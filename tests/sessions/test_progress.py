"""Where a course stands (sessions/progress.py): one rule for the course page, the therapist's
home and the supervisor's flags (#14: it was computed four ways)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions.models import TherapySession
from sessions.progress import position_of, progress_of, session_at
from sessions.selectors import open_courses_for_home
from tests.conftest import open_course

A, N, C, S = "attended", "no_show", "cancelled", "scheduled"


@pytest.mark.parametrize(
    ("next_scheduled", "happened", "planned", "position"),
    [
        (1, 0, 12, 1),  # nothing yet: the first session
        (4, 3, 12, 4),
        (5, 3, 12, 5),  # session 4 was cancelled: its number is kept
        (None, 5, 12, 6),  # none booked: the one after those that took place
        (None, 12, 12, 12),  # all held: never past the contract
        (None, 16, 16, 16),
        (None, 0, 12, 1),
        (13, 12, 12, 12),  # a session booked beyond a shortened contract
    ],
)
def test_the_session_a_course_is_at(next_scheduled, happened, planned, position):
    assert session_at(next_scheduled=next_scheduled, happened=happened, planned=planned) == position


@pytest.mark.parametrize(
    ("attendance", "position", "held", "happened"),
    [
        ([], 1, 0, 0),
        ([A, A, A], 4, 3, 3),
        ([A, A, A, C], 5, 3, 3),
        ([A, N, A, A, C], 6, 3, 4),
        ([A] * 12, 12, 12, 12),
    ],
)
def test_the_course_page_and_the_home_agree(
    therapist, patient, attendance, position, held, happened
):
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=13))
    for number, state in enumerate(attendance, start=1):
        minutes = 50 if state == A else None
        TherapySession.objects.filter(course=course, number=number).update(
            attendance=state, actual_minutes=minutes, cancelled_by="patient" if state == C else ""
        )
    progress = progress_of(course, list(course.sessions.all()))
    assert (progress.position, progress.held, progress.happened) == (position, held, happened)
    [annotated] = [c for c in open_courses_for_home(therapist) if c.pk == course.pk]
    assert position_of(annotated) == position
