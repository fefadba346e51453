"""Every URL pattern, for every kind of person, against an explicit expected status: one for a
GET, and one for a POST, so that every URL that writes is also tested for who may write.

Add a row to EXPECTED when you add a URL: test_every_url_is_in_the_table fails until you do.
Statuses: 200 shown, 302 redirected (to sign-in for anonymous), 403 a page of another role,
404 an object out of scope (never 403, so existence does not leak), 405 wrong method.
A POST carries an empty body: for someone allowed to write it is an invalid form (200 shown
again with its errors, 400 for a panel form shown again on its page) or a button that worked
(302); for anyone else it is refused before anything is read or changed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.risk.test_pathway import ASSESSED, SAFETY_PLAN

PRINCIPALS = [
    "anonymous",
    "therapist",
    "colleague",
    "supervisor",
    "clinic_admin",
    "other_admin",
    "other_therapist",
    "inactive_user",
]
SIGNED_OUT = ("anonymous", "inactive_user")

# Shorthands for common rows.
PUBLIC = dict.fromkeys(PRINCIPALS, 200)
SIGNED_IN_ONLY = {**dict.fromkeys(PRINCIPALS, 200), "anonymous": 302, "inactive_user": 302}
EVERYONE_REDIRECTED = dict.fromkeys(PRINCIPALS, 302)


def only(*allowed: str) -> dict[str, int]:
    """A role page: 200 for the principals named, 403 for other staff, 302 for the signed out."""
    row = {p: (200 if p in allowed else 403) for p in PRINCIPALS}
    row["anonymous"] = row["inactive_user"] = 302
    return row


def no_kwargs(world) -> dict:
    return {}


def own_patient(world) -> dict:
    return {"pk": world["patient"].pk}


def own_course(world) -> dict:
    return {"pk": world["course"].pk}


def course_pk(world) -> dict:
    return {"course_pk": world["course"].pk}


def risk_episode(world) -> dict:
    return {"pk": world["episode"].pk}


def own_session(world) -> dict:
    return {"pk": world["session"].pk}


def failed_reminder(world) -> dict:
    return {"pk": world["failed_reminder"].pk}


def reminder_opt_out_token(world) -> dict:
    from sessions.reminders import opt_out_token

    return {"token": opt_out_token(world["session"].reminders.first())}


def treating(therapist_only: bool = False) -> dict[str, int]:
    """An object of `therapist`'s caseload: the therapist sees it, their supervisor reads it
    (unless the page is for the treating therapist only: then the role gate says 403),
    a colleague or another clinic's therapist gets 404, admins meet the role gate."""
    row = {
        "anonymous": 302,
        "inactive_user": 302,
        "therapist": 200,
        "colleague": 404,
        "other_therapist": 404,
        "supervisor": 403 if therapist_only else 200,
        "clinic_admin": 403,
        "other_admin": 403,
    }
    return row


def treating_write(allowed: int, *, supervisor: int = 403) -> dict[str, int]:
    """A POST that changes `therapist`'s caseload: only the treating therapist writes (and
    gets `allowed`). Their supervisor reads but never writes: 403 at a therapist-only role
    gate, or 404 where the page is also the supervisor's to read (the editable scope has no
    such object). Colleagues and other clinics get 404, admins the role gate."""
    return {**treating(therapist_only=True), "therapist": allowed, "supervisor": supervisor}


def supervising(allowed: int) -> dict[str, int]:
    """A supervisor's action on a supervisee's course or session: nobody else gets past the
    role gate (not even the treating therapist)."""
    return {**only("supervisor"), "supervisor": allowed}


POST_ONLY = dict.fromkeys(PRINCIPALS, 405)
THERAPISTS = ("therapist", "colleague", "other_therapist")
# As a POST row: the view answers GET (and HEAD) only.
GET_ONLY = dict.fromkeys(PRINCIPALS, 405)
SIGNED_IN_GET_ONLY = {**GET_ONLY, "anonymous": 302, "inactive_user": 302}
# As a POST row: the view takes any method and only reads, so a POST is answered like a GET.
AS_GET = "as GET"


