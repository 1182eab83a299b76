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
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import Any

from emulator.endpoints import endpoints_read
from emulator.securityhub_findings import SEVERITY_NORMALIZED, now_timestamp
from ouroboros.aws import client
from ouroboros.securityhub.catalog import FSBP_STANDARD_ARN, catalog_lookup

logger = logging.getLogger(__name__)

_TIMESTAMPS = ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt")


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
