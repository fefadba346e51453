"""Supervision links can be ended at once (ended_at)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_invitation_role_message"),
    ]

    operations = [
        migrations.AddField(
            model_name="supervision",
            name="ended_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
