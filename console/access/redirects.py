"""Where a console action returns after its POST: the ``next`` it names when that stays on this
host (never off-site: no open redirect), else the dashboard.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_back(request: HttpRequest) -> HttpResponse:
    """Redirect to the POST's ``next`` field if it is a URL of this host, else to ``home``."""
    target = request.POST.get("next") or ""
    allowed = {request.get_host()}
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=allowed):
        return redirect(target)
    return redirect("home")
