"""Forms of the controls pages: the list's filters (GET) and the configuration forms (POST).

Every configuration form carries the ``version`` of the control it was read at; the core refuses
to save over a newer version (`ouroboros.controls.services.control_configure`).

The configure form has one field per parameter of the assigned reactor, generated from its
``params_schema`` (`param_fields`: the property's type, default and description); the core
validates the values against the schema again and names each parameter it refuses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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
from ouroboros.models.controls import MODES, TICKET_MODES
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


PARAM_PREFIX = "param_"


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _typed(value: str, kind: str | None) -> Any:
    """``value`` as a JSON Schema ``kind`` when it reads as one (else as typed: the schema check
    then names it)."""
    if kind in ("integer", "number"):
        try:
            return int(value) if kind == "integer" else float(value)
        except ValueError:
            return value
    return value


def param_field(schema: Mapping[str, Any], *, required: bool) -> forms.Field:
    """The form field of one parameter: its type, default (initial) and description (help)."""
    kind = schema.get("type")
    help_text = str(schema.get("description") or "")
    if "default" in schema:
        help_text += f" (default: {json.dumps(schema['default'])})"
    common: dict[str, Any] = {"required": required, "help_text": help_text.strip()}
    if "enum" in schema:
        choices = [(json.dumps(v), str(v)) for v in schema["enum"]]
        return forms.TypedChoiceField(
            choices=[("", "—"), *choices], coerce=json.loads, empty_value=None, **common
        )
    if kind == "boolean":
        return forms.BooleanField(**{**common, "required": False})
    if kind == "integer":
        return forms.IntegerField(
            min_value=schema.get("minimum"), max_value=schema.get("maximum"), **common
        )
    if kind == "number":
        return forms.FloatField(
            min_value=schema.get("minimum"), max_value=schema.get("maximum"), **common
        )
    if kind == "array":
        common["help_text"] = f"One per line. {common['help_text']}".strip()
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if kind == "string":
        return forms.CharField(strip=True, **common)
    common["help_text"] = f"JSON. {common['help_text']}".strip()
    return forms.JSONField(**common)


def _initial(schema: Mapping[str, Any], value: Any) -> Any:
    if schema.get("type") == "array" and isinstance(value, list | tuple):
        return "\n".join(str(v) for v in value)
    if "enum" in schema and value is not None:
        return json.dumps(value)
    return value


#: The ticket behaviours (`ouroboros.tickets`) as the configure form offers them.
TICKET_LABELS = {
    "off": "No ticket",
    "instead": "Ticket instead of a fix (dry run + ticket)",
    "after_failure": "Ticket after a failed run",
    "after_dry_run": "Ticket after a dry run",
    "manual": "Ticket for a manual-mode finding (dry run + ticket)",
}


class ControlConfigureForm(forms.Form):
    """Reactor, mode and the parameters of ``params_reactor`` (the reactor the parameter fields
    were generated for: when the reactor is changed, they are not sent, and the page then shows
    the new reactor's)."""

    reactor_id = forms.ChoiceField(required=False, label="Reactor")
    mode = forms.ChoiceField(choices=[(m, MODE_LABELS[m]) for m in MODES])
    #: Absent from a POST: the stored ticket behaviour is kept.
    ticket = forms.ChoiceField(
        required=False, label="Ticket", choices=[(t, TICKET_LABELS[t]) for t in TICKET_MODES]
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    params_reactor = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        reactors: list[tuple[str, str]],
        params_schema: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.options = {"reactors": reactors, "params_schema": params_schema}
        self.fields["reactor_id"].choices = [("", "— no reactor —"), *reactors]
        self.properties: dict[str, Any] = dict((params_schema or {}).get("properties") or {})
        required = set((params_schema or {}).get("required") or [])
        for name, sub in self.properties.items():
            field = param_field(sub, required=name in required and "default" not in sub)
            field.label = name
            value = (params or {}).get(name, sub.get("default"))
            field.initial = _initial(sub, value)
            self.fields[f"{PARAM_PREFIX}{name}"] = field

    def param_fields(self) -> list[forms.BoundField]:
        """The bound fields of the parameters, in the schema's order."""
        return [self[f"{PARAM_PREFIX}{name}"] for name in self.properties]

    def params(self) -> dict[str, Any]:
        """The parameters the form sets: those given and different from their default."""
        values: dict[str, Any] = {}
        for name, sub in self.properties.items():
            value = self.cleaned_data.get(f"{PARAM_PREFIX}{name}")
            if sub.get("type") == "array" and isinstance(value, str):
                kind = (sub.get("items") or {}).get("type")
                value = [_typed(v, kind) for v in _lines(value)] or None
            if value is None or value == "" or value == sub.get("default"):
                continue
            values[name] = value
        return values

    def params_for(self) -> dict[str, Any] | None:
        """`params` when the reactor is the one the fields were made for; None (the new
        reactor's defaults) when the reactor changed."""
        data = self.cleaned_data
        if (data.get("reactor_id") or "") != (data.get("params_reactor") or ""):
            return None
        return self.params()

    def params_problems_add(self, problems: Mapping[str, str]) -> None:
        """Put the core's message on each refused parameter's field (others on the form)."""
        for name, message in problems.items():
            field = f"{PARAM_PREFIX}{name}"
            self.add_error(field if field in self.fields else None, message)


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