def clinic_admin_only() -> dict[str, int]:
    """A clinic admin's page about something of `clinic_admin`'s clinic: another clinic's
    admin gets 404 (it is not theirs), everyone else meets the role gate."""
    return {**only("clinic_admin", "other_admin"), "other_admin": 404}


def clinic_admin_write(allowed: int) -> dict[str, int]:
    """A POST changing something of `clinic_admin`'s clinic: that admin gets `allowed`."""
    return {**clinic_admin_only(), "clinic_admin": allowed}


def staff_member(world) -> dict:
    return {"pk": world["therapist"].pk}


def supervision_link(world) -> dict:
    return {"pk": world["supervisor"].supervisions_given.first().pk}


def invitation_token(world) -> dict:
    from ipt_clinic.accounts.services import invitation_token

    return {"token": invitation_token(world["invitation"])}


# url name -> (kwargs for reverse, given the world of fixtures;
#              expected status per principal for a GET; and for a POST with an empty body)
EXPECTED = {
    "home": (no_kwargs, EVERYONE_REDIRECTED, AS_GET),
    "therapist_home": (no_kwargs, only(*THERAPISTS), AS_GET),
    "supervisor_home": (no_kwargs, only("supervisor"), AS_GET),
    "clinic_admin_home": (no_kwargs, only("clinic_admin", "other_admin"), AS_GET),
    "healthz": (no_kwargs, PUBLIC, GET_ONLY),
    "readyz": (no_kwargs, PUBLIC, GET_ONLY),
    # Signed-in people are sent on from the sign-in page to their home, whatever the method.
    "login": (
        no_kwargs,
        {**EVERYONE_REDIRECTED, "anonymous": 200, "inactive_user": 200},
        AS_GET,
    ),
    "logout": (no_kwargs, POST_ONLY, EVERYONE_REDIRECTED),  # to the sign-in page
    "password_change": (no_kwargs, SIGNED_IN_ONLY, AS_GET),
    "password_change_done": (no_kwargs, SIGNED_IN_ONLY, SIGNED_IN_GET_ONLY),
    "password_reset": (no_kwargs, PUBLIC, AS_GET),
    "password_reset_done": (no_kwargs, PUBLIC, GET_ONLY),
    "password_reset_confirm": (
        lambda world: {"uidb64": "MQ", "token": "not-a-valid-token"},
        PUBLIC,  # renders "this link no longer works"
        AS_GET,
    ),
    "password_reset_complete": (no_kwargs, PUBLIC, GET_ONLY),
    # My account and two-factor sign-in
    "my_account": (no_kwargs, SIGNED_IN_ONLY, AS_GET),
    # Signs out the person's own other sessions, then back to My account.
    "end_other_sign_ins": (no_kwargs, POST_ONLY, EVERYONE_REDIRECTED),
    "two_factor_setup": (no_kwargs, SIGNED_IN_ONLY, AS_GET),
    "two_factor_verify": (no_kwargs, SIGNED_IN_ONLY, AS_GET),
    # Only after the second step: everyone here is sent to it (or to sign in) first.
    "two_factor_recovery_codes": (no_kwargs, POST_ONLY, EVERYONE_REDIRECTED),
    "staff:two_factor_reset": (staff_member, POST_ONLY, clinic_admin_write(302)),
    # Patients
    "patients:list": (no_kwargs, only(*THERAPISTS, "supervisor"), AS_GET),
    "patients:create": (no_kwargs, only(*THERAPISTS), AS_GET),
    "clinic_admin:roster": (no_kwargs, only("clinic_admin", "other_admin"), AS_GET),
    "patients:detail": (own_patient, treating(), AS_GET),
    "patients:edit": (own_patient, treating(therapist_only=True), treating_write(200)),
    "patients:archive": (own_patient, POST_ONLY, treating_write(302)),
    "patients:restore": (own_patient, POST_ONLY, treating_write(302)),
    # Courses and sessions
    "sessions:course_open": (
        lambda world: {"patient_pk": world["patient"].pk},
        treating(therapist_only=True),
        treating_write(200),
    ),
    "sessions:course": (own_course, treating(), AS_GET),
    "sessions:course_contract": (own_course, treating(therapist_only=True), treating_write(200)),
    "sessions:course_close": (own_course, treating(therapist_only=True), treating_write(200)),
    "sessions:session": (own_session, treating(), AS_GET),
    "sessions:session_reschedule": (
        own_session,
        treating(therapist_only=True),
        treating_write(200),
    ),
    "sessions:session_attendance": (
        own_session,
        treating(therapist_only=True),
        treating_write(200),
    ),
    "sessions:session_note": (own_session, treating(therapist_only=True), treating_write(200)),
    # The workspace: an empty POST saves nothing and comes back to it.
    "sessions:session_workspace": (
        own_session,
        treating(therapist_only=True),
        treating_write(302),
    ),
    # The workspace's autosave: POST only, the author's draft, never the record.
    "sessions:workspace_draft": (own_session, POST_ONLY, treating_write(200)),
    "sessions:session_amend": (own_session, treating(therapist_only=True), treating_write(200)),
    "sessions:session_measure": (
        lambda world: {"pk": world["session"].pk, "kind": "phq9"},
        treating(therapist_only=True),
        treating_write(200),
    ),
    "sessions:session_private_note": (own_session, POST_ONLY, treating_write(302)),
    "sessions:session_sign": (own_session, POST_ONLY, treating_write(302)),
    # Reminders: failures for clinic admins; the patient's opt-out link is public (signed).
    "clinic_admin:reminder_failures": (no_kwargs, only("clinic_admin", "other_admin"), AS_GET),
    "clinic_admin:reminder_retry": (failed_reminder, POST_ONLY, clinic_admin_write(302)),
    # A POST is the one-click opt-out itself (RFC 8058), CSRF-exempt: its token is the authority.
    "sessions:reminder_opt_out": (reminder_opt_out_token, PUBLIC, PUBLIC),
    # Inventory, timeline, formulation, problem areas, termination. A supervisor reads these
    # pages, so a POST of theirs passes the role gate and finds nothing to edit: 404.
    "inventory:inventory": (course_pk, treating(), treating_write(200, supervisor=404)),
    "inventory:circle": (course_pk, treating(), AS_GET),
    "inventory:person_edit": (
        lambda world: {"pk": world["person"].pk},
        treating(therapist_only=True),
        treating_write(200),
    ),
    "inventory:person_remove": (
        lambda world: {"pk": world["person"].pk},
        POST_ONLY,
        treating_write(302),
    ),
    "inventory:timeline": (course_pk, treating(), treating_write(200, supervisor=404)),
    "inventory:event_remove": (
        lambda world: {"pk": world["event"].pk},
        POST_ONLY,
        treating_write(302),
    ),
    "inventory:formulation": (course_pk, treating(), treating_write(200, supervisor=404)),
    # Every field of the area's work is optional: an empty form is saved.
    "inventory:problem_area": (
        lambda world: {"pk": world["area"].pk},
        treating(),
        treating_write(302, supervisor=404),
    ),
    "inventory:dispute_stage": (
        lambda world: {"pk": world["area"].pk},
        POST_ONLY,
        treating_write(400),
    ),
    "inventory:goal_add": (lambda world: {"pk": world["area"].pk}, POST_ONLY, treating_write(400)),
    "inventory:goal_update": (
        lambda world: {"pk": world["goal"].pk},
        POST_ONLY,
        treating_write(400),
    ),
    "inventory:session_focus": (
        lambda world: {"session_pk": world["session"].pk},
        treating(therapist_only=True),
        treating_write(200),
    ),
    "inventory:termination_review": (course_pk, treating(), treating_write(200, supervisor=404)),
    "inventory:course_summary": (course_pk, treating(), AS_GET),
    # The risk pathway: the treating therapist writes, their supervisor reads (a POST of
    # theirs on a page they read finds nothing to edit: 404); alerts are their recipient's.
    "risk:open": (course_pk, treating(therapist_only=True), treating_write(200)),
    "risk:episode": (risk_episode, treating(), AS_GET),
    "risk:assess": (risk_episode, treating(therapist_only=True), treating_write(200)),
    "risk:safety_plan": (risk_episode, treating(therapist_only=True), treating_write(200)),
    "risk:safety_plan_print": (risk_episode, treating(), AS_GET),
    "risk:close": (risk_episode, POST_ONLY, treating_write(400)),
    "risk:alerts": (
        no_kwargs,
        only(*THERAPISTS, "supervisor", "clinic_admin", "other_admin"),
        AS_GET,
    ),
    "risk:acknowledge": (
        lambda world: {"pk": world["alert"].pk},
        POST_ONLY,
        {
            **dict.fromkeys(PRINCIPALS, 404),
            "anonymous": 302,
            "inactive_user": 302,
            "supervisor": 302,
        },
    ),
    # Supervision
    "caseload:note_add": (own_course, POST_ONLY, supervising(400)),
    "caseload:course_reviewed": (own_course, POST_ONLY, supervising(302)),
    "caseload:note_review": (own_session, POST_ONLY, supervising(400)),
    # The therapist rates their own session, their supervisor rates it too.
    "caseload:fidelity": (own_session, treating(), treating()),
    # Clinic administration: staff of the admin's own clinic only (another clinic's are 404).
    "staff:list": (no_kwargs, only("clinic_admin", "other_admin"), AS_GET),
    "staff:invite": (no_kwargs, only("clinic_admin", "other_admin"), AS_GET),
    "staff:detail": (staff_member, clinic_admin_only(), clinic_admin_write(200)),
    "staff:deactivate": (staff_member, POST_ONLY, clinic_admin_write(302)),
    "staff:reactivate": (staff_member, POST_ONLY, clinic_admin_write(302)),
    "staff:invitation_withdraw": (
        lambda world: {"pk": world["invitation"].pk},
        POST_ONLY,
        clinic_admin_write(302),
    ),
    # Another clinic's admin adds links in their own clinic: the empty form is refused.
    "staff:supervisions": (no_kwargs, only("clinic_admin", "other_admin"), AS_GET),
    "staff:supervision_edit": (supervision_link, clinic_admin_only(), clinic_admin_write(200)),
    "staff:supervision_end": (supervision_link, POST_ONLY, clinic_admin_write(302)),
    # Public: the link in an invitation email, authorised by its signed token.
    "invitation_accept": (invitation_token, PUBLIC, AS_GET),
    "clinic_admin:handover": (staff_member, clinic_admin_only(), clinic_admin_write(200)),
    # Each admin's own clinic: the settings form refused empty, the report, its export.
    "clinic_admin:settings": (no_kwargs, only("clinic_admin", "other_admin"), AS_GET),
    "clinic_admin:audit": (no_kwargs, only("clinic_admin", "other_admin"), AS_GET),
    "clinic_admin:audit_export": (no_kwargs, POST_ONLY, only("clinic_admin", "other_admin")),
}

