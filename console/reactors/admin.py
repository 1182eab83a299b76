"""Admin: reactor changes (read-only, from the one audit trail) and the bulk assignment of a
reactor to controls.

Controls live in DynamoDB, not in Django's ORM, so the bulk assignment is a custom admin page
(``/admin/reactors/auditevent/assign/``), linked from the audit list: filter controls by
standard, severity and service, tick many (or all listed), choose one installed reactor, a
mode and optionally its parameters, and submit: one `control_assign_reactor_many` call and one
audit record. Controls the reactor does not declare are refused, all named, and nothing is
assigned. Writing needs the
operator role; the page is CSRF-protected like every admin form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from console.access.roles import has_role
from console.audit.services import audit_record
from console.reactors.forms import BulkAssignForm, ControlFilterForm
from console.reactors.models import REACTOR_TARGET_TYPES, AuditEvent
from ouroboros.controls.configuration import control_assign_reactor_many
from ouroboros.controls.selectors import control_assignment_candidates, standard_list
from ouroboros.errors import OuroborosError
from ouroboros.reactors.services import reactor_installed_list


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_name", "token_name", "via", "action", "target_id")
    list_filter = ("action", "via")
    search_fields = ("actor_name", "target_id")
    change_list_template = "admin/reactors/auditevent_change_list.html"

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(target_type__in=REACTOR_TARGET_TYPES)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        assign = path(
            "assign/",
            self.admin_site.admin_view(self.bulk_assign_view),
            name="reactors_bulk_assign",
        )
        return [assign, *super().get_urls()]

    def bulk_assign_view(self, request: HttpRequest) -> HttpResponse:
        filters = ControlFilterForm(request.GET or None, standards=standard_list())
        chosen = filters.cleaned_data if filters.is_valid() else {}
        controls = control_assignment_candidates(
            standard_id=chosen.get("standard") or None,
            severity=chosen.get("severity") or None,
            service=chosen.get("service") or None,
        )
        reactors = [r for r in reactor_installed_list() if r.status == "installed"]
        form = BulkAssignForm(request.POST or None, controls=controls, reactors=reactors)
        if request.method == "POST":
            if not has_role(request.user, "operator"):
                raise PermissionDenied("requires the operator role")
            if form.is_valid():
                response = self._assign(request, form)
                if response is not None:
                    return response
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign a reactor to controls",
            "opts": self.model._meta,
            "filters": filters,
            "form": form,
            "controls": controls,
            "reactors": reactors,
        }
        return render(request, "admin/reactors/bulk_assign.html", context)

    def _assign(self, request: HttpRequest, form: BulkAssignForm) -> HttpResponse | None:
        actor = request.user.get_username()
        data = form.cleaned_data
        try:
            result = control_assign_reactor_many(
                control_ids=form.selected(),
                reactor_id=data["reactor_id"],
                mode=data["mode"],
                actor=actor,
                params=data.get("params"),
            )
        except OuroborosError as exc:
            messages.error(request, str(exc))
            return None
        audit_record(
            request=request,
            action="controls.assign_reactor",
            target_type="reactor",
            target_id=result.reactor_id,
            after={
                "mode": result.mode,
                "control_ids": result.control_ids,
                **({"params": data["params"]} if data.get("params") is not None else {}),
            },
        )
        messages.success(
            request,
            f"{result.reactor_id} assigned to {len(result.control_ids)} control(s), "
            f"mode {result.mode}.",
        )
        return redirect(request.get_full_path())
