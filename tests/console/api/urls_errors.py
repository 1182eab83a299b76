"""Test URLconf: the console's routes plus API views that fail on purpose."""

from __future__ import annotations

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api.routing import operations
from console.urls import urlpatterns as console_urlpatterns
from ouroboros.errors import OuroborosError


def all_error_classes(base: type[OuroborosError] = OuroborosError) -> dict[str, type]:
    found: dict[str, type] = {}
    for cls in base.__subclasses__():
        found[cls.__name__] = cls
        found.update(all_error_classes(cls))
    return found


class RaiseErrorApi(APIView):
    def get(self, request: Request, name: str) -> Response:
        cls = all_error_classes()[name]
        # Some errors take structured arguments; only the message matters here.
        error = cls.__new__(cls)
        Exception.__init__(error, f"{name} raised on purpose")
        raise error


class CrashApi(APIView):
    def get(self, request: Request) -> Response:
        raise RuntimeError("internal detail that must not leak")


class EchoApi(APIView):
    def post(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("api/test/raise/<str:name>", operations(get=RaiseErrorApi)),
    path("api/test/crash", operations(get=CrashApi)),
    path("api/test/echo", operations(post=EchoApi)),
    *console_urlpatterns,
]