# Django's own admin is for the operator only; tested in test_operator_admin below.
EXCLUDED_NAMESPACES = {"admin"}


def expected_post(url_name: str) -> dict[str, int]:
    _, get_row, post_row = EXPECTED[url_name]
    return get_row if post_row is AS_GET else post_row


def all_url_names(resolver=None, namespace=None) -> set[str]:
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace
            if inner in EXCLUDED_NAMESPACES:
                continue
            prefix = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            names |= all_url_names(entry, prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}:{entry.name}" if namespace else entry.name)
    return names


def test_every_url_is_in_the_table():
    names = all_url_names()
    missing = sorted(names - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - names)
    assert not missing, f"URLs without an expected-status row: {missing}"
    assert not stale, f"rows for URLs that no longer exist: {stale}"
    for name, row in EXPECTED.items():
        assert len(row) == 3, f"{name}: a row is (kwargs, GET statuses, POST statuses)"
        _, get_row, post_row = row
        assert set(get_row) == set(PRINCIPALS), f"{name}: GET row must name every principal"
        assert post_row is AS_GET or set(post_row) == set(PRINCIPALS), (
            f"{name}: POST row must name every principal (or be AS_GET)"
        )


def test_unnamed_url_patterns_are_refused():
    """A pattern without a name could not be listed in the table, so none may exist."""

    def unnamed(resolver):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace not in EXCLUDED_NAMESPACES:
                    yield from unnamed(entry)
            elif not entry.name:
                yield str(entry.pattern)

    assert list(unnamed(get_resolver())) == []


