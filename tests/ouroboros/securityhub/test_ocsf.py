"""OCSF parsing and conversion on every real sample (issue 22's acceptance table), ASFF twins.

The table is written from ``shared/data/ocsf/FIELD_MAPPING.md``'s rules applied by hand to each
file, not from the parser's output. For each control finding, the ASFF twin Security Hub CSPM
would publish for the same facts is built here, and both formats must normalize alike.
"""

from __future__ import annotations

import copy
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pytest

from ouroboros.errors import ValidationError
from ouroboros.securityhub.asff import AsffValidationError, NormalizedFinding, asff_parse
from ouroboros.securityhub.ocsf import (
    FORMAT_ASFF,
    FORMAT_OCSF,
    OCSF_STATUS_IDS,
    OcsfValidationError,
    finding_parse,
    is_ocsf_finding,
    ocsf_identifier,
    ocsf_parse,
    ocsf_to_asff,
)
from ouroboros.workflow.decision import Decision, finding_decide
from ouroboros.workflow.provenance import finding_provenance_problem
from reactor_sdk.finding import Finding
from tests.conftest import EVENTS_DIR, load_event

SQS1 = "02_shcspm_control_SQS.1_compliance_fail_new.json"
IAM1 = "03_shcspm_control_IAM.1_compliance_pass_cis_fsbp.json"
SSM1 = "05_shcspm_control_SSM.1_compliance_fail_update_ec2.json"
INSPECTOR = "07_inspector_vulnerability_ec2_CVE-2021-47412.json"
GUARDDUTY_EVENT = "09_guardduty_detection_finding_in_FindingsImportedV2_event.json"
EXPOSURE = "10_securityhub_exposure_detection_finding_awsdocs_sample.json"
COVERAGE = "11_securityhub_coverage_compliance_finding_NO_control_asr_fixture.json"
PROWLER = "12_prowler_native_ocsf_detection_finding_NOT_securityhub.json"
FSBP = "standards/aws-foundational-security-best-practices/v/1.0.0"
CIS12 = "ruleset/cis-aws-foundations-benchmark/v/1.2.0"
NOW = datetime(2025, 10, 1, tzinfo=UTC)

# file -> (control, account, region, resource type, resource ARN/id, severity,
#          (compliance status, standards), workflow status, record state, updated at,
#          from Security Hub)
# fmt: off
EXPECTED: dict[str, tuple[Any, ...]] = {
    SQS1: (
        "SQS.1", "123456789012", "us-east-2", "AwsSqsQueue",
        "arn:aws:sqs:us-east-2:123456789012:securityhubfinding", "MEDIUM",
        ("FAILED", (FSBP,)), "NEW", "ACTIVE", "2025-09-19T09:17:27.903Z", True,
    ),
    IAM1: (
        "IAM.1", "123456789012", "us-east-2", "AwsIamPolicy",
        "arn:aws:iam::123456789012:policy/service-role/Amazon_EventBridge_Invoke_Sqs_1412345678",
        "INFORMATIONAL", ("PASSED", (CIS12, FSBP)), "RESOLVED", "ACTIVE",
        "2025-09-19T09:19:18.940Z", True,
    ),
    SSM1: (
        "SSM.1", "123456789012", "us-east-2", "AwsEc2Instance",
        "arn:aws:ec2:us-east-2:123456789012:instance/i-abcd1235cdef1234", "MEDIUM",
        ("FAILED", (FSBP,)), "NEW", "ACTIVE", "2025-09-26T08:27:00.981Z", True,
    ),
    # Inspector: no uid_alt, so the EC2 ARN is built; no compliance object.
    INSPECTOR: (
        None, "123456789012", "us-east-2", "AwsEc2Instance",
        "arn:aws:ec2:us-east-2:123456789012:instance/i-abcd1235cdef1234", "MEDIUM",
        (None, ()), "NEW", "ACTIVE", "2025-09-26T16:24:03.057Z", True,
    ),
    # GuardDuty: the account is cloud.account.uid (finding_info.uid names another, as published).
    GUARDDUTY_EVENT: (
        None, "869728294964", "us-east-1", "AwsIamAccessKey", "ASIA4U76YS3TEOA3O", "LOW",
        (None, ()), "SUPPRESSED", "ACTIVE", "2025-07-22T03:02:34.272Z", True,
    ),
    # Exposure docs sample: modified_time_dt is misspelt, so time_dt gives the update time.
    EXPOSURE: (
        None, "123456789012", "us-east-1", "AwsLambdaFunction",
        "arn:aws:lambda:us-east-1:123456789012:application-function", "CRITICAL",
        (None, ()), "NEW", "ACTIVE", "2024-11-15T21:39:26.337Z", True,
    ),
    # Coverage: a compliance finding without a control.
    COVERAGE: (
        None, "123456789012", "us-east-1", "AwsAccount",
        "arn:aws:guardduty:us-east-1:123456789012:detector/00000000000000000000000000000000",
        "INFORMATIONAL", ("PASSED", ()), "NEW", "ACTIVE", "2026-09-17T16:31:21.756Z", True,
    ),
    # Prowler's own OCSF, placeholders as published: parsed, kept as given, not Security Hub's.
    PROWLER: (
        None, "<account_uid>", "<region>", "Other", "<resource_uid>", "LOW",
        (None, ()), "NEW", "ACTIVE", "2025-02-14T14:27:03.913Z", False,
    ),
}
# fmt: on


