"""A URLconf with a ``finding_remediate`` route, standing in for the workflow's (tests only)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from console.urls import urlpatterns as console_urlpatterns


def _remediate(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=202)


urlpatterns = [*console_urlpatterns, path("remediate/", _remediate, name="finding_remediate")]
