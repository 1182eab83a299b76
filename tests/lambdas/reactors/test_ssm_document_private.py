"""``ssm-document-private`` beyond its scenario: a document that is not public is left alone.

The harness (``test_scenarios.py``) runs SSM.4 on a document shared with everyone (dry run,
apply, rollback, untouched caller). Here the document is shared with one account only, or
with nobody: the reactor changes nothing, in the dry run or for real.
"""

from __future__ import annotations

import json

import boto3
import pytest

from lambdas.reactors.ssm_document_private.reactor import handler
from lambdas.reactors.ssm_document_private.scenarios import CONTENT, SCENARIOS
from reactor_sdk.testing import Target
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional
PARTNER = "333333333333"


def _document(member: boto3.Session, name: str, shared_with: list[str]) -> Target:
    ssm = member.client("ssm")
    ssm.create_document(Name=name, Content=json.dumps(CONTENT), DocumentType="Command")
    if shared_with:
        ssm.modify_document_permission(
            Name=name, PermissionType="Share", AccountIdsToAdd=shared_with
        )
    return Target(f"arn:aws:ssm:us-east-1:{MEMBER}:document/{name}", "AwsSsmDocument", {})


def _shares(member: boto3.Session, name: str) -> list[str]:
    found = member.client("ssm").describe_document_permission(Name=name, PermissionType="Share")
    return sorted(found.get("AccountIds") or [])


@pytest.mark.parametrize("shared_with", [[PARTNER], []], ids=["one-account", "unshared"])
def test_a_document_that_is_not_public_is_unchanged(
    member: boto3.Session, shared_with: list[str]
) -> None:
    finding = scenario_finding(SCENARIOS[0], _document(member, "runbook", shared_with), MEMBER)

    for dry_run in (True, False):
        result = run(handler, finding, dry_run=dry_run)
        assert (result["status"], result["message"]) == ("unchanged", "not public")
        assert result["rollback_data"] == {}
    assert _shares(member, "runbook") == shared_with
