"""Staff administration by a clinic's admins: invitations, roles, supervision links,
deactivation and reactivation. Every write is atomic and audited; nobody is ever deleted."""

from datetime import date

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ipt_clinic import hooks
from ipt_clinic.versions import EditVersion, check_current

from .audit import Action, audit_record
from .models import (
    INVITATION_VALID_FOR,
    Invitation,
    Supervision,
    User,
    canonical_email,
    role_names_of,
)
from .signins import sign_ins_end

INVITATION_SALT = "ipt_clinic.accounts.invitation"
ROLE_FIELDS = ("is_therapist", "is_supervisor", "is_clinic_admin")


def _roles_text(holder) -> str:
    return ", ".join(role_names_of(holder)) or "no role"


# --- Invitations ----------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """Signed and timestamped: it names the invitation, and nobody can make one up."""
    return signing.TimestampSigner(salt=INVITATION_SALT).sign(str(invitation.pk))


def invitation_url(invitation: Invitation) -> str:
    path = reverse("invitation_accept", kwargs={"token": invitation_token(invitation)})
    return f"{settings.SITE_URL}{path}"


class InvitationUnusable(Exception):
    """The link cannot be used; `reason` says why in words for the invitee."""

    def __init__(self, reason: str, invitation: Invitation | None = None):
        super().__init__(reason)
        self.reason = reason
        self.invitation = invitation


def invitation_for_token(token: str) -> Invitation:
    """The pending invitation a link names, or InvitationUnusable saying why not."""
    signer = signing.TimestampSigner(salt=INVITATION_SALT)
    try:
        pk = int(signer.unsign(token, max_age=INVITATION_VALID_FOR))
    except signing.SignatureExpired:
        raise InvitationUnusable("expired") from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise InvitationUnusable("invalid") from None
    invitation = Invitation.objects.select_related("clinic", "invited_by").filter(pk=pk).first()
    if invitation is None:
        raise InvitationUnusable("invalid")
    if invitation.accepted_at is not None:
        raise InvitationUnusable("used", invitation)
    if invitation.revoked_at is not None:
        raise InvitationUnusable("withdrawn", invitation)
    if invitation.is_expired:
        raise InvitationUnusable("expired", invitation)
    return invitation


def _invitation_email(invitation: Invitation) -> EmailMessage:
    zone = invitation.clinic.zone
    context = {
        "invitation": invitation,
        "clinic": invitation.clinic,
        "url": invitation_url(invitation),
        "expires_at": timezone.localtime(invitation.expires_at, zone),
        "roles": _roles_text(invitation),
    }
    subject = render_to_string("accounts/invitation_email_subject.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=render_to_string("accounts/invitation_email.txt", context),
        to=[invitation.email],
    )


@transaction.atomic
def invitation_send(
    *,
    by: User,
    email: str,
    full_name: str,
    is_therapist: bool = False,
    is_supervisor: bool = False,
    is_clinic_admin: bool = False,
) -> Invitation:
    """Invite someone to the admin's clinic by email. A newer invitation to the same address
    replaces an older one still pending (whose roles may differ).

    The email goes out inside the transaction: if the mail server refuses it, nothing is saved
    and the admin is told, rather than an invitation existing that nobody received.
    """
    admin = by
    email = canonical_email(email)
    if User.objects.email_taken(email):
        raise ValidationError({"email": "An account with this email address already exists."})
    Invitation.objects.pending().filter(clinic_id=admin.clinic_id, email__iexact=email).update(
        revoked_at=timezone.now()
    )
    invitation = Invitation(
        clinic_id=admin.clinic_id,
        email=email,
        full_name=full_name.strip(),
        is_therapist=is_therapist,
        is_supervisor=is_supervisor,
        is_clinic_admin=is_clinic_admin,
        invited_by=admin,
    )
    invitation.full_clean()
    invitation.save()
    audit_record(
        action=Action.CREATE,
        by=by,
        obj=invitation,
        detail=f"invited {email} as {_roles_text(invitation)}",
    )
    _invitation_email(invitation).send(using="default")
    return invitation


@transaction.atomic
def invitation_withdraw(*, by: User, invitation: Invitation) -> bool:
    withdrawn = (
        Invitation.objects.pending().filter(pk=invitation.pk).update(revoked_at=timezone.now())
    )
    if withdrawn:
        audit_record(
            action=Action.UPDATE,
            by=by,
            obj=invitation,
            detail=f"invitation of {invitation.email} withdrawn",
        )
    return bool(withdrawn)


