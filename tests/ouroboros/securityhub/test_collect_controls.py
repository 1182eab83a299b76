"""The controls collector against a stubbed Security Hub (botocore Stubber) and moto's DynamoDB.

The responses follow the botocore model (Stubber validates them) and use real ids: FSBP controls
from the shipped catalog, CIS 1.2.0 rules as DescribeStandardsControls spells them (``CIS.1.3``),
PCI DSS ids whose numbers differ from the security control ids.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from ouroboros.aggregates import aggregate_read
from ouroboros.aws import client
from ouroboros.models import ControlModel
from ouroboros.models.controls import KIND_STANDARD
from ouroboros.securityhub.collect_controls import ControlsCollectReport, controls_collect

pytestmark = pytest.mark.functional

ACCOUNT = "111111111111"
FSBP = "aws-foundational-security-best-practices/v/1.0.0"
CIS = "cis-aws-foundations-benchmark/v/1.2.0"
PCI = "pci-dss/v/3.2.1"
ARNS = {
    FSBP: f"arn:aws:securityhub:::standards/{FSBP}",
    CIS: f"arn:aws:securityhub:::ruleset/{CIS}",
    PCI: f"arn:aws:securityhub:us-east-1::standards/{PCI}",
}
NOW = datetime(2024, 5, 1, tzinfo=UTC)
REGION_ARN = "arn:aws:securityhub:us-east-1"


def _subscription(standard: str) -> dict[str, Any]:
    return {
        "StandardsSubscriptionArn": f"{REGION_ARN}:{ACCOUNT}:subscription/{standard}",
        "StandardsArn": ARNS[standard],
        "StandardsInput": {},
        "StandardsStatus": "READY",
    }


def _control(
    standard: str, control_id: str, title: str, severity: str, status: str = "ENABLED"
) -> dict[str, Any]:
    rule = control_id.removeprefix("CIS.")
    return {
        "StandardsControlArn": f"arn:aws:securityhub:us-east-1:{ACCOUNT}:control/{standard}/{rule}",
        "ControlStatus": status,
        "ControlStatusUpdatedAt": NOW,
        "ControlId": control_id,
        "Title": title,
        "Description": f"{title} (description)",
        "RemediationUrl": f"https://docs.aws.amazon.com/console/securityhub/{control_id}/remediation",
        "SeverityRating": severity,
        "RelatedRequirements": [],
    }


FSBP_CONTROLS = [
    _control(FSBP, "S3.2", "S3 buckets should prohibit public read access", "CRITICAL"),
    _control(
        FSBP, "S3.5", "S3 buckets should require requests to use Secure Socket Layer", "MEDIUM"
    ),
    _control(FSBP, "ELBv2.1", "Application Load Balancer should redirect HTTP to HTTPS", "MEDIUM"),
]
FSBP_CONTROLS_PAGE_2 = [
    _control(FSBP, "IAM.8", "Unused IAM user credentials should be removed", "MEDIUM", "DISABLED"),
]
CIS_CONTROLS = [
    _control(
        CIS, "CIS.1.3", "Ensure credentials unused for 90 days or greater are disabled", "MEDIUM"
    ),
    _control(CIS, "CIS.1.1", "Avoid the use of the root user", "LOW"),
]
PCI_CONTROLS = [
    _control(PCI, "PCI.S3.6", "S3 Block Public Access should be enabled", "MEDIUM", "DISABLED"),
    _control(PCI, "PCI.Nope.9", "A control the mapping table does not know", "LOW"),
]  # fmt: skip


def _stub_collection(
    stubber: Stubber,
    standards: list[str],
    *,
    consolidated: bool,
    fsbp_title: str | None = None,
) -> None:
    stubber.add_response(
        "describe_standards",
        {"Standards": [{"StandardsArn": ARNS[s], "Name": f"Name of {s}"} for s in standards]},
        {},
    )
    stubber.add_response(
        "get_enabled_standards",
        {"StandardsSubscriptions": [_subscription(s) for s in standards]},
        {},
    )
    for standard in standards:
        arn = _subscription(standard)["StandardsSubscriptionArn"]
        if standard == FSBP:
            first = [dict(c) for c in FSBP_CONTROLS]
            if fsbp_title:
                first[0]["Title"] = fsbp_title
            stubber.add_response(
                "describe_standards_controls",
                {"Controls": first, "NextToken": "page2"},
                {"StandardsSubscriptionArn": arn},
            )
            stubber.add_response(
                "describe_standards_controls",
                {"Controls": FSBP_CONTROLS_PAGE_2},
                {"StandardsSubscriptionArn": arn, "NextToken": "page2"},
            )
        else:
            controls = CIS_CONTROLS if standard == CIS else PCI_CONTROLS
            stubber.add_response(
                "describe_standards_controls",
                {"Controls": controls},
                {"StandardsSubscriptionArn": arn},
            )
    if not consolidated:
        stubber.add_client_error(
            "list_security_control_definitions",
            "InvalidAccessException",
            "Account is not subscribed to AWS Security Hub consolidated controls",
            400,
        )
        return
    definition = {
        "SecurityControlId": "S3.2",
        "Title": "S3 general purpose buckets should block public read access",
        "Description": "Consolidated description",
        "RemediationUrl": "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-2",
        "SeverityRating": "CRITICAL",
        "CurrentRegionAvailability": "AVAILABLE",
    }
    newer = dict(
        definition, SecurityControlId="S3.19", Title="S3 access points should block public access"
    )
    stubber.add_response(
        "list_security_control_definitions", {"SecurityControlDefinitions": [definition, newer]}, {}
    )
    for standard in standards:
        in_standard = [definition, newer] if standard == FSBP else []
        stubber.add_response(
            "list_security_control_definitions",
            {"SecurityControlDefinitions": in_standard},
            {"StandardsArn": ARNS[standard]},
        )
    # Only S3.19 is unplaced (newer than DescribeStandardsControls' answer above): one call.
    stubber.add_response(
        "list_standards_control_associations",
        {
            "StandardsControlAssociationSummaries": [
                {
                    "StandardsArn": ARNS[FSBP],
                    "SecurityControlId": "S3.19",
                    "SecurityControlArn": f"{REGION_ARN}:{ACCOUNT}:security-control/S3.19",
                    "AssociationStatus": "ENABLED",
                }
            ]
        },
        {"SecurityControlId": "S3.19"},
    )  # fmt: skip


def _collect(
    standards: list[str], *, consolidated: bool, fsbp_title: str | None = None
) -> ControlsCollectReport:
    hub = client("securityhub")
    with Stubber(hub) as stubber:
        _stub_collection(stubber, standards, consolidated=consolidated, fsbp_title=fsbp_title)
        report = controls_collect(client=hub, now=NOW)
        stubber.assert_no_pending_responses()
    return report


def _members(standard: str) -> dict[str, tuple[str | None, str | None]]:
    return {
        m.control_id: (m.standard_control_id, m.standard_status)
        for m in ControlModel.standard_index.query(standard)
    }


def test_standard_controls_map_to_security_controls(moto_aws: None) -> None:
    report = _collect([FSBP, CIS, PCI], consolidated=False)

    assert not report.consolidated_api
    assert report.unmapped == [f"{PCI}/PCI.Nope.9"]
    assert _members(FSBP) == {
        "S3.2": ("S3.2", "ENABLED"),
        "S3.5": ("S3.5", "ENABLED"),
        "ELB.1": ("ELBv2.1", "ENABLED"),
        "IAM.8": ("IAM.8", "DISABLED"),
    }
    assert _members(CIS) == {
        "IAM.8": ("CIS.1.3", "ENABLED"),
        "CloudWatch.1": ("CIS.1.1", "ENABLED"),
        "IAM.20": ("CIS.1.1", "ENABLED"),
    }
    assert _members(PCI) == {"S3.1": ("PCI.S3.6", "DISABLED")}
    iam8 = ControlModel.get("IAM.8", "CONTROL")
    assert iam8.standard_ids == {FSBP, CIS}
    assert iam8.status == "ENABLED"  # disabled in FSBP, enabled in CIS
    s31 = ControlModel.get("S3.1", "CONTROL")
    assert (s31.status, s31.severity, s31.service) == ("DISABLED", "MEDIUM", "S3")
    s32 = ControlModel.get("S3.2", "CONTROL")
    assert (s32.title, s32.severity) == (
        "S3 buckets should prohibit public read access",
        "CRITICAL",
    )
    assert s32.remediation_url.endswith("/S3.2/remediation")  # type: ignore[union-attr]
    standard = ControlModel.get(f"{KIND_STANDARD}#{CIS}", KIND_STANDARD)
    assert (standard.name, standard.standard_arn) == (f"Name of {CIS}", ARNS[CIS])
    assert aggregate_read("controls") == {"total": report.created}
    assert report.created == 7


def test_consolidated_api_enriches_and_places_new_controls(moto_aws: None) -> None:
    report = _collect([FSBP], consolidated=True)
    assert report.consolidated_api
    s32 = ControlModel.get("S3.2", "CONTROL")
    assert s32.title == "S3 general purpose buckets should block public read access"
    assert s32.description == "Consolidated description"
    assert _members(FSBP)["S3.19"] == ("S3.19", "ENABLED")
    assert ControlModel.get("S3.19", "CONTROL").standard_ids == {FSBP}


def test_recollection_keeps_user_configuration_and_writes_nothing(moto_aws: None) -> None:
    _collect([FSBP, CIS], consolidated=False)
    control = ControlModel.get("S3.2", "CONTROL")
    control.reactor_id = "aws-s3-2-remove-public-read"
    control.mode = "auto"
    control.save()
    version = ControlModel.get("S3.2", "CONTROL").version

    writes: list[str] = []

    def count(model: Any, **_: Any) -> None:
        if model.name in ("BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem"):
            writes.append(model.name)

    events = [
        client("dynamodb").meta.events,
        ControlModel._get_connection().connection.client.meta.events,
    ]
    for emitter in events:
        emitter.register("before-call.dynamodb", count)
    try:
        assert _collect([FSBP, CIS], consolidated=False).created == 0
    finally:
        for emitter in events:
            emitter.unregister("before-call.dynamodb", count)
    assert writes == []

    _collect([FSBP, CIS], consolidated=False, fsbp_title="A new title")
    again = ControlModel.get("S3.2", "CONTROL")
    assert (again.title, again.reactor_id, again.mode, again.version) == (
        "A new title",
        "aws-s3-2-remove-public-read",
        "auto",
        version,
    )


def test_a_standard_switched_off_leaves_the_catalog(moto_aws: None) -> None:
    _collect([FSBP, CIS], consolidated=False)
    _collect([FSBP], consolidated=False)
    standard = ControlModel.get(f"{KIND_STANDARD}#{CIS}", KIND_STANDARD)
    assert standard.standard_status == "DISABLED"
    assert ControlModel.get("IAM.8", "CONTROL").standard_ids == {FSBP}
    assert ControlModel.get("IAM.8", "CONTROL").status == "DISABLED"  # only FSBP's, disabled
    cloudwatch = ControlModel.get("CloudWatch.1", "CONTROL")
    assert (cloudwatch.status, cloudwatch.standard_ids) == ("DISABLED", None)
    assert aggregate_read("controls") == {"total": 6}  # disabled controls stay in the catalog
