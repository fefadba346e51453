"""A session's focus says what it worked on: a problem area, a risk or crisis session (not
drift), or none of the chosen areas (drift). Existing rows: an area when one is recorded,
drift otherwise (what "no area" meant until now)."""

from django.db import migrations, models


def kind_from_area(apps, schema_editor):
    SessionFocus = apps.get_model("inventory", "SessionFocus")
    SessionFocus.objects.filter(problem_area__isnull=False).update(kind="area")


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0002_text_length_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="sessionfocus",
            name="kind",
            field=models.CharField(
                choices=[
                    ("area", "a chosen problem area"),
                    ("risk", "a risk or crisis session"),
                    ("drift", "none of the chosen areas (drift)"),
                ],
                default="drift",
                max_length=8,
                verbose_name="the session worked on",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(kind_from_area, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="sessionfocus",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind", "area"), ("problem_area__isnull", False))
                | models.Q(("kind__in", ["risk", "drift"]), ("problem_area__isnull", True)),
                name="focus_area_exactly_when_kind_is_area",
            ),
        ),
    ]
