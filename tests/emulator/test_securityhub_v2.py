"""The local Security Hub's V2 (OCSF) side over HTTP, driven by plain boto3 clients.

The real OCSF samples of ``tests/events/ocsf`` go in through the local-only V2 import; they come
back from ``get_findings_v2`` as OCSF, with the filters, sort and paging the project uses; unknown
filters are refused, never ignored; ``batch_update_findings_v2`` answers botocore's shapes; every
change emits a "Findings Imported V2" event shaped like the real one (sample 09).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.bus import EventBus, EventBusExtension
from emulator.securityhub_import import ocsf_findings_import
from emulator.securityhub_server import SecurityHubExtension
from tests.conftest import EVENTS_DIR, load_event
from tests.emulator.securityhub_samples import FakeRuntime

pytestmark = pytest.mark.functional

EVENT_SAMPLE = "ocsf/09_guardduty_detection_finding_in_FindingsImportedV2_event.json"
SQS_1 = "02"  # SQS.1 Fail / New
IAM_1 = "03"  # IAM.1 Pass / Resolved
SSM_1 = "05"  # SSM.1 Fail / New, activity Update


def _samples() -> dict[str, dict[str, Any]]:
    """Every OCSF finding of tests/events/ocsf by its file's number (09 from inside its event)."""
    found = {}
    for path in sorted((EVENTS_DIR / "ocsf").glob("*.json")):
        document = load_event(f"ocsf/{path.name}")
        if "detail" in document:
            document = document["detail"]["findings"][0]
        found[path.name[:2]] = document
    return found


SAMPLES = _samples()


@dataclass
class Hub:
    url: str
    client: Any
    bus: EventBus
    events: list[dict[str, Any]]

    def load(self, *numbers: str) -> dict[str, Any]:
        findings = [SAMPLES[n] for n in numbers or tuple(SAMPLES)]
        return ocsf_findings_import(self.url, copy.deepcopy(findings))

    def uids(self, **request: Any) -> list[str]:
        pages = self.client.get_paginator("get_findings_v2").paginate(**request)
        return [f["finding_info"]["uid"] for page in pages for f in page["Findings"]]


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    runtime = FakeRuntime(tmp_path)
    bus_extension, hub_extension = EventBusExtension(mirror_moto=False), SecurityHubExtension()
    bus_extension.start(runtime)  # type: ignore[arg-type]
    hub_extension.start(runtime)  # type: ignore[arg-type]
    try:
        assert bus_extension.bus is not None
        events: list[dict[str, Any]] = []
        bus_extension.bus.subscribe("all", {"source": ["aws.securityhub"]}, events.append)
        url = runtime.published["securityhub"]
        securityhub = boto3.client("securityhub", endpoint_url=url, region_name="us-east-1")
        yield Hub(url, securityhub, bus_extension.bus, events)
    finally:
        hub_extension.stop()
        bus_extension.stop()


def _uid(number: str) -> str:
    return str(SAMPLES[number]["finding_info"]["uid"])


def _strings(*filters: tuple[str, str, str], operator: str = "AND") -> dict[str, Any]:
    entries = [
        {"FieldName": field, "Filter": {"Value": value, "Comparison": comparison}}
        for field, comparison, value in filters
    ]
    return {"CompositeFilters": [{"Operator": operator, "StringFilters": entries}]}


