"""Writing the audit trail. Every view of patient data and every change calls audit_record.

Who acted is passed in (`by`); where from is not: the client's address and the request id come
from the audit context that a middleware sets around each request (and each Celery task around
its run), so that services take the acting person, never the HTTP request, and a view, a task,
a patient's link and a command call them alike.
"""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

from django.conf import settings
from django.db import models

from .models import AuditEvent, User
from .net import client_ip

Action = AuditEvent.Action
Outcome = AuditEvent.Outcome


@dataclass(frozen=True)
class AuditContext:
    """Where the work being audited comes from: a request's client address and its id."""

    ip_address: str | None = None
    request_id: str = ""


NO_CONTEXT = AuditContext()  # outside any request or task (a command, a test)
_context: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)


def current_context() -> AuditContext:
    return _context.get() or NO_CONTEXT


def enter_context(*, ip_address: str | None = None, request_id: str = "") -> Token:
    """From now on audit events carry this address and request id (leave_context ends it)."""
    return _context.set(AuditContext(ip_address, request_id or uuid.uuid4().hex))


def leave_context(token: Token) -> None:
    _context.reset(token)


@contextmanager
def audit_context(*, ip_address: str | None = None, request_id: str = "") -> Iterator[None]:
    """Audit events written inside carry this address and request id."""
    token = enter_context(ip_address=ip_address, request_id=request_id)
    try:
        yield
    finally:
        leave_context(token)


REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")  # a proxy's id is kept only if it looks like one


class AuditContextMiddleware:
    """Sets the audit context of each request: the client's address (as the lockout sees it,
    net.client_ip) and a request id (a trusted proxy's X-Request-ID, or a new one), which the
    response carries back in X-Request-ID."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Kept only from a proxy we trust (DJANGO_TRUSTED_PROXY_COUNT), as the address is.
        given = request.META.get(REQUEST_ID_HEADER, "") if settings.TRUSTED_PROXY_COUNT else ""
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        with audit_context(ip_address=client_ip(request), request_id=request_id):
            request.request_id = request_id
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def audit_record(
    *,
    action: str,
    by: User | None = None,
    obj: models.Model | None = None,
    patient_id: int | None = None,
    outcome: str = Outcome.SUCCESS,
    detail: str = "",
    clinic_id: int | None = None,
) -> AuditEvent:
    """Append one event, done by `by` (None: nobody signed in, a task, a patient's link).

    `clinic_id` is for events without a member of staff (a reminder sent by the worker, a
    patient's opt-out link); otherwise the clinic is the acting user's.
    """
    if by is not None and not by.is_authenticated:
        by = None
    return AuditEvent.objects.create(
        user=by,
        clinic_id=by.clinic_id if by else clinic_id,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        patient_id=patient_id,
        ip_address=current_context().ip_address,
        outcome=outcome,
        detail=detail[:255],
    )


def audit_page_view(request, obj, *, patient_id: int | None, detail: str = "") -> None:
    """A page that shows patient data (a form too) is a view: called where the page is
    rendered, so on a GET, and on a POST that was refused and shows the form again (a POST
    that succeeds redirects before, and is audited as the change the service makes)."""
    if request.method != "GET":
        detail = f"{detail}; form shown again" if detail else "form shown again"
    audit_record(action=Action.VIEW, by=request.user, obj=obj, patient_id=patient_id, detail=detail)
