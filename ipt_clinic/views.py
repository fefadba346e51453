"""The landing pages of each role, and the liveness check.

They live in the project package, above every app, because later they gather from all of them.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ipt_clinic import hooks
from ipt_clinic.accounts.access import (
    Role,
    home_url_name,
    role_required,
    supervisors_of,
)
from ipt_clinic.accounts.audit import Action, audit_record
from oversight.flags import raised_flags
from oversight.selectors import (
    notes_needing_revision,
    own_flagged_courses,
    recent_supervision_notes,
)
from risk.selectors import alerts_for
from sessions.selectors import day_of_work, open_courses_for_home


@login_required
def home(request):
    url_name = home_url_name(request.user)
    if url_name:
        return redirect(url_name)
    if request.user.is_superuser:
        return redirect("admin:index")
    return render(request, "home/no_role.html", status=403)


@role_required(Role.THERAPIST)
def therapist_home(request):
    """Today's work: the therapist's open courses, soonest appointment first."""
    courses = list(open_courses_for_home(request.user))
    badges = hooks.badges_of(courses)
    for course in courses:
        course.badges = badges.get(course.pk, [])
    day = day_of_work(request.user, timezone.now())
    for session in (session for sessions in day.values() for session in sessions):
        session.course.badges = badges.get(session.course_id, [])
    flagged, thresholds = own_flagged_courses(request.user)
    audit_record(action=Action.VIEW, by=request.user, detail="therapist home: open courses")
    return render(
        request,
        "home/therapist.html",
        {
            "nav": "therapist",
            "courses": courses,
            "flagged": [
                (c, [(f, f.explain(thresholds)) for f in raised_flags(c)]) for c in flagged
            ],
            "supervision_notes": recent_supervision_notes(request.user),
            "revisions": notes_needing_revision(request.user),
            "supervisors": supervisors_of(request.user),
            "alerts_waiting": alerts_for(request.user).filter(acknowledged_at__isnull=True).count(),
            "today": timezone.localdate(),
            "day": day,
            "zone": request.user.clinic.zone,
        },
    )


@require_GET
def healthz(request):
    """Liveness, for docker-compose and load balancers: the process answers. Whether it can
    serve (database, broker, migrations) is /readyz (ipt_clinic/health.py)."""
    return HttpResponse("ok", content_type="text/plain")
