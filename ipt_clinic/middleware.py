"""Cross-cutting response handling."""

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """Pages may carry patient data: no browser or proxy keeps a copy (Cache-Control: no-store).

    Static files never reach this middleware (WhiteNoise serves them first) and stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


class MethodNotAllowedPageMiddleware:
    """A button's URL opened in the browser (a bookmark, a reload of an action) answers 405
    with a page that says what happened, instead of Django's empty response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            response.content = render_to_string("405.html", request=request)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response


class ClinicTimeZoneMiddleware:
    """A signed-in member of staff works in their clinic's time zone: "today" (a form's
    default date, the "not in the future" checks) and times shown without an explicit zone
    are the clinic's, not the server's (UTC)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.clinic_id:
            with timezone.override(user.clinic.zone):
                return self.get_response(request)
        return self.get_response(request)