def ocsf_sample(name: str) -> dict[str, Any]:
    document = load_event(f"ocsf/{name}")
    if document.get("detail-type") == "Findings Imported V2":
        [document] = document["detail"]["findings"]
    return document


def test_every_ocsf_sample_is_in_the_table() -> None:
    assert sorted(p.name for p in (EVENTS_DIR / "ocsf").glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_acceptance_table(name: str) -> None:
    (
        control, account, region, resource_type, resource_id, severity,
        (compliance, standards), workflow, record_state, updated_at, from_securityhub,
    ) = EXPECTED[name]  # fmt: skip
    document = ocsf_sample(name)

    finding = ocsf_parse(document)

    got = (
        finding.control_id,
        finding.account_id,
        finding.region,
        finding.resource_type,
        finding.resource_id,
        finding.severity_label,
        finding.compliance_status,
        finding.workflow_status,
        finding.record_state,
        finding.updated_at,
    )
    assert got == (
        control, account, region, resource_type, resource_id, severity,
        compliance, workflow, record_state, updated_at,
    )  # fmt: skip
    assert finding.finding_id == document["finding_info"]["uid"]
    associated = finding.raw.get("Compliance", {}).get("AssociatedStandards", [])
    assert tuple(s["StandardsId"] for s in associated) == standards
    assert finding.source_format == FORMAT_OCSF
    assert finding.ocsf is not None and finding.ocsf_raw is document
    assert finding.ocsf.from_securityhub is from_securityhub
    assert finding.ocsf.product_uid == document["metadata"]["product"]["uid"]
    assert finding.ocsf.metadata_uid == document["metadata"].get("uid")
    assert finding.ocsf.status_id == document["status_id"]
    assert finding.ocsf.status == document["status"]


def test_coverage_finding_has_no_control_and_is_marked() -> None:
    finding = ocsf_parse(ocsf_sample(COVERAGE))
    assert finding.control_id is None and finding.ocsf is not None
    assert finding.ocsf.is_coverage
    assert not ocsf_parse(ocsf_sample(SQS1)).ocsf.is_coverage  # type: ignore[union-attr]


def test_v2_event_handle_is_the_metadata_uid() -> None:
    event = load_event(f"ocsf/{GUARDDUTY_EVENT}")
    finding = ocsf_parse(event["detail"]["findings"][0])
    assert finding.ocsf is not None and finding.ocsf.metadata_uid == event["resources"][0]


# --- the ASFF twins ------------------------------------------------------------------------


def asff_twin(
    document: dict[str, Any], *, control: str, resource_type: str, resource_arn: str, **facts: Any
) -> dict[str, Any]:
    """The ASFF Security Hub CSPM publishes for the facts of an OCSF control finding."""
    info, resource = document["finding_info"], document["resources"][0]
    twin = {
        "SchemaVersion": "2018-10-08",
        "Id": info["uid"],
        "ProductArn": f"arn:aws:securityhub:{document['cloud']['region']}::product/aws/securityhub",
        "ProductName": "Security Hub",
        "GeneratorId": f"security-control/{control}",
        "AwsAccountId": document["cloud"]["account"]["uid"],
        "Region": document["cloud"]["region"],
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": info["created_time_dt"],
        "UpdatedAt": info["modified_time_dt"],
        "FirstObservedAt": info["first_seen_time_dt"],
        "LastObservedAt": info["last_seen_time_dt"],
        "Severity": {"Label": facts["severity"]},
        "Title": info["title"],
        "Description": info["desc"],
        "Resources": [
            {
                "Type": resource_type,
                "Id": resource_arn,
                "Partition": "aws",
                "Region": resource["region"],
            }
        ],
        "Compliance": {
            "Status": facts["compliance"],
            "SecurityControlId": control,
            "AssociatedStandards": [{"StandardsId": s} for s in facts["standards"]],
        },
        "Workflow": {"Status": facts["workflow"]},
        "RecordState": "ACTIVE",
    }
    if "tags" in facts:
        twin["Resources"][0]["Tags"] = facts["tags"]
    return twin


def _normalized(finding: NormalizedFinding) -> dict[str, Any]:
    fields = asdict(finding)
    for name in ("raw", "ocsf", "ocsf_raw"):
        fields.pop(name)
    return fields


TWINS: dict[str, dict[str, Any]] = {
    SQS1: {
        "control": "SQS.1",
        "resource_type": "AwsSqsQueue",
        "resource_arn": "arn:aws:sqs:us-east-2:123456789012:securityhubfinding",
        "severity": "MEDIUM",
        "compliance": "FAILED",
        "standards": [FSBP],
        "workflow": "NEW",
    },
    IAM1: {
        "control": "IAM.1",
        "resource_type": "AwsIamPolicy",
        "resource_arn": (
            "arn:aws:iam::123456789012:policy/service-role/Amazon_EventBridge_Invoke_Sqs_1412345678"
        ),
        "severity": "INFORMATIONAL",
        "compliance": "PASSED",
        "standards": [CIS12, FSBP],
        "workflow": "RESOLVED",
    },
    SSM1: {
        "control": "SSM.1",
        "resource_type": "AwsEc2Instance",
        "resource_arn": "arn:aws:ec2:us-east-2:123456789012:instance/i-abcd1235cdef1234",
        "severity": "MEDIUM",
        "compliance": "FAILED",
        "standards": [FSBP],
        "workflow": "NEW",
        "tags": {
            "aws:autoscaling:groupName": "eks-demo_prod_linux-1123abc1-5678-efab-abcd-701abcdef892",
            "aws:ec2:fleet-id": "fleet-babcdefc-5678-abcd-1234-20123456789b",
            "k8s.io/cluster-autoscaler/demo_prod": "owned",
            "aws:eks:cluster-name": "demo_prod",
            "eks:cluster-name": "demo_prod",
            "aws:ec2launchtemplate:version": "6",
            "eks:nodegroup-name": "demo_prod_linux",
            "k8s.io/cluster-autoscaler/enabled": "true",
            "kubernetes.io/cluster/demo_prod": "owned",
            "aws:ec2launchtemplate:id": "lt-abcdefabcdef123456",
        },
    },
}


@pytest.mark.parametrize("name", sorted(TWINS))
def test_control_finding_normalizes_like_its_asff_twin(name: str) -> None:
    document = ocsf_sample(name)
    twin = asff_parse(asff_twin(document, **TWINS[name]))

    finding = ocsf_parse(document)

    assert _normalized(finding) == _normalized(twin)
    assert twin.source_format == FORMAT_ASFF and twin.ocsf is None


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - {PROWLER}))
def test_conversion_is_what_asff_parse_and_the_reactor_sdk_read(name: str) -> None:
    finding = ocsf_parse(ocsf_sample(name))
    asff = ocsf_to_asff(ocsf_sample(name))

    assert asff == finding.raw
    assert _normalized(asff_parse(asff)) == _normalized(finding)
    sdk = Finding.from_asff(asff)
    assert (sdk.id, sdk.account_id, sdk.region, sdk.control_id) == (
        finding.finding_id,
        finding.account_id,
        finding.region,
        finding.control_id,
    )
    assert sdk.resources[0].id == finding.resource_id


