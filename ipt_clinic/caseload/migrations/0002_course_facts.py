"""The stored caseload facts, and the PostgreSQL triggers that mark them stale.

Each table the facts come from (flags.py: fact_rows) gets three statement-level triggers,
one per event (PostgreSQL allows transition tables on single-event triggers only). They
upsert the touched courses' rows with stale = true, so that a row exists from the course's
creation on and is recomputed (store.refresh) before the dashboard reads it. Statement-level
with transition tables: a bulk_create of 30,000 sessions costs one upsert, not 30,000.

SQLite (the developer's fallback) gets no triggers: there store.refresh recomputes every
row it reads.
"""

import django.db.models.deletion
from django.db import migrations, models

# table -> SELECT of the course ids of the changed rows (in {rows}).
SOURCES = {
    "therapy_sessions_course": "SELECT id FROM {rows}",
    "therapy_sessions_therapysession": "SELECT course_id FROM {rows}",
    "therapy_sessions_measure": "SELECT course_id FROM {rows}",
    "inventory_problemarea": "SELECT course_id FROM {rows}",
    "inventory_formulation": "SELECT course_id FROM {rows}",
    "inventory_relationship": "SELECT course_id FROM {rows}",
    "inventory_sessionfocus": (
        "SELECT s.course_id FROM {rows} r JOIN therapy_sessions_therapysession s"
        " ON s.id = r.session_id"
    ),
}
# A course is never deleted once it has any of these rows (on_delete=PROTECT); deleting one
# without them deletes its facts row too, which the course table's triggers must not undo.
EVENTS = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "NEW TABLE AS new_rows OLD TABLE AS old_rows",
    "DELETE": "OLD TABLE AS old_rows",
}
UPSERT = (
    "INSERT INTO caseload_coursefacts (course_id, stale) SELECT DISTINCT c, true FROM ({ids}) AS"
    " changed(c) ON CONFLICT (course_id) DO UPDATE SET stale = true"
)


def _function(table: str, select: str) -> str:
    new, old = select.format(rows="new_rows"), select.format(rows="old_rows")
    return f"""
CREATE FUNCTION caseload_stale_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {UPSERT.format(ids=new)};
    ELSIF TG_OP = 'UPDATE' THEN
        {UPSERT.format(ids=f"{new} UNION {old}")};
    ELSE
        {UPSERT.format(ids=old)};
    END IF;
    RETURN NULL;
END $$;"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, select in SOURCES.items():
        schema_editor.execute(_function(table, select))
        for event, transition in EVENTS.items():
            if table == "therapy_sessions_course" and event == "DELETE":
                continue
            schema_editor.execute(
                f"CREATE TRIGGER caseload_stale_{event.lower()} AFTER {event} ON {table}"
                f" REFERENCING {transition} FOR EACH STATEMENT"
                f" EXECUTE FUNCTION caseload_stale_{table}()"
            )
    # The courses that exist already: a stale row each, computed when first read.
    schema_editor.execute(
        "INSERT INTO caseload_coursefacts (course_id, stale) SELECT id, true"
        " FROM therapy_sessions_course ON CONFLICT (course_id) DO NOTHING"
    )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in SOURCES:
        schema_editor.execute(f"DROP FUNCTION caseload_stale_{table}() CASCADE")


class Migration(migrations.Migration):
    dependencies = [
        ("caseload", "0001_initial"),
        ("therapy_sessions", "0002_reminder"),
        ("inventory", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="CourseFacts",
            fields=[
                (
                    "course",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="facts",
                        serialize=False,
                        to="therapy_sessions.course",
                    ),
                ),
                ("stale", models.BooleanField(db_default=True)),
                ("thresholds_key", models.CharField(db_default="", max_length=64)),
                ("held_count", models.PositiveIntegerField(db_default=0)),
                ("happened_count", models.PositiveIntegerField(db_default=0)),
                ("unsigned_count", models.PositiveIntegerField(db_default=0)),
                ("oldest_unsigned_start", models.DateTimeField(null=True)),
                ("last_start", models.DateTimeField(null=True)),
                ("next_start", models.DateTimeField(null=True)),
                ("next_number", models.PositiveSmallIntegerField(null=True)),
                ("last_planned_start", models.DateTimeField(null=True)),
                ("raised_count", models.PositiveIntegerField(db_default=0)),
                ("drift_count", models.PositiveIntegerField(db_default=0)),
                ("latest_session_phq9", models.PositiveSmallIntegerField(null=True)),
                ("risk_open", models.BooleanField(db_default=False)),
                ("missed_twice", models.BooleanField(db_default=False)),
                ("opening_phq9", models.PositiveSmallIntegerField(null=True)),
                ("primary_area", models.CharField(blank=True, db_default="", max_length=32)),
                ("focus_agreed_on", models.DateField(null=True)),
                ("deficits_chosen", models.BooleanField(db_default=False)),
                ("other_area_suggested", models.BooleanField(db_default=False)),
                ("phase_code", models.CharField(db_default="", max_length=16)),
                ("risk_unchecked_from", models.DateTimeField(null=True)),
                ("missed_in_row_from", models.DateTimeField(null=True)),
                ("poor_improvement_from", models.DateTimeField(null=True)),
                ("no_problem_area_from", models.DateTimeField(null=True)),
                ("past_contract_from", models.DateTimeField(null=True)),
                ("termination_not_raised_from", models.DateTimeField(null=True)),
                ("drift_from", models.DateTimeField(null=True)),
                ("deficits_questioned_from", models.DateTimeField(null=True)),
                ("unsigned_notes_from", models.DateTimeField(null=True)),
                ("gap_from", models.DateTimeField(null=True)),
                ("flagged_from", models.DateTimeField(null=True)),
            ],
            options={
                "verbose_name_plural": "course facts",
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
