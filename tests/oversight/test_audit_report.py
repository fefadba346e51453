"""The audit report: the admin's own clinic's events, filtered, sorted, paged and exported."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ipt_clinic.accounts.models import AuditEvent
from tests.conftest import make_patient

URL = reverse("clinic_admin:audit")
EXPORT = reverse("clinic_admin:audit_export")


@pytest.fixture
def admin_client(client_for, clinic_admin):
    return client_for(clinic_admin)


def event(user, action="view", *, at=None, patient=None, outcome="success", detail="", clinic=None):
    return AuditEvent.objects.create(
        at=at or timezone.now(),
        user=user,
        clinic_id=clinic.pk if clinic else user.clinic_id,
        action=action,
        object_type="patients.patient" if patient else "",
        object_id=str(patient.pk) if patient else "",
        patient_id=patient.pk if patient else None,
        outcome=outcome,
        detail=detail,
    )


def rows_of(response) -> list[str]:
    """The detail column of each row of the report's table, in order."""
    html = response.content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [row.split("<td>")[-1].split("</td>")[0] for row in body.split("<tr>")[1:]]


def details(response) -> set[str]:
    return {d for d in rows_of(response) if d.startswith("ev-")}


def test_the_report_shows_only_the_admins_own_clinic(
    admin_client, therapist, other_therapist, other_admin, client_for
):
    event(therapist, detail="ev-ours")
    event(other_therapist, detail="ev-theirs")
    assert details(admin_client.get(URL)) == {"ev-ours"}
    assert details(client_for(other_admin).get(URL)) == {"ev-theirs"}
    # Naming another clinic's person as the filter is refused, not answered.
    response = admin_client.get(URL, {"user": other_therapist.pk})
    assert "Select a valid choice" in response.content.decode()


def test_filters_by_date_user_patient_action_and_outcome(
    admin_client, clinic_admin, therapist, colleague, patient
):
    other_patient = make_patient(colleague, record_number="REC-77")
    day = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    event(therapist, at=day, patient=patient, detail="ev-a")
    event(therapist, "update", at=day + timedelta(days=1), patient=patient, detail="ev-b")
    event(colleague, at=day + timedelta(days=2), patient=other_patient, detail="ev-c")
    event(colleague, "login_failed", at=day + timedelta(days=3), outcome="failure", detail="ev-d")

    def query(**params):
        return details(admin_client.get(URL, params))

    assert query(date_from="2026-03-11", date_to="2026-03-12") == {"ev-b", "ev-c"}
    assert query(date_to="2026-03-10") == {"ev-a"}
    assert query(user=therapist.pk) == {"ev-a", "ev-b"}
    assert query(patient="rec-77") == {"ev-c"}  # record number, any case
    assert query(patient=str(patient.pk)) == {"ev-a", "ev-b"}  # or the patient id
    assert query(action="update") == {"ev-b"}
    assert query(outcome="failure") == {"ev-d"}
    assert query(user=therapist.pk, action="view") == {"ev-a"}
    assert query(patient="NO-SUCH") == set()


def test_day_boundaries_are_the_clinics_own(admin_client, therapist, clinic):
    clinic.timezone = "America/New_York"
    clinic.save()
    # 03:00 UTC on 11 March is still 10 March in New York.
    event(therapist, at=datetime(2026, 3, 11, 3, 0, tzinfo=UTC), detail="ev-late")
    assert details(admin_client.get(URL, {"date_from": "2026-03-10", "date_to": "2026-03-10"}))
    assert not details(admin_client.get(URL, {"date_from": "2026-03-11"}))