def test_conversion_keeps_what_reactors_and_operators_read() -> None:
    asff = ocsf_to_asff(ocsf_sample(SQS1))
    assert asff["ProductArn"] == "arn:aws:securityhub:us-east-2::product/aws/securityhub"
    assert asff["Remediation"]["Recommendation"]["Url"] == (
        "https://docs.aws.amazon.com/console/securityhub/SQS.1/remediation"
    )
    assert asff["ProductFields"]["RelatedAWSResources:0/name"] == (
        "securityhub-sqs-queue-encrypted-12345678"
    )
    assert ocsf_to_asff(ocsf_sample(IAM1))["Compliance"]["RelatedRequirements"] == [
        "CIS AWS Foundations Benchmark v1.2.0/1.22"
    ]
    guardduty = ocsf_to_asff(ocsf_sample(GUARDDUTY_EVENT))
    assert guardduty["Resources"][0]["Details"] == {
        "AwsIamAccessKey": {"UserName": "cis_automation"}
    }


# --- other shapes, derived from the samples -----------------------------------------------


def test_per_standard_finding_uid_resolves_through_the_mapping_table() -> None:
    document = ocsf_sample(SQS1)
    del document["compliance"]["control"]
    base = "arn:aws:securityhub:us-east-2:123456789012:subscription"
    document["finding_info"]["uid"] = f"{base}/cis-aws-foundations-benchmark/v/1.2.0/1.3/finding/x"
    cis = ocsf_parse(document)
    document["finding_info"]["uid"] = f"{base}/pci-dss/v/3.2.1/PCI.S3.6/finding/x"
    pci = ocsf_parse(document)
    assert (cis.control_id, cis.standard_control_id) == ("IAM.8", "1.3")
    assert (pci.control_id, pci.standard_control_id) == ("S3.1", "PCI.S3.6")


