"""Template context: the current user's role, so templates show only what the user may do."""

from __future__ import annotations

from django.http import HttpRequest

from console.access.roles import has_role, user_role


def role(request: HttpRequest) -> dict[str, object]:
    user = request.user
    return {
        "user_role": user_role(user),
        "can_operate": has_role(user, "operator"),
        "can_administer": has_role(user, "admin"),
    }
