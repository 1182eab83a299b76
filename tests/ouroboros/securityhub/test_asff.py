"""ASFF parsing on every real sample, and on the shapes the samples lack (derived from them)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ouroboros.errors import ValidationError
from ouroboros.securityhub.asff import AsffValidationError, asff_parse
from tests.conftest import EVENTS_DIR, load_event

# file -> (control id, standard control id, account, region, resource type, resource id,
#          severity, compliance, workflow, record state), read from the files themselves.
ASFF_EXPECTED: dict[str, tuple[Any, ...]] = {
    "asr_afsbp_cloudfront.1.json": (
        "CloudFront.1", "CloudFront.1", "111111111111", "us-east-1", "AwsCloudFrontDistribution",
        "arn:aws:cloudfront::111111111111:distribution/E202DN2YO141F9",
        "CRITICAL", "FAILED", "NEW", "ACTIVE",
    ),
    "asr_afsbp_cloudtrail.1.json": (
        "CloudTrail.1", "CloudTrail.1", "111111111111", "us-east-1", "AwsAccount",
        "AWS::::Account:111111111111", "INFORMATIONAL", "FAILED", "NEW", "ACTIVE",
    ),
    "asr_afsbp_codebuild.5.json": (
        "CodeBuild.5", "CodeBuild.5", "111111111111", "us-east-1", "AwsCodeBuildProject",
        "arn:aws:codebuild:us-east-1:111111111111:project/test", "HIGH", "FAILED", "NEW", "ACTIVE",
    ),
    "asr_afsbp_ec2.2.json": (
        "EC2.2", "EC2.2", "111111111111", "us-east-1", "AwsEc2SecurityGroup",
        "arn:aws:ec2:us-east-1:111111111111:security-group/sg-1234123f",
        "INFORMATIONAL", "FAILED", "NEW", "ACTIVE",
    ),
    "asr_afsbp_ec2.8.json": (
        "EC2.8", "EC2.8", "111111111111", "us-east-1", "AwsEc2Instance",
        "arn:aws:ec2:us-east-1:111111111111:instance/i-077c4d5f32561ac45",
        "HIGH", "FAILED", "NEW", "ACTIVE",
    ),
    "asr_afsbp_iam.3.json": (
        "IAM.3", "IAM.3", "111111111111", "us-east-1", "AwsIamUser",
        "arn:aws:iam::111111111111:user/test-admin2", "MEDIUM", "FAILED", "NEW", "ACTIVE",
    ),
    "asr_afsbp_iam.8.json": (
        "IAM.8", "IAM.8", "111111111111", "us-east-1", "AwsIamUser",
        "arn:aws:iam::111111111111:user/sharrtest", "MEDIUM", "FAILED", "NEW", "ACTIVE",
    ),
    "asr_afsbp_lambda.1.json": (
        "Lambda.1", "Lambda.1", "111111111111", "us-east-1", "AwsLambdaFunction",
        "arn:aws:lambda:us-east-1:111111111111:function:TAEBSVolumeSnapDelete",
        "INFORMATIONAL", "FAILED", "NEW", "ACTIVE",
    ),
    "asr_afsbp_rds.1.json": (
        "RDS.1", "RDS.1", "111111111111", "us-east-1", "AwsRdsDbClusterSnapshot",
        "arn:aws:rds:us-east-1:111111111111:cluster-snapshot:rds-snapshot-for-sharr-testing",
        "CRITICAL", "FAILED", "NEW", "ACTIVE",
    ),
    "asr_afsbp_s3.1.json": (
        "S3.1", "S3.1", "111111111111", "us-east-1", "AwsAccount",
        "AWS::::Account:111111111111", "MEDIUM", "FAILED", "NEW", "ACTIVE",
    ),
    "asr_afsbp_s3.2.json": (
        "S3.2", "S3.2", "111111111111", "us-east-1", "AwsS3Bucket",
        "arn:aws:s3:::so0111-aws-cloudtrail-111111111111",
        "INFORMATIONAL", "PASSED", "RESOLVED", "ACTIVE",
    ),
    "asr_afsbp_s3.5.json": (
        "S3.5", "S3.5", "111122223333", "us-east-1", "AwsS3Bucket",
        "arn:aws:s3:::so0111-aws-cloudtrail-111122223333", "MEDIUM", "FAILED", "NEW", "ACTIVE",
    ),
    "docs_fsbp_cloudtrail.2_standard_control.json": (
        "CloudTrail.2", "CloudTrail.2", "123456789012", "us-east-2", "AwsCloudTrailTrail",
        "arn:aws:cloudtrail:us-east-2:123456789012:trail/AWSMacieTrail-DO-NOT-EDIT",
        "MEDIUM", "FAILED", "NEW", "ACTIVE",
    ),
    "docs_guardduty_unauthorizedaccess_ec2_sshbruteforce.json": (
        None, None, "193043430472", "us-east-1", "AwsEc2Instance",
        "arn:aws::ec2:us-east-1:193043430472:instance/i-0c10c2c7863d1a356",
        "MEDIUM", None, "NEW", "ACTIVE",
    ),
}  # fmt: skip

EVENT_EXPECTED: dict[str, list[tuple[Any, ...]]] = {
    "asr_custom_action_afsbp_ec2.2.json": [
        (
            "EC2.2", "EC2.2", "111111111111", "us-east-1", "AwsEc2SecurityGroup",
            "arn:aws:ec2:us-east-1:111111111111:security-group/sg-ab1e739b",
            "MEDIUM", "FAILED", "NEW", "ACTIVE",
        )
    ],
    "asr_custom_action_afsbp_rds.1_eu-west-1.json": [
        (
            "RDS.1", "RDS.1", "111111111111", "eu-west-1", "AwsRdsDbSnapshot",
            "arn:aws:rds:eu-west-1:111111111111:snapshot:test-snapshot-mydb-1trr1gfasnyfa",
            "CRITICAL", "FAILED", "NEW", "ACTIVE",
        )
    ],
    "asr_imported_afsbp_ec2.7.json": [
        (
            "EC2.7", "EC2.7", "111111111111", "us-east-1", "AwsAccount",
            "AWS::::Account:111111111111", "INFORMATIONAL", "FAILED", "NEW", "ACTIVE",
        )
    ],
    # CIS 1.2.0 rule 1.3 ("credentials unused for 90 days") is security control IAM.8.
    "asr_imported_cis120_1.3.json": [
        (
            "IAM.8", "1.3", "111111111111", "us-east-1", "AwsAccount",
            "AWS::::Account:111111111111", "MEDIUM", "WARNING", "NEW", "ACTIVE",
        )
    ],
}  # fmt: skip


def _observed(raw: dict[str, Any]) -> tuple[Any, ...]:
    f = asff_parse(raw)
    return (
        f.control_id,
        f.standard_control_id,
        f.account_id,
        f.region,
        f.resource_type,
        f.resource_id,
        f.severity_label,
        f.compliance_status,
        f.workflow_status,
        f.record_state,
    )


def test_every_sample_file_has_expectations() -> None:
    assert sorted(p.name for p in (EVENTS_DIR / "asff_findings").glob("*.json")) == sorted(
        ASFF_EXPECTED
    )
    assert sorted(p.name for p in (EVENTS_DIR / "eventbridge_events").glob("*.json")) == sorted(
        EVENT_EXPECTED
    )


@pytest.mark.parametrize("name", sorted(ASFF_EXPECTED))
def test_asff_samples(name: str) -> None:
    raw = load_event(f"asff_findings/{name}")
    assert _observed(raw) == ASFF_EXPECTED[name]
    parsed = asff_parse(raw)
    assert parsed.finding_id == raw["Id"]
    assert parsed.resource_ids == tuple(r["Id"] for r in raw["Resources"])
    assert parsed.raw is raw


@pytest.mark.parametrize("name", sorted(EVENT_EXPECTED))
def test_eventbridge_samples(name: str) -> None:
    event = load_event(f"eventbridge_events/{name}")
    assert [_observed(f) for f in event["detail"]["findings"]] == EVENT_EXPECTED[name]


def test_guardduty_sample_product_and_timestamps() -> None:
    f = asff_parse(
        load_event("asff_findings/docs_guardduty_unauthorizedaccess_ec2_sshbruteforce.json")
    )
    assert f.product_name == "GuardDuty"  # from ProductFields: the sample has no ProductName
    # "2020-08-22T09:15:57Z" becomes sortable with the millisecond forms of the other fields.
    assert f.first_observed_at == "2020-08-22T09:15:57.000Z"
    assert f.updated_at == "2020-09-30T12:14:00.206Z"
    assert f.region == "us-east-1"  # no top-level Region: from the ProductArn


FSBP = "aws-foundational-security-best-practices/v/1.0.0"
CT = "service-managed-aws-control-tower/v/1.0.0"


def _fsbp_s3_2() -> dict[str, Any]:
    return copy.deepcopy(load_event("asff_findings/asr_afsbp_s3.2.json"))


def _standard_specific(generator_id: str, control_id: str, standards_arn: str) -> dict[str, Any]:
    """The real FSBP S3.2 sample re-shaped as another standard's standard-specific finding."""
    raw = _fsbp_s3_2()
    raw["GeneratorId"] = generator_id
    raw["ProductFields"]["ControlId"] = control_id
    raw["ProductFields"]["StandardsArn"] = standards_arn
    return raw