def test_consolidated_finding_uid_gives_the_control_without_compliance_control() -> None:
    document = ocsf_sample(SSM1)
    del document["compliance"]["control"]
    assert ocsf_parse(document).control_id == "SSM.1"


def test_account_and_region_fall_back_to_the_first_resource() -> None:
    document = ocsf_sample(SQS1)
    document["cloud"] = {"provider": "AWS"}
    finding = ocsf_parse(document)
    assert (finding.account_id, finding.region) == ("123456789012", "us-east-2")
    iam = ocsf_sample(IAM1)
    del iam["cloud"]["region"]
    assert ocsf_parse(iam).region == "us-east-2"  # resource region "global": the product's


def test_epoch_milliseconds_stand_in_for_missing_iso_times() -> None:
    document = ocsf_sample(SQS1)
    for key in ("created_time_dt", "modified_time_dt", "first_seen_time_dt"):
        del document["finding_info"][key]
    finding = ocsf_parse(document)
    assert (finding.created_at, finding.updated_at, finding.first_observed_at) == (
        "2025-09-19T09:17:27.903Z",
        "2025-09-19T09:17:27.903Z",
        "2025-09-19T09:17:17.473Z",
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"activity_id": 3, "activity_name": "Close"}, ("ARCHIVED", "NEW")),
        ({"status_id": 5, "status": "Archived"}, ("ARCHIVED", "RESOLVED")),
        ({"status_id": 2, "status": "In Progress"}, ("ACTIVE", "NOTIFIED")),
        ({"status_id": 0, "status": "Unknown"}, ("ACTIVE", "NEW")),
    ],
)
def test_record_state_and_workflow_from_activity_and_status(
    changes: dict[str, Any], expected: tuple[str, str]
) -> None:
    document = {**ocsf_sample(SQS1), **changes}
    finding = ocsf_parse(document)
    assert (finding.record_state, finding.workflow_status) == expected


