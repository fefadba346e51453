"""Writes of the risk pathway: each in one transaction, each audited, each telling
hooks.course_changed (the caseload flags read the episodes)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ipt_clinic.accounts.access import supervisors_of
from ipt_clinic.accounts.audit import Action
from ipt_clinic.accounts.models import User
from ipt_clinic.versions import EditVersion, locked_one
from sessions.models import Course, Measure, TherapySession
from sessions.services import course_audit, course_changed, locked_course

from .models import RiskAlert, RiskAssessment, RiskEpisode, SafetyPlan
from .tasks import risk_alert_send

Attendance = TherapySession.Attendance


def alert_recipients(course: Course) -> list[User]:
    """Who must acknowledge an alert: the treating therapist's supervisors today, or, when
    they have none, the clinic's duty clinician (never the therapist themself)."""
    recipients = list(supervisors_of(course.therapist).filter(is_active=True))
    if recipients:
        return recipients
    clinic = course.patient.clinic
    duty = clinic.duty_clinician
    if (
        duty is not None
        and duty.is_active
        and duty.clinic_id == clinic.pk
        and duty.pk != course.therapist_id
    ):
        return [duty]
    return []


def _open(
    *, by: User, course: Course, source: str, measure=None, session=None, reason=""
) -> RiskEpisode:
    episode = RiskEpisode(
        course=course,
        source=source,
        measure=measure,
        session=session,
        reason=reason,
        opened_by=by,
    )
    episode.full_clean()
    episode.save()
    course_audit(by, Action.CREATE, episode, course, detail="risk episode opened")
    for recipient in alert_recipients(course):
        alert = RiskAlert.objects.create(episode=episode, recipient=recipient)
        transaction.on_commit(lambda pk=alert.pk: risk_alert_send.delay(pk))
    course_changed(course)
    return episode


def sessions_not_rechecked(episode: RiskEpisode) -> list[TherapySession]:
    """The sessions held since the episode opened that have no assessment of their own."""
    assessed = set(episode.assessments.values_list("session_id", flat=True))
    held = TherapySession.objects.filter(
        course_id=episode.course_id, attendance=Attendance.ATTENDED
    ).order_by("number")
    return [s for s in held if episode.covers(s) and s.pk not in assessed]


def _alert_again(*, by: User, episode: RiskEpisode, measure: Measure) -> None:
    """A new positive item 9 while the episode is open: each recipient who had acknowledged
    the alert is alerted again (the acknowledgement before it stays in the audit trail)."""
    for alert in RiskAlert.objects.select_for_update().filter(
        episode=episode, acknowledged_at__isnull=False
    ):
        alert.acknowledged_at = None
        alert.created_at = timezone.now()
        alert.save(update_fields=["acknowledged_at", "created_at"])
        course_audit(
            by,
            Action.UPDATE,
            alert,
            episode.course,
            detail="risk alert raised again: a new PHQ-9 item 9 above 0",
        )
        transaction.on_commit(lambda pk=alert.pk: risk_alert_send.delay(pk))


def episode_open_for_measure(measure: Measure, by: User) -> RiskEpisode | None:
    """A PHQ-9 whose item 9 is above 0 opens an episode at once (hooks.measure_recorded),
    whatever its source. When one is open already, its re-check covers the answer, and the
    alert is raised again if the answer comes from a later session than the episode's."""
    if not measure.self_harm_positive:
        return None
    course = locked_course(measure.course)
    episode = RiskEpisode.objects.open().filter(course=course).select_related("session").first()
    if episode is not None:
        if measure.session_id not in (None, episode.session_id) and (
            episode.session is None or measure.session.number > episode.session.number
        ):
            _alert_again(by=by, episode=episode, measure=measure)
            course_changed(course)
        return None
    return _open(
        by=by,
        course=course,
        source=RiskEpisode.Source.ITEM_9,
        measure=measure,
        session=measure.session,
    )


@transaction.atomic
def episode_open(
    *, by: User, course: Course, reason: str, session: TherapySession | None = None
) -> RiskEpisode:
    """The therapist notes risk, at a session or between sessions."""
    course = locked_course(course)  # two openings at once make one episode
    if not course.is_open:
        raise ValidationError("This course is closed.")
    if RiskEpisode.objects.open().filter(course=course).exists():
        raise ValidationError("Risk is already open for this course: add an assessment to it.")
    if not reason.strip():
        raise ValidationError({"reason": "Say what was noticed."})
    if session is not None and session.course_id != course.pk:
        raise ValidationError("Choose a session of this course.")
    if session is not None and session.is_signed:
        raise ValidationError(
            f"Session {session.number}'s note is signed: note the risk without a session "
            "(between sessions), from the course page."
        )
    return _open(
        by=by, course=course, source=RiskEpisode.Source.NOTED, session=session, reason=reason
    )


