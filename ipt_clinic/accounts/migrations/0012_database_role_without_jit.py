"""No JIT compilation for the app's database role. The app's queries are short, and at clinic
scale the estimated cost of the caseload query crossed jit_above_cost: compiling it took 2 s
for a query that runs in a tenth of that (docs/benchmarks.md, "Supervisor caseload").

It was a startup option of each connection (-c jit=off), which a pooler in transaction mode
such as PgBouncer refuses; a role's default applies to every session it opens, however it
connects. Any role may set its own defaults.
"""

from django.db import migrations


def role_without_jit(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER ROLE CURRENT_USER SET jit = off")
        schema_editor.execute("SET jit = off")  # and for this session, already open


def role_with_jit(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER ROLE CURRENT_USER RESET jit")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_audit_chain_per_clinic"),
    ]

    operations = [migrations.RunPython(role_without_jit, role_with_jit)]
