"""Console pages to manage API tokens (admins only): list, create (secret shown once), revoke.

Each view validates its input and calls one service. The page that shows a new secret is the
response to the POST itself (never a redirect, never stored in the session) and is not cached.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from console.access.roles import role_required
from console.tokens.forms import ApiTokenCreateForm
from console.tokens.selectors import api_token_list
from console.tokens.services import api_token_create, api_token_revoke
from ouroboros.errors import OuroborosError


def _list(request: HttpRequest, form: ApiTokenCreateForm, status: int = 200) -> HttpResponse:
    context = {"tokens": api_token_list()[:500], "form": form}
    return render(request, "tokens/list.html", context, status=status)


@require_GET
@role_required("admin")
def token_list(request: HttpRequest) -> HttpResponse:
    return _list(request, ApiTokenCreateForm())


@require_POST
@never_cache
@role_required("admin")
def token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenCreateForm(request.POST)
    if not form.is_valid():
        return _list(request, form, status=400)
    try:
        created = api_token_create(request=request, **form.cleaned_data)
    except OuroborosError as exc:
        form.add_error(None, str(exc))
        return _list(request, form, status=exc.status_code)
    return render(request, "tokens/created.html", {"created": created})


@require_POST
@role_required("admin")
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = api_token_revoke(token_id=token_id, request=request)
    except OuroborosError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Token {token.name!r} of {token.user} is revoked.")
    return redirect("api-token-pages")