def test_consolidated_generator_id_without_product_fields() -> None:
    raw = _fsbp_s3_2()
    raw["GeneratorId"] = "security-control/S3.2"
    raw["Id"] = "arn:aws:securityhub:us-east-1:111111111111:security-control/S3.2/finding/x"
    for key in ("ControlId", "StandardsArn", "StandardsSubscriptionArn", "StandardsControlArn"):
        raw["ProductFields"].pop(key)
    f = asff_parse(raw)
    assert (f.control_id, f.standard_control_id) == ("S3.2", None)


@pytest.mark.parametrize(
    ("generator_id", "control_id", "expected"),
    [
        # PCI numbers differ from the security control ids: only the table knows.
        ("pci-dss/v/3.2.1/PCI.S3.6", "PCI.S3.6", "S3.1"),
        ("pci-dss/v/3.2.1/PCI.CloudTrail.1", "PCI.CloudTrail.1", "CloudTrail.2"),
        ("cis-aws-foundations-benchmark/v/1.4.0/1.14", "1.14", "IAM.3"),
        (f"{CT}/CloudTrail.2", "CT.CloudTrail.2", "CloudTrail.2"),
        # FSBP's renamed control: the table, not the id, decides.
        (f"{FSBP}/ELBv2.1", "ELBv2.1", "ELB.1"),
        # NIST has no table rows: its standard control ids are the security control ids.
        ("nist-800-53/v/5.0.0/CloudTrail.2", "CloudTrail.2", "CloudTrail.2"),
        # An FSBP control newer than the table falls back to its id, in the catalog's spelling.
        (f"{FSBP}/opensearch.1", "opensearch.1", "Opensearch.1"),
        # A PCI id the table does not know is no control, never a trimmed guess.
        ("pci-dss/v/3.2.1/PCI.Nope.9", "PCI.Nope.9", None),
    ],
)
def test_standard_specific_shapes(generator_id: str, control_id: str, expected: str | None) -> None:
    standards_arn = "arn:aws:securityhub:::standards/" + generator_id.rsplit("/", 1)[0]
    f = asff_parse(_standard_specific(generator_id, control_id, standards_arn))
    assert f.control_id == expected
    assert f.standard_control_id == control_id


