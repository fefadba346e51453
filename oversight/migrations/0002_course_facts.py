"""The stored caseload facts, and the PostgreSQL triggers that mark them stale.

Each table the facts come from (flags.py: fact_rows) gets a row trigger that upserts the
touched course's row with stale = true, so that a row exists from the course's creation on
and is recomputed (store.refresh) before the dashboard reads it. Being triggers, update(),
bulk_create() and raw SQL cannot bypass them (TRUNCATE and session_replication_role =
replica do: restore such data with the triggers on, or mark every row stale).

They are constraint triggers deferred to the commit: the facts row is then the last lock a
transaction takes, held for an instant, so it adds no deadlock between writers (taken at
the statement, it did: a session saved and then its course, against a handover that locks
the course and then updates it). Tests, whose transactions never commit, set them
IMMEDIATE (tests/conftest.py).

SQLite (the developer's fallback) gets no triggers: there store.refresh recomputes every
row it reads.
"""

import django.db.models.deletion
from django.db import migrations, models

# table -> the course id of a changed row, {row} being NEW or OLD.
SOURCES = {
    "therapy_sessions_course": "{row}.id",
    "therapy_sessions_therapysession": "{row}.course_id",
    "therapy_sessions_measure": "{row}.course_id",
    "inventory_problemarea": "{row}.course_id",
    "inventory_formulation": "{row}.course_id",
    "inventory_relationship": "{row}.course_id",
    "inventory_sessionfocus": (
        "(SELECT course_id FROM therapy_sessions_therapysession WHERE id = {row}.session_id)"
    ),
}
# Only if the course still exists (one deleted in the same transaction has no facts). An
# already stale row is locked but not rewritten.
MARK_STALE = """
CREATE FUNCTION caseload_mark_stale(course bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO caseload_coursefacts (course_id, stale)
    SELECT id, true FROM therapy_sessions_course WHERE id = course
    ON CONFLICT (course_id) DO UPDATE SET stale = true WHERE NOT caseload_coursefacts.stale
$$;"""


def _function(table: str, course: str) -> str:
    new, old = course.format(row="NEW"), course.format(row="OLD")
    return f"""
CREATE FUNCTION caseload_stale_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM caseload_mark_stale({new});
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND {old} IS DISTINCT FROM {new}) THEN
        PERFORM caseload_mark_stale({old});
    END IF;
    RETURN NULL;
END $$;"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(MARK_STALE)
    for table, course in SOURCES.items():
        schema_editor.execute(_function(table, course))
        # A course is deleted only without any of the other rows (on_delete=PROTECT), and
        # its facts row with it.
        events = (
            "INSERT OR UPDATE"
            if table == "therapy_sessions_course"
            else ("INSERT OR UPDATE OR DELETE")
        )
        schema_editor.execute(
            f"CREATE CONSTRAINT TRIGGER caseload_stale AFTER {events} ON {table}"
            f" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
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
    schema_editor.execute("DROP FUNCTION caseload_mark_stale(bigint)")


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
