"""Demo data of the local Security Hub: the FSBP standard enabled and findings from real samples.

The samples (``data/demo_findings.json``, verbatim copies of ``tests/events/asff_findings``) are
imported once per demo member account (111111111111 and 222222222222): every occurrence of the
sample's own account id is replaced by the member's, timestamps become the seed time (so the
collectors' UpdatedAt watermark sees them), and the two S3 findings point at the demo buckets
that `emulator.demo` creates: S3.2 FAILED / NEW / ACTIVE on the public-read bucket
(the sample itself is a PASSED one), S3.5 on the bucket without TLS enforcement, both with the
catalog's severity.

The seed goes through the local Security Hub's own API (BatchEnableStandards,
BatchImportFindings), so it emits "Findings - Imported" events like any import. It runs only when
the Security Hub holds no findings (later starts leave what users changed alone) and only when the
running runtime serves a local Security Hub.

Security Hub V2 (`demo_securityhub_v2_seed`): one OCSF control finding, the real SQS.1 FAILED /
New sample (``data/demo_findings_ocsf.json``, a verbatim copy of ``tests/events/ocsf/02...``), in
member account 111111111111 and the runtime's region, pointing at the demo queue that
`emulator.demo` creates without encryption (``DEMO_QUEUE``). It goes in through the local-only
V2 import (AWS has no V2 import API), which emits its "Findings Imported V2" event, once: when the
local Security Hub holds no OCSF finding. `demo_queue_fixed` tells a restarted seed that the
finding was resolved, so the queue is re-created encrypted, as the SQS.1 reactor left it.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import Any

from emulator.endpoints import endpoints_read
from emulator.securityhub_findings import SEVERITY_NORMALIZED, now_timestamp
from emulator.securityhub_import import ocsf_finding_restamped, ocsf_findings_import
from ouroboros.aws import client
from ouroboros.securityhub.catalog import FSBP_STANDARD_ARN, catalog_lookup

logger = logging.getLogger(__name__)

_TIMESTAMPS = ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt")
#: The demo's SQS queue without encryption, which its OCSF SQS.1 finding names.
DEMO_QUEUE = "ouroboros-demo-unencrypted"
#: The member account that holds it (the first demo member account).
OCSF_DEMO_ACCOUNT = "111111111111"
_OCSF_SAMPLE = "02_shcspm_control_SQS.1_compliance_fail_new.json"
_SAMPLE_ACCOUNT, _SAMPLE_REGION, _SAMPLE_QUEUE = "123456789012", "us-east-2", "securityhubfinding"


def _samples() -> dict[str, dict[str, Any]]:
    text = resources.files("emulator").joinpath("data/demo_findings.json").read_text()
    return dict(json.loads(text)["findings"])


def _point_at_bucket(finding: dict[str, Any], bucket: str, *, failed: bool) -> None:
    arn = f"arn:aws:s3:::{bucket}"
    finding["Resources"][0]["Id"] = arn
    fields = finding.setdefault("ProductFields", {})
    if "Resources:0/Id" in fields:
        fields["Resources:0/Id"] = arn
    control = catalog_lookup(str(fields.get("ControlId", "")))
    if failed:
        finding["Compliance"] = {**finding.get("Compliance", {}), "Status": "FAILED"}
        finding["Workflow"] = {"Status": "NEW"}
        finding["RecordState"] = "ACTIVE"
    if control is not None:
        label = control.severity
        finding["Severity"] = {
            **finding.get("Severity", {}),
            "Label": label,
            "Normalized": SEVERITY_NORMALIZED[label],
            "Original": label,
        }
        provider = finding.setdefault("FindingProviderFields", {})
        provider["Severity"] = {"Label": label, "Original": label}


def demo_findings(*, accounts: tuple[str, ...], now: str) -> list[dict[str, Any]]:
    """The demo findings for ``accounts`` (see the module docstring)."""
    from emulator.demo import public_bucket_name

    findings = []
    for account in accounts:
        for sample in _samples().values():
            finding = json.loads(json.dumps(sample).replace(sample["AwsAccountId"], account))
            for name in _TIMESTAMPS:
                if name in finding:
                    finding[name] = now
            control = str(finding.get("ProductFields", {}).get("ControlId", ""))
            if control == "S3.2":
                _point_at_bucket(finding, public_bucket_name(account), failed=True)
            elif control == "S3.5":
                _point_at_bucket(finding, f"ouroboros-demo-notls-{account}", failed=False)
            findings.append(finding)
    return findings


def demo_securityhub_seed(*, accounts: tuple[str, ...]) -> int:
    """Enable FSBP and, when the local Security Hub is empty, import the demo findings."""
    endpoints = endpoints_read()
    if endpoints is None or not endpoints.securityhub:
        logger.info("no local Security Hub in this runtime: demo findings skipped")
        return 0
    securityhub = client("securityhub")
    enabled = securityhub.get_enabled_standards()["StandardsSubscriptions"]
    if not any(s["StandardsArn"] == FSBP_STANDARD_ARN for s in enabled):
        securityhub.batch_enable_standards(
            StandardsSubscriptionRequests=[{"StandardsArn": FSBP_STANDARD_ARN}]
        )
    if securityhub.get_findings(MaxResults=1)["Findings"]:
        return 0
    findings = demo_findings(accounts=accounts, now=now_timestamp())
    imported = 0
    for start in range(0, len(findings), 100):
        response = securityhub.batch_import_findings(Findings=findings[start : start + 100])
        imported += response["SuccessCount"]
        for failure in response.get("FailedFindings") or []:
            logger.warning("demo finding %s: %s", failure["Id"], failure["ErrorMessage"])
    return imported


def demo_ocsf_findings(*, account: str, region: str, now: str) -> list[dict[str, Any]]:
    """The demo's OCSF finding: SQS.1 FAILED on ``DEMO_QUEUE`` of ``account`` in ``region``."""
    text = resources.files("emulator").joinpath("data/demo_findings_ocsf.json").read_text()
    sample = json.loads(text)["findings"][_OCSF_SAMPLE]
    rewritten = (
        json.dumps(sample)
        .replace(_SAMPLE_ACCOUNT, account)
        .replace(_SAMPLE_REGION, region)
        .replace(_SAMPLE_QUEUE, DEMO_QUEUE)
    )
    return [ocsf_finding_restamped(json.loads(rewritten), now)]


