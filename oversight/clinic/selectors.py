"""Reads for the clinic admin's screens, scoped through ipt_clinic.accounts.access: another
clinic's person, invitation or link is a 404."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from ipt_clinic.accounts.access import staff_for, supervisions_for
from ipt_clinic.accounts.models import Clinic, Invitation, Supervision, User


def clinic_of(user) -> Clinic:
    return Clinic.objects.get(pk=user.clinic_id)


def invitations_for(user) -> QuerySet[Invitation]:
    return Invitation.objects.filter(clinic_id=user.clinic_id)


def invitation_get_for(user, pk: int) -> Invitation:
    return get_object_or_404(invitations_for(user), pk=pk)


def staff_member_get_for(user, pk: int) -> User:
    return get_object_or_404(staff_for(user).select_related("clinic"), pk=pk)


def supervision_get_for(user, pk: int) -> Supervision:
    return get_object_or_404(
        supervisions_for(user).select_related("supervisor", "therapist"), pk=pk
    )


def links_of(user, person: User) -> QuerySet[Supervision]:
    """The supervision links `person` is in, either side, newest first."""
    return (
        supervisions_for(user)
        .filter(Q(supervisor=person) | Q(therapist=person))
        .select_related("supervisor", "therapist")
        .order_by("-starts_on", "-pk")
    )
