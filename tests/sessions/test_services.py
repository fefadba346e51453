from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ipt_clinic.accounts.models import AuditEvent
from sessions import services
from sessions.models import Course, CourseContractChange, Measure, PrivateNote, TherapySession
from tests.conftest import attend, make_patient, open_course

PHQ9_14 = {f"item_{n}": a for n, a in enumerate([2, 2, 3, 2, 1, 2, 1, 1, 0], 1)}


def phq9(item_9=0, total_without_9=14):
    answers = dict(PHQ9_14)
    answers["item_9"] = item_9
    return answers


def test_opening_a_course_books_sessions_and_audits(course, therapist):
    assert course.status == Course.Status.PLANNED
    assert course.sessions.count() == 12
    assert AuditEvent.objects.filter(
        action="create", object_type="therapy_sessions.course", patient_id=course.patient_id
    ).exists()


def test_one_open_course_per_patient(course, patient):
    with pytest.raises(ValidationError, match="already has an open"):
        open_course(patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.create(
            patient=patient,
            therapist=patient.therapist,
            start_date=timezone.localdate(),
            usual_weekday=0,
            usual_time="10:00",
            indication="x",
        )


def test_a_new_course_may_follow_a_closed_one(course, patient):
    services.course_end_early(
        by=patient.therapist,
        course=course,
        reason="moved away",
        ended_on=timezone.localdate(),
    )
    assert open_course(patient).status == Course.Status.PLANNED


def test_baseline_measure_is_kept_item_by_item(patient):
    course = open_course(patient, baseline={"phq9": {**phq9(), "difficulty": 2}})
    baseline = course.measures.get()
    assert baseline.session is None and baseline.total == 14 and baseline.item_3 == 3


def test_attending_the_first_session_activates_the_course(first_session):
    attend(first_session)
    first_session.course.refresh_from_db()
    assert first_session.course.status == Course.Status.ACTIVE


def test_a_future_session_can_only_be_cancelled(course, therapist):
    future = course.sessions.get(number=6)
    with pytest.raises(ValidationError, match="only be cancelled"):
        attend(future)
    services.session_record_attendance(
        by=therapist,
        session=future,
        attendance="cancelled",
        cancelled_by="patient",
        cancellation_reason="holiday",
    )
    future.refresh_from_db()
    assert future.attendance == "cancelled" and future.actual_minutes is None


class TestContract:
    def test_lengthening_books_sessions_after_the_last(self, course, therapist):
        last = course.sessions.get(number=12).scheduled_start
        services.course_renegotiate(
            by=therapist,
            course=course,
            new_planned=14,
            reason="grief work needs more time",
            agreed_with_patient=True,
            changed_on=timezone.localdate(),
        )
        course.refresh_from_db()
        assert course.planned_sessions == 14
        new = course.sessions.filter(number__gt=12).order_by("number")
        assert [s.scheduled_start - last for s in new] == [timedelta(weeks=1), timedelta(weeks=2)]
        change = CourseContractChange.objects.get()
        assert (change.old_planned, change.new_planned, change.agreed_with_patient) == (
            12,
            14,
            True,
        )

    def test_shortening_cancels_the_extra_sessions_and_can_be_undone(self, course, therapist):
        actor = therapist
        services.course_renegotiate(
            by=actor,
            course=course,
            new_planned=16,
            reason="a",
            agreed_with_patient=True,
            changed_on=timezone.localdate(),
        )
        services.course_renegotiate(
            by=actor,
            course=course,
            new_planned=13,
            reason="b",
            agreed_with_patient=True,
            changed_on=timezone.localdate(),
        )
        states = dict(course.sessions.values_list("number", "attendance"))
        assert [states[n] for n in (13, 14, 15, 16)] == [
            "scheduled",
            "cancelled",
            "cancelled",
            "cancelled",
        ]
        services.course_renegotiate(
            by=actor,
            course=course,
            new_planned=15,
            reason="c",
            agreed_with_patient=False,
            changed_on=timezone.localdate(),
        )
        assert course.sessions.filter(attendance="scheduled").count() == 15
        assert CourseContractChange.objects.count() == 3

    def test_never_below_sessions_already_held(self, patient, therapist):
        course = open_course(patient, start=timezone.localdate() - timedelta(weeks=13), planned=14)
        for session in course.sessions.filter(number__lte=13):
            attend(session)
        with pytest.raises(ValidationError) as error:
            services.course_renegotiate(
                by=therapist,
                course=course,
                new_planned=12,
                reason="x",
                agreed_with_patient=True,
                changed_on=timezone.localdate(),
            )
        assert "Session 13 has already taken place" in str(error.value)
        course.refresh_from_db()
        assert course.planned_sessions == 14

    @pytest.mark.parametrize("planned", [11, 17])
    def test_database_keeps_the_contract_within_12_to_16(self, course, planned):
        with pytest.raises(IntegrityError), transaction.atomic():
            Course.objects.filter(pk=course.pk).update(planned_sessions=planned)


class TestSigning:
    def test_sign_needs_an_attended_session_and_a_progress_note(self, first_session, therapist):
        with pytest.raises(ValidationError):
            services.session_sign(by=therapist, session=first_session)
        attend(first_session)
        with pytest.raises(ValidationError, match="progress note"):
            services.session_sign(by=therapist, session=first_session)

    def test_item_9_requires_a_risk_assessment_before_signing(self, first_session, therapist):
        """A typed risk-check note used to be enough: any character unlocked signing."""
        from risk import services as risk_services
        from risk.models import RiskEpisode
        from tests.risk.test_pathway import ASSESSED

        actor = therapist
        attend(first_session)
        services.measure_record(
            by=actor, session=first_session, kind="phq9", answers=phq9(item_9=1)
        )
        services.session_note_save(
            by=actor,
            session=first_session,
            fields={"progress_note": "Low mood.", "risk_check_note": "x"},
        )
        with pytest.raises(ValidationError, match="risk assessment"):
            services.session_sign(by=actor, session=first_session)
        risk_services.assessment_record(
            by=actor, episode=RiskEpisode.objects.get(), session=first_session, fields=ASSESSED
        )
        services.session_sign(by=actor, session=first_session)
        first_session.refresh_from_db()
        assert first_session.is_signed and first_session.signed_by == therapist

    def test_an_opening_item_9_needs_a_re_check_at_every_session_while_open(self, patient):
        """It used to be followed up once, at "the next session's note"."""
        from risk import services as risk_services
        from risk.models import RiskEpisode
        from tests.risk.test_pathway import ASSESSED

        course = open_course(patient, baseline={"phq9": phq9(item_9=2)})
        episode = RiskEpisode.objects.get(course=course)
        first, second = course.sessions.get(number=1), course.sessions.get(number=2)
        actor = patient.therapist
        for session in (first, second):
            attend(session)
            services.session_note_save(
                by=actor, session=session, fields={"progress_note": "Low mood."}
            )
        for session in (first, second):
            with pytest.raises(ValidationError, match="re-check"):
                services.session_sign(by=actor, session=session)
            risk_services.assessment_record(
                by=actor, episode=episode, session=session, fields=ASSESSED
            )
            services.session_sign(by=actor, session=session)

    def test_signed_note_changes_only_by_amendment(self, first_session, therapist):
        actor = therapist
        attend(first_session)
        services.session_note_save(
            by=actor, session=first_session, fields={"progress_note": "Original."}
        )
        services.session_sign(by=actor, session=first_session)
        with pytest.raises(ValidationError, match="amendment"):
            services.session_note_save(
                by=actor, session=first_session, fields={"progress_note": "Rewritten."}
            )
        with pytest.raises(ValidationError, match="signed"):
            services.measure_record(by=actor, session=first_session, kind="phq9", answers=phq9())
        services.session_amend(by=actor, session=first_session, reason="typo", text="Correction.")
        first_session.refresh_from_db()
        assert first_session.progress_note == "Original."
        assert first_session.amendments.get().text == "Correction."
        actions = set(
            AuditEvent.objects.filter(object_id=str(first_session.pk)).values_list(
                "action", flat=True
            )
        )
        assert {"sign", "amend", "update"} <= actions


class TestMeasures:
    def test_total_and_band_are_computed(self, first_session, therapist):
        attend(first_session)
        measure = services.measure_record(
            by=therapist, session=first_session, kind="phq9", answers=phq9()
        )
        measure.refresh_from_db()
        assert measure.total == 14 and measure.band == "moderate"

    def test_correcting_a_measure_keeps_one_row(self, first_session, therapist):
        attend(first_session)
        actor = therapist
        services.measure_record(by=actor, session=first_session, kind="phq9", answers=phq9())
        services.measure_record(
            by=actor, session=first_session, kind="phq9", answers={**phq9(), "item_1": 0}
        )
        assert Measure.objects.get().total == 12

    def test_database_refuses_out_of_range_items(self, course, therapist):
        with pytest.raises(IntegrityError), transaction.atomic():
            Measure.objects.create(
                course=course,
                kind="gad7",
                recorded_by=therapist,
                **{f"item_{n}": 1 for n in range(1, 7)},
                item_7=4,
            )

    def test_database_refuses_gad7_with_phq9_items(self, course, therapist):
        with pytest.raises(IntegrityError), transaction.atomic():
            Measure.objects.create(
                course=course,
                kind="gad7",
                recorded_by=therapist,
                **{f"item_{n}": 1 for n in range(1, 10)},
            )


def test_private_note_belongs_to_its_author(first_session, therapist):
    services.private_note_save(by=therapist, session=first_session, text="My countertransference.")
    note = PrivateNote.objects.get()
    assert note.author == therapist
    # The private text lives in its own table, never on the session record.
    assert "countertransference" not in str(
        TherapySession.objects.filter(pk=first_session.pk).values().get()
    )


def test_completing_needs_a_termination_session(patient, therapist, monkeypatch):
    from ipt_clinic import hooks

    # Only the sessions app's own rule here; inventory adds the termination review (tested there).
    monkeypatch.setattr(hooks.completion_checks, "_registered", [])
    course = open_course(patient, start=timezone.localdate() - timedelta(weeks=12))
    attend(course.sessions.get(number=1))
    with pytest.raises(ValidationError, match="termination"):
        services.course_complete(by=therapist, course=course, ended_on=timezone.localdate())
    attend(course.sessions.get(number=10))
    services.course_complete(by=therapist, course=course, ended_on=timezone.localdate())
    course.refresh_from_db()
    assert course.status == "completed"
    assert not course.sessions.filter(attendance="scheduled").exists()


def test_a_course_cannot_end_before_it_began_or_before_its_last_session(patient, therapist):
    start = timezone.localdate() - timedelta(weeks=12)
    course = open_course(patient, start=start)
    attend(course.sessions.get(number=1))
    attend(course.sessions.get(number=3))
    actor = therapist
    with pytest.raises(ValidationError, match="cannot end before"):
        services.course_end_early(
            by=actor, course=course, reason="moved", ended_on=start - timedelta(days=1)
        )
    with pytest.raises(ValidationError, match="Session 3 took place"):
        services.course_end_early(
            by=actor, course=course, reason="moved", ended_on=start + timedelta(days=8)
        )
    with pytest.raises(ValidationError, match="today or earlier"):
        services.course_end_early(
            by=actor,
            course=course,
            reason="moved",
            ended_on=timezone.localdate() + timedelta(days=1),
        )
    course.refresh_from_db()
    assert course.is_open
    services.course_end_early(
        by=actor, course=course, reason="moved", ended_on=start + timedelta(weeks=3)
    )


def test_archived_patient_gets_no_new_course(therapist):
    from patients import services as patient_services

    patient = make_patient(therapist)
    patient_services.patient_archive(by=therapist, patient=patient)
    with pytest.raises(ValidationError, match="archive"):
        open_course(patient)


def test_a_signed_note_is_amended_after_the_course_is_closed(client_for, patient):
    """Late corrections are routine: a closed course's signed notes still take amendments."""
    from django.urls import reverse

    course = open_course(patient)
    session = course.sessions.get(number=1)
    actor = patient.therapist
    attend(session)
    services.session_note_save(by=actor, session=session, fields={"progress_note": "First."})
    services.session_sign(by=actor, session=session)
    services.course_end_early(
        by=actor, course=course, reason="Moved away", ended_on=timezone.localdate()
    )
    page = client_for(actor).get(reverse("sessions:session", args=[session.pk]))
    assert "Add an amendment" in page.content.decode()
    client_for(actor).post(
        reverse("sessions:session_amend", args=[session.pk]),
        {"reason": "Date of the GP letter", "text": "GP letter sent on the 3rd."},
    )
    assert session.amendments.get().text == "GP letter sent on the 3rd."
