"""Every URL pattern, for every kind of person, against an explicit expected status.

Add a row to EXPECTED when you add a URL: test_every_url_is_in_the_table fails until you do.
Statuses: 200 shown, 302 redirected (to sign-in for anonymous), 403 a page of another role,
404 an object out of scope (never 403, so existence does not leak), 405 wrong method.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

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

# Shorthands for common rows.
PUBLIC = dict.fromkeys(PRINCIPALS, 200)
SIGNED_IN_ONLY = {**dict.fromkeys(PRINCIPALS, 200), "anonymous": 302, "inactive_user": 302}


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


def own_session(world) -> dict:
    return {"pk": world["session"].pk}


def own_reminder(world) -> dict:
    return {"pk": world["session"].reminders.first().pk}


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


POST_ONLY = dict.fromkeys(PRINCIPALS, 405)
THERAPISTS = ("therapist", "colleague", "other_therapist")


def clinic_admin_only() -> dict[str, int]:
    """A clinic admin's page about something of `clinic_admin`'s clinic: another clinic's
    admin gets 404 (it is not theirs), everyone else meets the role gate."""
    return {**only("clinic_admin", "other_admin"), "other_admin": 404}


def staff_member(world) -> dict:
    return {"pk": world["therapist"].pk}


def invitation_token(world) -> dict:
    from ipt_clinic.accounts.services import invitation_token

    return {"token": invitation_token(world["invitation"])}


# url name -> (kwargs for reverse, given the world of fixtures; expected status per principal)
EXPECTED = {
    "home": (no_kwargs, {**dict.fromkeys(PRINCIPALS, 302)}),
    "therapist_home": (no_kwargs, only("therapist", "colleague", "other_therapist")),
    "supervisor_home": (no_kwargs, only("supervisor")),
    "clinic_admin_home": (no_kwargs, only("clinic_admin", "other_admin")),
    "healthz": (no_kwargs, PUBLIC),
    # Signed-in people are sent on from the sign-in page to their home.
    "login": (
        no_kwargs,
        {**dict.fromkeys(PRINCIPALS, 302), "anonymous": 200, "inactive_user": 200},
    ),
    "logout": (no_kwargs, dict.fromkeys(PRINCIPALS, 405)),  # POST only
    "password_change": (no_kwargs, SIGNED_IN_ONLY),
    "password_change_done": (no_kwargs, SIGNED_IN_ONLY),
    "password_reset": (no_kwargs, PUBLIC),
    "password_reset_done": (no_kwargs, PUBLIC),
    "password_reset_confirm": (
        lambda world: {"uidb64": "MQ", "token": "not-a-valid-token"},
        PUBLIC,  # renders "this link no longer works"
    ),
    "password_reset_complete": (no_kwargs, PUBLIC),
    # My account and two-factor sign-in
    "my_account": (no_kwargs, SIGNED_IN_ONLY),
    "end_other_sign_ins": (no_kwargs, POST_ONLY),
    "two_factor_setup": (no_kwargs, SIGNED_IN_ONLY),
    "two_factor_verify": (no_kwargs, SIGNED_IN_ONLY),
    "two_factor_recovery_codes": (no_kwargs, POST_ONLY),
    "two_factor_reset": (lambda world: {"pk": world["therapist"].pk}, POST_ONLY),
    # Patients
    "patients:list": (no_kwargs, only(*THERAPISTS, "supervisor")),
    "patients:create": (no_kwargs, only(*THERAPISTS)),
    "patients:roster": (no_kwargs, only("clinic_admin", "other_admin")),
    "patients:detail": (own_patient, treating()),
    "patients:edit": (own_patient, treating(therapist_only=True)),
    "patients:archive": (own_patient, POST_ONLY),
    "patients:restore": (own_patient, POST_ONLY),
    # Courses and sessions
    "sessions:course_open": (
        lambda world: {"patient_pk": world["patient"].pk},
        treating(therapist_only=True),
    ),
    "sessions:course": (own_course, treating()),
    "sessions:course_contract": (own_course, treating(therapist_only=True)),
    "sessions:course_close": (own_course, treating(therapist_only=True)),
    "sessions:session": (own_session, treating()),
    "sessions:session_reschedule": (own_session, treating(therapist_only=True)),
    "sessions:session_attendance": (own_session, treating(therapist_only=True)),
    "sessions:session_note": (own_session, treating(therapist_only=True)),
    "sessions:session_amend": (own_session, treating(therapist_only=True)),
    "sessions:session_measure": (
        lambda world: {"pk": world["session"].pk, "kind": "phq9"},
        treating(therapist_only=True),
    ),
    "sessions:session_private_note": (own_session, POST_ONLY),
    "sessions:session_sign": (own_session, POST_ONLY),
    # Reminders: failures for clinic admins; the patient's opt-out link is public (signed).
    "sessions:reminder_failures": (no_kwargs, only("clinic_admin", "other_admin")),
    "sessions:reminder_retry": (own_reminder, POST_ONLY),
    "sessions:reminder_opt_out": (reminder_opt_out_token, PUBLIC),
    # Inventory, timeline, formulation, problem areas, termination
    "inventory:inventory": (course_pk, treating()),
    "inventory:circle": (course_pk, treating()),
    "inventory:person_edit": (
        lambda world: {"pk": world["person"].pk},
        treating(therapist_only=True),
    ),
    "inventory:person_remove": (lambda world: {"pk": world["person"].pk}, POST_ONLY),
    "inventory:timeline": (course_pk, treating()),
    "inventory:event_remove": (lambda world: {"pk": world["event"].pk}, POST_ONLY),
    "inventory:formulation": (course_pk, treating()),
    "inventory:problem_area": (lambda world: {"pk": world["area"].pk}, treating()),
    "inventory:dispute_stage": (lambda world: {"pk": world["area"].pk}, POST_ONLY),
    "inventory:goal_add": (lambda world: {"pk": world["area"].pk}, POST_ONLY),
    "inventory:goal_update": (lambda world: {"pk": world["goal"].pk}, POST_ONLY),
    "inventory:session_focus": (
        lambda world: {"session_pk": world["session"].pk},
        treating(therapist_only=True),
    ),
    "inventory:termination_review": (course_pk, treating()),
    "inventory:course_summary": (course_pk, treating()),
    # Supervision
    "caseload:note_add": (own_course, POST_ONLY),
    "caseload:course_reviewed": (own_course, POST_ONLY),
    "caseload:note_review": (own_session, POST_ONLY),
    "caseload:fidelity": (own_session, treating()),  # the therapist rates their own session
    # Clinic administration: staff of the admin's own clinic only (another clinic's are 404).
    "staff:list": (no_kwargs, only("clinic_admin", "other_admin")),
    "staff:invite": (no_kwargs, only("clinic_admin", "other_admin")),
    "staff:detail": (staff_member, clinic_admin_only()),
    "staff:deactivate": (staff_member, POST_ONLY),
    "staff:reactivate": (staff_member, POST_ONLY),
    "staff:invitation_withdraw": (lambda world: {"pk": world["invitation"].pk}, POST_ONLY),
    "staff:supervisions": (no_kwargs, only("clinic_admin", "other_admin")),
    "staff:supervision_edit": (
        lambda world: {"pk": world["supervisor"].supervisions_given.first().pk},
        clinic_admin_only(),
    ),
    "staff:supervision_end": (
        lambda world: {"pk": world["supervisor"].supervisions_given.first().pk},
        POST_ONLY,
    ),
    # Public: the link in an invitation email, authorised by its signed token.
    "staff:invitation_accept": (invitation_token, PUBLIC),
    "sessions:handover": (staff_member, clinic_admin_only()),
    "clinic_admin:settings": (no_kwargs, only("clinic_admin", "other_admin")),
    "clinic_admin:audit": (no_kwargs, only("clinic_admin", "other_admin")),
    "clinic_admin:audit_export": (no_kwargs, POST_ONLY),
}

# Django's own admin is for the operator only; tested in test_operator_admin below.
EXCLUDED_NAMESPACES = {"admin"}


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


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("url_name", sorted(EXPECTED))
def test_access(url_name, principal, world, client_for):
    make_kwargs, expected = EXPECTED[url_name]
    url = reverse(url_name, kwargs=make_kwargs(world))
    response = client_for(world[principal]).get(url)
    assert response.status_code == expected[principal], (
        f"{principal} GET {url}: {response.status_code}, expected {expected[principal]}"
    )
    if response.status_code == 302 and principal in {"anonymous", "inactive_user"}:
        assert response.url.startswith(reverse("login")), response.url


@pytest.mark.parametrize(
    "principal", ["therapist", "supervisor", "clinic_admin", "other_admin", "inactive_user"]
)
def test_operator_admin_is_closed_to_clinic_staff(principal, world, client_for):
    response = client_for(world[principal]).get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_operator_admin_opens_for_superuser(operator, client_for):
    assert client_for(operator).get(reverse("admin:index")).status_code == 200