def _sqs_1_filters(account: str, *statuses: str) -> dict[str, Any]:
    strings = [
        {"FieldName": "compliance.control", "Filter": {"Value": "SQS.1", "Comparison": "EQUALS"}},
        {"FieldName": "cloud.account.uid", "Filter": {"Value": account, "Comparison": "EQUALS"}},
        *(
            {"FieldName": "status", "Filter": {"Value": status, "Comparison": "EQUALS"}}
            for status in statuses
        ),
    ]
    return {"CompositeFilters": [{"Operator": "AND", "StringFilters": strings}]}


def demo_queue_fixed(*, account_id: str) -> bool:
    """Whether the local Security Hub holds the demo queue's SQS.1 finding Resolved."""
    endpoints = endpoints_read()
    if endpoints is None or not endpoints.securityhub:
        return False
    response = client("securityhub").get_findings_v2(
        Filters=_sqs_1_filters(account_id, "Resolved"), MaxResults=1
    )
    return bool(response["Findings"])


def demo_securityhub_v2_seed(*, account: str, region: str) -> int:
    """Import the demo's OCSF finding when the local Security Hub holds no OCSF finding."""
    endpoints = endpoints_read()
    if endpoints is None or not endpoints.securityhub:
        logger.info("no local Security Hub in this runtime: demo OCSF finding skipped")
        return 0
    if client("securityhub").get_findings_v2(MaxResults=1)["Findings"]:
        return 0
    findings = demo_ocsf_findings(account=account, region=region, now=now_timestamp())
    response = ocsf_findings_import(endpoints.securityhub, findings)
    for failure in response.get("FailedFindings") or []:
        logger.warning("demo OCSF finding %s: %s", failure["Id"], failure["ErrorMessage"])
    return int(response["SuccessCount"])
