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


# --- One chain a clinic (issue #14) -----------------------------------------------------------


@pytest.fixture
def two_clinics(therapist, other_therapist):
    """Events of two clinics, interleaved as busy clinics write them."""
    for n in range(3):
        audit_record(action=Action.VIEW, by=therapist, patient_id=n)
        audit_record(action=Action.VIEW, by=other_therapist, patient_id=100 + n)
    audit_record(action=Action.LOGIN_FAILED, detail="attempted nobody@example.org")  # no clinic
    return therapist.clinic_id, other_therapist.clinic_id


def test_each_clinic_has_its_own_chain(two_clinics):
    for clinic_id in two_clinics:
        rows = list(AuditEvent.objects.filter(clinic_id=clinic_id).order_by("id"))
        assert rows[0].prev_hash == ""
        for before, after in pairwise(rows):
            assert after.prev_hash == before.row_hash
    assert AuditEvent.objects.get(clinic__isnull=True).prev_hash == ""


def test_verify_checks_every_chain(two_clinics, capsys):
    call_command("verify_audit_chain")
    assert "7 events verified in 3 chains" in capsys.readouterr().out
    second = AuditEvent.objects.filter(clinic_id=two_clinics[1]).order_by("id")[1]
    _tamper("UPDATE accounts_auditevent SET detail = 'x' WHERE id = %s", [second.pk])
    with pytest.raises(CommandError, match=f"event id {second.pk} .*altered"):
        call_command("verify_audit_chain")


def _legacy(**fields) -> AuditEvent:
    """An event linked as before the chains were split: to the newest row of any clinic."""
    event = AuditEvent(**fields)
    event.prev_hash = AuditEvent.objects.order_by("-id").values_list("row_hash", flat=True).first()
    event.prev_hash = event.prev_hash or ""
    event.row_hash = event.compute_hash()
    super(AuditEvent, event).save()
    return event


def test_a_database_with_one_chain_keeps_it_and_splits_after_the_marker(
    therapist, other_therapist, capsys
):
    from importlib import import_module

    from django.db.migrations.executor import MigrationExecutor

    for n in range(2):
        _legacy(action="view", user=therapist, clinic_id=therapist.clinic_id, patient_id=n)
        _legacy(action="view", user=other_therapist, clinic_id=other_therapist.clinic_id)
    name = "0011_audit_chain_per_clinic"
    migration = import_module(f"ipt_clinic.accounts.migrations.{name}")
    state = MigrationExecutor(connection).loader.project_state(("accounts", name))
    migration.close_the_single_chain(state.apps, None)  # with the models as migrations see them
    for _ in range(2):
        audit_record(action=Action.VIEW, by=therapist)
        audit_record(action=Action.VIEW, by=other_therapist)
    call_command("verify_audit_chain")
    assert "9 events verified" in capsys.readouterr().out

    legacy = AuditEvent.objects.order_by("id")[1]
    _tamper("UPDATE accounts_auditevent SET patient_id = 7 WHERE id = %s", [legacy.pk])
    with pytest.raises(CommandError, match=f"event id {legacy.pk} .*altered"):
        call_command("verify_audit_chain")


def test_writers_in_two_clinics_do_not_wait_for_each_other(
    require_postgres, transactional_db, therapist, other_therapist
):
    """A transaction that wrote an event in one clinic holds that clinic's chain lock until it
    ends; another clinic's event is written meanwhile (one lock for all would make it wait)."""
    import threading

    from django.db import connections, transaction

    holding, release, results = threading.Event(), threading.Event(), {}

    def first_clinic():
        try:
            with transaction.atomic():
                audit_record(action=Action.VIEW, by=therapist)
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second_clinic():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
            audit_record(action=Action.VIEW, by=other_therapist)
            results["second"] = "written"
        except Exception as error:
            results["second"] = repr(error)
        finally:
            connections.close_all()

    holder = threading.Thread(target=first_clinic)
    holder.start()
    assert holding.wait(10)
    writer = threading.Thread(target=second_clinic)
    writer.start()
    writer.join(15)
    release.set()
    holder.join(15)
    assert results["second"] == "written"


def test_a_row_written_by_the_old_code_during_an_upgrade_still_verifies(
    therapist, other_therapist, capsys
):
    """During a rolling upgrade a process still running the code from before the split links
    its event to the newest row overall; the chain holds, and a removal is still found."""
    from importlib import import_module

    from django.db.migrations.executor import MigrationExecutor

    _legacy(action="view", user=therapist, clinic_id=therapist.clinic_id)
    name = "0011_audit_chain_per_clinic"
    migration = import_module(f"ipt_clinic.accounts.migrations.{name}")
    state = MigrationExecutor(connection).loader.project_state(("accounts", name))
    migration.close_the_single_chain(state.apps, None)
    audit_record(action=Action.VIEW, by=other_therapist)
    old_writer = _legacy(action="view", user=therapist, clinic_id=therapist.clinic_id)
    audit_record(action=Action.VIEW, by=therapist)
    call_command("verify_audit_chain")
    assert "5 events verified" in capsys.readouterr().out

    _tamper("DELETE FROM accounts_auditevent WHERE id = %s", [old_writer.pk])
    with pytest.raises(CommandError, match="removed or changed"):
        call_command("verify_audit_chain")
