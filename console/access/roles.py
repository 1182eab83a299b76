"""The three roles, as Django groups, each including the rights of the one before.

- ``viewer``: reads every page.
- ``operator``: also assigns reactors, configures controls, remediates, installs reactors.
- ``admin``: also manages users and API tokens. Superusers are admins.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

ROLES = ("viewer", "operator", "admin")


def user_role(user: Any) -> str | None:
    """The highest role of ``user``, or None (anonymous, or in no role group)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return "admin"
    if hasattr(user, "_console_role"):  # one groups query per request, however often asked
        cached: str | None = user._console_role
        return cached
    names = {group.name for group in user.groups.all()}
    role = next((r for r in reversed(ROLES) if r in names), None)
    user._console_role = role
    return role


def has_role(user: Any, role: str) -> bool:
    """Whether ``user`` holds ``role`` or a higher one."""
    current = user_role(user)
    return current is not None and ROLES.index(current) >= ROLES.index(role)


def role_required(
    role: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """View decorator: log in first; then 403 unless the user holds ``role`` or higher."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, role):
                raise PermissionDenied(f"requires the {role} role")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
