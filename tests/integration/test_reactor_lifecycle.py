"""The reactor lifecycle in the real local runtime: publish -> verify -> install -> invoke ->
uninstall, delivered by the stream pollers, run by the local Lambda hook."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ouroboros.aws import assume_role_session, client
from ouroboros.config import get_config
from ouroboros.models import HubReactorModel, LocalReactorModel
from ouroboros.reactors.services import reactor_install, reactor_uninstall
from tests.reactor_support import (
    MEMBER,
    approval,
    built_artifact,
    hub_publish,
    iam_role_exists,
    lambda_function_exists,
    member_finding,
    tamper,
    wait_for,
)

pytestmark = pytest.mark.integration

FUNCTION = "ouroboros-dev-rx-s3-public-read"


def hub_status(reactor_id: str, version: str) -> str | None:
    status = HubReactorModel.get(reactor_id, version).status
    return None if status == "pending" else status


def local_status(reactor_id: str) -> str | None:
    try:
        status = LocalReactorModel.get(reactor_id).status
    except LocalReactorModel.DoesNotExist:
        return "gone"
    return None if status == "installing" else status


def public_bucket_in_member(bucket: str) -> Any:
    session = assume_role_session(
        f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole", external_id=""
    )
    s3 = client("s3", session=session)
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "PublicRead",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                    },
                    {
                        "Sid": "Owner",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:root"},
                        "Action": "s3:GetBucketPolicy",
                        "Resource": f"arn:aws:s3:::{bucket}",
                    },
                ],
            }
        ),
    )
    return s3


def test_install_invoke_and_uninstall_in_the_local_runtime(local_runtime: Any) -> None:
    hub_publish(built_artifact("s3_public_read"))
    assert wait_for(lambda: hub_status("s3-public-read", "1.0.0"), "verification") == "verified"

    reactor_install(
        reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="alice"
    )
    assert wait_for(lambda: local_status("s3-public-read"), "install") == "installed"
    assert lambda_function_exists(FUNCTION) and iam_role_exists(FUNCTION)
    item = LocalReactorModel.get("s3-public-read")
    assert item.function_arn.endswith(f":function:{FUNCTION}")

    # The installed function runs (in-process, from its artifact) against a member account.
    s3 = public_bucket_in_member("lifecycle-public")
    finding = member_finding(
        "asff_findings/asr_afsbp_s3.2.json",
        resource_type="AwsS3Bucket",
        resource_id="arn:aws:s3:::lifecycle-public",
    )
    response = client("lambda").invoke(
        FunctionName=FUNCTION, Payload=json.dumps({"finding": finding}).encode()
    )
    assert "FunctionError" not in response
    result = json.loads(response["Payload"].read())
    assert result["status"] == "changed" and result["account_id"] == MEMBER
    policy = json.loads(s3.get_bucket_policy(Bucket="lifecycle-public")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["Owner"]

    reactor_uninstall(reactor_id="s3-public-read", actor="alice")
    wait_for(
        lambda: not lambda_function_exists(FUNCTION) and not iam_role_exists(FUNCTION), "uninstall"
    )


def test_tampered_artifact_is_refused_in_the_local_runtime(local_runtime: Any) -> None:
    artifact = built_artifact("s3_public_read")
    key = hub_publish(artifact)
    assert wait_for(lambda: hub_status("s3-public-read", "1.0.0"), "verification") == "verified"
    client("s3").put_object(
        Bucket=get_config().hub_bucket, Key=key, Body=tamper(artifact.path.read_bytes())
    )
    reactor_install(
        reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="alice"
    )
    assert wait_for(lambda: local_status("s3-public-read"), "install") == "failed"
    reason = LocalReactorModel.get("s3-public-read").status_reason
    assert reason.startswith("artifact sha256 mismatch") and "nothing was created" in reason
    assert not lambda_function_exists(FUNCTION) and not iam_role_exists(FUNCTION)
