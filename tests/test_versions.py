"""Stale edits refused (finding 4 of issue 13): the version is a fingerprint of the fields a
form edits, as stored; a save based on another version is refused with both shown."""

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from ipt_clinic.accounts.models import Supervision
from ipt_clinic.versions import EditVersion, StaleEdit, check_current, version_of
from tests.conftest import version_in

NAMES = ["full_name", "is_therapist", "is_supervisor"]


@pytest.mark.parametrize(
    ("change", "same"),
    [
        ({}, True),
        ({"full_name": "Tess Harper"}, True),  # saved again unchanged
        ({"full_name": "Tess Harper "}, False),  # a space is a change
        ({"is_supervisor": True}, False),
        ({"email": "other@clinic.test"}, True),  # not a field the form edits
    ],
)
def test_the_version_follows_the_edited_fields_only(therapist, change, same):
    before = version_of(therapist, NAMES)
    for name, value in change.items():
        setattr(therapist, name, value)
    assert (version_of(therapist, NAMES) == before) is same


def test_the_version_does_not_depend_on_the_order_of_names(therapist):
    assert version_of(therapist, NAMES) == version_of(therapist, reversed(NAMES))


@pytest.mark.parametrize("based_on", [None, "current"])
def test_a_current_or_absent_version_passes(therapist, based_on):
    version = EditVersion(tuple(NAMES), version_of(therapist, NAMES)) if based_on else None
    check_current(therapist, version)


@pytest.mark.parametrize("based_on", ["", "0" * 24, "not-a-version"])
def test_any_other_version_is_stale(therapist, based_on):
    with pytest.raises(StaleEdit) as refused:
        check_current(therapist, EditVersion(tuple(NAMES), based_on))
    assert refused.value.version == version_of(therapist, NAMES)


# --- Two admins, one account ------------------------------------------------------------------


def test_a_stale_roles_form_is_refused_with_both_versions(client_for, clinic_admin, colleague):
    from tests.conftest import make_user

    other = make_user("ada@clinic.test", clinic_admin.clinic, name="Ada", is_clinic_admin=True)
    url = reverse("staff:detail", args=[colleague.pk])
    first, second = client_for(clinic_admin), client_for(other)
    opened = version_in(second.get(url))
    saved = first.post(url, {"full_name": "Theo Okafor-Smith", "is_therapist": "on",
                             "based_on": version_in(first.get(url))})  # fmt: skip
    assert saved.status_code == 302

    stale = second.post(
        url,
        {"full_name": "Theo Okafor", "is_therapist": "on", "is_supervisor": "on",
         "based_on": opened},
    )  # fmt: skip
    assert stale.status_code == 200
    html = stale.content.decode()
    assert "Someone saved this record after you opened it" in html
    assert "Theo Okafor-Smith" in html  # what was saved meanwhile...
    [supervisor_box] = re.findall(r'<input[^>]*name="is_supervisor"[^>]*>', html)
    assert "checked" in supervisor_box  # ...beside the input as it was typed
    colleague.refresh_from_db()
    assert colleague.full_name == "Theo Okafor-Smith" and not colleague.is_supervisor

    again = second.post(
        url,
        {"full_name": "Theo Okafor", "is_therapist": "on", "is_supervisor": "on",
         "based_on": version_in(stale)},
    )  # fmt: skip
    assert again.status_code == 302  # having seen the other version, saving is deliberate
    colleague.refresh_from_db()
    assert colleague.full_name == "Theo Okafor" and colleague.is_supervisor