def test_cis_120_rule_from_product_fields_when_generator_id_is_unknown() -> None:
    event = load_event("eventbridge_events/asr_imported_cis120_1.3.json")
    raw = event["detail"]["findings"][0]
    raw["GeneratorId"] = "something-else"
    f = asff_parse(raw)
    assert (f.control_id, f.standard_control_id) == ("IAM.8", "1.3")


def test_cis_120_rule_1_1_maps_to_the_first_of_two_controls() -> None:
    raw = load_event("eventbridge_events/asr_imported_cis120_1.3.json")["detail"]["findings"][0]
    raw["GeneratorId"] = (
        "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.1"
    )
    raw["ProductFields"]["RuleId"] = "1.1"
    assert asff_parse(raw).control_id == "CloudWatch.1"
    raw["Compliance"]["SecurityControlId"] = "IAM.20"  # the finding's own word wins
    assert asff_parse(raw).control_id == "IAM.20"


def test_case_insensitive_and_catalog_spelling() -> None:
    raw = _fsbp_s3_2()
    raw["Compliance"] = {"Status": "FAILED", "SecurityControlId": "s3.2"}
    assert asff_parse(raw).control_id == "S3.2"
    raw["Compliance"]["SecurityControlId"] = "OPENSEARCH.1"
    assert asff_parse(raw).control_id == "Opensearch.1"
    raw = _fsbp_s3_2()
    raw["GeneratorId"] = "AWS-Foundational-Security-Best-Practices/v/1.0.0/s3.2"
    raw["ProductFields"].pop("ControlId")
    assert asff_parse(raw).control_id == "S3.2"
    raw["GeneratorId"] = "SECURITY-CONTROL/ec2.8"
    assert asff_parse(raw).control_id == "EC2.8"


