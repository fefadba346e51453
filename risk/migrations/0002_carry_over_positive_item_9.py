"""Risk never disappears from a caseload because a note was typed: every open course with a
PHQ-9 item 9 above 0 before the pathway existed gets an open episode (from its latest such
PHQ-9), for a clinician to assess and close with a documented review. No alert is sent for
these: the caseload flags show them."""

from django.db import migrations


def carry_over(apps, schema_editor):
    Measure = apps.get_model("therapy_sessions", "Measure")
    RiskEpisode = apps.get_model("risk", "RiskEpisode")
    positive = (
        Measure.objects.filter(kind="phq9", item_9__gt=0, course__status__in=["planned", "active"])
        .select_related("course")
        .order_by("course_id", "-administered_on", "-pk")
    )
    seen = set()
    for measure in positive:
        if measure.course_id in seen:
            continue
        seen.add(measure.course_id)
        RiskEpisode.objects.create(
            course_id=measure.course_id,
            source="item_9",
            measure=measure,
            session_id=measure.session_id,
            reason="Carried over when the risk pathway was introduced: review and close with a "
            "documented review.",
            opened_by_id=measure.course.therapist_id,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0001_initial"),
    ]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
