"""Scenarios of ``ecr-scan-on-push`` for the harness (`reactor_sdk.testing`): ECR.1."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

#: A namespaced name: the reactor must keep the part before the ``/``.
REPOSITORY = "team/web"


def repository_no_scan(session: boto3.Session, account_id: str) -> Target:
    """A private repository that does not scan images on push."""
    repo = session.client("ecr").create_repository(
        repositoryName=REPOSITORY, imageScanningConfiguration={"scanOnPush": False}
    )["repository"]
    return Target(repo["repositoryArn"], "AwsEcrRepository", {})


def _scan(session: boto3.Session, target: Target) -> Any:
    repos = session.client("ecr").describe_repositories(repositoryNames=[REPOSITORY])
    return repos["repositories"][0]["imageScanningConfiguration"]


SCENARIOS = [
    Scenario(
        "ECR.1",
        "asff_findings/asr_afsbp_ec2.2.json",
        repository_no_scan,
        _scan,
        lambda state: state["scanOnPush"] is True,
    ),
]