def invitation_new_user(invitation: Invitation) -> User:
    """The account an invitation would create (unsaved), for the password validators."""
    return User(
        email=invitation.email,
        full_name=invitation.full_name,
        clinic_id=invitation.clinic_id,
        **{field: getattr(invitation, field) for field in ROLE_FIELDS},
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str) -> User:
    """Create the invitee's account with the password they chose. Works once: the
    invitation is claimed by a conditional UPDATE, so two tabs cannot both use it."""
    claimed = (
        Invitation.objects.pending().filter(pk=invitation.pk).update(accepted_at=timezone.now())
    )
    if not claimed:
        raise InvitationUnusable("used", invitation)
    if User.objects.email_taken(invitation.email):
        raise InvitationUnusable("used", invitation)
    user = invitation_new_user(invitation)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    Invitation.objects.filter(pk=invitation.pk).update(accepted_user=user)
    audit_record(
        action=Action.CREATE,
        by=user,
        obj=user,
        detail=f"joined by an invitation from {invitation.invited_by.full_name}",
    )
    return user


# --- Roles, deactivation --------------------------------------------------------------------


def _other_active_admins(person: User):
    return User.objects.filter(
        clinic_id=person.clinic_id, is_clinic_admin=True, is_active=True
    ).exclude(pk=person.pk)


@transaction.atomic
def staff_update(
    *,
    by: User,
    person: User,
    full_name: str,
    is_therapist: bool,
    is_supervisor: bool,
    is_clinic_admin: bool,
    based_on: EditVersion | None = None,
) -> User:
    """Change a colleague's name and roles, refusing changes that would strand someone, and
    a change based on an older version of the account (`based_on`, versions.py)."""
    person = User.objects.select_for_update().get(pk=person.pk)
    check_current(person, based_on)
    before = _roles_text(person)
    old_name = person.full_name
    errors: dict[str, str] = {}
    today = timezone.localdate(timezone=person.clinic.zone)
    if not (is_therapist or is_supervisor or is_clinic_admin):
        errors["__all__"] = (
            "Keep at least one role. To stop someone signing in, deactivate them instead."
        )
    wanted = dict(zip(ROLE_FIELDS, (is_therapist, is_supervisor, is_clinic_admin), strict=True))
    if person.pk == by.pk:
        # Nobody changes their own access: an admin who made themselves a supervisor could
        # read clinical notes. Another admin does it, and the clinic's admins see it.
        for field, held in wanted.items():
            if held and not getattr(person, field):
                errors[field] = "You cannot give yourself a role; ask another clinic admin."
    if person.is_clinic_admin and not is_clinic_admin:
        if person.pk == by.pk:
            errors["is_clinic_admin"] = (
                "You cannot take away your own clinic admin role; ask another admin."
            )
        elif person.is_active and not _other_active_admins(person).exists():
            errors["is_clinic_admin"] = "The clinic needs at least one active clinic admin."
    if person.pk == by.pk and person.is_therapist and not is_therapist:
        errors["is_therapist"] = "You cannot change your own roles; ask another clinic admin."
    elif person.is_therapist and not is_therapist:
        problems = hooks.caseload_checks.problems(person)
        if person.supervisions_received.current(today).exists():
            problems.append("They are under supervision: end those supervision links first.")
        if problems:
            errors["is_therapist"] = " ".join(problems)
    supervises = person.supervisions_given.current(today)
    if person.pk == by.pk and person.is_supervisor and not is_supervisor:
        errors["is_supervisor"] = "You cannot change your own roles; ask another clinic admin."
    elif person.is_supervisor and not is_supervisor and supervises.exists():
        errors["is_supervisor"] = "They supervise therapists: end those supervision links first."
    if errors:
        raise ValidationError(errors)
    person.full_name = full_name.strip()
    person.is_therapist, person.is_supervisor = is_therapist, is_supervisor
    person.is_clinic_admin = is_clinic_admin
    person.full_clean(exclude=["password", "email"])  # not edited here
    person.save(update_fields=["full_name", *ROLE_FIELDS])
    changes = []
    if before != _roles_text(person):
        changes.append(f"roles {before} -> {_roles_text(person)}")
    if old_name != person.full_name:
        changes.append("name changed")
    if changes:
        audit_record(
            action=Action.UPDATE,
            by=by,
            obj=person,
            detail="; ".join(changes),
        )
    return person


def deactivation_problems(*, by: User, person: User) -> list[str]:
    """Why the person cannot be deactivated now (empty when they can)."""
    problems = []
    if person.pk == by.pk:
        problems.append("You cannot deactivate your own account; ask another admin.")
    elif person.is_clinic_admin and not _other_active_admins(person).exists():
        problems.append("The clinic needs at least one active clinic admin.")
    problems.extend(hooks.caseload_checks.problems(person))
    return problems


