"""Cross-cutting response handling."""

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
