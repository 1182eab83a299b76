"""Reactor ``ecr-scan-on-push`` (AFSBP ECR.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorError,
    ReactorInputError,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)


def repository_name(arn: str) -> str:
    """The repository name in a repository ARN; names may hold ``/`` (``team/app``)."""
    _, sep, name = arn.partition(":repository/")
    if not sep or not name:
        raise ReactorInputError(f"{arn!r} is not an ECR repository ARN")
    return name


@reactor
class EcrScanOnPushReactor(Reactor):
    """Scan images on push in an ECR private repository.

    Turns on the repository's basic image scanning on push (imageScanningConfiguration
    scanOnPush=true), so every image pushed from now on is scanned for known vulnerabilities.
    Images already in the repository, tags and lifecycle rules are not touched; a registry-level
    enhanced scanning configuration, if any, keeps applying. Rollback turns scan on push off
    again.
    """

    id = "ecr-scan-on-push"
    version = "1.0.0"
    control_ids = ("ECR.1",)
    permissions = (
        Permission(
            ("ecr:DescribeRepositories", "ecr:PutImageScanningConfiguration"),
            ("arn:aws:ecr:*:*:repository/*",),
        ),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        resource = finding.resource("AwsEcrRepository")
        name, region = repository_name(resource.id), resource.region or finding.region
        ecr = client("ecr", session=session, region=region)
        try:
            repos = ecr.describe_repositories(repositoryNames=[name])["repositories"]
        except ecr.exceptions.RepositoryNotFoundException as exc:
            raise ReactorError(f"repository {name} not found in {region}") from exc
        scan = bool(repos[0].get("imageScanningConfiguration", {}).get("scanOnPush"))
        if scan:
            return self.result(finding, dry_run=dry_run, changes=[], message="scans on push")
        change = Change(
            "ecr:PutImageScanningConfiguration",
            resource.id,
            "scan images on push",
            {"scanOnPush": False},
            {"scanOnPush": True},
        )
        if not dry_run:
            ecr.put_image_scanning_configuration(
                repositoryName=name, imageScanningConfiguration={"scanOnPush": True}
            )
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"repository": name, "region": region, "scan_on_push": scan},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        name = rollback_data.get("repository")
        if not name or "scan_on_push" not in rollback_data:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs repository, scan_on_push")
        scan = bool(rollback_data["scan_on_push"])
        ecr = client("ecr", session=session, region=rollback_data.get("region") or finding.region)
        ecr.put_image_scanning_configuration(
            repositoryName=name, imageScanningConfiguration={"scanOnPush": scan}
        )
        change = Change(
            "ecr:PutImageScanningConfiguration",
            str(name),
            f"restore scanOnPush={str(scan).lower()}",
            {"scanOnPush": True},
            {"scanOnPush": scan},
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(EcrScanOnPushReactor)