def _mismatch(method: str, url: str, principal: str, response, expected: int) -> list[str]:
    """What is wrong with `principal`'s answer ([] if nothing)."""
    if response.status_code != expected:
        return [f"{principal} {method} {url}: {response.status_code}, expected {expected}"]
    signed_out = response.status_code == 302 and principal in SIGNED_OUT
    if signed_out and not response.url.startswith(reverse("login")):
        return [f"{principal} {method} {url}: sent to {response.url}, not to sign in"]
    return []


# One test per URL asks it as every principal in turn, on one world: building the world
# (two courses booked through the services) is most of a test's time, and a GET, or a POST
# that is refused, changes nothing the next principal's answer depends on (the refused-write
# tests below prove the latter). Every principal is asked even when one fails; the failure
# lists them all.
@pytest.mark.parametrize("url_name", sorted(EXPECTED))
def test_access(url_name, world, client_for):
    make_kwargs, expected, _ = EXPECTED[url_name]
    url = reverse(url_name, kwargs=make_kwargs(world))
    wrong = []
    for principal in PRINCIPALS:
        response = client_for(world[principal]).get(url)
        wrong += _mismatch("GET", url, principal, response, expected[principal])
    assert not wrong, "\n".join(wrong)


# Cases a known defect makes fail, as (url name, principal) -> why: expected to fail until
# the fix, which is then noticed (the entry must go). None today (an empty POST to the
# formulation gave a 500, fixed).
KNOWN_DEFECTS: dict[tuple[str, str], str] = {}
REFUSALS = {302, 403, 404, 405}


