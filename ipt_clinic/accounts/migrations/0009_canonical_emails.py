"""Stored email addresses take their canonical form (NFKC case folding), the form that sign-in
now looks up exactly and counts failures under. Until now they were only lower-cased."""

import unicodedata

from django.db import migrations


def canonical(raw: str) -> str:
    # A copy of accounts.models.canonical_email as it is today: a migration must not change
    # when the application's code does.
    folded = unicodedata.normalize("NFKC", raw or "").casefold()
    return unicodedata.normalize("NFKC", folded).strip()[:254]


def canonicalise(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Invitation = apps.get_model("accounts", "Invitation")
    for user in User.objects.only("pk", "email").iterator():
        address = canonical(user.email)
        if address == user.email:
            continue
        if User.objects.filter(email=address).exclude(pk=user.pk).exists():
            print(f"\n  accounts {user.pk}: {address} is taken; left as it was")  # noqa: T201
            continue
        User.objects.filter(pk=user.pk).update(email=address)
    for invitation in Invitation.objects.only("pk", "email").iterator():
        address = canonical(invitation.email)
        if address != invitation.email:
            Invitation.objects.filter(pk=invitation.pk).update(email=address)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_supervision_ended_at"),
    ]

    operations = [
        migrations.RunPython(canonicalise, migrations.RunPython.noop),
    ]
