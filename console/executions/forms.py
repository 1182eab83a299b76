"""The executions list's filter form (GET)."""

from __future__ import annotations

from django import forms

from ouroboros.executions.selectors import ExecutionFilters
from ouroboros.models.executions import STATUSES


class ExecutionFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "Any"), *((s, s.replace("_", " ")) for s in STATUSES)]
    )
    control_id = forms.CharField(required=False, max_length=128, label="Control")
    finding_id = forms.CharField(required=False, max_length=2048, label="Finding id")

    def filters(self) -> ExecutionFilters:
        data = self.cleaned_data
        return ExecutionFilters(
            finding_id=data.get("finding_id") or None,
            control_id=data.get("control_id") or None,
            status=data.get("status") or None,
        )