def test_every_ocsf_sample_is_kept_as_ocsf_and_emits_a_real_shaped_v2_event(hub: Hub) -> None:
    response = hub.load()
    assert (response["SuccessCount"], response["FailedCount"]) == (len(SAMPLES), 0)
    stored = {f["finding_info"]["uid"]: f for f in hub.client.get_findings_v2()["Findings"]}
    for sample in SAMPLES.values():
        kept = stored[sample["finding_info"]["uid"]]
        assert {k: v for k, v in kept.items() if k != "metadata"} == {
            k: v for k, v in sample.items() if k != "metadata"
        }
        given = sample["metadata"].get("uid")
        assert kept["metadata"]["uid"] == given or (
            given is None and len(kept["metadata"]["uid"]) == 64
        )
    assert hub.client.get_findings()["Findings"] == []  # OCSF stays OCSF, apart from ASFF

    assert hub.bus.wait_idle(10)
    real = load_event(EVENT_SAMPLE)
    assert len(hub.events) == len(SAMPLES)
    for event in hub.events:
        finding = event["detail"]["findings"][0]
        assert set(event) == set(real) and set(event["detail"]) == set(real["detail"])
        assert (event["source"], event["detail-type"]) == (
            "aws.securityhub",
            "Findings Imported V2",
        )
        assert event["resources"] == [finding["metadata"]["uid"]]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
        assert (event["version"], event["region"]) == (real["version"], "us-east-1")
        assert stored[finding["finding_info"]["uid"]] == finding


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (_strings(("finding_info.uid", "EQUALS", _uid(SQS_1))), {SQS_1}),
        (_strings(("metadata.uid", "EQUALS", SAMPLES[SSM_1]["metadata"]["uid"])), {SSM_1}),
        (_strings(("cloud.account.uid", "EQUALS", "869728294964")), {"09"}),
        (_strings(("compliance.status", "EQUALS", "Fail")), {SQS_1, SSM_1}),
        (_strings(("status", "EQUALS", "Resolved")), {IAM_1}),
        (_strings(("severity", "EQUALS", "Critical")), {"10"}),
        (_strings(("compliance.control", "PREFIX", "S")), {SQS_1, SSM_1}),
        (_strings(("resources.uid", "CONTAINS", "securityhubfinding")), {SQS_1}),
        (_strings(("finding_info.title", "CONTAINS_WORD", "SQS")), {SQS_1}),
        (  # positive comparisons on one field are ORed, whatever the operator
            _strings(
                ("compliance.control", "EQUALS", "SQS.1"), ("compliance.control", "EQUALS", "IAM.1")
            ),
            {SQS_1, IAM_1},
        ),
        (
            _strings(
                ("class_name", "EQUALS", "Compliance Finding"),
                (
                    "metadata.product.uid",
                    "PREFIX_NOT_EQUALS",
                    "arn:aws:securityhub:us-east-1::productv2/aws/securityhub-coverage",
                ),
                ("compliance.status", "NOT_EQUALS", "Pass"),
            ),
            {SQS_1, SSM_1},
        ),
        (
            _strings(
                ("severity", "EQUALS", "Low"), ("status", "EQUALS", "Resolved"), operator="OR"
            ),
            {"09", "12", IAM_1},
        ),
    ],
    ids=lambda value: (
        ",".join(sorted(value))
        if isinstance(value, set)
        else "+".join(f["FieldName"] for f in value["CompositeFilters"][0]["StringFilters"])
    ),
)
def test_string_filters_the_project_uses(
    hub: Hub, filters: dict[str, Any], expected: set[str]
) -> None:
    hub.load()
    assert set(hub.uids(Filters=filters)) == {_uid(n) for n in expected}


