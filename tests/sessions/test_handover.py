"""Caseload handover: open courses move to a colleague with their sessions and reminders."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from ipt_clinic.accounts.models import AuditEvent
from patients.models import Patient
from sessions.models import Course, Reminder, TherapySession
from tests.conftest import make_patient, make_user, open_course


def handover(client, therapist, to, courses=(), patients=()):
    return client.post(
        reverse("clinic_admin:handover", args=[therapist.pk]),
        {
            "to_therapist": to.pk,
            "courses": [c.pk for c in courses],
            "patients": [p.pk for p in patients],
        },
    )


def test_handover_moves_courses_future_sessions_and_keeps_reminders_pending(
    client_for, clinic_admin, therapist, colleague, course
):
    second = open_course(make_patient(therapist, given_name="Bea"))
    future = TherapySession.objects.filter(
        course__in=[course, second], scheduled_start__gt=timezone.now()
    )
    pending_before = {
        r.pk: (r.state, r.send_at, r.attempts)
        for r in Reminder.objects.filter(session__in=future, state="pending")
    }
    assert future.exists() and pending_before

    response = handover(client_for(clinic_admin), therapist, colleague, courses=[course, second])
    assert response.status_code == 302

    for moved in (course, second):
        moved.refresh_from_db()
        assert moved.therapist == colleague and moved.is_open
        assert moved.patient.therapist == colleague
    # Sessions belong to the course: the new therapist now holds every future appointment.
    assert set(TherapySession.objects.filter(course__therapist=colleague)) >= set(future)
    pending_after = {
        r.pk: (r.state, r.send_at, r.attempts)
        for r in Reminder.objects.filter(pk__in=pending_before)
    }
    assert pending_after == pending_before
    # ... and the colleague sees the course; the former therapist no longer does.
    page = reverse("sessions:course", args=[course.pk])
    assert client_for(colleague).get(page).status_code == 200
    assert client_for(therapist).get(page).status_code == 404


def test_each_moved_course_is_audited_with_its_patient(
    client_for, clinic_admin, therapist, colleague, course
):
    second = open_course(make_patient(therapist))
    handover(client_for(clinic_admin), therapist, colleague, courses=[course, second])
    events = AuditEvent.objects.filter(object_type="therapy_sessions.course", action="update")
    assert {(e.object_id, e.patient_id) for e in events} == {
        (str(course.pk), course.patient_id),
        (str(second.pk), second.patient_id),
    }
    assert all(e.user == clinic_admin and "Theo Okafor" in e.detail for e in events)


def test_only_the_chosen_courses_move(client_for, clinic_admin, therapist, colleague, course):
    staying = open_course(make_patient(therapist))
    handover(client_for(clinic_admin), therapist, colleague, courses=[course])
    course.refresh_from_db(), staying.refresh_from_db()
    assert course.therapist == colleague and staying.therapist == therapist


def test_closed_courses_stay_with_the_therapist_who_held_them(
    client_for, clinic_admin, therapist, colleague, course
):
    closed = open_course(make_patient(therapist))
    Course.objects.filter(pk=closed.pk).update(
        status=Course.Status.COMPLETED, ended_on=timezone.localdate()
    )
    handover(client_for(clinic_admin), therapist, colleague, courses=[course, closed])
    closed.refresh_from_db()
    assert closed.therapist == therapist


def test_waiting_patients_move_too_and_then_the_therapist_can_be_deactivated(
    client_for, clinic_admin, therapist, colleague, course
):
    waiting = make_patient(therapist, given_name="Wally")
    admin = client_for(clinic_admin)
    html = admin.get(reverse("clinic_admin:handover", args=[therapist.pk])).content.decode()
    assert "Wally" in html and course.patient.family_name in html
    assert "checked" in html  # everything ticked to begin with

    admin.post(reverse("staff:deactivate", args=[therapist.pk]), {"confirm": "yes"})
    therapist.refresh_from_db()
    assert therapist.is_active  # refused: caseload first

    handover(admin, therapist, colleague, courses=[course], patients=[waiting])
    waiting.refresh_from_db()
    assert waiting.therapist == colleague
    admin.post(reverse("staff:deactivate", args=[therapist.pk]), {"confirm": "yes"})
    therapist.refresh_from_db()
    assert not therapist.is_active


def test_receiver_must_be_an_active_therapist_of_the_clinic(
    client_for, clinic_admin, therapist, course, other_therapist, inactive_user, supervisor
):
    admin = client_for(clinic_admin)
    for receiver in (other_therapist, inactive_user, supervisor, therapist):
        response = handover(admin, therapist, receiver, courses=[course])
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    course.refresh_from_db()
    assert course.therapist == therapist


def test_another_therapists_courses_cannot_be_slipped_in(
    client_for, clinic_admin, therapist, colleague, colleague_course, course, clinic
):
    third = make_user("tara@clinic.test", clinic, is_therapist=True)
    response = handover(client_for(clinic_admin), therapist, third, courses=[colleague_course])
    assert response.status_code == 200
    colleague_course.refresh_from_db()
    assert colleague_course.therapist == colleague


def test_handover_is_for_clinic_admins_only(client_for, therapist, supervisor, colleague, course):
    for user in (therapist, supervisor):
        response = handover(client_for(user), therapist, colleague, courses=[course])
        assert response.status_code == 403
    course.refresh_from_db()
    assert course.therapist == therapist


def test_handover_page_queries_do_not_grow_with_the_caseload(
    client_for, clinic_admin, therapist, queries_for
):
    admin = client_for(clinic_admin)
    url = reverse("clinic_admin:handover", args=[therapist.pk])
    open_course(make_patient(therapist))
    make_patient(therapist)  # waiting for a course
    few = queries_for(admin, url)
    for _ in range(5):
        open_course(make_patient(therapist), start=timezone.localdate() + timedelta(days=3))
        make_patient(therapist)
    assert queries_for(admin, url) == few
    assert Patient.objects.filter(therapist=therapist).count() == 12


class TestAuthorshipStaysTrue:
    """After a handover, a draft written by the previous therapist keeps its author and who
    held the session; the new therapist countersigns it, never signs it as their own."""

    def _drafted(self, course):
        from sessions import services
        from tests.conftest import attend

        session = attend(course.sessions.get(number=1))
        services.session_note_save(
            by=course.therapist, session=session, fields={"progress_note": "Written by Ann."}
        )
        return session

    def test_the_new_therapist_countersigns_and_the_note_keeps_its_author(
        self, client_for, clinic_admin, therapist, colleague, course
    ):
        from django.core.exceptions import ValidationError

        from sessions import services

        session = self._drafted(course)
        handover(client_for(clinic_admin), therapist, colleague, courses=[course])
        session.refresh_from_db()
        # The new therapist edits the draft: it is still the first author's note.
        services.session_note_save(
            by=colleague, session=session, fields={"progress_note": "Written by Ann. Read."}
        )
        session.refresh_from_db()
        assert (session.held_by, session.note_author) == (therapist, therapist)

        page = client_for(colleague).get(reverse("sessions:session", args=[session.pk]))
        text = page.content.decode()
        assert f"Session held by {therapist.full_name}" in text
        assert f"note written by {therapist.full_name}" in text
        assert "Review and countersign" in text and ">Sign the note<" not in text

        # Signing it as their own is refused, by the service too.
        try:
            services.session_sign(by=colleague, session=session)
        except ValidationError as error:
            assert "countersigned" in error.messages[0]
        else:
            raise AssertionError("a colleague signed another's note as their own")
        session.refresh_from_db()
        assert not session.is_signed

        response = client_for(colleague).post(
            reverse("sessions:session_sign", args=[session.pk]), {"countersign": "1"}
        )
        assert response.status_code == 302
        session.refresh_from_db()
        assert session.signed_by == colleague and session.note_author == therapist
        assert session.is_countersigned
        assert AuditEvent.objects.filter(
            action="sign", object_id=str(session.pk), detail="countersigned"
        ).exists()
        page = client_for(colleague).get(reverse("sessions:session", args=[session.pk]))
        assert f"reviewed and countersigned by {colleague.full_name}" in page.content.decode()

    def test_the_author_signs_as_their_own(self, client_for, therapist, course):
        session = self._drafted(course)
        response = client_for(therapist).post(reverse("sessions:session_sign", args=[session.pk]))
        assert response.status_code == 302
        session.refresh_from_db()
        assert session.signed_by == therapist and not session.is_countersigned

    def test_a_note_first_written_after_the_handover_is_the_new_therapists(
        self, client_for, clinic_admin, therapist, colleague, course
    ):
        from sessions import services
        from tests.conftest import attend

        session = attend(course.sessions.get(number=1))
        handover(client_for(clinic_admin), therapist, colleague, courses=[course])
        session.refresh_from_db()
        services.session_note_save(by=colleague, session=session, fields={"progress_note": "B."})
        services.session_sign(by=colleague, session=session)
        session.refresh_from_db()
        assert session.held_by == therapist and session.note_author == colleague
        assert not session.is_countersigned
