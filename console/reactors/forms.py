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
    """One installed reactor and one mode for the selected controls."""

    control_ids = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    select_all = forms.BooleanField(required=False, label="every control listed")
    reactor_id = forms.ChoiceField(label="reactor")
    mode = forms.ChoiceField(choices=[(m, m) for m in MODES], initial="manual")

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

    def selected(self) -> list[str]:
        """The chosen controls (every listed one with "select all")."""
        if self.cleaned_data.get("select_all"):
            return list(self.listed)
        return list(self.cleaned_data.get("control_ids") or [])
