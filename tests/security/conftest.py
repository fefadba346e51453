from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import Goal, LifeEvent, ProblemArea, Relationship
from sessions import services
from tests.conftest import attend, make_patient, open_course, request_as


@pytest.fixture
def world(
    request,
    therapist,
    colleague,
    supervisor,
    clinic_admin,
    other_admin,
    other_therapist,
    inactive_user,
    patient,
    course,
    first_session,
):
    """Everyone, and the objects of `therapist`'s caseload that the URLs point at."""
    from inventory.models import Goal, LifeEvent, ProblemArea, Relationship

    person = Relationship.objects.create(course=course, name="J.", relation="partner")
    area = ProblemArea.objects.create(course=course, area="role_dispute", other_party=person)
    return {
        "patient": patient,
        "course": course,
        "session": first_session,
        "person": person,
        "event": LifeEvent.objects.create(
            course=course, occurred_on=course.start_date, description="moved house"
        ),
        "area": area,
        "goal": Goal.objects.create(problem_area=area, text="talk about chores"),
        "anonymous": None,
        "therapist": therapist,
        "colleague": colleague,
        "supervisor": supervisor,
        "clinic_admin": clinic_admin,
        "other_admin": other_admin,
        "other_therapist": other_therapist,
        "inactive_user": inactive_user,
    }


@pytest.fixture
def rich_world(world, therapist):
    """The access-matrix world plus a course well under way: held, signed, measured."""
    course = open_course(
        make_patient(therapist, given_name="Rich", family_name="World"),
        start=timezone.localdate() - timedelta(weeks=6),
    )
    request = request_as(therapist)
    for number in (1, 2, 3, 4, 5):
        session = course.sessions.get(number=number)
        attend(session)
        services.measure_record(
            request=request,
            session=session,
            kind="phq9",
            answers={f"item_{n}": 1 for n in range(1, 10)},
        )
        services.session_note_save(
            request=request,
            session=session,
            fields={"progress_note": f"Progress {number}", "risk_check_note": "Checked."},
        )
        services.private_note_save(request=request, session=session, text="PRIVATE-CANARY")
        if number < 5:
            services.session_sign(request=request, session=session)
    person = Relationship.objects.create(course=course, name="Sam", relation="husband")
    LifeEvent.objects.create(course=course, occurred_on=course.start_date, description="Row")
    area = ProblemArea.objects.create(course=course, area="role_dispute", other_party=person)
    Goal.objects.create(problem_area=area, text="talk")
    world["rich_course"] = course
    return world