@pytest.mark.parametrize(
    ("severity", "severity_id", "label"),
    [("Fatal", 6, "CRITICAL"), ("Other", 99, "INFORMATIONAL"), (None, 4, "HIGH")],
)
def test_severity_names_and_ids(severity: str | None, severity_id: int, label: str) -> None:
    document = {**ocsf_sample(SQS1), "severity": severity, "severity_id": severity_id}
    assert ocsf_parse(document).severity_label == label


def test_compliance_without_a_known_status_is_not_available() -> None:
    document = ocsf_sample(SQS1)
    document["compliance"].update(status_id=99, status="Other")
    assert ocsf_parse(document).compliance_status == "NOT_AVAILABLE"


@pytest.mark.parametrize(
    ("cfn", "asff"),
    [
        ("AWS::S3::Bucket", "AwsS3Bucket"),
        ("AWS::RDS::DBInstance", "AwsRdsDbInstance"),
        ("AWS::DynamoDB::Table", "AwsDynamoDbTable"),
        ("AWS::EC2::SecurityGroup", "AwsEc2SecurityGroup"),
        ("AWS::WAFV2::WebACL", "AwsWafv2WebAcl"),
        ("AWS::ApiGatewayV2::Stage", "AwsApiGatewayV2Stage"),
        ("AWS::ElasticLoadBalancingV2::LoadBalancer", "AwsElbv2LoadBalancer"),
        ("AwsLambdaFunction", "AwsLambdaFunction"),
    ],
)
def test_resource_types_become_asff_types(cfn: str, asff: str) -> None:
    document = ocsf_sample(SQS1)
    document["resources"][0]["type"] = cfn
    assert ocsf_parse(document).resource_type == asff


def test_is_ocsf_finding_tells_the_formats_apart() -> None:
    assert all(is_ocsf_finding(ocsf_sample(name)) for name in EXPECTED)
    asff = load_event("asff_findings/asr_afsbp_s3.2.json")
    assert not is_ocsf_finding(asff)
    assert not is_ocsf_finding(None) and not is_ocsf_finding([ocsf_sample(SQS1)])
    assert finding_parse(asff).source_format == FORMAT_ASFF
    assert finding_parse(ocsf_sample(SQS1)).source_format == FORMAT_OCSF


def test_v2_identifier_for_both_formats() -> None:
    ocsf = ocsf_parse(ocsf_sample(SQS1))
    twin = asff_parse(asff_twin(ocsf_sample(SQS1), **TWINS[SQS1]))
    expected = {
        "CloudAccountUid": "123456789012",
        "FindingInfoUid": ocsf.finding_id,
        "MetadataProductUid": "arn:aws:securityhub:us-east-2::productv2/aws/securityhub",
    }
    assert ocsf_identifier(ocsf) == ocsf_identifier(twin) == expected
    assert OCSF_STATUS_IDS == {"NEW": 1, "NOTIFIED": 2, "SUPPRESSED": 3, "RESOLVED": 4}


# --- malformed input: a clear error naming the OCSF field ------------------------------------


