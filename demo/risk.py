"""The risk pathway in the demo clinic: Priya (DEMO-0003), whose PHQ-9 item 9 was 1 at
session 6, has an open episode with the assessment made at that session, a safety plan
written with her, and the alert her therapist's supervisor acknowledged that evening.

The episode is opened by the service, as a recorded PHQ-9 opens it in the app (and its alert
created); what happened that day is then dated back to session 6, as the rest of the demo's
history is, written around the services (the assessment of a session already signed)."""

from datetime import timedelta

from django.db import transaction

from risk import services as risk_services
from risk.models import RiskAlert, RiskAssessment, SafetyPlan
from sessions.models import Course, Measure

RISK_DEMO = "DEMO-0003"

ASSESSMENT = {
    "ideation": "Passive thoughts that it would be easier not to wake up, on two or three "
    "evenings after criticism at work.",
    "plan": "None.",
    "intent": "None.",
    "means": "No access to means identified.",
    "history": "No previous self-harm or attempts.",
    "protective_factors": "Her sister Anjali, her parents, a visit home planned.",
    "level": RiskAssessment.Level.LOW,
}
SAFETY_PLAN = {
    "warning_signs": "Criticism at work; a weekend alone in the flat; stopping calls home.",
    "own_coping": "A walk by the canal; the playlist from home; cooking a proper meal.",
    "people_and_places": "The climbing wall on Thursdays; the café near the office.",
    "people_to_ask": "Anjali (sister); Hannah (old friend); Mum and Dad.",
    "professionals": "My GP surgery; my therapist at the clinic.",
    "safer_surroundings": "Keep only a week's painkillers at home; Anjali keeps the rest.",
}


def seed_risk_demo(*, courses: dict[str, Course], stdout=None) -> None:
    course = courses.get(RISK_DEMO)
    if course is None:
        return
    measure = (
        Measure.objects.filter(course=course, kind=Measure.Kind.PHQ9, item_9__gt=0)
        .select_related("session", "course")
        .order_by("-administered_on")
        .first()
    )
    if measure is None or measure.session is None:
        return
    therapist = course.therapist
    with transaction.atomic():
        episode = risk_services.episode_open_for_measure(measure, therapist)
        if episode is None:
            return
        when = measure.session.scheduled_start + timedelta(minutes=45)
        episode.opened_at = when
        episode.save(update_fields=["opened_at"])
        RiskAssessment.objects.create(
            episode=episode,
            session=measure.session,
            assessed_by=therapist,
            assessed_at=when + timedelta(minutes=5),
            **ASSESSMENT,
        )
        risk_services.safety_plan_save(by=therapist, episode=episode, fields=SAFETY_PLAN)
        SafetyPlan.objects.filter(episode=episode).update(updated_at=when + timedelta(minutes=10))
        RiskAlert.objects.filter(episode=episode).update(
            created_at=when, acknowledged_at=when + timedelta(hours=3)
        )
    if stdout is not None:
        stdout.write(
            "Risk demo: an open risk episode with its assessment, safety plan and an "
            "acknowledged alert."
        )
