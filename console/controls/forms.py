"""Forms of the controls pages: the list's filters (GET) and the configuration forms (POST).

Every configuration form carries the ``version`` of the control it was read at; the core refuses
to save over a newer version (`ouroboros.controls.services.control_configure`).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django import forms

from ouroboros.controls.exemptions import ExemptionInput
from ouroboros.controls.selectors import (
    REACTOR_ANY,
    REACTOR_NONE,
    SORTS,
    STATUSES,
    ControlFilters,
)
from ouroboros.models.controls import MODES
from ouroboros.models.findings import SEVERITY_RANK

MODE_LABELS = {"off": "Off", "manual": "Manual", "dry_run": "Dry run", "auto": "Automatic"}
SORT_LABELS = {
    "control": "Control id",
    "-control": "Control id, descending",
    "severity": "Severity, highest first",
    "title": "Title",
    "service": "Service",
    "-failed": "Most failed findings",
    "-updated": "Recently configured",
}
SEVERITIES = tuple(sorted(SEVERITY_RANK, key=lambda s: -SEVERITY_RANK[s]))


class ControlFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    standard = forms.ChoiceField(required=False)
    severity = forms.ChoiceField(
        required=False, choices=[("", "Any"), *((s, s.title()) for s in SEVERITIES)]
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "Any"), *((s, s.title()) for s in STATUSES)]
    )
    service = forms.ChoiceField(required=False)
    reactor = forms.ChoiceField(required=False, label="Reactor")
    mode = forms.ChoiceField(required=False, choices=[("", "Any"), *MODE_LABELS.items()])
    sort = forms.ChoiceField(required=False, choices=[(s, SORT_LABELS[s]) for s in SORTS])

    def __init__(
        self,
        *args: Any,
        standards: dict[str, str],
        services: list[str],
        reactors: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["standard"].choices = [("", "Any"), *standards.items()]
        self.fields["service"].choices = [("", "Any"), *((s, s) for s in services)]
        self.fields["reactor"].choices = [
            ("", "Any"),
            (REACTOR_ANY, "Some reactor assigned"),
            (REACTOR_NONE, "No reactor"),
            *((r, r) for r in reactors),
        ]

    def filters(self) -> ControlFilters:
        data = self.cleaned_data
        return ControlFilters(
            standard=data.get("standard") or None,
            severity=data.get("severity") or None,
            status=data.get("status") or None,
            service=data.get("service") or None,
            reactor=data.get("reactor") or None,
            mode=data.get("mode") or None,
            search=data.get("q") or None,
        )


class ControlConfigureForm(forms.Form):
    reactor_id = forms.ChoiceField(required=False, label="Reactor")
    mode = forms.ChoiceField(choices=[(m, MODE_LABELS[m]) for m in MODES])
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, reactors: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reactor_id"].choices = [("", "— no reactor —"), *reactors]


class ExemptionAddForm(forms.Form):
    account = forms.RegexField(
        required=False,
        regex=r"^\d{12}$",
        error_messages={"invalid": "An account id has 12 digits."},
    )
    resource_pattern = forms.CharField(required=False, max_length=512, label="Resource pattern")
    tag = forms.CharField(required=False, max_length=400, help_text="key=value")
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    reason = forms.CharField(max_length=1000)
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def exemption(self) -> ExemptionInput:
        data = self.cleaned_data
        expires = data.get("expires_at")
        return ExemptionInput(
            account=data.get("account") or "",
            resource_pattern=data.get("resource_pattern") or "",
            tag=data.get("tag") or "",
            expires_at=expires.astimezone(UTC) if expires else None,
            reason=data.get("reason") or "",
        )


class ExemptionRemoveForm(forms.Form):
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
