"""Request ids: every request gets one (``request.request_id``), echoed as ``X-Request-Id``.

An incoming ``X-Request-Id`` made of at most 64 letters, digits, ``.``, ``_`` or ``-`` is kept (so
a pipeline can correlate its own ids with the audit trail); anything else is replaced by a fresh
random id. The audit trail records it with every write.

While the request runs, `request_current` returns it: the audit's model signals
(`console.audit.signals`) take the actor of a change Django admin makes from it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_CURRENT: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def request_current() -> HttpRequest | None:
    """The request this thread is serving, or None (a command, a test, a worker)."""
    return _CURRENT.get()


class RequestIdMiddleware:
    """Sets ``request.request_id`` and the ``X-Request-Id`` response header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id", "")
        request.request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        token = _CURRENT.set(request)
        try:
            response = self.get_response(request)
        finally:
            _CURRENT.reset(token)
        response["X-Request-Id"] = request.request_id
        return response
