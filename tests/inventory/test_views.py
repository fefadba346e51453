from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import LifeEvent, ProblemArea, Relationship
from ipt_clinic.accounts.models import AuditEvent
from sessions import services as session_services
from tests.conftest import attend


def test_quick_add_a_person(client_for, therapist, course):
    response = client_for(therapist).post(
        reverse("inventory:inventory", args=[course.pk]),
        {
            "name": "Sam",
            "relation": "husband",
            "ring": "1",
            "contact": "daily",
            "changed_around_onset": "on",
        },
    )
    assert response.status_code == 302
    person = Relationship.objects.get()
    assert (person.ring, person.changed_around_onset) == (1, True)
    assert AuditEvent.objects.filter(
        action="create", object_type="inventory.relationship", patient_id=course.patient_id
    ).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "relation": "husband", "ring": "1", "contact": "daily"}, "required"),
        (
            {"name": "Sam", "relation": "husband", "ring": "4", "contact": "daily"},
            "Select a valid choice",
        ),
        (
            {"name": "Sam", "relation": "husband", "ring": "1", "contact": "hourly"},
            "Select a valid choice",
        ),
        (
            {"name": "S" * 81, "relation": "husband", "ring": "1", "contact": "daily"},
            "at most 80 characters",
        ),
    ],
)
def test_quick_add_bad_input_keeps_the_rest(client_for, therapist, course, data, message):
    response = client_for(therapist).post(reverse("inventory:inventory", args=[course.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'value="husband"' in response.content.decode()
    assert not Relationship.objects.exists()


def test_future_life_event_is_refused_with_its_text_kept(client_for, therapist, course):
    future = (timezone.localdate() + timedelta(days=5)).isoformat()
    response = client_for(therapist).post(
        reverse("inventory:timeline", args=[course.pk]),
        {
            "occurred_on": future,
            "kind": "event",
            "description": "Wedding planned",
            "mood_effect": "none",
        },
    )
    assert b"The timeline records what has happened" in response.content
    assert b"Wedding planned" in response.content
    assert not LifeEvent.objects.exists()


def test_event_linked_to_a_person_of_this_inventory_is_saved(client_for, therapist, course, people):
    response = client_for(therapist).post(
        reverse("inventory:timeline", args=[course.pk]),
        {
            "occurred_on": course.start_date.isoformat(),
            "kind": "event",
            "description": "Argument about money",
            "mood_effect": "worse",
            "relationship": people["partner"].pk,
        },
    )
    assert response.status_code == 302
    assert LifeEvent.objects.get().relationship == people["partner"]


def test_event_linked_to_a_person_of_another_course_is_refused(
    client_for, therapist, course, colleague_course
):
    stranger = Relationship.objects.create(course=colleague_course, name="X", relation="y")
    response = client_for(therapist).post(
        reverse("inventory:timeline", args=[course.pk]),
        {
            "occurred_on": course.start_date.isoformat(),
            "kind": "event",
            "description": "Row",
            "mood_effect": "worse",
            "relationship": stranger.pk,
        },
    )
    assert b"Select a valid choice" in response.content
    assert not LifeEvent.objects.exists()


def test_formulation_errors_sit_beside_their_fields(client_for, therapist, course, people):
    response = client_for(therapist).post(
        reverse("inventory:formulation", args=[course.pk]),
        {
            "text": "Kept formulation",
            "primary_area": "grief",
            "primary_person": people["friend"].pk,
        },
    )
    html = response.content.decode()
    assert "For grief, choose a person marked as deceased." in html
    assert "Kept formulation" in html
    assert not ProblemArea.objects.exists()


def test_formulation_errors_come_all_at_once(client_for, therapist, course, people):
    response = client_for(therapist).post(
        reverse("inventory:formulation", args=[course.pk]),
        {
            "text": "Kept formulation",
            "primary_area": "grief",
            "primary_person": people["friend"].pk,  # living
            "secondary_area": "grief",  # the same as the primary
            "agreed_on": (timezone.localdate() + timedelta(days=3)).isoformat(),  # future
        },
    )
    html = response.content.decode()
    assert "is dated from a year before the course" in html
    assert "For grief, choose a person marked as deceased." in html
    assert "The secondary area must differ from the primary one." in html
    assert not ProblemArea.objects.exists()


def test_supervisor_reads_but_cannot_write(client_for, supervisor, course, people):
    client = client_for(supervisor)
    html = client.get(reverse("inventory:inventory", args=[course.pk])).content.decode()
    assert "Sam" in html and "Add to the inventory" not in html
    response = client.post(
        reverse("inventory:inventory", args=[course.pk]),
        {"name": "Intruder", "relation": "x", "ring": "1", "contact": "daily"},
    )
    assert response.status_code == 404
    assert not Relationship.objects.filter(name="Intruder").exists()


def test_colleague_gets_404_everywhere(client_for, colleague, course, people):
    client = client_for(colleague)
    for name in [
        "inventory:inventory",
        "inventory:timeline",
        "inventory:formulation",
        "inventory:course_summary",
        "inventory:circle",
    ]:
        assert client.get(reverse(name, args=[course.pk])).status_code == 404
    assert (
        client.post(reverse("inventory:person_remove", args=[people["friend"].pk])).status_code
        == 404
    )


def test_summary_never_shows_private_notes(client_for, therapist, supervisor, course):
    session = course.sessions.get(number=1)
    attend(session)
    session_services.private_note_save(by=therapist, session=session, text="PRIVATE-CANARY")
    for user in (therapist, supervisor):
        html = (
            client_for(user)
            .get(reverse("inventory:course_summary", args=[course.pk]))
            .content.decode()
        )
        assert "PRIVATE-CANARY" not in html
        assert "IPT course summary" in html
    assert AuditEvent.objects.filter(action="export", patient_id=course.patient_id).count() == 2


def _fill(course, count):
    Relationship.objects.bulk_create(
        Relationship(course=course, name=f"P{i}", relation="friend", ring=1 + i % 3)
        for i in range(count)
    )
    LifeEvent.objects.bulk_create(
        LifeEvent(
            course=course,
            occurred_on=course.start_date - timedelta(days=i),
            description=f"event {i}",
        )
        for i in range(count)
    )


@pytest.mark.parametrize(
    ("url_name", "at_most"),
    [
        ("inventory:inventory", 12),
        ("inventory:timeline", 12),
        ("inventory:formulation", 16),
        ("inventory:circle", 11),
        ("inventory:course_summary", 17),  # 13, and the risk history: 4
    ],
)
def test_queries_do_not_grow_with_people_and_events(
    client_for, therapist, course, url_name, at_most, queries_for
):
    client = client_for(therapist)
    url = reverse(url_name, args=[course.pk])
    _fill(course, 2)
    few = queries_for(client, url)
    _fill(course, 38)
    assert queries_for(client, url) == few <= at_most


class TestFocusBeforeSigning:
    """A middle-phase note is signed only once what the session worked on is recorded, and
    the form makes no choice for the therapist (it used to default to drift)."""

    @pytest.fixture
    def middle_session(self, patient, therapist):
        from tests.conftest import open_course

        course = open_course(
            patient,
            start=timezone.localdate() - timedelta(weeks=6),
            baseline={"phq9": {f"item_{n}": 2 for n in range(1, 9)} | {"item_9": 0}},
        )
        session = course.sessions.get(number=5)
        attend(session)
        session_services.session_note_save(
            by=therapist, session=session, fields={"progress_note": "Worked on the move."}
        )
        ProblemArea.objects.create(course=course, area="role_transition")
        return session

    def test_saving_without_a_choice_records_nothing(self, client_for, therapist, middle_session):
        from inventory.models import SessionFocus

        url = reverse("inventory:session_focus", args=[middle_session.pk])
        client = client_for(therapist)
        assert (
            "checked" not in client.get(url).content.decode().split('name="worked_on"', 1)[1][:200]
        )
        response = client.post(url, {})
        assert "Choose what the session worked on." in response.content.decode()
        assert not SessionFocus.objects.exists()

    def test_signing_waits_for_the_focus(self, client_for, therapist, middle_session):
        from django.core.exceptions import ValidationError

        from inventory.models import SessionFocus

        with pytest.raises(ValidationError, match="worked on"):
            session_services.session_sign(by=therapist, session=middle_session)
        page = client_for(therapist).get(reverse("sessions:session", args=[middle_session.pk]))
        assert "Record what this session worked on" in page.content.decode()
        client_for(therapist).post(
            reverse("inventory:session_focus", args=[middle_session.pk]),
            {"worked_on": "risk"},
        )
        assert SessionFocus.objects.get().kind == "risk"
        session_services.session_sign(by=therapist, session=middle_session)