def test_bad_filters_are_explained_and_the_rest_still_apply(admin_client, therapist):
    event(therapist, "update", detail="ev-x")
    event(therapist, "view", detail="ev-y")
    response = admin_client.get(
        URL, {"date_from": "2026-02-30", "action": "update", "date_to": "1066-10-14"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid date" in html and "between 1 Jan 2000 and 31 Dec 2100" in html
    assert 'value="2026-02-30"' in html  # input kept
    assert details(response) == {"ev-x"}
    response = admin_client.get(URL, {"date_from": "2026-03-10", "date_to": "2026-03-01"})
    assert "comes before the start date" in response.content.decode()


@pytest.mark.parametrize("column", ["at", "user", "action", "object", "patient", "outcome", "ip"])
def test_every_column_sorts_both_ways(admin_client, therapist, colleague, patient, column):
    base = timezone.now() - timedelta(hours=1)
    event(colleague, "view", at=base, outcome="failure", detail="ev-1")
    event(therapist, "update", at=base + timedelta(minutes=1), patient=patient, detail="ev-2")
    ascending = [d for d in rows_of(admin_client.get(URL, {"sort": column})) if d.startswith("ev")]
    descending = [
        d for d in rows_of(admin_client.get(URL, {"sort": f"-{column}"})) if d.startswith("ev")
    ]
    assert sorted(ascending) == ["ev-1", "ev-2"]
    assert descending == list(reversed(ascending)) or column == "ip"  # equal addresses


def test_the_sort_is_whitelisted(admin_client, therapist):
    event(therapist, detail="ev-1")
    for sort in ("row_hash", "user__password", "-prev_hash", "'; DROP TABLE x"):
        response = admin_client.get(URL, {"sort": sort})
        assert response.status_code == 200 and "ev-1" in rows_of(response)


def test_newest_first_by_default_and_paged_by_fifty(admin_client, therapist):
    start = timezone.now() - timedelta(days=1)
    for n in range(60):
        event(therapist, at=start + timedelta(minutes=n), detail=f"ev-{n:02d}")
    first = [d for d in rows_of(admin_client.get(URL, {"user": therapist.pk}))]
    assert len(first) == 50 and first[0] == "ev-59"
    second = rows_of(admin_client.get(URL, {"user": therapist.pk, "page": 2}))
    assert second == [f"ev-{n:02d}" for n in range(9, -1, -1)]


def test_report_queries_do_not_grow_with_events(admin_client, therapist, patient, queries_for):
    for _ in range(3):
        event(therapist, patient=patient)
    few = queries_for(admin_client, URL)
    for n in range(80):
        event(therapist, patient=make_patient(therapist) if n % 10 == 0 else patient)
    assert queries_for(admin_client, URL) == few


def test_viewing_the_report_is_audited(admin_client, clinic_admin):
    admin_client.get(URL)
    assert AuditEvent.objects.filter(
        user=clinic_admin, action="view", detail__startswith="audit report"
    ).exists()


# --- Export ---------------------------------------------------------------------------------


def export_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_export_writes_the_filtered_events_as_csv_and_is_audited(
    admin_client, clinic_admin, therapist, colleague, patient
):
    event(therapist, "update", patient=patient, detail="ev-a")
    event(colleague, "view", detail="ev-b")
    response = admin_client.post(EXPORT, {"user": therapist.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-test-clinic-')
    rows = export_rows(response)
    assert [r["detail"] for r in rows] == ["ev-a"]
    assert rows[0]["user email"] == therapist.email
    assert rows[0]["patient record number"] == patient.record_number
    assert len(rows[0]["row hash"]) == 64
    export = AuditEvent.objects.get(action="export")
    assert export.user == clinic_admin and export.outcome == "success"
    assert "1 rows" in export.detail and "Tess Harper" in export.detail


def test_export_cells_never_start_a_formula(admin_client, therapist):
    event(therapist, "login_failed", detail='=HYPERLINK("http://evil")')
    rows = export_rows(admin_client.post(EXPORT, {"action": "login_failed"}))
    assert rows[0]["detail"].startswith("'=")


def test_exports_are_limited_to_five_in_ten_minutes_counted_from_the_audit_trail(
    admin_client, clinic_admin, therapist
):
    event(therapist)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            assert admin_client.post(EXPORT).status_code == 200
            clock.shift(timedelta(minutes=1))
        refused = admin_client.post(EXPORT)
        assert refused.status_code == 429
        html = refused.content.decode()
        assert "5 times in 10 minutes" in html and "You can export again from" in html
        assert int(refused["Retry-After"]) > 0
        denied = AuditEvent.objects.filter(action="export", outcome="denied", user=clinic_admin)
        assert denied.count() == 1
        assert "0 of 5 exports left" in admin_client.get(URL).content.decode()
        # The oldest export leaves the window ten minutes after it was made.
        clock.shift(timedelta(minutes=5, seconds=1))
        assert admin_client.post(EXPORT).status_code == 200
        assert admin_client.post(EXPORT).status_code == 429


def test_the_limit_is_per_person(admin_client, client_for, clinic, therapist):
    from tests.conftest import make_user

    event(therapist)
    second_admin = make_user("ada@clinic.test", clinic, is_clinic_admin=True)
    for _ in range(5):
        admin_client.post(EXPORT)
    assert admin_client.post(EXPORT).status_code == 429
    assert client_for(second_admin).post(EXPORT).status_code == 200


def test_export_shows_nothing_of_another_clinic(admin_client, other_therapist):
    event(other_therapist, detail="ev-theirs")
    rows = export_rows(admin_client.post(EXPORT))
    assert not any(r["detail"] == "ev-theirs" for r in rows)


def test_report_and_export_are_for_clinic_admins_only(client_for, therapist, supervisor):
    for user in (therapist, supervisor):
        client = client_for(user)
        assert client.get(URL).status_code == 403
        assert client.post(EXPORT).status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_people_and_objects_are_named_not_numbered(admin_client, therapist, colleague, patient):
    """#16: the report named objects by database id ("user #12", "(id 7)")."""
    from ipt_clinic.accounts.audit import Action, audit_record
    from tests.conftest import open_course

    session = open_course(patient).sessions.get(number=3)
    audit_record(action=Action.UPDATE, by=therapist, obj=colleague, detail="roles")
    audit_record(action=Action.VIEW, by=therapist, obj=session, patient_id=patient.pk)
    page = admin_client.get(reverse("clinic_admin:audit")).content.decode()
    rows = page.split("<tbody>", 1)[1]
    assert f"<td>{colleague.full_name}</td>" in rows
    assert "<td>session 3</td>" in rows
    assert f"#{colleague.pk}<" not in rows and f"#{session.pk}<" not in rows
    assert f"(id {patient.pk})" not in rows and patient.record_number in rows