def _refused_first(url_name: str) -> list[str]:
    """The principals in the order they POST: those refused first, so that an allowed POST
    (which may change the world: an archive, a sign-out) comes after every refusal."""
    row = expected_post(url_name)

    def allowed(principal: str) -> bool:
        return principal not in SIGNED_OUT and row[principal] not in REFUSALS - {302}

    return sorted(
        PRINCIPALS, key=lambda principal: (allowed(principal), PRINCIPALS.index(principal))
    )


@pytest.mark.parametrize("url_name", sorted(EXPECTED))
def test_post_access(url_name, world, client_for):
    """Who may write: an empty POST (with a valid CSRF token: client_for does not check it;
    CSRF is tested in test_sweep) gets the row's status, for every principal."""
    make_kwargs = EXPECTED[url_name][0]
    url = reverse(url_name, kwargs=make_kwargs(world))
    row = expected_post(url_name)
    wrong = []
    for principal in _refused_first(url_name):
        response = client_for(world[principal]).post(url, {})
        mismatch = _mismatch("POST", url, principal, response, row[principal])
        defect = KNOWN_DEFECTS.get((url_name, principal))
        if defect and not mismatch:
            wrong.append(f"{principal} POST {url}: fixed ({defect}): remove it from KNOWN_DEFECTS")
        elif not defect:
            wrong += mismatch
    assert not wrong, "\n".join(wrong)


# --- A refused write changes nothing ------------------------------------------------------------
#
# For each URL whose POST changes state, a body that does change it when the allowed person
# sends it (test_allowed_write_changes_the_record proves that, so the check has teeth), and the
# same body from everyone the POST row refuses, after which no row may differ.

OUR_APPS = {
    "accounts",
    "patients",
    "therapy_sessions",
    "inventory",
    "caseload",
    "otp_totp",
    "otp_static",
}
# Bookkeeping that any request may touch, and facts derived from the record (see test_sweep).
NOT_THE_RECORD = {"accounts.signinsession", "caseload.coursefacts"}


def record_snapshot() -> dict[str, list[dict]]:
    """Every row of every table of the record (audit trail included), as plain values."""
    return {
        model._meta.label_lower: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS and model._meta.label_lower not in NOT_THE_RECORD
    }


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])


def nothing(world) -> dict:
    return {}


def no_preparation(world) -> None:
    pass


