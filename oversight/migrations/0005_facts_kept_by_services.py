"""The caseload facts are recomputed by the services that change a course (store.refresh,
through hooks.course_changed), in their own transaction: the triggers that marked them stale
(migration 0002), and the stale flag and thresholds key they and the dashboard's read-time
refresh used, go (docs/benchmarks.md: "Flags: the stored facts stay, kept by the services").

Rows that were stale when this runs are brought up to date by `manage.py caseload_refresh`,
which scripts/run.sh and docker-compose's migrate service run after `migrate`: a migration
does not call application code, which may not match the schema it runs against.
"""

import importlib

from django.db import migrations

triggers = importlib.import_module("oversight.migrations.0002_course_facts")


class Migration(migrations.Migration):
    dependencies = [
        ("caseload", "0004_text_length_limits"),
    ]

    operations = [
        migrations.RunPython(triggers.drop_triggers, triggers.create_triggers),
        migrations.RemoveField(model_name="coursefacts", name="stale"),
        migrations.RemoveField(model_name="coursefacts", name="thresholds_key"),
    ]
