"""Fitting findings to BatchImportFindings' input shape: dropped keys, conversions, refusals."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from emulator.asff_input import asff_finding_conform, finding_id_problem
from tests.conftest import load_event


def _finding(**fields: Any) -> dict[str, Any]:
    return {**copy.deepcopy(load_event("asff_findings/asr_afsbp_s3.2.json")), **fields}


def test_a_real_finding_passes_unchanged() -> None:
    finding = _finding()
    result = asff_finding_conform(finding)
    assert result.finding == finding
    assert (result.dropped, result.coerced, result.problems) == ([], [], [])


def test_keys_outside_the_shape_are_dropped_at_every_depth_and_nulls_too() -> None:
    finding = _finding(updatedAt="2020-10-29T20:46:18Z", Note=None)
    finding["Resources"][0]["approximateArrivalTimestamp"] = 1604004378.0
    result = asff_finding_conform(finding)
    assert result.dropped == [
        "Resources[0].approximateArrivalTimestamp",
        "updatedAt",
        "Note (null)",
    ]
    assert "updatedAt" not in result.finding and "Note" not in result.finding
    assert "approximateArrivalTimestamp" not in result.finding["Resources"][0]
    assert "approximateArrivalTimestamp" in finding["Resources"][0]  # the input is kept


@pytest.mark.parametrize(
    ("path", "given", "expected"),
    [
        (("Severity", "Normalized"), "40", 40),
        (("Severity", "Normalized"), 40.0, 40),
        (("Severity", "Product"), "4.5", 4.5),
        (("AwsAccountId",), 111111111111, "111111111111"),
        (("Sample",), "true", True),
    ],
)
def test_values_the_shape_takes_in_another_json_type_are_converted(
    path: tuple[str, ...], given: Any, expected: Any
) -> None:
    finding = _finding()
    parent = finding
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = given
    result = asff_finding_conform(finding)
    assert result.problems == []
    converted = result.finding
    for key in path:
        converted = converted[key]
    assert converted == expected and type(converted) is type(expected)
    assert result.coerced == [f"{'.'.join(path)}: {given!a} -> {expected!a}"]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"Confidence": "high"}, "Confidence: text 'high', not an integer"),
        ({"Confidence": 40.5}, "Confidence: number 40.5, not an integer"),
        ({"Confidence": True}, "Confidence: boolean True, not an integer"),
        ({"Types": "Software and Configuration Checks"}, "Types: text"),
        ({"Resources": {"Type": "AwsS3Bucket"}}, "Resources: object"),
        ({"Title": 1.5}, "Title: number 1.5, not text"),
        ({"Sample": "yes"}, "Sample: text 'yes', not true or false"),
    ],
)
def test_anything_else_is_a_problem_naming_the_field(fields: dict[str, Any], problem: str) -> None:
    result = asff_finding_conform(_finding(**fields))
    assert len(result.problems) == 1
    assert result.problems[0].startswith(problem)


def test_ids_with_control_characters_are_named_escaped() -> None:
    assert finding_id_problem("arn:aws:securityhub:finding/ok") is None
    problem = finding_id_problem("arn:x\x00y")
    assert problem is not None and "\\x00" in problem and "\x00" not in problem
    assert finding_id_problem("a\tb") is not None and finding_id_problem("a\x7fb") is not None
