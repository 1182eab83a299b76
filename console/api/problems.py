"""The one error shape of the API: RFC 7807 / 9457 problem details (``application/problem+json``).

Every failure under /api/ answers with ``type``, ``title``, ``status``, ``detail``, ``instance``
(the request path) and ``request_id``; validation failures add ``errors``, a list of
``{"pointer": "#/field", "detail": "..."}`` (the JSON pointer of the offending input, ``#`` for the
whole body). ``type`` is ``urn:ouroboros:problem:<code>``; ``title`` is the HTTP status phrase.

Sources, all mapped by `problem_exception_handler` (DRF's ``EXCEPTION_HANDLER``):

- DRF exceptions (validation, parse errors, 401, 403, 404, 405, 406, 415, 429 with
  ``Retry-After``), Django's ``Http404`` and ``PermissionDenied``; a 401 becomes a 429 when its
  address is over the anonymous rate (`console.api.throttling.throttle_failed_authentication`);
- every `OuroborosError` subclass, by its ``status_code`` (``ConflictError`` -> 409, ...), with its
  message as ``detail`` (one whose status is 500 counts as unexpected, below); a conflict that
  carries the item stored now (``ControlConflictError.current``) adds ``current_version``;
- anything else: 500, logged with its traceback server-side; the response carries no stack
  trace and no exception text unless ``DEBUG`` is on.

Unknown URLs under /api/ are answered by `api_not_found` and unsupported methods by the routing
in `console.api.routing`, with the same shape.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.views import set_rollback

from console.api.throttling import throttle_failed_authentication
from ouroboros.errors import OuroborosError
from ouroboros.errors import ValidationError as CoreValidationError

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:ouroboros:problem:"

logger = logging.getLogger("console.api")


def _kebab(name: str) -> str:
    out = [f"-{c.lower()}" if c.isupper() else c for c in name]
    return "".join(out).lstrip("-").replace("_", "-")


def problem_response(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """A problem-details response for ``request``."""
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "request_id": getattr(request, "request_id", ""),
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})
    response = HttpResponse(
        json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE, headers=headers
    )
    return response


def _flatten(detail: Any, pointer: str = "#") -> list[dict[str, str]]:
    if isinstance(detail, Mapping):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            child = pointer if key in ("non_field_errors", "detail") else f"{pointer}/{key}"
            out += _flatten(value, child)
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, Mapping | list) for item in detail):
            return [{"pointer": pointer, "detail": str(item)} for item in detail]
        out = []
        for index, item in enumerate(detail):
            out += _flatten(item, f"{pointer}/{index}")
        return out
    return [{"pointer": pointer, "detail": str(detail)}]


def _api_exception(request: HttpRequest, exc: exceptions.APIException) -> HttpResponse:
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = str(exc.auth_header)
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait or 0)))
    if isinstance(exc, exceptions.ValidationError):
        return problem_response(
            request,
            status=exc.status_code,
            code="validation",
            detail="The request is not valid: see errors.",
            errors=_flatten(exc.detail),
            headers=headers,
        )
    code = str(getattr(exc, "default_code", "error")).replace("_", "-")
    return problem_response(
        request, status=exc.status_code, code=code, detail=str(exc.detail), headers=headers
    )


def _ouroboros_error(request: HttpRequest, exc: OuroborosError) -> HttpResponse:
    code = _kebab(type(exc).__name__.removesuffix("Error")) or "error"
    status = exc.status_code
    headers = {"WWW-Authenticate": 'Bearer realm="api"'} if status == 401 else None
    # A core validation error names no field: it is about the request as a whole.
    errors = None
    if isinstance(exc, CoreValidationError):
        errors = [{"pointer": "#", "detail": str(exc)}]
    # An optimistic-lock conflict says which version is stored now, so a client can re-read.
    extra = None
    current = getattr(exc, "current", None)
    if status == 409 and current is not None and hasattr(current, "version"):
        extra = {"current_version": int(current.version or 0)}
    return problem_response(
        request,
        status=status,
        code=code,
        detail=str(exc),
        errors=errors,
        headers=headers,
        extra=extra,
    )


def _unexpected(request: HttpRequest, exc: BaseException) -> HttpResponse:
    logger.error(
        "unexpected error in %s %s (request id %s)",
        request.method,
        request.path,
        getattr(request, "request_id", "-"),
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    extra: dict[str, Any] = {}
    detail = "An unexpected error occurred. The request id identifies it in the server logs."
    if settings.DEBUG:
        detail = repr(exc)
        extra["traceback"] = traceback.format_exception(exc)
    return problem_response(request, status=500, code="server-error", detail=detail, extra=extra)


def problem_exception_handler(exc: Exception, context: Mapping[str, Any]) -> HttpResponse:
    """DRF's ``EXCEPTION_HANDLER``: every exception becomes a problem-details response."""
    request = context["request"]
    set_rollback()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # Throttles run after authentication: without this, 401s would never be limited.
        exc = throttle_failed_authentication(request, context.get("view")) or exc
    if isinstance(exc, exceptions.APIException):
        return _api_exception(request, exc)
    if isinstance(exc, OuroborosError) and 400 <= exc.status_code <= 599 and exc.status_code != 500:
        return _ouroboros_error(request, exc)
    return _unexpected(request, exc)


@csrf_exempt
def api_not_found(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """Every URL under /api/ that no route matches, whatever the method."""
    return problem_response(
        request, status=404, code="not-found", detail="There is no such API endpoint."
    )