def _without(path: str) -> dict[str, Any]:
    document = copy.deepcopy(ocsf_sample(SQS1))
    *parents, last = path.split(".")
    node = document
    for key in parents:
        node = node[key]
    del node[last]
    return document


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (_without("finding_info.uid"), "finding_info.uid"),
        (_without("metadata.product.uid"), "metadata.product.uid"),
        (_without("finding_info.title"), "finding_info.title"),
        (_without("resources"), "resources"),
        ({**ocsf_sample(SQS1), "severity": None, "severity_id": None}, "severity"),
        ({**ocsf_sample(SQS1), "severity": "Severe"}, "severity"),
        ({**ocsf_sample(SQS1), "status_id": "1"}, "status_id"),
        ({**ocsf_sample(SQS1), "cloud": {"account": {"uid": "12345"}}}, "cloud.account.uid"),
        ({**ocsf_sample(SQS1), "resources": [{"uid": "x"}]}, "resources[0].type"),
        ({**ocsf_sample(SQS1), "time_dt": None, "time": None, "finding_info": {
            **ocsf_sample(SQS1)["finding_info"], "modified_time_dt": None, "modified_time": None,
        }}, "finding_info.modified_time_dt"),
        ({**ocsf_sample(SQS1), "finding_info": {
            **ocsf_sample(SQS1)["finding_info"], "modified_time_dt": "yesterday",
        }}, "finding_info.modified_time_dt"),
    ],
)  # fmt: skip
def test_malformed_documents_name_the_field(document: dict[str, Any], field: str) -> None:
    with pytest.raises(OcsfValidationError) as info:
        ocsf_parse(document)
    assert info.value.field == field
    assert str(info.value).startswith(f"OCSF field {field}:")
    assert isinstance(info.value, AsffValidationError | ValidationError)


def test_not_an_object_is_refused_clearly() -> None:
    with pytest.raises(OcsfValidationError, match="expected an object"):
        ocsf_parse(["not", "a", "finding"])
    with pytest.raises(OcsfValidationError, match="finding_info"):
        ocsf_parse({"class_uid": 2003})


# --- stored, but never remediated -----------------------------------------------------------


def _decide(finding: NormalizedFinding, provenance_problem: str | None = None) -> Decision:
    return finding_decide(
        finding=finding,
        trigger="event",
        mode="auto",
        reactor_id="sqs-queue-encryption",
        reactor_installed=True,
        exemptions=[],
        dry_run_requested=False,
        now=NOW,
        provenance_problem=provenance_problem,
    )


def test_a_failed_security_hub_control_finding_in_ocsf_may_run() -> None:
    finding = ocsf_parse(ocsf_sample(SQS1))
    assert finding_provenance_problem(finding.raw, trusted_products=(), account_scope=()) is None
    assert _decide(finding).action == "run"


def test_another_products_finding_is_never_remediated_whatever_it_claims() -> None:
    document = ocsf_sample(PROWLER)
    document["cloud"]["account"]["uid"] = "123456789012"
    document["compliance"] = {"control": "S3.2", "status_id": 3, "status": "Fail"}
    finding = ocsf_parse(document)
    assert (finding.control_id, finding.compliance_status) == ("S3.2", "FAILED")
    problem = finding_provenance_problem(finding.raw, trusted_products=(), account_scope=())
    assert problem is not None and "untrusted product prowler" in problem
    # Even a product an operator trusts for ASFF is not Security Hub's in OCSF.
    trusted = finding_provenance_problem(
        finding.raw, trusted_products=("prowler",), account_scope=()
    )
    decision = _decide(finding, trusted)
    assert (decision.action, decision.code) == ("skip", "not_securityhub")
    assert decision.reason == "not from Security Hub: product prowler"


def test_a_coverage_finding_is_never_remediated() -> None:
    document = ocsf_sample(COVERAGE)
    document["compliance"].update(control="GuardDuty.1", status_id=3, status="Fail")
    finding = ocsf_parse(document)
    assert finding.control_id is None
    decision = _decide(finding)
    assert (decision.action, decision.code) == ("skip", "coverage")
