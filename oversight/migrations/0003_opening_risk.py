"""Two facts for the opening PHQ-9's item 9; every stored row is recomputed with them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("caseload", "0002_course_facts"),
    ]

    operations = [
        migrations.AddField(
            model_name="coursefacts",
            name="opening_item_9",
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="coursefacts",
            name="risk_checked_count",
            field=models.PositiveIntegerField(db_default=0),
        ),
        # Rows computed without these facts: stale, so they are recomputed when next read.
        migrations.RunSQL(
            "UPDATE caseload_coursefacts SET stale = true", reverse_sql=migrations.RunSQL.noop
        ),
    ]
