"""Writes about users: the first administrator of a fresh console."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


def admin_user_ensure(*, username: str = "admin", password: str | None = None) -> str | None:
    """Create the superuser ``username`` if missing; return the generated password, once.

    Returns None when the user exists (its password is never shown again) or when ``password``
    was given by the caller.
    """
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        return None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(18)
    user = user_model.objects.create_superuser(username=username, email="", password=password)
    admin_group, _ = Group.objects.get_or_create(name="admin")
    user.groups.add(admin_group)
    return generated
