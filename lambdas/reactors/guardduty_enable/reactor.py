"""Reactor ``guardduty-enable`` (AFSBP GuardDuty.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorError,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

FREQUENCIES = ["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"]


def detector_ids(guardduty: Any) -> list[str]:
    """Every GuardDuty detector of the client's account and region (at most one on AWS)."""
    ids: list[str] = []
    for page in guardduty.get_paginator("list_detectors").paginate():
        ids += page.get("DetectorIds", [])
    return ids


@reactor
class GuardDutyEnableReactor(Reactor):
    """Turn GuardDuty on in the finding's account and region.

    When the region has no GuardDuty detector, creates one, enabled, publishing updated
    findings at "finding_publishing_frequency" (default SIX_HOURS, GuardDuty's own default);
    when it has a suspended detector, enables that detector again, its settings unchanged.
    An enabled detector stays as it is. GuardDuty is billed by the volume of logs it
    analyses: turning it on has a cost, and its free trial starts.

    Creating the first detector of an account creates GuardDuty's service-linked role
    (AWSServiceRoleForAmazonGuardDuty), so the reactor holds iam:CreateServiceLinkedRole on that
    role only: an action that can grant permissions, which is why installing this reactor needs
    an admin's approval. Rollback deletes the detector the reactor created (with the findings
    it produced since) or suspends the detector it enabled.
    """

    id = "guardduty-enable"
    version = "1.0.0"
    control_ids = ("GuardDuty.1",)
    permissions = (
        Permission(("guardduty:ListDetectors", "guardduty:CreateDetector")),
        Permission(
            ("guardduty:GetDetector", "guardduty:UpdateDetector", "guardduty:DeleteDetector"),
            ("arn:aws:guardduty:*:*:detector/*",),
        ),
        Permission(
            ("iam:CreateServiceLinkedRole",),
            (
                "arn:aws:iam::*:role/aws-service-role/guardduty.amazonaws.com/"
                "AWSServiceRoleForAmazonGuardDuty",
            ),
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "finding_publishing_frequency": {
                "type": "string",
                "enum": FREQUENCIES,
                "default": "SIX_HOURS",
                "description": "how often a new detector publishes updates of its findings",
            }
        },
    }

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        region, account = finding.region, finding.account_id
        guardduty = client("guardduty", session=session, region=region)
        ids = detector_ids(guardduty)
        if ids:
            return self.enable(finding, guardduty, ids[0], dry_run)
        frequency = params["finding_publishing_frequency"]
        change = Change(
            "guardduty:CreateDetector",
            f"arn:aws:guardduty:{region}:{account}:detector",
            f"create an enabled GuardDuty detector in {region}",
            None,
            {"Status": "ENABLED", "FindingPublishingFrequency": frequency},
        )
        if dry_run:
            return self.result(finding, dry_run=True, changes=[change])
        try:
            created = guardduty.create_detector(Enable=True, FindingPublishingFrequency=frequency)
        except ClientError as exc:
            raise ReactorError(f"GuardDuty refused a detector in {region}: {exc}") from exc
        return self.result(
            finding,
            dry_run=False,
            changes=[change],
            rollback_data={"detector_id": created["DetectorId"], "region": region, "created": True},
        )

    def enable(
        self, finding: Finding, guardduty: Any, detector_id: str, dry_run: bool
    ) -> RemediationResult:
        """Enable the existing detector ``detector_id`` (unchanged when it is enabled)."""
        status = guardduty.get_detector(DetectorId=detector_id).get("Status")
        if status == "ENABLED":
            return self.result(finding, dry_run=dry_run, changes=[], message="GuardDuty is on")
        arn = f"arn:aws:guardduty:{finding.region}:{finding.account_id}:detector/{detector_id}"
        change = Change(
            "guardduty:UpdateDetector",
            arn,
            "enable the suspended GuardDuty detector",
            {"Status": status},
            {"Status": "ENABLED"},
        )
        if not dry_run:
            guardduty.update_detector(DetectorId=detector_id, Enable=True)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"detector_id": detector_id, "region": finding.region, "created": False},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        detector_id, created = rollback_data.get("detector_id"), rollback_data.get("created")
        if not detector_id or not isinstance(created, bool):
            raise ReactorRollbackError(f"{self.id}: rollback_data needs detector_id and created")
        region = rollback_data.get("region") or finding.region
        guardduty = client("guardduty", session=session, region=region)
        arn = f"arn:aws:guardduty:{region}:{finding.account_id}:detector/{detector_id}"
        if created:
            guardduty.delete_detector(DetectorId=detector_id)
            change = Change("guardduty:DeleteDetector", arn, "delete the detector", None, None)
        else:
            guardduty.update_detector(DetectorId=detector_id, Enable=False)
            change = Change(
                "guardduty:UpdateDetector",
                arn,
                "suspend the detector",
                None,
                {"Status": "DISABLED"},
            )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(GuardDutyEnableReactor)
