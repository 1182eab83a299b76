"""One API class per operation, several operations per URL: `operations(get=..., post=...)`.

The styleguide wants one small class per operation (``TokenListApi``, ``TokenCreateApi``), REST
wants them on one URL (``GET`` and ``POST /api/v1/tokens``). `operations` returns the Django view
of that URL: it hands each method to its class, answers ``OPTIONS`` with the ``Allow`` header,
and any other method with a 405 problem (before authentication, the same for everybody).
`OperationSchemaGenerator` (``console.api.schema``) reads ``view.operations`` so drf-spectacular
documents each class under its method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework.views import APIView

from console.api.problems import problem_response

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def operations(**classes: type[APIView]) -> Callable[..., HttpResponse]:
    """The view of one URL whose methods (``get=``, ``post=``...) are served by these classes."""
    callbacks: dict[str, Callable[..., HttpResponse]] = {}
    for method, cls in classes.items():
        method = method.upper()
        if method not in _METHODS:
            raise ValueError(f"unsupported method {method}")
        if not (isinstance(cls, type) and issubclass(cls, APIView)):
            raise TypeError(f"{method}: {cls!r} is not an API view class")
        implemented = [m for m in _METHODS if hasattr(cls, m.lower())]
        if implemented != [method]:
            raise TypeError(f"{cls.__name__} must implement exactly {method}, not {implemented}")
        callbacks[method] = cls.as_view()
    allow = ", ".join([*callbacks, *(["HEAD"] if "GET" in callbacks else []), "OPTIONS"])

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        method = "GET" if request.method == "HEAD" else request.method
        if method == "OPTIONS":
            return HttpResponse(status=204, headers={"Allow": allow})
        callback = callbacks.get(method or "")
        if callback is None:
            return problem_response(
                request,
                status=405,
                code="method-not-allowed",
                detail=f"Method {request.method} is not allowed here.",
                headers={"Allow": allow},
            )
        response = callback(request, *args, **kwargs)
        response["Allow"] = allow
        return response

    view.operations = callbacks  # type: ignore[attr-defined]
    # Each class checks CSRF itself (DRF's SessionAuthentication), only for session requests.
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


class IdConverter:
    """``<id:name>``: a positive database id that fits in 64 bits (else the URL does not match)."""

    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class FindingIdConverter:
    """``<finding:name>``: a finding id (may hold slashes), printable, at most 512 characters.

    Longer or control-character ids never reach DynamoDB (a key holds at most 2,048 bytes):
    the URL does not match, and the catch-all answers 404.
    """

    regex = "[^\\x00-\\x1f\\x7f]{1,512}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class KeyConverter(FindingIdConverter):
    """``<key:name>``: one path segment (no slash) naming a control, execution or reactor."""

    regex = "[^/\\x00-\\x1f\\x7f]{1,512}"
