"""The findings indexes project only what their pages read, and re-evaluations move no key.

Issue 25: each index projects ``list_row`` alone; a list row must still show every field (a
missing projected attribute would silently read as None), every Query's filter and key
attributes must be in its index, and DynamoDB's projection limits must hold.
"""

from __future__ import annotations

import copy
import itertools
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from console.findings.api import FindingSerializer
from ouroboros.findings.plan import (
    FILTERS,
    LIST_ATTRIBUTES,
    LIST_PROJECTION,
    SORTS,
    FindingFilters,
    finding_plan,
)
from ouroboros.findings.selectors import finding_list
from ouroboros.findings.services import finding_upsert_batch
from ouroboros.models import FindingModel
from ouroboros.models.findings import ROW_FIELDS, FindingRow, finding_index_keys
from ouroboros.securityhub.asff import asff_parse
from tests.findings_factory import finding_from_asff, sample_asffs

#: Values of each filter, in the spelling `FindingFilters` takes.
FILTER_VALUES = {
    "resource": "arn:aws:s3:::bucket",
    "control": "S3.2",
    "account": "123456789012",
    "resource_type": "AwsS3Bucket",
    "product": "Security Hub",
    "region": "us-east-1",
    "workflow": "NEW",
    "compliance": "FAILED",
    "severity": "HIGH",
}


def _projected(index_name: str) -> set[str]:
    """What a Query on ``index_name`` can return: table and index keys, INCLUDE attributes."""
    index = FindingModel._indexes[index_name]
    schema = index._get_schema()
    keys = {key["AttributeName"] for key in schema["key_schema"]}
    projection = schema["projection"]
    assert projection["ProjectionType"] == "INCLUDE", index_name
    return keys | {"finding_id"} | set(projection["NonKeyAttributes"])


def _condition_attributes(condition: Any) -> set[str]:
    """The top-level attributes a filter condition reads (``list_row`` for ``list_row.x``)."""
    if condition is None:
        return set()
    placeholders: dict[str, str] = {}
    expression = condition.serialize(placeholders, {})
    names = {placeholder: name for name, placeholder in placeholders.items()}
    return {names[path.split(".")[0]] for path in re.findall(r"#\w+(?:\.#\w+)*", expression)}


def test_every_index_projects_the_list_row_within_dynamodb_limits() -> None:
    included = [
        index._get_schema()["projection"].get("NonKeyAttributes", [])
        for index in FindingModel._indexes.values()
    ]
    assert all(attributes == ["list_row"] for attributes in included)
    # DynamoDB: at most 100 INCLUDE attributes summed over a table's indexes, 20 per index.
    assert sum(len(a) for a in included) <= 100
    assert max(len(a) for a in included) <= 20


def test_a_list_row_shows_only_fields_the_row_carries() -> None:
    assert set(FindingRow.get_attributes()) == set(ROW_FIELDS)
    assert ["finding_id", *ROW_FIELDS] == LIST_ATTRIBUTES
    api_fields = {
        field.source if field.source != "*" else name
        for name, field in FindingSerializer().fields.items()
    }
    api_fields = {"formats" if name == "formats" else name for name in api_fields}
    assert api_fields <= set(LIST_ATTRIBUTES), api_fields - set(LIST_ATTRIBUTES)


@pytest.mark.parametrize("sort", SORTS)
def test_every_query_reads_and_filters_only_projected_attributes(sort: str) -> None:
    combinations: list[dict[str, str]] = [{}]
    combinations += [
        {a: FILTER_VALUES[a], b: FILTER_VALUES[b]} for a, b in itertools.pairwise(FILTERS)
    ]
    combinations += [{name: FILTER_VALUES[name]} for name in FILTERS]
    combinations.append(FILTER_VALUES)
    for chosen in combinations:
        _, sources = finding_plan(filters=FindingFilters(**chosen), sort=sort)
        for source in sources:
            assert source.index_name is not None
            projected = _projected(source.index_name)
            wanted = set(LIST_PROJECTION) | set(source.key_attributes)
            wanted |= _condition_attributes(source.filter_condition)
            assert wanted <= projected, (chosen, source.index_name, wanted - projected)


def test_list_rows_read_from_the_index_carry_every_field(moto_aws: None) -> None:
    stored = []
    for n, asff in enumerate(sample_asffs()[:3]):
        finding = finding_from_asff(asff, Id=f"projection-{n}")
        finding.formats = ["asff"]
        finding_index_keys(finding)  # the row is derived last, from every field
        finding.save()
        stored.append(finding)
    for filters in (FindingFilters(), FindingFilters(account=stored[0].account_id)):
        page = finding_list(filters=filters)
        shown = {f.finding_id: f for f in page.items}
        for finding in stored:
            if finding.finding_id not in shown:
                continue
            row = shown[finding.finding_id]
            for name in LIST_ATTRIBUTES:
                assert getattr(row, name) == getattr(finding, name), name
    assert stored[0].finding_id in {f.finding_id for f in finding_list().items}


def test_a_re_evaluation_moves_no_index_key_but_a_change_does(moto_aws: None) -> None:
    raw = copy.deepcopy(sample_asffs()[0])
    raw.update(UpdatedAt="2024-05-01T00:00:00.000Z", LastObservedAt="2024-05-01T00:00:00.000Z")
    now = datetime.now(UTC)
    finding_upsert_batch(findings=[asff_parse(raw)], now=now)
    first = FindingModel.get(raw["Id"])
    assert first.changed_at == "2024-05-01T00:00:00.000Z"

    raw.update(UpdatedAt="2024-05-02T00:00:00.000Z", LastObservedAt="2024-05-02T00:00:00.000Z")
    finding_upsert_batch(findings=[asff_parse(raw)], now=now)
    again = FindingModel.get(raw["Id"])
    assert again.updated_at == again.list_row.updated_at == "2024-05-02T00:00:00.000Z"
    assert (again.changed_at, again.severity_sort) == (first.changed_at, first.severity_sort)

    raw["UpdatedAt"] = "2024-05-03T00:00:00.000Z"
    raw["Workflow"] = {"Status": "NOTIFIED"}
    finding_upsert_batch(findings=[asff_parse(raw)], now=now)
    changed = FindingModel.get(raw["Id"])
    assert changed.changed_at == "2024-05-03T00:00:00.000Z"
    assert changed.severity_sort.endswith("#2024-05-03T00:00:00.000Z")
