from datetime import date, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ipt_clinic.accounts.models import AuditEvent, Supervision
from oversight import store
from oversight.models import FidelityRating, NoteReview, SupervisionNote
from patients.models import Patient
from sessions import services as session_services
from sessions.models import Course, TherapySession
from tests.conftest import attend, make_patient, miss, open_course


def bulk_courses(therapist, count, offset=0):
    """`count` open courses with two sessions each, inserted in bulk."""
    start = timezone.localdate() - timedelta(weeks=2)
    patients = Patient.objects.bulk_create(
        Patient(
            clinic=therapist.clinic,
            therapist=therapist,
            record_number=f"B{therapist.pk}-{offset + i}",
            given_name="Bulk",
            family_name=f"Patient{i}",
            date_of_birth="1980-01-01",
        )
        for i in range(count)
    )
    courses = Course.objects.bulk_create(
        Course(
            patient=p,
            therapist=therapist,
            start_date=start,
            usual_weekday=start.weekday(),
            usual_time=time(10),
            indication="x",
            status="active",
        )
        for p in patients
    )
    now = timezone.now()
    TherapySession.objects.bulk_create(
        TherapySession(
            course=c,
            number=n,
            scheduled_start=now - timedelta(weeks=3 - n),
            attendance="attended" if n == 1 else "scheduled",
            actual_minutes=50 if n == 1 else None,
        )
        for c in courses
        for n in (1, 2)
    )
    return courses


def test_dashboard_queries_do_not_grow(client_for, supervisor, therapist, queries_for):
    client = client_for(supervisor)
    store.refresh(c.pk for c in bulk_courses(therapist, 10))
    ten = queries_for(client, reverse("supervisor_home"), flag="any")
    store.refresh(c.pk for c in bulk_courses(therapist, 990, offset=10))
    response = client.get(reverse("supervisor_home"), {"flag": "any"})
    assert response.context["page"].paginator.count == 1000  # all gone 14 days without a session
    assert queries_for(client, reverse("supervisor_home"), flag="any") == ten <= 15


def test_a_course_written_around_the_services_is_still_listed(client_for, supervisor, therapist):
    (course,) = bulk_courses(therapist, 1)
    response = client_for(supervisor).get(reverse("supervisor_home"), {"flag": "gap"})
    assert [row["course"].pk for row in response.context["rows"]] == [course.pk]


def test_dashboard_lists_current_supervisees_only(client_for, supervisor, course, colleague_course):
    html = client_for(supervisor).get(reverse("supervisor_home")).content.decode()
    assert course.patient.full_name in html
    assert colleague_course.patient.full_name not in html


def test_ended_supervision_removes_access_at_once(client_for, supervisor, course):
    client = client_for(supervisor)
    assert client.get(reverse("sessions:course", args=[course.pk])).status_code == 200
    Supervision.objects.filter(supervisor=supervisor).update(
        ends_on=timezone.localdate() - timedelta(days=1)
    )
    assert client.get(reverse("sessions:course", args=[course.pk])).status_code == 404
    assert course.patient.full_name not in client.get(reverse("supervisor_home")).content.decode()


def test_dashboard_filters(client_for, supervisor, therapist):
    flagged = open_course(
        make_patient(therapist, family_name="Missedtwice"),
        start=timezone.localdate() - timedelta(weeks=5),
    )
    for number in [1, 2]:
        miss(flagged.sessions.get(number=number))
    open_course(make_patient(therapist, family_name="Quiet"))
    client = client_for(supervisor)
    by_flag = client.get(reverse("supervisor_home"), {"flag": "missed_in_row"}).content.decode()
    assert "Missedtwice" in by_flag and "Quiet" not in by_flag
    by_phase = client.get(reverse("supervisor_home"), {"phase": "termination"}).content.decode()
    assert "Missedtwice" not in by_phase and "Quiet" not in by_phase
    nonsense = client.get(
        reverse("supervisor_home"),
        {"therapist": "x", "phase": "<b>", "area": "1' OR 1=1", "page": "-3"},
    )
    assert nonsense.status_code == 200


def test_flagged_course_comes_first(client_for, supervisor, therapist):
    open_course(make_patient(therapist, family_name="Aardvark"))
    risky = open_course(
        make_patient(therapist, family_name="Zephyr"),
        start=timezone.localdate() - timedelta(weeks=5),
    )
    for number in [1, 2]:
        miss(risky.sessions.get(number=number))
    html = client_for(supervisor).get(reverse("supervisor_home")).content.decode()
    assert html.index("Zephyr") < html.index("Aardvark")