def _locked_episode(episode: RiskEpisode) -> RiskEpisode:
    return (
        RiskEpisode.objects.select_for_update(of=("self",))
        .select_related("course__patient__clinic")
        .get(pk=episode.pk)
    )


def _check_open(episode: RiskEpisode) -> None:
    if not episode.is_open:
        raise ValidationError("This risk episode is closed.")
    if not episode.course.is_open:
        raise ValidationError("This course is closed.")


@transaction.atomic
def assessment_record(
    *,
    by: User,
    episode: RiskEpisode,
    session: TherapySession | None,
    fields: dict,
    based_on: EditVersion | None = None,
) -> RiskAssessment:
    """Record (or, until the session's note is signed, correct) the assessment made at a
    session, or one made between sessions (`session` None)."""
    episode = _locked_episode(episode)
    _check_open(episode)
    if session is not None:
        session = TherapySession.objects.select_for_update().get(pk=session.pk)
        if session.course_id != episode.course_id:
            raise ValidationError("Choose a session of this course.")
        if session.attendance != Attendance.ATTENDED:
            raise ValidationError("Record that the session took place before assessing at it.")
        if session.is_signed:
            raise ValidationError("The session's note is signed; assess between sessions.")
    existing = None
    if session is not None:
        existing = locked_one(
            RiskAssessment.objects.filter(episode=episode, session=session),
            based_on,
            blank=RiskAssessment(episode=episode, session=session),
        )
    assessment = existing or RiskAssessment(episode=episode, session=session)
    for name, value in fields.items():
        setattr(assessment, name, value)
    assessment.assessed_by = by
    assessment.assessed_at = timezone.now()
    assessment.full_clean()
    assessment.save()
    course_audit(by, Action.UPDATE if existing else Action.CREATE, assessment, episode.course)
    course_changed(episode.course)
    return assessment


@transaction.atomic
def safety_plan_save(
    *, by: User, episode: RiskEpisode, fields: dict, based_on: EditVersion | None = None
) -> SafetyPlan:
    episode = _locked_episode(episode)
    _check_open(episode)
    plan = locked_one(
        SafetyPlan.objects.filter(episode=episode), based_on, blank=SafetyPlan(episode=episode)
    )
    created = plan is None
    plan = plan or SafetyPlan(episode=episode)
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.updated_by = by
    plan.full_clean()
    plan.save()
    course_audit(by, Action.CREATE if created else Action.UPDATE, plan, episode.course)
    return plan


@transaction.atomic
def episode_close(*, by: User, episode: RiskEpisode, review: str) -> RiskEpisode:
    """Close the episode with a documented review; it needs an assessment first."""
    episode = _locked_episode(episode)
    if not episode.is_open:
        raise ValidationError("This risk episode is already closed.")
    if not review.strip():
        raise ValidationError({"review": "Write the review that closes the episode."})
    if not episode.assessments.exists():
        raise ValidationError("Record a risk assessment before closing the episode.")
    if unchecked := sessions_not_rechecked(episode):
        numbers = ", ".join(str(session.number) for session in unchecked)
        raise ValidationError(
            f"Record the re-check of session {numbers} (held while risk was open) before "
            "closing the episode."
        )
    episode.closed_at = timezone.now()
    episode.closed_by = by
    episode.closing_review = review.strip()
    episode.full_clean()
    episode.save(update_fields=["closed_at", "closed_by", "closing_review"])
    course_audit(by, Action.UPDATE, episode, episode.course, detail="risk episode closed")
    course_changed(episode.course)
    return episode


@transaction.atomic
def alert_acknowledge(*, by: User, alert: RiskAlert) -> RiskAlert:
    alert = RiskAlert.objects.select_for_update().select_related("episode__course").get(pk=alert.pk)
    if alert.recipient_id != by.pk:
        raise ValidationError("This alert is for someone else.")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.save(update_fields=["acknowledged_at"])
        course_audit(
            by, Action.UPDATE, alert, alert.episode.course, detail="risk alert acknowledged"
        )
        course_changed(alert.episode.course)
    return alert


def episode_still_open(course: Course) -> list[str]:
    """hooks.ending_checks: a course does not end, even when the patient drops out, while its
    risk episode is open (the risk would leave every caseload view with the course)."""
    if not RiskEpisode.objects.open().filter(course=course).exists():
        return []
    return [
        "Risk is open for this course: assess it and close the risk episode with a documented "
        "review before the course ends."
    ]


def assessment_missing(session: TherapySession) -> list[str]:
    """hooks.sign_checks: while risk is open, each session held needs its own assessment
    before its note is signed (the re-check)."""
    episode = (
        RiskEpisode.objects.open().filter(course_id=session.course_id).select_related("session")
    ).first()
    if episode is None or not episode.covers(session):
        return []
    if episode.assessments.filter(session=session).exists():
        return []
    return [
        "Risk is open for this course: record the risk assessment (the re-check) for this "
        "session before signing."
    ]