def test_the_collector_query_pages_in_modified_time_order(hub: Hub) -> None:
    """V2_API.md's incremental sync: classes, product, numbers, a date window, sort, pages."""
    hub.load()
    composite = {
        "Operator": "AND",
        "StringFilters": [
            {
                "FieldName": "class_name",
                "Filter": {"Value": "Compliance Finding", "Comparison": "EQUALS"},
            },
            {
                "FieldName": "metadata.product.uid",
                "Filter": {
                    "Value": "arn:aws:securityhub:us-east-2::productv2/aws/securityhub",
                    "Comparison": "EQUALS",
                },
            },
        ],
        "NumberFilters": [
            {"FieldName": "compliance.status_id", "Filter": {"Eq": 3}},
            {"FieldName": "activity_id", "Filter": {"Lte": 2}},
        ],
        "DateFilters": [
            {
                "FieldName": "finding_info.modified_time_dt",
                "Filter": {"Start": "2025-09-01T00:00:00Z", "End": "2025-12-31T00:00:00Z"},
            }
        ],
    }
    request = {
        "Filters": {"CompositeOperator": "AND", "CompositeFilters": [composite]},
        "SortCriteria": [{"Field": "finding_info.modified_time_dt", "SortOrder": "asc"}],
    }
    first = hub.client.get_findings_v2(MaxResults=1, **request)
    assert [f["finding_info"]["uid"] for f in first["Findings"]] == [_uid(SQS_1)]
    second = hub.client.get_findings_v2(MaxResults=1, NextToken=first["NextToken"], **request)
    assert [f["finding_info"]["uid"] for f in second["Findings"]] == [_uid(SSM_1)]
    assert "NextToken" not in second

    newest_first = hub.uids(PaginationConfig={"PageSize": 3})  # default: modified time desc
    assert len(newest_first) == len(set(newest_first)) == len(SAMPLES)
    assert newest_first[0] == _uid("11")  # modified 2026-09-17, the newest
    assert set(newest_first[-2:]) == {_uid("10"), _uid("12")}  # no modified_time_dt: last


