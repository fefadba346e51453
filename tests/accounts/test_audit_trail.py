"""The audit trail is append-only: the ORM refuses, and on PostgreSQL so does the database."""

import pytest
from django.db import DatabaseError, connection, transaction

from ipt_clinic.accounts.audit import Action, audit_record
from ipt_clinic.accounts.models import AuditEvent, AuditTrailIsAppendOnly


@pytest.fixture
def event(therapist):
    return audit_record(action=Action.VIEW, by=therapist, patient_id=42)


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
    audit_record(action=Action.LOGIN, by=therapist)
    assert AuditEvent.objects.count() == 2


# --- Where events come from: the audit context ----------------------------------------------


def test_a_request_gives_its_events_the_client_address_and_an_id(
    client_for, therapist, patient, settings
):
    settings.TRUSTED_PROXY_COUNT = 1  # the proxy's X-Request-ID is kept
    response = client_for(therapist).get(
        f"/patients/{patient.pk}/", REMOTE_ADDR="10.1.2.3", HTTP_X_REQUEST_ID="req-12345678"
    )
    assert response["X-Request-ID"] == "req-12345678"
    event = AuditEvent.objects.filter(action="view", patient_id=patient.pk).latest("id")
    assert event.ip_address == "10.1.2.3" and event.user == therapist


def test_a_client_does_not_choose_its_request_id_without_a_trusted_proxy(client_for, therapist):
    response = client_for(therapist).get("/accounts/", HTTP_X_REQUEST_ID="chosen-by-client")
    assert response["X-Request-ID"] != "chosen-by-client"


@pytest.mark.parametrize("given", ["", "short", "bad id with spaces", "x" * 65, "<script>"])
def test_a_request_id_that_does_not_look_like_one_is_replaced(
    client_for, therapist, given, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    response = client_for(therapist).get("/accounts/", HTTP_X_REQUEST_ID=given)
    assert response["X-Request-ID"] != given and len(response["X-Request-ID"]) == 32


def test_events_outside_a_request_carry_no_address(therapist):
    from ipt_clinic.accounts.audit import audit_context

    assert audit_record(action=Action.VIEW, by=therapist).ip_address is None
    with audit_context(ip_address="10.9.9.9"):
        assert audit_record(action=Action.VIEW, by=therapist).ip_address == "10.9.9.9"
    assert audit_record(action=Action.VIEW, by=therapist).ip_address is None
