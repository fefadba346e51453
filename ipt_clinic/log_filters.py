"""Logging filters (settings.LOGGING)."""

import logging

from django.core.exceptions import PermissionDenied


class RefusalsWithoutTraceback(logging.Filter):
    """A refused request (403: a role the user does not hold) is expected: one line says who
    was refused what; its traceback would only bury the log's real errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True


class RequestId(logging.Filter):
    """Every log line carries the id of the request (or Celery task) it was written in, the
    same id the response's X-Request-ID header and a task queued by the request carry."""

    def filter(self, record: logging.LogRecord) -> bool:
        from ipt_clinic.accounts.audit import current_context

        record.request_id = current_context().request_id or "-"
        return True
