"""The audit trail is append-only: the ORM refuses, and on PostgreSQL so does the database."""

import pytest
from django.db import DatabaseError, connection, transaction

from ipt_clinic.accounts.audit import Action, audit_record
from ipt_clinic.accounts.models import AuditEvent, AuditTrailIsAppendOnly


@pytest.fixture
def event(therapist):
    return audit_record(action=Action.VIEW, user=therapist, patient_id=42)


def test_event_records_who_where_and_which_clinic(event, therapist):
    assert event.clinic_id == therapist.clinic_id
    assert event.patient_id == 42 and event.outcome == "success"


def test_orm_refuses_to_change_an_event(event):
    event.action = Action.EXPORT
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action=Action.EXPORT)
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == Action.VIEW


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE accounts_auditevent SET action = 'export' WHERE id = %s",
        "DELETE FROM accounts_auditevent WHERE id = %s",
    ],
)
def test_postgresql_refuses_raw_update_and_delete(require_postgres, event, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == Action.VIEW


def test_postgresql_still_accepts_new_events(require_postgres, event, therapist):
    audit_record(action=Action.LOGIN, user=therapist)
    assert AuditEvent.objects.count() == 2