class TestCourseReview:
    @pytest.fixture
    def signed(self, course, therapist):
        session = course.sessions.get(number=1)
        attend(session)
        actor = therapist
        session_services.session_note_save(
            by=actor, session=session, fields={"progress_note": "Note."}
        )
        session_services.private_note_save(by=actor, session=session, text="PRIVATE-CANARY")
        session_services.session_sign(by=actor, session=session)
        return session

    def test_supervisor_note_reaches_the_therapist(self, client_for, supervisor, therapist, course):
        client_for(supervisor).post(
            reverse("caseload:note_add", args=[course.pk]),
            {"text": "Explore the role dispute with Sam earlier."},
        )
        assert SupervisionNote.objects.get().author == supervisor
        home = client_for(therapist).get(reverse("therapist_home")).content.decode()
        assert "Explore the role dispute" in home
        page = client_for(therapist).get(reverse("sessions:course", args=[course.pk]))
        assert "Explore the role dispute" in page.content.decode()

    def test_colleague_supervisor_cannot_write(self, client_for, clinic, course):
        from tests.conftest import make_user

        other = make_user("other-sup@clinic.test", clinic, is_supervisor=True)
        response = client_for(other).post(
            reverse("caseload:note_add", args=[course.pk]), {"text": "x"}
        )
        assert response.status_code == 404
        assert not SupervisionNote.objects.exists()

    def test_cosign_and_needs_revision(self, client_for, supervisor, signed):
        client = client_for(supervisor)
        url = reverse("caseload:note_review", args=[signed.pk])
        response = client.post(url, {"status": "needs_revision", "comment": ""}, follow=True)
        assert b"Say what needs revising" in response.content
        assert not NoteReview.objects.exists()
        client.post(url, {"status": "co_signed", "comment": "Good work."})
        assert NoteReview.objects.get().status == "co_signed"
        assert AuditEvent.objects.filter(action="sign", user=supervisor).exists()

    def test_a_note_sent_back_waits_on_the_therapist_home_until_co_signed(
        self, client_for, supervisor, therapist, signed
    ):
        url = reverse("caseload:note_review", args=[signed.pk])
        client_for(supervisor).post(
            url, {"status": "needs_revision", "comment": "Record the risk discussion."}
        )
        home = client_for(therapist).get(reverse("therapist_home")).content.decode()
        assert "Note sent back for revision" in home
        assert "Record the risk discussion." in home and "Add an amendment." in home
        session_services.session_amend(
            by=therapist,
            session=signed,
            reason="Supervisor's review",
            text="Risk discussed: no plans or intent.",
        )
        home = client_for(therapist).get(reverse("therapist_home")).content.decode()
        assert "Amended: waiting for the supervisor" in home
        client_for(supervisor).post(url, {"status": "co_signed", "comment": "Thanks."})
        home = client_for(therapist).get(reverse("therapist_home")).content.decode()
        assert "Note sent back for revision" not in home

    def test_review_page_never_shows_private_notes(self, client_for, supervisor, signed):
        html = client_for(supervisor).get(reverse("sessions:session", args=[signed.pk]))
        assert b"PRIVATE-CANARY" not in html.content
        assert b"Supervision of this note" in html.content

    def test_fidelity_side_by_side(self, client_for, supervisor, therapist, signed):
        url = reverse("caseload:fidelity", args=[signed.pk])
        client_for(supervisor).post(
            url, {"checklist": ["symptom_review", "inventory"], "adherence": "4"}
        )
        client_for(therapist).post(url, {"checklist": ["symptom_review"], "adherence": "5"})
        ratings = dict(FidelityRating.objects.values_list("rated_by", "adherence"))
        assert ratings == {"supervisor": 4, "therapist": 5}
        html = client_for(therapist).get(reverse("sessions:session", args=[signed.pk]))
        assert b"Adherence (1" in html.content

    def test_fidelity_bad_input(self, client_for, supervisor, signed):
        url = reverse("caseload:fidelity", args=[signed.pk])
        response = client_for(supervisor).post(
            url, {"checklist": ["relapse_plan"], "adherence": "9"}
        )
        assert response.status_code == 200
        assert b"Select a valid choice" in response.content
        assert not FidelityRating.objects.exists()


def test_after_a_cancelled_session_the_course_is_at_its_next_booked_session(
    client_for, therapist, supervisor
):
    patient = make_patient(therapist, family_name="Cancelled-Six")
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=7) + timedelta(1))
    for number in [1, 2, 3, 4, 5, 7]:
        attend(course.sessions.get(number=number))
    miss(course.sessions.get(number=6), "cancelled")
    assert course.sessions.get(number=8).attendance == "scheduled"

    def row_of(html: str) -> str:
        """The course's row in the page's table (the home lists the day's sessions first)."""
        start = html.index("Cancelled-Six", html.index("<table"))
        return html[start : html.index("</tr>", start)]

    dashboard = client_for(supervisor).get(reverse("supervisor_home")).content.decode()
    home = client_for(therapist).get(reverse("therapist_home")).content.decode()
    course_page = client_for(therapist).get(reverse("sessions:course", args=[course.pk]))
    assert "8 of 12" in row_of(dashboard)
    assert "8 of 12" in row_of(home)
    assert "session 8 of 12" in course_page.content.decode()


def test_someone_not_supervised_is_not_a_filter(
    client_for, supervisor, therapist, colleague_course
):
    open_course(make_patient(therapist, family_name="Supervised"))
    response = client_for(supervisor).get(
        reverse("supervisor_home"), {"therapist": colleague_course.therapist_id}
    )
    html = response.content.decode()
    assert "Supervised" in html  # everyone's courses, as the list says ("all")
    assert colleague_course.patient.full_name not in html


def test_session_days_show_the_year_when_not_this_year(client_for, supervisor, therapist):
    from django.utils.formats import date_format

    last_year = timezone.localdate().year - 1
    course = open_course(make_patient(therapist), start=date(last_year, 12, 31))
    first = timezone.localtime(course.sessions.get(number=1).scheduled_start)
    html = client_for(supervisor).get(reverse("supervisor_home")).content.decode()
    assert f"— / {date_format(first, 'j M Y')}" in html  # nothing held, booked long ago