@pytest.mark.parametrize(
    ("request_", "named"),
    [
        ({"Filters": _strings(("finding_info.nope", "EQUALS", "x"))}, "finding_info.nope"),
        ({"Filters": _strings(("status", "LIKE", "x"))}, "LIKE"),
        ({"Filters": _strings(("status", "NOT_CONTAINS", "x"))}, "NOT_CONTAINS"),
        ({"Filters": _strings(("status", "EQUALS", "x"), operator="XOR")}, "XOR"),
        (
            {
                "Filters": {
                    "CompositeFilters": [
                        {"NumberFilters": [{"FieldName": "risk_score", "Filter": {"Eq": 1}}]}
                    ]
                }
            },
            "risk_score",
        ),
        (
            {
                "Filters": {
                    "CompositeFilters": [
                        {
                            "DateFilters": [
                                {"FieldName": "finding_info.modified_time_dt", "Filter": {}}
                            ]
                        }
                    ]
                }
            },
            "finding_info.modified_time_dt",
        ),
        (
            {"SortCriteria": [{"Field": "finding_info.nope_dt", "SortOrder": "asc"}]},
            "finding_info.nope_dt",
        ),
        ({"Scopes": {"AwsOrganizations": [{"OrganizationId": "o-1"}]}}, "Scopes"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_unknown_filters_and_operators_are_refused_naming_them(
    hub: Hub, request_: dict[str, Any], named: str
) -> None:
    hub.load(SQS_1)
    with pytest.raises(ClientError) as raised:
        hub.client.get_findings_v2(**request_)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert named in raised.value.response["Error"]["Message"]


def test_batch_update_v2_answers_botocore_shapes_and_emits_the_updated_finding(hub: Hub) -> None:
    hub.load(SQS_1, "09")
    assert hub.bus.wait_idle(10)
    hub.events.clear()
    sqs = SAMPLES[SQS_1]
    identifier = {
        "CloudAccountUid": sqs["cloud"]["account"]["uid"],
        "FindingInfoUid": sqs["finding_info"]["uid"],
        "MetadataProductUid": sqs["metadata"]["product"]["uid"],
    }
    missing = {**identifier, "FindingInfoUid": "arn:aws:securityhub:us-east-2:123456789012:nope"}
    response = hub.client.batch_update_findings_v2(
        FindingIdentifiers=[identifier, missing],
        StatusId=4,
        Comment="fixed by sqs-queue-encryption",
    )
    assert response["ProcessedFindings"] == [
        {"FindingIdentifier": identifier, "MetadataUid": sqs["metadata"]["uid"]}
    ]
    assert response["UnprocessedFindings"] == [
        {
            "FindingIdentifier": missing,
            "ErrorCode": "ResourceNotFoundException",
            "ErrorMessage": "Finding not found",
        }
    ]
    by_uid = hub.client.batch_update_findings_v2(
        MetadataUids=[SAMPLES["09"]["metadata"]["uid"]], SeverityId=4
    )
    assert [p["MetadataUid"] for p in by_uid["ProcessedFindings"]] == [
        SAMPLES["09"]["metadata"]["uid"]
    ]

    (updated,) = hub.client.get_findings_v2(
        Filters=_strings(("finding_info.uid", "EQUALS", identifier["FindingInfoUid"]))
    )["Findings"]
    assert (updated["status_id"], updated["status"]) == (4, "Resolved")
    assert updated["comment"] == "fixed by sqs-queue-encryption"
    assert updated["finding_info"]["modified_time_dt"] == sqs["finding_info"]["modified_time_dt"]
    (guardduty,) = hub.client.get_findings_v2(
        Filters=_strings(("cloud.account.uid", "EQUALS", "869728294964"))
    )["Findings"]
    assert (guardduty["severity_id"], guardduty["severity"]) == (4, "High")
    assert guardduty["vendor_attributes"] == SAMPLES["09"]["vendor_attributes"]

    assert hub.bus.wait_idle(10)
    assert [e["detail-type"] for e in hub.events] == ["Findings Imported V2"] * 2
    assert hub.events[0]["detail"]["findings"][0] == updated


def test_a_reimport_keeps_the_customers_status_until_the_finding_fails_again(hub: Hub) -> None:
    hub.load(IAM_1)
    uid = SAMPLES[IAM_1]["metadata"]["uid"]
    hub.client.batch_update_findings_v2(MetadataUids=[uid], StatusId=2, Comment="looking")
    hub.load(IAM_1)  # the product sends it again, unchanged: the customer's fields stay
    (kept,) = hub.client.get_findings_v2()["Findings"]
    assert (kept["status_id"], kept["comment"]) == (2, "looking")
    failing = copy.deepcopy(SAMPLES[IAM_1])
    failing["compliance"] |= {"status": "Fail", "status_id": 3}
    failing["status_id"], failing["status"] = 1, "New"
    ocsf_findings_import(hub.url, [failing])
    (reopened,) = hub.client.get_findings_v2()["Findings"]
    assert (reopened["status_id"], reopened["status"]) == (1, "New")
    assert reopened["comment"] == "looking"


@pytest.mark.parametrize(
    ("request_", "named"),
    [
        ({"StatusId": 4}, "MetadataUids or FindingIdentifiers"),
        (
            {
                "MetadataUids": ["a"],
                "FindingIdentifiers": [
                    {"CloudAccountUid": "1", "FindingInfoUid": "2", "MetadataProductUid": "3"}
                ],
                "StatusId": 4,
            },
            "not both",
        ),
        ({"MetadataUids": ["a"]}, "at least one of"),
        ({"MetadataUids": ["a"], "StatusId": 7}, "StatusId"),
        ({"MetadataUids": ["a"], "SeverityId": 9}, "SeverityId"),
        ({"MetadataUids": ["a"] * 101, "StatusId": 4}, "101"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_bad_updates_are_refused_as_validation_exceptions(
    hub: Hub, request_: dict[str, Any], named: str
) -> None:
    with pytest.raises(ClientError) as raised:
        hub.client.batch_update_findings_v2(**request_)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert named in raised.value.response["Error"]["Message"]


def test_the_local_import_refuses_what_it_cannot_store_finding_by_finding(hub: Hub) -> None:
    nameless = copy.deepcopy(SAMPLES[SQS_1])
    del nameless["cloud"]["account"]["uid"]
    clash = copy.deepcopy(SAMPLES[IAM_1])
    clash["metadata"]["uid"] = SAMPLES[SQS_1]["metadata"]["uid"]  # another finding's handle
    response = ocsf_findings_import(hub.url, [SAMPLES[SQS_1], nameless, clash])
    assert (response["SuccessCount"], response["FailedCount"]) == (1, 2)
    messages = [f["ErrorMessage"] for f in response["FailedFindings"]]
    assert "cloud.account.uid" in messages[0] and "another finding" in messages[1]
    assert hub.uids() == [_uid(SQS_1)]
