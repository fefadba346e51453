"""What supervision adds to the course and session pages (registered in apps.py)."""

from django.utils import timezone

from ipt_clinic.accounts.access import is_treating, supervisees_for
from ipt_clinic.forms import form_or_rejected
from sessions.models import Course

from . import store
from .flags import raised_flags
from .forms import NoteReviewForm, SupervisionNoteForm
from .models import FIDELITY_CHECKLIST, FlagThresholds, SupervisionNote
from .selectors import note_review_of


def _supervises(user, course) -> bool:
    return supervisees_for(user).filter(pk=course.therapist_id).exists()


def course_supervision_panel(request, course):
    thresholds = FlagThresholds.for_clinic(course.patient.clinic_id)
    this_course = Course.objects.filter(pk=course.pk)
    store.ensure(this_course)
    flagged = store.mark_stored(
        this_course.select_related("facts").get(), thresholds, timezone.now()
    )
    supervises = course.is_open and _supervises(request.user, course)
    return "caseload/_course_panel.html", {
        "course": course,
        "flags": [(flag, flag.explain(thresholds)) for flag in raised_flags(flagged)],
        "notes": SupervisionNote.objects.filter(course=course).select_related("author"),
        "last_review": course.reviews.select_related("reviewer").first(),
        "supervises": supervises,
        "note_form": form_or_rejected(request, "supervision_note", SupervisionNoteForm)
        if supervises
        else None,
    }


def session_review_panel(request, session):
    if not session.is_signed:
        return None
    ratings = {r.rated_by: r for r in session.fidelity_ratings.select_related("rater")}
    review = note_review_of(session)
    checklist = FIDELITY_CHECKLIST[session.phase.value]
    supervises = _supervises(request.user, session.course)
    rows = [
        (
            label,
            code in ratings["supervisor"].checklist if "supervisor" in ratings else None,
            code in ratings["therapist"].checklist if "therapist" in ratings else None,
        )
        for code, label in checklist
    ]
    return "caseload/_session_panel.html", {
        "session": session,
        "review": review,
        "ratings": ratings,
        "rows": rows,
        "supervises": supervises,
        "is_therapist": is_treating(request.user, session),
        "review_form": form_or_rejected(
            request, "note_review", lambda: NoteReviewForm(instance=review)
        )
        if supervises
        else None,
    }
