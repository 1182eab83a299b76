"""``cloudtrail-kms`` beyond its scenario: keys CloudTrail could not use are refused.

The harness (``test_scenarios.py``) runs CloudTrail.2 with an enabled key whose policy lets
CloudTrail generate data keys (dry run, apply, rollback, untouched caller). Here the key is
missing, not set, disabled, or its policy leaves CloudTrail out: the trail would fall silent,
so the reactor refuses, in the dry run too, and the trail stays as it was.
"""

from __future__ import annotations

import json

import boto3
import pytest

from lambdas.reactors.cloudtrail_kms.reactor import allows_cloudtrail, handler
from lambdas.reactors.cloudtrail_kms.scenarios import SCENARIOS
from reactor_sdk import ReactorError
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional
OWNER_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}
CLOUDTRAIL_TOO = {
    **OWNER_ONLY,
    "Statement": [
        *OWNER_ONLY["Statement"],
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
        },
    ],
}


def test_refuses_keys_cloudtrail_could_not_use(member: boto3.Session) -> None:
    target = SCENARIOS[0].arrange(member, MEMBER)
    finding = scenario_finding(SCENARIOS[0], target, MEMBER)
    kms = member.client("kms")
    disabled = kms.create_key(Policy=json.dumps(CLOUDTRAIL_TOO))["KeyMetadata"]
    kms.disable_key(KeyId=disabled["KeyId"])
    owner_only = kms.create_key(Policy=json.dumps(OWNER_ONLY))["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/owner-only", TargetKeyId=owner_only)
    refused = {
        "": "set the kms_key_id parameter: CloudTrail has no AWS managed key",
        "alias/missing": "KMS key alias/missing not found in us-east-1",
        "0b6e2f1c-1111-4222-8333-444455556666": "KMS key 0b6e2f1c-.* not found",
        disabled["Arn"]: f"KMS key {disabled['Arn']} is Disabled, not Enabled",
        owner_only: "does not allow cloudtrail.amazonaws.com kms:GenerateDataKey",
        "alias/owner-only": "the key policy of alias/owner-only does not allow",
    }
    for key, reason in refused.items():
        for dry_run in (True, False):
            with pytest.raises(ReactorError, match=reason):
                run(handler, finding, params={"kms_key_id": key}, dry_run=dry_run)
    assert SCENARIOS[0].observe(member, target) == {"KmsKeyId": None}


def test_allows_cloudtrail_needs_an_allow_for_the_service_with_a_data_key_action() -> None:
    def policy(effect: str, principal: object, action: object) -> dict[str, object]:
        statement = {"Effect": effect, "Principal": principal, "Action": action}
        return {"Statement": [statement]}

    service = {"Service": "cloudtrail.amazonaws.com"}
    assert allows_cloudtrail(policy("Allow", service, "kms:GenerateDataKey*"))
    assert allows_cloudtrail(policy("Allow", {"Service": [service["Service"]]}, ["kms:*"]))
    assert not allows_cloudtrail(policy("Deny", service, "kms:GenerateDataKey*"))
    assert not allows_cloudtrail(policy("Allow", service, "kms:Decrypt"))
    assert not allows_cloudtrail(OWNER_ONLY)
    assert allows_cloudtrail(CLOUDTRAIL_TOO)
