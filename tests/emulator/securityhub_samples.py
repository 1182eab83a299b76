"""Findings for the local Security Hub tests, derived from the real samples in tests/events."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import load_event

SAMPLES = [
    "asr_afsbp_s3.2.json",
    "asr_afsbp_ec2.2.json",
    "asr_afsbp_iam.3.json",
    "asr_afsbp_lambda.1.json",
    "docs_guardduty_unauthorizedaccess_ec2_sshbruteforce.json",
]
BASE_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeRuntime:
    """What the local Security Hub extension uses of `LocalRuntime` (tests start it alone)."""

    data_dir: Path
    region: str = "us-east-1"
    published: dict[str, str] = field(default_factory=dict)

    def endpoints_update(self, **fields: str) -> None:
        self.published.update(fields)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sample_finding(
    name: str = "asr_afsbp_s3.2.json",
    *,
    number: int = 0,
    minutes: int = 0,
    account: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A copy of a real sample with a unique Id, UpdatedAt = BASE_TIME + minutes, and ``fields``."""
    finding = copy.deepcopy(load_event(f"asff_findings/{name}"))
    finding["Id"] = f"{finding['Id']}-{number:05d}"
    finding["UpdatedAt"] = stamp(BASE_TIME + timedelta(minutes=minutes))
    if account is not None:
        finding["AwsAccountId"] = account
    finding.update(fields)
    return finding


def identifier(finding: dict[str, Any]) -> dict[str, str]:
    return {"Id": finding["Id"], "ProductArn": finding["ProductArn"]}