def course_closed(world) -> None:
    from sessions.models import Course

    Course.objects.filter(pk=world["course"].pk).update(
        status=Course.Status.COMPLETED, ended_on=timezone.localdate()
    )


def patient_archived(world) -> None:
    from patients.models import Patient

    course_closed(world)
    Patient.objects.filter(pk=world["patient"].pk).update(
        status=Patient.Status.ARCHIVED, archived_at=timezone.now()
    )


def caseload_closed(world) -> None:
    """Every course of the therapist's closed and their patients archived: nothing stands in
    the way of deactivating them."""
    from patients.models import Patient
    from sessions.models import Course

    courses = Course.objects.filter(therapist=world["therapist"])
    courses.update(status=Course.Status.COMPLETED, ended_on=timezone.localdate())
    Patient.objects.filter(therapist=world["therapist"]).update(
        status=Patient.Status.ARCHIVED, archived_at=timezone.now()
    )


def therapist_inactive(world) -> None:
    caseload_closed(world)
    type(world["therapist"]).objects.filter(pk=world["therapist"].pk).update(is_active=False)


def session_attended(world) -> None:
    from tests.conftest import attend

    attend(world["session"])


def note_ready_to_sign(world) -> None:
    from sessions import services

    session = world["session"]
    actor = world["therapist"]
    session_attended(world)
    services.measure_record(
        by=actor,
        session=session,
        kind="phq9",
        answers={f"item_{n}": 0 for n in range(1, 10)},
    )
    services.session_note_save(
        by=actor, session=session, fields={"progress_note": "Talked about the move."}
    )


def note_signed(world) -> None:
    from sessions import services

    note_ready_to_sign(world)
    services.session_sign(by=world["therapist"], session=world["session"])


def episode_assessed(world) -> None:
    from risk import services as risk_services
    from tests.risk.test_pathway import ASSESSED

    risk_services.assessment_record(
        by=world["therapist"], episode=world["episode"], session=None, fields=ASSESSED
    )


def person_unused(world) -> None:
    """The person is no longer the other party of the dispute, so they may be taken off."""
    from inventory.models import Area

    area = world["area"]
    area.area, area.other_party = Area.ROLE_TRANSITION, None
    area.save()


def therapist_has_second_factor(world) -> None:
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=world["therapist"], name="authenticator", confirmed=True)
    StaticDevice.objects.create(user=world["therapist"], name="recovery codes", confirmed=True)


@dataclass(frozen=True)
class Write:
    allowed: str  # who may make this write
    body: Callable[[dict], dict] = nothing
    prepare: Callable[[dict], None] = field(default=no_preparation)


