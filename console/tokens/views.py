"""Console pages to manage API tokens: list, create (secret shown once), revoke.

Admins manage every user's tokens; operators see, create and revoke their OWN tokens only (the
owner is always the signed-in operator, whatever the form says); viewers get 403 (a viewer
changes nothing). Each view validates its input and calls one service. The page that shows a
new secret is the response to the POST itself (never a redirect, never stored in the session,
never logged) and is not cached.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from console.access.roles import has_role, role_required
from console.tokens.forms import ApiTokenCreateForm, OwnApiTokenCreateForm
from console.tokens.selectors import api_token_list
from console.tokens.services import api_token_create, api_token_revoke
from ouroboros.errors import OuroborosError


def _manages_all(request: HttpRequest) -> bool:
    return has_role(request.user, "admin")


def _form(request: HttpRequest, data: Any = None) -> forms.Form:
    return ApiTokenCreateForm(data) if _manages_all(request) else OwnApiTokenCreateForm(data)


def _list(request: HttpRequest, form: forms.Form, status: int = 200) -> HttpResponse:
    tokens = api_token_list() if _manages_all(request) else api_token_list(user=request.user)
    context = {"tokens": tokens[:500], "form": form, "all_users": _manages_all(request)}
    return render(request, "tokens/list.html", context, status=status)


@require_GET
@role_required("operator")
def token_list(request: HttpRequest) -> HttpResponse:
    return _list(request, _form(request))


@require_POST
@never_cache
@role_required("operator")
def token_create(request: HttpRequest) -> HttpResponse:
    form = _form(request, request.POST)
    if not form.is_valid():
        return _list(request, form, status=400)
    data = dict(form.cleaned_data)
    data.setdefault("user", request.user)
    try:
        created = api_token_create(request=request, **data)
    except OuroborosError as exc:
        form.add_error(None, str(exc))
        return _list(request, form, status=exc.status_code)
    return render(request, "tokens/created.html", {"created": created})


@require_POST
@role_required("operator")
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    owner = None if _manages_all(request) else request.user
    try:
        token = api_token_revoke(token_id=token_id, owner=owner, request=request)
    except OuroborosError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Token {token.name!r} of {token.user} is revoked.")
    return redirect("api-token-pages")
