"""The treatment contract as an initial task of the note, and who held each session and wrote
its note.

For the sessions already recorded: held by the course's therapist (before this migration
nobody but the course's therapist recorded attendance, and a handover left no trace on the
sessions), and the note written by whoever signed it, or else, for a draft with text, by the
course's therapist.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, OuterRef, Q, Subquery

NOTE_TEXT = [
    "symptom_review", "medication_considered", "inventory_progress", "formulation_notes",
    "since_last_met", "mood_and_events", "problem_area_work", "gains_reviewed",
    "feelings_about_ending", "warning_signs", "relapse_plan", "homework", "progress_note",
    "risk_check_note",
]  # fmt: skip


def authorship(apps, schema_editor):
    sessions = apps.get_model("therapy_sessions", "TherapySession").objects
    course = apps.get_model("therapy_sessions", "Course").objects.filter(pk=OuterRef("course_id"))
    therapist = Subquery(course.values("therapist_id")[:1])
    sessions.filter(attendance="attended").update(held_by=therapist)
    sessions.filter(signed_by__isnull=False).update(note_author=F("signed_by"))
    written = Q()
    for name in NOTE_TEXT:
        written |= ~Q(**{name: ""})
    sessions.filter(written, signed_by__isnull=True).update(note_author=therapist)


class Migration(migrations.Migration):
    dependencies = [
        ("therapy_sessions", "0004_gad7_difficulty"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="therapysession",
            name="contract_agreed",
            field=models.BooleanField(
                default=False,
                help_text="The number of sessions, their length and frequency, and what happens if one is missed.",
                verbose_name="treatment contract agreed with the patient",
            ),
        ),
        migrations.AddField(
            model_name="therapysession",
            name="held_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="therapysession",
            name="note_author",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(authorship, migrations.RunPython.noop),
    ]