def test_inspector_finding_has_no_control() -> None:
    # The GuardDuty sample re-shaped as an Inspector finding (no Inspector sample is published).
    raw = load_event("asff_findings/docs_guardduty_unauthorizedaccess_ec2_sshbruteforce.json")
    raw["ProductArn"] = "arn:aws:securityhub:us-west-2::product/aws/inspector"
    raw["GeneratorId"] = "arn:aws:inspector:us-west-2:193043430472:target/0-abc/template/0-def"
    raw["ProductFields"] = {
        "aws/inspector/RulesPackageName": "Network Reachability",
        "ControlId": "X.1",
    }
    f = asff_parse(raw)
    assert (f.control_id, f.standard_control_id) == (None, None)
    assert f.product_name == "inspector"
    assert f.region == "us-west-2"


def test_fallbacks_for_region_severity_and_workflow() -> None:
    raw = _fsbp_s3_2()
    raw.pop("Region")
    raw["ProductArn"] = "arn:aws:securityhub:::product/aws/securityhub"
    raw["Resources"][0]["Region"] = "ap-southeast-2"
    raw["Severity"] = {"Normalized": 72}
    raw.pop("Workflow")
    raw["WorkflowState"] = "IN_PROGRESS"
    raw.pop("RecordState")
    f = asff_parse(raw)
    assert (f.region, f.severity_label, f.workflow_status, f.record_state) == (
        "ap-southeast-2",
        "HIGH",
        "NOTIFIED",
        "ACTIVE",
    )
    raw["Severity"] = {"Product": 0}
    assert asff_parse(raw).severity_label == "INFORMATIONAL"
    raw["Severity"] = {}
    raw["FindingProviderFields"] = {"Severity": {"Label": "low"}}
    assert asff_parse(raw).severity_label == "LOW"


def test_archived_and_multi_resource() -> None:
    raw = _fsbp_s3_2()
    raw["RecordState"] = "ARCHIVED"
    raw["Resources"].append({"Type": "AwsAccount", "Id": "AWS::::Account:111111111111"})
    f = asff_parse(raw)
    assert f.record_state == "ARCHIVED"
    assert not f.is_active
    assert f.resource_id == "arn:aws:s3:::so0111-aws-cloudtrail-111111111111"
    assert f.resource_ids[1] == "AWS::::Account:111111111111"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda r: r.pop("Id"), "Id"),
        (lambda r: r.pop("ProductArn"), "ProductArn"),
        (lambda r: r.pop("GeneratorId"), "GeneratorId"),
        (lambda r: r.pop("AwsAccountId"), "AwsAccountId"),
        (lambda r: r.__setitem__("AwsAccountId", "1234"), "AwsAccountId"),
        (lambda r: r.pop("Title"), "Title"),
        (lambda r: r.pop("UpdatedAt"), "UpdatedAt"),
        (lambda r: r.__setitem__("CreatedAt", "yesterday"), "CreatedAt"),
        (lambda r: r.pop("Resources"), "Resources"),
        (lambda r: r.__setitem__("Resources", []), "Resources"),
        (lambda r: r["Resources"][0].pop("Id"), "Resources[0].Id"),
        (lambda r: r["Resources"][0].pop("Type"), "Resources[0].Type"),
        (lambda r: (r.pop("Severity"), r.pop("FindingProviderFields", None)), "Severity"),
        (lambda r: r.__setitem__("Severity", {"Label": "SEVERE"}), "Severity.Label"),
        (lambda r: r.__setitem__("RecordState", "DELETED"), "RecordState"),
        (lambda r: r.__setitem__("Compliance", "FAILED"), "Compliance"),
    ],
)
def test_malformed_asff_names_the_field(mutate: Any, field: str) -> None:
    raw = _fsbp_s3_2()
    mutate(raw)
    with pytest.raises(AsffValidationError) as info:
        asff_parse(raw)
    assert info.value.field == field
    assert field in str(info.value)
    assert isinstance(info.value, ValidationError)


def test_not_an_object() -> None:
    with pytest.raises(AsffValidationError, match="expected an object"):
        asff_parse([{"Id": "x"}])
