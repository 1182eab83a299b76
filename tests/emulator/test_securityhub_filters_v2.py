"""GetFindingsV2 filters on the real OCSF samples, without a server (unit tier)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from emulator.securityhub_errors import FindingsV2ValidationError
from emulator.securityhub_filters_v2 import findings_v2_filter, path_values
from tests.conftest import EVENTS_DIR, load_event

NOW = datetime(2025, 9, 27, tzinfo=UTC)


def _samples() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted((EVENTS_DIR / "ocsf").glob("*.json")):
        document = load_event(f"ocsf/{path.name}")
        found[path.name[:2]] = (
            document["detail"]["findings"][0] if "detail" in document else document
        )
    return found


SAMPLES = _samples()


def _matching(filters: dict[str, Any]) -> set[str]:
    predicate = findings_v2_filter(filters, now=NOW)
    return {number for number, sample in SAMPLES.items() if predicate(sample)}


def _one(kind: str, field: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"CompositeFilters": [{kind: [{"FieldName": field, "Filter": spec}]}]}


def test_paths_reach_values_through_lists() -> None:
    tags = path_values(SAMPLES["05"], "resources.tags")
    assert {"name": "eks:cluster-name", "value": "demo_prod"} in tags
    assert path_values(SAMPLES["07"], "vulnerabilities.cve.cvss.base_score") == [4.7, 5.5]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (  # modified since NOW - 7 days: SSM.1, Inspector (2025-09-26), coverage (2026-09-17)
            _one(
                "DateFilters",
                "finding_info.modified_time_dt",
                {"DateRange": {"Value": 7, "Unit": "DAYS"}},
            ),
            {"05", "07", "11"},
        ),
        (
            _one(
                "DateFilters",
                "finding_info.modified_time_dt",
                {"DateRange": {"Value": 7, "Unit": "DAYS", "Comparison": "OLDER_THAN"}},
            ),
            {"02", "03", "09"},
        ),
        (_one("NumberFilters", "vulnerabilities.cve.cvss.base_score", {"Gt": 5}), {"07"}),
        (_one("NumberFilters", "severity_id", {"Gte": 3, "Lt": 5}), {"02", "05", "07"}),
        (_one("BooleanFilters", "vulnerabilities.is_fix_available", {"Value": True}), {"07"}),
        (
            _one(
                "MapFilters",
                "resources.tags",
                {"Key": "eks:cluster-name", "Value": "demo_prod", "Comparison": "EQUALS"},
            ),
            {"05", "07"},  # both EC2 instances of one EKS node group
        ),
        (
            _one(
                "MapFilters",
                "resources.tags",
                {"Key": "eks:cluster-name", "Value": "prod", "Comparison": "NOT_CONTAINS"},
            ),
            set(SAMPLES) - {"05", "07"},
        ),
        (
            {  # (Fail AND control S*) OR (class Vulnerability): nested composite filters
                "CompositeOperator": "OR",
                "CompositeFilters": [
                    {
                        "NestedCompositeFilters": [
                            {
                                "StringFilters": [
                                    {
                                        "FieldName": "compliance.status",
                                        "Filter": {"Value": "Fail", "Comparison": "EQUALS"},
                                    }
                                ]
                            },
                            {
                                "StringFilters": [
                                    {
                                        "FieldName": "compliance.control",
                                        "Filter": {"Value": "SSM", "Comparison": "PREFIX"},
                                    }
                                ]
                            },
                        ]
                    },
                    {
                        "StringFilters": [
                            {
                                "FieldName": "class_name",
                                "Filter": {
                                    "Value": "Vulnerability Finding",
                                    "Comparison": "EQUALS",
                                },
                            }
                        ]
                    },
                ],
            },
            {"05", "07"},
        ),
    ],
    ids=["within", "older", "number-any", "number-range", "boolean", "map", "map-not", "nested"],
)
def test_date_number_boolean_map_and_nested_filters(
    filters: dict[str, Any], expected: set[str]
) -> None:
    assert _matching(filters) == expected


@pytest.mark.parametrize(
    ("filters", "named"),
    [
        (_one("IpFilters", "evidences.src_endpoint.ip", {"Cidr": "not-a-cidr"}), "Cidr"),
        (
            _one("BooleanFilters", "vulnerabilities.is_fix_available", {"Value": "yes"}),
            "true/false",
        ),
        (_one("NumberFilters", "severity_id", {}), "Gte, Lte"),
        (
            _one(
                "MapFilters", "resources.tags", {"Key": "a", "Value": "b", "Comparison": "PREFIX"}
            ),
            "PREFIX",
        ),
        (
            _one("DateFilters", "finding_info.modified_time_dt", {"Start": "yesterday"}),
            "yesterday",
        ),
        (
            {
                "CompositeFilters": [
                    {
                        "NestedCompositeFilters": [
                            {"NestedCompositeFilters": [{"NestedCompositeFilters": [{}]}]}
                        ]
                    }
                ]
            },
            "nest at most 3",
        ),
        ({"CompositeFilters": [{}] * 11}, "at most 10"),
        ({"CompositeFilters": [], "Extra": 1}, "Extra"),
        (
            {
                "CompositeFilters": [
                    {
                        "StringFilters": [
                            {
                                "FieldName": "status",
                                "Filter": {"Value": "New", "Comparison": "EQUALS"},
                            },
                            {
                                "FieldName": "status",
                                "Filter": {"Value": "Resolved", "Comparison": "NOT_EQUALS"},
                            },
                        ]
                    }
                ]
            },
            "EQUALS cannot be combined",
        ),
    ],
    ids=["cidr", "boolean", "number", "map", "date", "nesting", "composites", "member", "mix"],
)
def test_malformed_filters_are_refused_naming_what(filters: dict[str, Any], named: str) -> None:
    with pytest.raises(FindingsV2ValidationError, match=named):
        findings_v2_filter(filters, now=NOW)
