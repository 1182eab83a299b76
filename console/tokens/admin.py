"""Django admin: API tokens, read-only (create and revoke in the console's token pages or CLI)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from console.tokens.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "scope", "status", "created_at", "expires_at", "last_used_at")
    list_filter = ("scope",)
    search_fields = ("name", "user__username", "prefix")
    # The digest stays out of every admin page.
    exclude = ("digest",)
    readonly_fields = (
        "name",
        "user",
        "scope",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
