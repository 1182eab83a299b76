"""Scenarios of ``ssm-document-private`` for the harness (`reactor_sdk.testing`): SSM.4."""

from __future__ import annotations

import json
from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

NAME = "public-runbook"
CONTENT = {
    "schemaVersion": "2.2",
    "description": "echo",
    "mainSteps": [
        {"action": "aws:runShellScript", "name": "echo", "inputs": {"runCommand": ["echo hi"]}}
    ],
}


def _public_document(session: boto3.Session, account_id: str) -> Target:
    ssm = session.client("ssm")
    ssm.create_document(Name=NAME, Content=json.dumps(CONTENT), DocumentType="Command")
    ssm.modify_document_permission(Name=NAME, PermissionType="Share", AccountIdsToAdd=["all"])
    return Target(
        f"arn:aws:ssm:us-east-1:{account_id}:document/{NAME}", "AwsSsmDocument", details={}
    )


def _shares(session: boto3.Session, target: Target) -> Any:
    found = session.client("ssm").describe_document_permission(Name=NAME, PermissionType="Share")
    return sorted(str(a).lower() for a in found.get("AccountIds") or [])


def _private(shares: Any) -> bool:
    return "all" not in shares


SCENARIOS = [
    Scenario("SSM.4", "asff_findings/asr_afsbp_s3.2.json", _public_document, _shares, _private),
]
