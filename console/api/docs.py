"""The interactive API docs (Swagger UI) at /api/docs/, under the console's CSP.

The assets come from the ``drf-spectacular-sidecar`` package (static files, no CDN). The split
view serves the init script as a separate file (``/api/docs/?script=``) and our template drops
the inline ``<style>`` of drf-spectacular's, so the page needs neither inline script nor style.

A person opening the docs in a browser (``Accept`` preferring HTML) is sent to the login page
when signed out, and gets the console's 403 page when refused, instead of the API's JSON error;
API clients (JSON) keep the JSON errors.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, PermissionDenied


def _wants_html(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI under ``script-src 'self'; style-src 'self'``."""

    url_name = "api-schema"
    template_name = "api/swagger_ui.html"
    title = "Ouroboros API"

    def handle_exception(self, exc: Exception) -> HttpResponse:
        request: Any = self.request
        if _wants_html(request):
            if isinstance(exc, NotAuthenticated | AuthenticationFailed):
                return redirect_to_login(request.get_full_path())
            if isinstance(exc, PermissionDenied):
                return render(request._request, "403.html", status=403)
        return super().handle_exception(exc)
