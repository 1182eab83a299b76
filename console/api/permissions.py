"""Who may call what: roles (viewer < operator < admin) and token scopes (read / write).

The default permission of every API view:

- read-only methods (GET, HEAD, OPTIONS) need at least the ``viewer`` role;
- every other method needs at least the ``operator`` role AND either a session (the browser,
  CSRF enforced) or a token of scope ``write``: a read token never changes anything;
- a view may raise the bar with ``required_role`` (e.g. ``admin`` for the audit trail).

Anonymous callers get 401 (with ``WWW-Authenticate: Bearer``); authenticated callers without the
role or the scope get 403.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from console.access.roles import ROLES, has_role
from console.tokens.models import ApiToken


def required_role(view: Any, method: str | None) -> str:
    """The least role ``method`` on ``view`` needs (documented as ``x-required-role``)."""
    role = getattr(view, "required_role", None) or (
        "viewer" if method in SAFE_METHODS else "operator"
    )
    if role not in ROLES:
        raise ValueError(f"{type(view).__name__}.required_role={role!r} is not a role")
    return str(role)


def request_can_write(request: Request) -> bool:
    """Whether the request's credentials allow writes: a session, or a write-scoped token."""
    token = request.auth
    if isinstance(token, ApiToken):
        return token.scope == ApiToken.Scope.WRITE
    return token is None and bool(request.user and request.user.is_authenticated)


class RoleAndScope(BasePermission):
    """The default permission class of the API (see the module docstring)."""

    message = "You are not allowed to do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False  # DRF answers 401 because authentication did not happen
        read_only = request.method in SAFE_METHODS
        role = required_role(view, request.method)
        if not has_role(user, role):
            self.message = f"This needs the {role} role."
            return False
        if not read_only and not request_can_write(request):
            self.message = "This token has the read scope: writes need a write token."
            return False
        return True