WRITES = {
    "sessions:session_sign": Write("therapist", prepare=note_ready_to_sign),
    "sessions:session_workspace": Write(
        "therapist",
        body=lambda world: {"note-progress_note": "Edited by someone.", "action": "save"},
        prepare=session_attended,
    ),
    "sessions:session_note": Write(
        "therapist",
        body=lambda world: {"progress_note": "Edited by someone."},
        prepare=session_attended,
    ),
    "sessions:session_private_note": Write(
        "therapist", body=lambda world: {"text": "Written by someone."}
    ),
    "patients:archive": Write("therapist", prepare=course_closed),
    "patients:restore": Write("therapist", prepare=patient_archived),
    "staff:deactivate": Write(
        "clinic_admin", body=lambda world: {"confirm": "yes"}, prepare=caseload_closed
    ),
    "staff:reactivate": Write("clinic_admin", prepare=therapist_inactive),
    "staff:supervision_end": Write("clinic_admin"),
    "staff:invitation_withdraw": Write("clinic_admin"),
    "staff:two_factor_reset": Write("clinic_admin", prepare=therapist_has_second_factor),
    "clinic_admin:reminder_retry": Write("clinic_admin"),
    # Pages a supervisor reads too: their POST passes the role gate, and must still not write.
    "inventory:inventory": Write(
        "therapist",
        body=lambda world: {"name": "Mo", "relation": "brother", "ring": "2", "contact": "weekly"},
    ),
    "inventory:timeline": Write(
        "therapist",
        body=lambda world: {
            "occurred_on": world["course"].start_date.isoformat(),
            "kind": "event",
            "description": "lost job",
            "mood_effect": "worse",
        },
    ),
    "inventory:problem_area": Write(
        "therapist", body=lambda world: {"dispute_issues": "Who does the chores."}
    ),
    "inventory:person_remove": Write("therapist", prepare=person_unused),
    "inventory:event_remove": Write("therapist"),
    "inventory:goal_add": Write(
        "therapist", body=lambda world: {"text": "Say no once a week", "status": "open"}
    ),
    "inventory:goal_update": Write(
        "therapist", body=lambda world: {f"g{world['goal'].pk}-status": "achieved"}
    ),
    "inventory:dispute_stage": Write(
        "therapist",
        body=lambda world: {
            "stage": "impasse",
            "changed_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
    ),
    "risk:open": Write("therapist", body=lambda world: {"reason": "Said she feels a burden."}),
    "risk:assess": Write("therapist", body=lambda world: dict(ASSESSED)),
    "risk:safety_plan": Write("therapist", body=lambda world: dict(SAFETY_PLAN)),
    "risk:close": Write(
        "therapist", body=lambda world: {"review": "Reviewed."}, prepare=episode_assessed
    ),
    "risk:acknowledge": Write("supervisor"),
    "caseload:note_add": Write("supervisor", body=lambda world: {"text": "Watch the dispute."}),
    "caseload:course_reviewed": Write("supervisor"),
    "caseload:note_review": Write(
        "supervisor", body=lambda world: {"status": "co_signed"}, prepare=note_signed
    ),
    "clinic_admin:audit_export": Write("clinic_admin"),
}


def refused(url_name: str) -> list[str]:
    """Who the POST row turns away: signed out, the wrong role, or out of scope."""
    row = expected_post(url_name)
    return [p for p in PRINCIPALS if p in SIGNED_OUT or row[p] in {403, 404, 405}]


def _post_write(url_name: str, principal: str, world, client_for):
    """POST the write's body as `principal` (the world prepared): the answer, and the
    tables whose rows changed."""
    url = reverse(url_name, kwargs=EXPECTED[url_name][0](world))
    client = client_for(world[principal])  # signs in (last_login) before the snapshot
    before = record_snapshot()
    response = client.post(url, WRITES[url_name].body(world))
    return response, changed_tables(before, record_snapshot())


def _write(url_name: str, principal: str, world, client_for):
    WRITES[url_name].prepare(world)
    return _post_write(url_name, principal, world, client_for)


def test_every_write_has_an_allowed_principal():
    for url_name, write in WRITES.items():
        assert url_name in EXPECTED, url_name
        assert write.allowed not in refused(url_name), url_name


@pytest.mark.parametrize("url_name", sorted(WRITES))
def test_refused_write_changes_nothing(url_name, world, client_for):
    """Everyone the POST row refuses sends the body that changes the record when the allowed
    person sends it; after each, no row differs (one world per URL: nothing changed it)."""
    WRITES[url_name].prepare(world)
    wrong = []
    for principal in refused(url_name):
        response, changed = _post_write(url_name, principal, world, client_for)
        if response.status_code not in {302, 403, 404, 405}:
            wrong.append(f"{principal} POST {url_name}: {response.status_code}")
        if changed:
            wrong.append(f"{principal} POST {url_name} ({response.status_code}) changed {changed}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("url_name", sorted(WRITES))
def test_allowed_write_changes_the_record(url_name, world, client_for):
    """The body and preparation of each write do change something for the allowed person,
    so that test_refused_write_changes_nothing would see it if a refused one got through."""
    response, changed = _write(url_name, WRITES[url_name].allowed, world, client_for)
    assert response.status_code in {200, 302}, response.status_code
    assert changed, f"{url_name}: the allowed write changed nothing"


@pytest.mark.parametrize(
    "principal", ["therapist", "supervisor", "clinic_admin", "other_admin", "inactive_user"]
)
def test_operator_admin_is_closed_to_clinic_staff(principal, world, client_for):
    response = client_for(world[principal]).get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_operator_admin_opens_for_superuser(operator, client_for):
    assert client_for(operator).get(reverse("admin:index")).status_code == 200
