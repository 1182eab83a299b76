"""An installer that fails half way leaves no half-installed reactor, and a retry installs it.

The real installer handles the real stream record of an install request; IAM, Lambda and
DynamoDB answer with an injected error at one step. After the failure either nothing the
installer created is left (role, function) and the item says ``failed`` with the reason, or
(when the registry itself cannot be written) nothing is left and the record is retried.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ouroboros.aws import client
from ouroboros.models import LocalReactorModel
from ouroboros.reactors.hub import hub_reactor_verify
from ouroboros.reactors.installer import ROLE_POLICY_NAME, reactor_stream_record_handle
from ouroboros.reactors.packaging import reactor_build
from ouroboros.reactors.services import reactor_install, reactor_upgrade
from ouroboros.reactors.stream_records import StreamRecord
from tests.reactor_support import (
    CATALOG,
    approval,
    built_artifact,
    hub_publish,
    iam_role_exists,
    lambda_function_exists,
    official_variant,
)
from tests.reliability.faults import FaultInjector

pytestmark = pytest.mark.functional

REACTOR = "s3-public-read"
NAME = f"ouroboros-dev-rx-{REACTOR}"


def insert_record() -> StreamRecord:
    item = LocalReactorModel.get(REACTOR)
    image = {"reactor_id": REACTOR, "version": item.version, "status": item.status}
    return StreamRecord("e1", "INSERT", {"reactor_id": REACTOR}, image, None, "1", "arn")  # type: ignore[arg-type]


def retry_record() -> StreamRecord:
    """The MODIFY a retry from the console (``reactor_install`` after ``failed``) produces."""
    item = LocalReactorModel.get(REACTOR)
    new = {"reactor_id": REACTOR, "version": item.version, "status": "installing"}
    old = {**new, "status": "failed"}
    return StreamRecord("e2", "MODIFY", {"reactor_id": REACTOR}, new, old, "2", "arn")  # type: ignore[arg-type]


@pytest.fixture
def requested(faults: FaultInjector) -> FaultInjector:
    """s3-public-read published, verified and requested for install (status installing)."""
    hub_publish(built_artifact("s3_public_read"))
    hub_reactor_verify(reactor_id=REACTOR, version="1.0.0")
    reactor_install(reactor_id=REACTOR, approved_actions=approval(REACTOR), actor="alice")
    return faults


def assert_installed_after_retry() -> None:
    reactor_install(
        reactor_id=REACTOR, approved_actions=approval(REACTOR), actor="alice"
    )  # the console's retry of a failed install
    outcome = reactor_stream_record_handle(retry_record())
    assert outcome.action == "installed", outcome.reason
    item = LocalReactorModel.get(REACTOR)
    assert item.status == "installed" and item.function_arn and lambda_function_exists(NAME)


@pytest.mark.parametrize(
    ("service", "operation", "code"),
    [
        ("iam", "CreateRole", "LimitExceeded"),
        ("iam", "PutRolePolicy", "MalformedPolicyDocument"),  # after the role was created
        ("lambda", "CreateFunction", "CodeStorageExceededException"),  # after the role
    ],
)
def test_a_step_that_fails_rolls_back_and_marks_failed_with_the_reason(
    requested: FaultInjector, service: str, operation: str, code: str
) -> None:
    requested.add(service, operation, code=code, status=400, times=1)
    outcome = reactor_stream_record_handle(insert_record())
    assert outcome.action == "failed" and code in outcome.reason
    item = LocalReactorModel.get(REACTOR)
    assert item.status == "failed" and code in (item.status_reason or "")
    assert item.function_arn is None
    assert not lambda_function_exists(NAME) and not iam_role_exists(NAME)  # nothing half-installed
    assert_installed_after_retry()


def test_a_registry_write_that_fails_after_the_function_leaves_nothing_and_is_retried(
    requested: FaultInjector,
) -> None:
    """The function exists, then the item cannot be marked installed (DynamoDB keeps failing
    past PynamoDB's retries): the function and role go, the error reaches the stream (which
    redelivers), and the redelivery installs."""
    requested.add(
        "dynamodb", "UpdateItem", code="InternalServerError", status=500, times=4
    )  # PynamoDB sends an UpdateItem up to 4 times
    with pytest.raises(Exception, match="InternalServerError"):
        reactor_stream_record_handle(insert_record())
    assert LocalReactorModel.get(REACTOR).status == "installing"  # never "installed"
    assert not lambda_function_exists(NAME) and not iam_role_exists(NAME)
    outcome = reactor_stream_record_handle(insert_record())  # the stream redelivers the record
    assert outcome.action == "installed", outcome.reason
    assert lambda_function_exists(NAME) and LocalReactorModel.get(REACTOR).status == "installed"


def test_throttling_on_every_installer_call_is_retried(requested: FaultInjector) -> None:
    calls: list[tuple[str, str]] = [
        ("s3", "GetObject"),
        ("iam", "CreateRole"),
        ("iam", "PutRolePolicy"),
        ("lambda", "GetFunction"),
        ("lambda", "CreateFunction"),
        ("dynamodb", "GetItem"),
        ("dynamodb", "UpdateItem"),
    ]
    faults = [requested.throttle(service, operation, times=1) for service, operation in calls]
    outcome = reactor_stream_record_handle(insert_record())
    assert outcome.action == "installed", outcome.reason
    assert [f.injected for f in faults] == [1] * len(calls)
    assert lambda_function_exists(NAME) and iam_role_exists(NAME)


def test_an_upgrade_that_fails_half_way_leaves_the_old_version_whole(
    requested: FaultInjector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1.0.0 is installed; the upgrade to 1.0.1 (a longer timeout, one more permission) has its
    role policy and configuration written, then UpdateFunctionCode fails: the old code keeps its
    own configuration and permissions, the item says failed with the reason, a retry upgrades."""
    installed = reactor_stream_record_handle(insert_record())
    assert installed.action == "installed", installed.reason
    lam, iam = client("lambda"), client("iam")
    before = lam.get_function(FunctionName=NAME)["Configuration"]
    policy_before = iam.get_role_policy(RoleName=NAME, PolicyName=ROLE_POLICY_NAME)
    source = tmp_path / "s3_public_read"
    shutil.copytree(CATALOG / "s3_public_read", source)
    code = (source / "reactor.py").read_text()
    code = code.replace('version = "1.0.0"', 'version = "1.0.1"\n    timeout_seconds = 120')
    code = code.replace('"s3:DeleteBucketPolicy")', '"s3:DeleteBucketPolicy", "s3:GetBucketAcl")')
    (source / "reactor.py").write_text(code)
    official_variant(monkeypatch, source)  # 1.0.1 of the official reactor
    newer = reactor_build(source=source, out_dir=tmp_path / "out")
    hub_publish(newer)
    hub_reactor_verify(reactor_id=REACTOR, version="1.0.1")
    reactor_upgrade(reactor_id=REACTOR, approved_actions=approval(REACTOR), actor="bob")
    requested.add("lambda", "UpdateFunctionCode", code="CodeStorageExceededException", times=1)
    outcome = reactor_stream_record_handle(retry_record())
    assert outcome.action == "failed" and "CodeStorageExceeded" in outcome.reason
    after = lam.get_function(FunctionName=NAME)["Configuration"]
    assert after["CodeSha256"] == before["CodeSha256"]
    assert after["Timeout"] == before["Timeout"] == 60  # not the new version's 120
    policy_after = iam.get_role_policy(RoleName=NAME, PolicyName=ROLE_POLICY_NAME)
    assert policy_after["PolicyDocument"] == policy_before["PolicyDocument"]
    item = LocalReactorModel.get(REACTOR)
    assert item.status == "failed" and "CodeStorageExceeded" in (item.status_reason or "")
    reactor_upgrade(
        reactor_id=REACTOR, approved_actions=approval(REACTOR), actor="bob"
    )  # the console's retry
    outcome = reactor_stream_record_handle(retry_record())
    assert outcome.action == "installed", outcome.reason
    assert lam.get_function(FunctionName=NAME)["Configuration"]["Timeout"] == 120
    assert "s3:GetBucketAcl" in json.dumps(
        iam.get_role_policy(RoleName=NAME, PolicyName=ROLE_POLICY_NAME)["PolicyDocument"]
    )
