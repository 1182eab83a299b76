"""EventBridge pattern matching of the local bus, on the real events in tests/events."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from emulator.event_pattern import event_pattern_matches, event_pattern_validate
from ouroboros.errors import ValidationError
from tests.conftest import load_event

#: The remediation rule of the workflow issue: Imported, FAILED, ACTIVE, NEW.
REMEDIATION_PATTERN = {
    "source": ["aws.securityhub"],
    "detail-type": ["Security Hub Findings - Imported"],
    "detail": {
        "findings": {
            "Compliance": {"Status": ["FAILED"]},
            "RecordState": ["ACTIVE"],
            "Workflow": {"Status": ["NEW"]},
        }
    },
}

CUSTOM_ACTIONS = [
    "asr_custom_action_afsbp_ec2.2.json",
    "asr_custom_action_afsbp_rds.1_eu-west-1.json",
]


def _event(name: str) -> dict[str, Any]:
    return load_event(f"eventbridge_events/{name}")


def test_remediation_pattern_matches_the_failed_active_new_imported_event() -> None:
    event = _event("asr_imported_afsbp_ec2.7.json")
    assert event_pattern_matches(event_pattern_validate(REMEDIATION_PATTERN), event)


def test_remediation_pattern_ignores_the_warning_imported_event() -> None:
    event = _event("asr_imported_cis120_1.3.json")
    assert event["detail"]["findings"][0]["Compliance"]["Status"] == "WARNING"
    assert not event_pattern_matches(REMEDIATION_PATTERN, event)
    warning = {
        **REMEDIATION_PATTERN,
        "detail": {"findings": {"Compliance": {"Status": ["WARNING"]}}},
    }
    assert event_pattern_matches(warning, event)


@pytest.mark.parametrize("name", CUSTOM_ACTIONS)
def test_remediation_pattern_ignores_custom_action_events(name: str) -> None:
    assert not event_pattern_matches(REMEDIATION_PATTERN, _event(name))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("Workflow", "Status"), "NOTIFIED"),
        (("Workflow", "Status"), "RESOLVED"),
        (("Compliance", "Status"), "PASSED"),
        (("RecordState",), "ARCHIVED"),
    ],
)
def test_remediation_pattern_rejects_each_field_that_differs(
    path: tuple[str, ...], value: str
) -> None:
    event = _event("asr_imported_afsbp_ec2.7.json")
    target = event["detail"]["findings"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert not event_pattern_matches(REMEDIATION_PATTERN, event)


def test_a_matching_finding_anywhere_in_the_array_matches() -> None:
    event = _event("asr_imported_afsbp_ec2.7.json")
    resolved = copy.deepcopy(event["detail"]["findings"][0])
    resolved["Workflow"]["Status"] = "RESOLVED"
    event["detail"]["findings"] = [resolved, event["detail"]["findings"][0]]
    assert event_pattern_matches(REMEDIATION_PATTERN, event)


def test_fields_of_peer_array_elements_never_combine() -> None:
    event = _event("asr_imported_afsbp_ec2.7.json")
    failed_but_archived = copy.deepcopy(event["detail"]["findings"][0])
    failed_but_archived["RecordState"] = "ARCHIVED"
    passed_but_active = copy.deepcopy(event["detail"]["findings"][0])
    passed_but_active["Compliance"]["Status"] = "PASSED"
    event["detail"]["findings"] = [failed_but_archived, passed_but_active]
    assert not event_pattern_matches(REMEDIATION_PATTERN, event)


def test_custom_action_pattern_with_resources_array_and_prefix() -> None:
    event = _event("asr_custom_action_afsbp_ec2.2.json")
    action_arn = event["resources"][0]
    pattern = {
        "detail-type": ["Security Hub Findings - Custom Action"],
        "resources": ["arn:aws:securityhub:other", action_arn],
        "detail": {"findings": {"ProductFields": {"ControlId": [{"prefix": "EC2."}]}}},
    }
    assert event_pattern_matches(pattern, event)
    pattern["detail"]["findings"]["ProductFields"]["ControlId"] = [{"prefix": "RDS."}]
    assert not event_pattern_matches(pattern, event)


@pytest.mark.parametrize(
    ("matcher", "expected"),
    [
        ([{"anything-but": "us-west-2"}], True),
        ([{"anything-but": ["us-east-1", "eu-west-1"]}], False),
        ([{"anything-but": {"prefix": "us-"}}], False),
        ([{"suffix": "-1"}], True),
        ([{"equals-ignore-case": "US-EAST-1"}], True),
        ([{"wildcard": "us-*-1"}], True),
        ([{"wildcard": "eu-*"}], False),
        ([{"prefix": {"equals-ignore-case": "US-"}}], True),
        ([{"exists": True}], True),
        ([{"exists": False}], False),
    ],
)
def test_string_operators_on_the_region(matcher: list[Any], expected: bool) -> None:
    assert (
        event_pattern_matches({"region": matcher}, _event("asr_imported_cis120_1.3.json"))
        is expected
    )


def test_exists_false_on_a_field_no_finding_has() -> None:
    event = _event("asr_imported_afsbp_ec2.7.json")
    assert event_pattern_matches({"detail": {"findings": {"Note": [{"exists": False}]}}}, event)
    assert not event_pattern_matches({"detail": {"findings": {"Note": [{"exists": True}]}}}, event)


def test_numeric_matches_numbers_only() -> None:
    event = _event("asr_imported_afsbp_ec2.7.json")
    normalized = {
        "detail": {"findings": {"Severity": {"Normalized": [{"numeric": [">=", 0, "<", 40]}]}}}
    }
    assert event_pattern_matches(normalized, event)
    label = {"detail": {"findings": {"Severity": {"Label": [{"numeric": [">", 0]}]}}}}
    assert not event_pattern_matches(label, event)


def test_exact_numbers_compare_numerically_and_strings_do_not_equal_numbers() -> None:
    event = {"source": "x", "detail": {"count": 5, "text": "5"}}
    assert event_pattern_matches({"detail": {"count": [5.0]}}, event)
    assert not event_pattern_matches({"detail": {"text": [5]}}, event)
    assert not event_pattern_matches({"detail": {"count": [True]}}, {"detail": {"count": 1}})


def test_or_and_cidr() -> None:
    event = {"source": "a", "detail": {"ip": "10.0.0.7"}}
    pattern = {"$or": [{"source": ["b"]}, {"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}]}
    assert event_pattern_matches(event_pattern_validate(pattern), event)
    event["detail"]["ip"] = "10.0.1.7"
    assert not event_pattern_matches(pattern, event)


def test_nested_pattern_on_a_scalar_or_missing_field_does_not_match() -> None:
    event = _event("asr_imported_afsbp_ec2.7.json")
    assert not event_pattern_matches({"source": {"x": ["y"]}}, event)
    assert not event_pattern_matches({"detail": {"missing": {"x": ["y"]}}}, event)


@pytest.mark.parametrize(
    "pattern",
    [
        [],
        {},
        {"source": "aws.securityhub"},
        {"source": []},
        {"source": [{"prefix": 1}]},
        {"source": [{"unknown-op": "x"}]},
        {"source": [{"prefix": "a", "suffix": "b"}]},
        {"detail": {"n": [{"numeric": [">", "1"]}]}},
        {"detail": {"n": [{"numeric": ["~", 1]}]}},
        {"detail": {"ip": [{"cidr": "not-a-network"}]}},
        {"$or": [{"source": ["a"]}]},
        {"detail": {}},
        {"source": [{"exists": "yes"}]},
        {"source": [{"anything-but": {"numeric": [">", 1]}}]},
    ],
)
def test_malformed_patterns_are_rejected(pattern: Any) -> None:
    with pytest.raises(ValidationError):
        event_pattern_validate(pattern)