def test_a_stale_supervision_dates_form_is_refused(client_for, clinic_admin, supervisor, therapist):
    link = Supervision.objects.get(supervisor=supervisor)
    url = reverse("staff:supervision_edit", args=[link.pk])
    client = client_for(clinic_admin)
    opened = version_in(client.get(url))
    Supervision.objects.filter(pk=link.pk).update(ends_on=date(2027, 6, 30))  # another tab
    response = client.post(
        url, {"starts_on": link.starts_on, "ends_on": "2027-12-31", "based_on": opened}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone saved this record after you opened it" in html
    assert "30 Jun 2027" in html and 'value="2027-12-31"' in html
    link.refresh_from_db()
    assert link.ends_on == date(2027, 6, 30)


# --- Two tabs, one patient ------------------------------------------------------------------


def test_a_stale_patient_form_is_refused_and_keeps_the_input(client_for, therapist, patient):
    url = reverse("patients:edit", args=[patient.pk])
    first, second = client_for(therapist), client_for(therapist)
    opened = version_in(second.get(url))
    data = {
        "record_number": patient.record_number,
        "given_name": "Alice",
        "family_name": "Archer",
        "date_of_birth": patient.date_of_birth.isoformat(),
        "email": "alice@example.org",
        "phone": patient.phone,
        "preferred_channel": patient.preferred_channel,
        "reminder_consent": "on",
        "reminder_consent_on": patient.reminder_consent_on.isoformat(),
    }
    assert first.post(url, {**data, "based_on": version_in(first.get(url))}).status_code == 302
    stale = second.post(
        url,
        {**data, "email": "a.archer@example.org", "phone": "+44 7700 900999", "based_on": opened},
    )
    assert stale.status_code == 200
    html = stale.content.decode()
    assert "Someone saved this record after you opened it" in html
    assert "alice@example.org" in html  # saved meanwhile, shown...
    assert (
        'value="a.archer@example.org"' in html and 'value="+44 7700 900999"' in html
    )  # ...by mine
    patient.refresh_from_db()
    assert patient.email == "alice@example.org" and patient.phone != "+44 7700 900999"


def test_editing_a_patient_never_undoes_an_archive_made_meanwhile(client_for, therapist, patient):
    from patients.models import Patient

    url = reverse("patients:edit", args=[patient.pk])
    client = client_for(therapist)
    client.get(url)
    Patient.objects.filter(pk=patient.pk).update(
        status=Patient.Status.ARCHIVED, archived_at=timezone.now()
    )
    data = {name: getattr(patient, name) or "" for name in ["record_number", "given_name",
            "family_name", "email", "phone", "preferred_channel"]}  # fmt: skip
    data |= {"date_of_birth": patient.date_of_birth, "given_name": "Alicia"}
    client.post(url, data)  # an older page, without a version: no check, but only its fields
    patient.refresh_from_db()
    assert patient.status == Patient.Status.ARCHIVED


# --- Every edit form, two tabs: the second is refused and loses nothing ----------------------


def _attended(course, number):
    from tests.conftest import attend

    session = course.sessions.get(number=number)
    attend(session)
    return session


def _note(world):
    session = _attended(world["course"], 1)
    url = reverse("sessions:session_note", args=[session.pk])
    return url, url, {"symptom_review": "FIRST-TAB-TEXT"}, {"homework": "SECOND-TAB-TEXT"}


def _private_note(world):
    session = _attended(world["course"], 1)
    url = reverse("sessions:session", args=[session.pk])
    action = reverse("sessions:session_private_note", args=[session.pk])
    return url, action, {"text": "FIRST-TAB-TEXT"}, {"text": "SECOND-TAB-TEXT"}


def _person(world):
    pk = world["person"].pk
    url = reverse("inventory:person_edit", args=[pk])
    return url, url, {f"p{pk}-relation": "FIRST-TAB-TEXT"}, {f"p{pk}-wished_change": "SECOND"}


def _formulation(world):
    url = reverse("inventory:formulation", args=[world["course"].pk])
    first = {"text": "FIRST-TAB-TEXT", "primary_area": "role_dispute"}
    return url, url, first, {"text": "SECOND-TAB-TEXT", "primary_area": "role_dispute"}


def _problem_area(world):
    url = reverse("inventory:problem_area", args=[world["area"].pk])
    return url, url, {"dispute_issues": "FIRST-TAB-TEXT"}, {"outcome": "SECOND-TAB-TEXT"}


def _session_focus(world):
    from datetime import timedelta

    from django.utils import timezone

    course = world["course"]
    course.sessions.filter(number=5).update(scheduled_start=timezone.now() - timedelta(hours=2))
    session = _attended(course, 5)
    url = reverse("inventory:session_focus", args=[session.pk])
    area, goal = str(world["area"].pk), str(world["goal"].pk)
    worked_on = f"area:{area}"
    return url, url, {"worked_on": worked_on}, {"worked_on": worked_on, "goals": goal}


def _termination_review(world):
    from datetime import timedelta

    from django.utils import timezone

    course = world["course"]
    course.sessions.filter(number__lte=10).update(
        scheduled_start=timezone.now() - timedelta(days=1)
    )
    for number in range(1, 11):
        _attended(course, number)
    url = reverse("inventory:termination_review", args=[course.pk])
    filled = {"feelings_about_ending": "sad", "warning_symptoms": "sleep", "ipos_patient": "4",
              "ipos_therapist": "3", "maintenance": "none"}  # fmt: skip
    return (
        url,
        url,
        filled | {"gains_reviewed": "FIRST-TAB-TEXT", "relapse_plan": "plan"},
        filled | {"gains_reviewed": "gains", "relapse_plan": "SECOND-TAB-TEXT"},
    )


def _clinic_settings(world):
    url = reverse("clinic_admin:settings")
    return url, url, {"contact_phone": "+44 20 7946 0000"}, {"name": "SECOND-TAB-NAME"}


def _flag_thresholds(world):
    url = reverse("clinic_admin:settings")
    return url, url, {"flags-gap_days": "21"}, {"flags-drift_sessions": "3"}


def _measure(world):
    session = _attended(world["course"], 1)
    url = reverse("sessions:session_measure", args=[session.pk, "phq9"])
    items = {f"item_{n}": "1" for n in range(1, 9)}
    # The first tab records a positive item 9: a stale second tab must never erase it unseen.
    return url, url, items | {"item_9": "2"}, items | {"item_9": "0", "item_1": "3"}


def _attendance(world):
    session = world["course"].sessions.get(number=1)
    url = reverse("sessions:session_attendance", args=[session.pk])
    first, second = {"attendance": "attended", "actual_minutes": "50"}, {"attendance": "no_show"}
    return url, url, first, second, ["attended"]


def _reschedule(world):
    from datetime import timedelta

    session = world["course"].sessions.get(number=8)
    url = reverse("sessions:session_reschedule", args=[session.pk])
    from django.utils import timezone

    moved = timezone.localtime(session.scheduled_start, world["clinic_admin"].clinic.zone)
    moved += timedelta(days=1)
    first = {"day": moved.date().isoformat()}
    return url, url, first, {"planned_minutes": "45"}, [f"{moved:%-d %b %Y %H:%M}"]


def _contract(world):
    url = reverse("sessions:course_contract", args=[world["course"].pk])
    first = {"new_planned": "14", "reason": "FIRST-TAB-TEXT", "agreed_with_patient": "on"}
    second = {"new_planned": "16", "reason": "SECOND-TAB-TEXT"}
    return url, url, first, second, ["Planned sessions", '<td class="stale-saved">14</td>']


def _note_review(world):
    from sessions import services

    session = _attended(world["course"], 1)
    actor = world["therapist"]
    services.session_note_save(
        by=actor, session=session, fields={"progress_note": "Seen.", "risk_check_note": "."}
    )
    services.session_sign(by=actor, session=session)
    url = reverse("sessions:session", args=[session.pk])
    action = reverse("caseload:note_review", args=[session.pk])
    first = {"status": "needs_revision", "comment": "FIRST-TAB-TEXT"}
    second = {"status": "co_signed", "comment": "SECOND-TAB-TEXT"}
    return url, action, first, second, ["needs revision", "FIRST-TAB-TEXT"]


def _fidelity(world):
    session = _attended(world["course"], 1)
    url = reverse("caseload:fidelity", args=[session.pk])
    return url, url, {"adherence": "4", "comment": "FIRST-TAB-TEXT"}, {"adherence": "2"}


EDIT_FORMS = {
    "measure (PHQ-9)": (_measure, "therapist"),
    "attendance": (_attendance, "therapist"),
    "moving a session": (_reschedule, "therapist"),
    "contract": (_contract, "therapist"),
    "supervisor's note review": (_note_review, "supervisor"),
    "fidelity rating": (_fidelity, "therapist"),
    "session note": (_note, "therapist"),
    "private note": (_private_note, "therapist"),
    "inventory person": (_person, "therapist"),
    "formulation": (_formulation, "therapist"),
    "problem-area work": (_problem_area, "therapist"),
    "session focus": (_session_focus, "therapist"),
    "termination review": (_termination_review, "therapist"),
    "clinic settings": (_clinic_settings, "clinic_admin"),
    "flag thresholds": (_flag_thresholds, "clinic_admin"),
}


@pytest.mark.parametrize("form_name", EDIT_FORMS)
def test_a_second_tab_on_an_edit_form_is_refused_and_loses_nothing(world, client_for, form_name):
    """Both tabs open the form; the first saves; the second, holding the older copy, saves a
    change of its own: refused, its input kept, the first one's saved value shown beside it;
    sent again from there, it saves (having seen both)."""
    from tests.forms import form_values

    setup, principal = EDIT_FORMS[form_name]
    url, action, first_change, second_change, *shown = setup(world)
    first, second = client_for(world[principal]), client_for(world[principal])
    marker = next(iter(first_change))

    def opened(client):
        return form_values(client.get(url).content.decode(), with_field=marker)

    def changed(values, change):
        return values | {name: [value] for name, value in change.items()}

    older = opened(second)  # the second tab opens first and stays open
    saved = first.post(action, changed(opened(first), first_change))
    assert saved.status_code == 302, saved.content.decode()[-3000:]

    stale = second.post(action, changed(older, second_change))
    assert stale.status_code in {200, 400}
    html = stale.content.decode()
    assert "Someone saved this record after you opened it" in html
    assert "Saved by someone else after you opened this page" in html
    kept = form_values(html, with_field=marker)
    for name, value in second_change.items():
        assert kept[name] == [value], f"{name}: the second tab's input was not kept"
    saved_meanwhile = html[
        html.index("stale-edit") : html.index("</section>", html.index("stale-edit"))
    ]
    for text in shown[0] if shown else [
        value for name, value in first_change.items() if second_change.get(name) != value
    ]:  # fmt: skip
        assert text in saved_meanwhile, f"what the first tab saved ({text}) is not shown"

    retried = second.post(action, kept)
    assert retried.status_code == 302  # saving again, having seen both, is deliberate


def test_a_goal_status_changed_in_another_tab_is_not_overwritten(world, client_for):
    from inventory.models import Goal
    from tests.forms import form_values

    goal = world["goal"]
    url = reverse("inventory:problem_area", args=[world["area"].pk])
    action = reverse("inventory:goal_update", args=[goal.pk])
    first, second = client_for(world["therapist"]), client_for(world["therapist"])
    field = f"g{goal.pk}-status"
    older = form_values(second.get(url).content.decode(), with_field=field)
    newer = form_values(first.get(url).content.decode(), with_field=field)
    assert first.post(action, newer | {field: ["achieved"]}).status_code == 302
    stale = second.post(action, older | {field: ["dropped"]})
    assert stale.status_code == 400
    assert "Someone saved this record after you opened it" in stale.content.decode()
    assert Goal.objects.get(pk=goal.pk).status == "achieved"
