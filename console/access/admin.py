"""The Django admin's user list shows each user's console role (viewer, operator, admin).

The role is the highest role group the user belongs to (`console.access.roles.user_role`); the
list can be filtered by group. The groups are prefetched, so the list costs one query for them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from console.access.roles import user_role

User = get_user_model()


class RoleUserAdmin(UserAdmin):
    list_display = (*UserAdmin.list_display, "role")
    list_filter = (*UserAdmin.list_filter, "groups")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Role")
    def role(self, user: Any) -> str:
        return user_role(user) or "no role"


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, RoleUserAdmin)
