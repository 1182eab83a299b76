"""The findings list's filter form (GET): what the URL may say, turned into `FindingFilters`."""

from __future__ import annotations

from django import forms

from ouroboros.findings.selectors import (
    COMPLIANCE_STATUSES,
    RECORD_STATES,
    SEARCH_KINDS,
    SEVERITIES,
    SORTS,
    WORKFLOW_STATUSES,
    FindingFilters,
)

PAGE_SIZES = (25, 50, 100)
SORT_LABELS = {
    "-updated": "Updated, newest first",
    "updated": "Updated, oldest first",
    "-severity": "Severity, highest first",
    "severity": "Severity, lowest first",
    "-first_observed": "First observed, newest first",
    "first_observed": "First observed, oldest first",
}
GROUP_LABELS = {
    "": "No grouping",
    "control": "Control",
    "account": "Account",
    "resource": "Resource",
}
SEARCH_LABELS = {
    "auto": "Anything",
    "control": "Control id",
    "resource": "Resource id / ARN",
    "title": "Title words",
}


def _any(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("", "Any"), *((v, v.replace("_", " ").title()) for v in values)]


class FindingFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=1024, label="Search")
    search_in = forms.ChoiceField(
        required=False, choices=list(SEARCH_LABELS.items()), label="Search in"
    )
    record_state = forms.ChoiceField(
        required=False, choices=[(s, s.title()) for s in RECORD_STATES], label="Record state"
    )
    severity = forms.ChoiceField(required=False, choices=_any(SEVERITIES))
    compliance = forms.ChoiceField(required=False, choices=_any(COMPLIANCE_STATUSES))
    workflow = forms.ChoiceField(required=False, choices=_any(WORKFLOW_STATUSES))
    account = forms.RegexField(
        required=False,
        regex=r"^\d{12}$",
        error_messages={"invalid": "An account id has 12 digits."},
    )
    region = forms.CharField(required=False, max_length=64)
    control = forms.CharField(required=False, max_length=128)
    resource_type = forms.CharField(required=False, max_length=256, label="Resource type")
    resource = forms.CharField(required=False, max_length=1024, label="Resource id")
    product = forms.CharField(required=False, max_length=256)
    sort = forms.ChoiceField(required=False, choices=list(SORT_LABELS.items()))
    group = forms.ChoiceField(required=False, choices=list(GROUP_LABELS.items()), label="Group by")
    size = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=PAGE_SIZES[1],
        initial=PAGE_SIZES[1],
        choices=[(n, f"{n} per page") for n in PAGE_SIZES],
        label="Page size",
    )

    def filters(self) -> FindingFilters:
        data = self.cleaned_data
        search_in = data.get("search_in") or "auto"
        assert search_in in SEARCH_KINDS
        return FindingFilters(
            record_state=data.get("record_state") or "ACTIVE",
            severity=data.get("severity") or None,
            compliance=data.get("compliance") or None,
            workflow=data.get("workflow") or None,
            account=data.get("account") or None,
            region=data.get("region") or None,
            control=data.get("control") or None,
            resource_type=data.get("resource_type") or None,
            resource=data.get("resource") or None,
            product=data.get("product") or None,
            search=data.get("q") or None,
            search_in=search_in,  # type: ignore[arg-type]
        )

    def sort_order(self) -> str:
        sort = self.cleaned_data.get("sort") or "-updated"
        return sort if sort in SORTS else "-updated"
