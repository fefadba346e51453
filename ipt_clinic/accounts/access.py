"""The one permission layer. Every read of clinic data is scoped here.

Rules:
- nobody ever sees another clinic's rows;
- a therapist reads their own caseload; a supervisor also reads the caseloads of therapists
  under a supervision that is active today (clinical_owner_ids);
- a clinic admin sees the clinic's staff and patient roster, never clinical notes;
- the operator (superuser) belongs to no clinic and works only in Django's admin.

Each app's selectors apply these rules to their own models, so a scoping rule is written once.
Views fetch objects through those selectors with get_object_or_404: an object out of scope is
a 404, indistinguishable from one that does not exist. A role gate (a page meant for another
role) is a 403: the page's existence is no secret, and no object has been looked up yet.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AuditEvent, Supervision, User


class Role(StrEnum):
    THERAPIST = "therapist"
    SUPERVISOR = "supervisor"
    CLINIC_ADMIN = "clinic_admin"


# The roles that read the clinical record (a clinic admin manages accounts, never reads it).
CLINICAL_ROLES = (Role.THERAPIST, Role.SUPERVISOR)

ROLE_FLAGS = {
    Role.THERAPIST: "is_therapist",
    Role.SUPERVISOR: "is_supervisor",
    Role.CLINIC_ADMIN: "is_clinic_admin",
}
# Where each role lands after signing in, in order of precedence for people with several.
ROLE_HOMES = [
    (Role.THERAPIST, "therapist_home"),
    (Role.SUPERVISOR, "supervisor_home"),
    (Role.CLINIC_ADMIN, "clinic_admin_home"),
]


def is_clinic_member(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.clinic_id)


def has_role(user, role: Role) -> bool:
    return is_clinic_member(user) and getattr(user, ROLE_FLAGS[role])


def home_url_name(user) -> str | None:
    for role, url_name in ROLE_HOMES:
        if has_role(user, role):
            return url_name
    return None


def role_required(*roles: Role) -> Callable:
    """Gate a view to clinic members holding at least one of the roles (403 otherwise)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not any(has_role(request.user, role) for role in roles):
                raise PermissionDenied("This page is for another role.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def clinic_member_required(view: Callable) -> Callable:
    """Any signed-in member of a clinic, whatever their role."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_clinic_member(request.user):
            raise PermissionDenied("This page is for clinic staff.")
        return view(request, *args, **kwargs)

    return wrapped


# --- Scoping querysets ----------------------------------------------------------------------


def staff_for(user) -> QuerySet[User]:
    """The staff of the user's own clinic (empty for anyone outside a clinic)."""
    if not is_clinic_member(user):
        return User.objects.none()
    return User.objects.filter(clinic_id=user.clinic_id)


def supervisions_for(user) -> QuerySet[Supervision]:
    """Supervision links of the user's clinic, for its clinic admins."""
    if not has_role(user, Role.CLINIC_ADMIN):
        return Supervision.objects.none()
    return Supervision.objects.filter(supervisor__clinic_id=user.clinic_id)


def access_changes_for(user, *, since) -> QuerySet[AuditEvent]:
    """Changes since then to who may sign in and what they may see in the user's clinic
    (roles, supervision links, invitations, deactivation, second factors), for its admins:
    every admin sees what the others granted, themselves included."""
    if not has_role(user, Role.CLINIC_ADMIN):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.filter(clinic_id=user.clinic_id, at__gte=since)
    return events.access_changes().select_related("user").order_by("-at", "-id")


def supervisees_for(user, on=None) -> QuerySet[User]:
    """Therapists under a supervision by this user that is active on the day (today)."""
    if not has_role(user, Role.SUPERVISOR):
        return User.objects.none()
    day = on or timezone.localdate()
    links = Supervision.objects.active_on(day).filter(supervisor=user)
    return staff_for(user).filter(is_therapist=True, pk__in=links.values("therapist_id"))


def supervisors_of(user) -> QuerySet[User]:
    """Who supervises this therapist today."""
    if not is_clinic_member(user):
        return User.objects.none()
    links = Supervision.objects.active().filter(therapist=user)
    return staff_for(user).filter(is_supervisor=True, pk__in=links.values("supervisor_id"))


def clinical_owner_ids(user) -> QuerySet:
    """Ids of the therapists whose caseloads this user may read clinically, as a subquery.

    Own id for a therapist, plus active supervisees for a supervisor; nothing for anyone else.
    Selectors filter with ``therapist_id__in=clinical_owner_ids(user)``.
    """
    if not is_clinic_member(user):
        return User.objects.none().values("pk")
    own = Q(pk=user.pk) if user.is_therapist else Q(pk__in=[])
    supervised = Q(pk__in=supervisees_for(user).values("pk"))
    return staff_for(user).filter(own | supervised).values("pk")


def roster_clinic_id(user) -> int | None:
    """The clinic whose patient roster (names, contact, therapist) this user may list."""
    return user.clinic_id if has_role(user, Role.CLINIC_ADMIN) else None


# --- One object: who treats it, who may change it -------------------------------------------
# A clinical object (a patient, a course, a session, an inventory entry...) names the therapist
# treating it as `treating_therapist_id`, and says with `accepts_changes` whether its record is
# still open to change (a closed course's is not); the selectors decide who may see it at all.


def is_treating(user, obj) -> bool:
    """The user is the therapist of record of `obj`: its author, who alone sees their private
    notes and rates their own sessions."""
    return has_role(user, Role.THERAPIST) and obj.treating_therapist_id == user.pk


def may_edit(user, obj) -> bool:
    """The user may change `obj`: its treating therapist, while it accepts changes.
    Supervisors read their supervisees' records but never write them; admins see neither."""
    return is_treating(user, obj) and getattr(obj, "accepts_changes", True)


def editable_owner_ids(user) -> QuerySet:
    """Ids of the therapists whose clinical records this user may change: their own only.

    Supervisors read their supervisees' records but never write them.
    """
    if not has_role(user, Role.THERAPIST):
        return User.objects.none().values("pk")
    return staff_for(user).filter(pk=user.pk).values("pk")
