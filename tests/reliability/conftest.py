"""Fixtures of the reliability tests: fault injection in front of moto, and a workflow harness.

``faults``: a `tests.reliability.faults.FaultInjector` in front of moto (functional tier).

``workflow``: moto with every table, the S3.2 reactor ``s3-public-read`` installed and assigned
(mode auto), a public bucket in the member account 222222222222 and its FAILED finding. Lambda
Invoke of the reactor's function runs the real reactor handler in-process (its STS and S3 calls
go through moto and the injector); Security Hub BatchUpdateFindings (which moto lacks) is
answered and recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from emulator.caller import reactor_key, running_as
from ouroboros.aws import assume_role_session, reset_sessions
from ouroboros.config import get_config
from ouroboros.models import ControlModel, ExecutionModel, LocalReactorModel
from tests.reactor_support import BUCKET, MEMBER, OWNER, PUBLIC, member_finding
from tests.reliability.faults import FaultInjector, fault_injection, json_response

REACTOR_ID = "s3-public-read"


def reactor_function_arn() -> str:
    """The reactor's function in this test's stage (the installer names it after the stage)."""
    stage = get_config().stage
    return f"arn:aws:lambda:us-east-1:123456789012:function:ouroboros-{stage}-rx-{REACTOR_ID}"


@pytest.fixture
def faults(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultInjector]:
    with fault_injection(monkeypatch) as injector:
        yield injector


Reactor = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class Workflow:
    """The harness of one test (see the module docstring)."""

    faults: FaultInjector
    member: boto3.Session
    finding: dict[str, Any]
    reactor: Reactor
    invocations: list[dict[str, Any]] = field(default_factory=list)
    hub_updates: list[dict[str, Any]] = field(default_factory=list)

    def item(self, **overrides: Any) -> dict[str, Any]:
        """A dispatch item of the finding (as Parse builds it)."""
        return {
            "finding": self.finding,
            "control_id": "S3.2",
            "mode": "auto",
            "dry_run": False,
            "reactor_id": REACTOR_ID,
            "reactor_version": "1.0.0",
            "function_arn": reactor_function_arn(),
            "idempotency_key": self.finding["UpdatedAt"],
            "trigger": "event",
            "actor": "eventbridge",
            "sfn_execution_arn": None,
            **overrides,
        }

    def event(self) -> dict[str, Any]:
        """A "Findings - Imported" event carrying the finding."""
        return {
            "version": "0",
            "id": "reliability-event",
            "detail-type": "Security Hub Findings - Imported",
            "source": "aws.securityhub",
            "account": "123456789012",
            "region": "us-east-1",
            "detail": {"findings": [self.finding]},
        }

    def policy_sids(self) -> list[str]:
        policy = json.loads(self.member.client("s3").get_bucket_policy(Bucket=BUCKET)["Policy"])
        return [s.get("Sid") for s in policy["Statement"]]

    def executions(self, status: str | None = None) -> list[ExecutionModel]:
        return [
            e
            for e in ExecutionModel.finding_index.query(self.finding["Id"])
            if status is None or e.status == status
        ]

    def hub_statuses(self) -> list[str]:
        return [u["Workflow"]["Status"] for u in self.hub_updates]


def _invoke_responder(harness: Workflow) -> Callable[[AWSPreparedRequest], AWSResponse | None]:
    def answer(request: AWSPreparedRequest) -> AWSResponse | None:
        if REACTOR_ID not in request.url:
            return None
        payload = json.loads(request.body or b"{}")
        harness.invocations.append(payload)
        try:
            with running_as(reactor_key(REACTOR_ID)):  # as the local Lambda runner runs it
                result = harness.reactor(payload, None)
        except Exception as exc:  # what Lambda answers for an unhandled error
            body = {"errorType": type(exc).__name__, "errorMessage": str(exc)}
            return json_response(
                request, json.dumps(body).encode(), **{"X-Amz-Function-Error": "Unhandled"}
            )
        return json_response(request, json.dumps(result, default=str).encode())

    return answer


def _batch_update_responder(harness: Workflow) -> Callable[[AWSPreparedRequest], AWSResponse]:
    def answer(request: AWSPreparedRequest) -> AWSResponse:
        body = json.loads(request.body or b"{}")
        harness.hub_updates.append(body)
        processed = body.get("FindingIdentifiers", [])
        out = {"ProcessedFindings": processed, "UnprocessedFindings": []}
        return json_response(request, json.dumps(out).encode())

    return answer


MEMBER_ROLE_NAME = "OuroborosMemberRemediationRole"


@pytest.fixture
def workflow(faults: FaultInjector, monkeypatch: pytest.MonkeyPatch) -> Workflow:
    from lambdas.reactors.s3_public_read.reactor import handler

    monkeypatch.setenv("OUROBOROS_REMEDIATION_RATE", "1000")
    monkeypatch.setenv("OUROBOROS_REMEDIATION_BURST", "1000")
    from ouroboros.config import reset_config

    reset_config()
    member = assume_role_session(
        f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole",
        external_id="",
        session_name="reliability-setup",
    )
    # The member role as bootstrap and the installer leave it: its inline policy is the
    # installed reactor's permissions (the strict check judges the reactor's calls against it).
    from deploy.member_role import member_role_policy_apply
    from reactor_sdk.registry import REACTORS

    iam = member.client("iam")
    iam.create_role(
        RoleName=MEMBER_ROLE_NAME,
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    member_role_policy_apply(
        iam,
        role_name=MEMBER_ROLE_NAME,
        manifests={REACTOR_ID: REACTORS[REACTOR_ID].describe()},
    )
    s3 = member.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(
        Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [PUBLIC, OWNER]})
    )
    finding = member_finding(
        "asff_findings/asr_afsbp_s3.2.json",
        resource_type="AwsS3Bucket",
        resource_id=f"arn:aws:s3:::{BUCKET}",
        control_id="S3.2",
    )
    finding["Workflow"] = {"Status": "NEW"}
    finding["RecordState"] = "ACTIVE"
    ControlModel("S3.2", title="S3.2", reactor_id=REACTOR_ID, mode="auto").save()
    LocalReactorModel(
        REACTOR_ID,
        version="1.0.0",
        sha256="0" * 64,
        artifact_key="reactors/x.zip",
        status="installed",
        installed_by="test",
        function_arn=reactor_function_arn(),
        function_name=reactor_function_arn().rsplit(":", 1)[1],
    ).save()
    from ouroboros.aws import client
    from ouroboros.config import get_config
    from ouroboros.notify import outcomes as notify

    notify._account.cache_clear()
    client("sns").create_topic(Name=get_config().notification_topic_name)
    harness = Workflow(faults=faults, member=member, finding=finding, reactor=handler)
    faults.respond("lambda", "Invoke", _invoke_responder(harness))
    faults.respond("securityhub", "BatchUpdateFindings", _batch_update_responder(harness))
    reset_sessions()  # the code under test assumes the member role itself
    faults.sent.clear()  # count only what the code under test sends
    return harness
