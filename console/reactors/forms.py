"""Forms of the reactors console: the bulk assignment and its filters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.models.controls import MODES
from ouroboros.securityhub.catalog import catalog_controls

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")


def _blank(label: str, values: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", label), *values]


class ControlFilterForm(forms.Form):
    """Which controls to list: by standard, severity, service (all optional)."""

    standard = forms.ChoiceField(required=False)
    severity = forms.ChoiceField(
        required=False, choices=_blank("any severity", [(s, s) for s in SEVERITIES])
    )
    service = forms.ChoiceField(required=False)

    def __init__(
        self, *args: Any, standards: Mapping[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["standard"].choices = _blank(
            "any standard", sorted((standards or {}).items(), key=lambda s: s[1])
        )
        services = sorted({c.service for c in catalog_controls()})
        self.fields["service"].choices = _blank("any service", [(s, s) for s in services])


class BulkAssignForm(forms.Form):
    """One installed reactor, one mode and optionally its parameters for the selected controls
    (the core refuses controls the reactor does not declare, naming them, and parameters its
    schema refuses)."""

    control_ids = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    select_all = forms.BooleanField(required=False, label="every control listed")
    reactor_id = forms.ChoiceField(label="reactor")
    mode = forms.ChoiceField(choices=[(m, m) for m in MODES], initial="manual")
    params = forms.JSONField(
        required=False,
        label="parameters",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text='A JSON object, e.g. {"kms_key_id": "alias/queues"}; empty: each control keeps '
        "its parameters if its reactor stays, else the reactor's defaults.",
    )

    def __init__(
        self,
        *args: Any,
        controls: Sequence[ControlModel] = (),
        reactors: Sequence[LocalReactorModel] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.listed = [c.control_id for c in controls]
        self.fields["control_ids"].choices = [(c, c) for c in self.listed]
        self.fields["reactor_id"].choices = [
            (r.reactor_id, f"{r.reactor_id} {r.version}") for r in reactors
        ]

    def clean_params(self) -> dict[str, Any] | None:
        value = self.cleaned_data.get("params")
        if value in (None, ""):
            return None
        if not isinstance(value, dict):
            raise forms.ValidationError("Parameters must be a JSON object.")
        return value

    def selected(self) -> list[str]:
        """The chosen controls (every listed one with "select all")."""
        if self.cleaned_data.get("select_all"):
            return list(self.listed)
        return list(self.cleaned_data.get("control_ids") or [])
