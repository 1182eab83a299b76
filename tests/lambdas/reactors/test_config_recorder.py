"""``config-recorder`` beyond its scenarios: no service-linked role, or no bucket, no change.

The harness (``test_scenarios.py``) runs Config.1 in a region without Config (with the
service-linked role and a bucket) and with a stopped recorder (dry run, apply, rollback,
untouched caller). Here what the recorder or its channel would need is missing: the reactor
refuses, in the dry run too, and the region stays without Config.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto.config.exceptions import NoSuchBucketException
from moto.config.models import ConfigBackend

from lambdas.reactors.config_recorder.reactor import handler
from lambdas.reactors.config_recorder.scenarios import BUCKET, SCENARIOS
from reactor_sdk import ReactorError
from reactor_sdk.testing import Target
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional
ACCOUNT = Target(f"AWS::::Account:{MEMBER}", "AwsAccount", {})
NOTHING = {"recorders": [], "channels": [], "recording": False}


def _config(member: boto3.Session) -> Any:
    return SCENARIOS[0].observe(member, ACCOUNT)


def test_refuses_without_the_config_service_linked_role(member: boto3.Session) -> None:
    finding = scenario_finding(SCENARIOS[0], ACCOUNT, MEMBER)

    for dry_run in (True, False):
        with pytest.raises(
            ReactorError,
            match=f"account {MEMBER} has no AWSServiceRoleForConfig service-linked role: "
            "create it with 'aws iam create-service-linked-role",
        ):
            run(handler, finding, params={"bucket": BUCKET}, dry_run=dry_run)
    assert _config(member) == NOTHING


def test_refuses_to_create_a_delivery_channel_without_the_bucket_param(
    member: boto3.Session,
) -> None:
    finding = scenario_finding(SCENARIOS[0], SCENARIOS[0].arrange(member, MEMBER), MEMBER)
    reason = "us-east-1 has no AWS Config delivery channel: set the bucket parameter"

    for dry_run in (True, False):
        with pytest.raises(ReactorError, match=reason):
            run(handler, finding, dry_run=dry_run)
    assert _config(member) == NOTHING

    role = member.client("iam").get_role(RoleName="AWSServiceRoleForConfig")["Role"]["Arn"]
    member.client("config").put_configuration_recorder(
        ConfigurationRecorder={"name": "existing", "roleARN": role}
    )
    with pytest.raises(ReactorError, match=reason):
        run(handler, finding)
    assert _config(member) == {**NOTHING, "recorders": ["existing"]}


def test_a_channel_aws_refuses_leaves_no_recorder_behind(
    member: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS checks the bucket when the channel is created (moto does not: the refusal is given
    to its backend here); the recorder created just before must not stay."""
    finding = scenario_finding(SCENARIOS[0], SCENARIOS[0].arrange(member, MEMBER), MEMBER)

    def no_such_bucket(self: ConfigBackend, delivery_channel: dict[str, Any]) -> None:
        raise NoSuchBucketException()

    monkeypatch.setattr(ConfigBackend, "put_delivery_channel", no_such_bucket)
    with pytest.raises(
        ReactorError,
        match=r"AWS Config refused: .*NoSuchBucketException.* \(deleted again: the recorder\)",
    ):
        run(handler, finding, params={"bucket": "misspelt-bucket"})
    assert _config(member) == NOTHING