@transaction.atomic
def staff_deactivate(*, by: User, person: User) -> int:
    """The person can no longer sign in; every sign-in of theirs ends now, and so do their
    current supervision links. Their account and everything they did stay.

    Returns how many sign-ins were ended. Refused (ValidationError) while they still have a
    caseload to hand over.
    """
    person = User.objects.select_for_update().get(pk=person.pk)
    problems = deactivation_problems(by=by, person=person)
    if problems:
        raise ValidationError(problems)
    if not person.is_active:
        return 0
    person.is_active = False
    person.save(update_fields=["is_active"])
    today = timezone.localdate(timezone=person.clinic.zone)
    links = Supervision.objects.filter(Q(supervisor=person) | Q(therapist=person))
    ended = 0
    now = timezone.now()
    for link in links.current(today):
        link.end_now(today, now)  # nobody reads a caseload through a deactivated account
        ended += 1
    sign_ins = sign_ins_end(person)
    audit_record(
        action=Action.UPDATE,
        by=by,
        obj=person,
        detail=f"deactivated; {sign_ins} sign-ins ended, {ended} supervision links ended",
    )
    return sign_ins


@transaction.atomic
def staff_reactivate(*, by: User, person: User) -> User:
    updated = User.objects.filter(pk=person.pk, is_active=False).update(is_active=True)
    if updated:
        person.is_active = True
        audit_record(action=Action.UPDATE, by=by, obj=person, detail="reactivated")
    return person


# --- Supervision links ----------------------------------------------------------------------


@transaction.atomic
def supervision_create(
    *,
    by: User,
    supervisor: User,
    therapist: User,
    starts_on: date,
    ends_on: date | None,
) -> Supervision:
    link = Supervision(
        supervisor=supervisor, therapist=therapist, starts_on=starts_on, ends_on=ends_on
    )
    _check_not_own_link(by, link)
    link.full_clean()
    if supervisor.clinic_id != by.clinic_id:
        raise ValidationError({"supervisor": "Choose a supervisor of your clinic."})
    link.save()
    audit_record(
        action=Action.CREATE,
        by=by,
        obj=link,
        detail=f"{_link_text(link)} from {starts_on:%-d %b %Y}",
    )
    return link


def _link_text(link: Supervision) -> str:
    return f"{link.supervisor.full_name} supervises {link.therapist.full_name}"


def _check_not_own_link(by: User, link: Supervision) -> None:
    """Nobody adds, changes or ends a supervision link of their own: a supervisor's link is
    access to a caseload, and another admin decides it."""
    if by.pk == link.supervisor_id:
        raise ValidationError(
            {"supervisor": "You cannot add or change a supervision link of your own; ask "
             "another clinic admin."}
        )  # fmt: skip
    if by.pk == link.therapist_id:
        raise ValidationError(
            {"therapist": "You cannot add or change a supervision link of your own; ask "
             "another clinic admin."}
        )  # fmt: skip


@transaction.atomic
def supervision_update(
    *,
    by: User,
    link: Supervision,
    starts_on: date,
    ends_on: date | None,
    based_on: EditVersion | None = None,
) -> Supervision:
    _check_not_own_link(by, link)
    link = (
        Supervision.objects.select_for_update(of=("self",))
        .select_related("supervisor", "therapist")
        .get(pk=link.pk)
    )
    check_current(link, based_on)
    if link.ended_at:
        raise ValidationError("This link was ended at once: add a new link to supervise again.")
    link.starts_on, link.ends_on = starts_on, ends_on
    link.full_clean()
    link.save(update_fields=["starts_on", "ends_on"])
    until = f"{ends_on:%-d %b %Y}" if ends_on else "open"
    audit_record(
        action=Action.UPDATE,
        by=by,
        obj=link,
        detail=f"{_link_text(link)}: dates {starts_on:%-d %b %Y} to {until}",
    )
    return link


@transaction.atomic
def supervision_end_now(*, by: User, link: Supervision) -> Supervision:
    """End the link at this instant: the supervisor loses access to the caseload at once
    (an end date keeps it to the end of that day). Its end date becomes today, or its start
    date if it had not begun; to supervise again, add a new link."""
    _check_not_own_link(by, link)
    today = timezone.localdate()
    link = (
        Supervision.objects.current(today)
        .select_for_update(of=("self",))
        .select_related("supervisor", "therapist")
        .filter(pk=link.pk)
        .first()
    )
    if link is None:
        raise ValidationError("This supervision link has already ended.")
    link.end_now(today, timezone.now())
    audit_record(
        action=Action.UPDATE,
        by=by,
        obj=link,
        detail=f"{_link_text(link)}: supervision ended at once",
    )
    return link
