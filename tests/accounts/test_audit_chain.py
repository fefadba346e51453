from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ipt_clinic.accounts.audit import Action, audit_record
from ipt_clinic.accounts.models import AuditEvent


@pytest.fixture
def events(therapist):
    return [audit_record(action=Action.VIEW, by=therapist, patient_id=n) for n in range(5)]


def test_each_event_links_to_the_previous(events):
    rows = list(AuditEvent.objects.order_by("id"))
    assert rows[0].prev_hash == ""
    for before, after in pairwise(rows):
        assert after.prev_hash == before.row_hash and len(after.row_hash) == 64


def test_verify_passes_on_an_intact_chain(events, capsys):
    call_command("verify_audit_chain")
    assert "5 events verified" in capsys.readouterr().out


def _tamper(sql, params):
    """Change a row behind the ORM's back (on PostgreSQL the trigger must be lifted first)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending
            cursor.execute(
                "ALTER TABLE accounts_auditevent DISABLE TRIGGER "
                "accounts_auditevent_no_update_delete"
            )
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE accounts_auditevent ENABLE TRIGGER "
                "accounts_auditevent_no_update_delete"
            )


def test_verify_names_the_first_altered_row(events):
    _tamper("UPDATE accounts_auditevent SET patient_id = 99 WHERE id = %s", [events[2].pk])
    with pytest.raises(CommandError, match=f"event id {events[2].pk} .*altered"):
        call_command("verify_audit_chain")


def test_verify_notices_a_removed_row(events):
    _tamper("DELETE FROM accounts_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError, match=f"event id {events[2].pk} .*removed or changed"):
        call_command("verify_audit_chain")
