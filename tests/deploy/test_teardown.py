"""Teardown removes installed reactors too (issue 15, item 9): their functions and roles.

A reactor is installed by the real installer (published to the Hub, verified, requested, and the
install stream record handled) in in-process moto; teardown then deletes its function and role,
and keeps a same-named function the installer did not tag.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from deploy.naming import deployment_current
from deploy.teardown import teardown_run
from ouroboros.aws import base_session, client
from ouroboros.config import get_config
from ouroboros.models import LocalReactorModel
from ouroboros.reactors.hub import hub_reactor_verify
from ouroboros.reactors.installer import reactor_stream_record_handle
from ouroboros.reactors.services import reactor_install
from ouroboros.reactors.stream_records import StreamRecord
from tests.deploy.securityhub_stub import ActionTargetStub
from tests.reactor_support import approval, built_artifact, hub_publish

pytestmark = pytest.mark.functional

REACTOR = "s3-public-read"


def _installed() -> str:
    hub_publish(built_artifact("s3_public_read"))
    hub_reactor_verify(reactor_id=REACTOR, version="1.0.0")
    reactor_install(reactor_id=REACTOR, approved_actions=approval(REACTOR), actor="alice")
    item = LocalReactorModel.get(REACTOR)
    image = {"reactor_id": REACTOR, "version": item.version, "status": item.status}
    record = StreamRecord("e1", "INSERT", {"reactor_id": REACTOR}, image, None, "1", "arn")
    outcome = reactor_stream_record_handle(record)
    assert outcome.action == "installed", outcome.reason
    return f"ouroboros-{get_config().stage}-rx-{REACTOR}"


def _untagged_function(name: str) -> None:
    """A function under the reactors' prefix that the installer did not create."""
    role = client("iam").create_role(RoleName="someone-else", AssumeRolePolicyDocument="{}")
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
    )


def test_teardown_deletes_the_installed_reactors_function_and_role(moto_aws: None) -> None:
    ActionTargetStub("123456789012", "us-east-1").install(base_session())
    name = _installed()
    lam, iam = client("lambda"), client("iam")
    assert lam.get_function(FunctionName=name) and iam.get_role(RoleName=name)
    prefix = deployment_current("consumer").reactor_function_prefix
    stranger = f"{prefix}not-ours"
    _untagged_function(stranger)

    reports = {(r.kind, r.name): r for r in teardown_run("consumer")}

    assert reports[("reactor function", name)].action == "deleted"
    assert reports[("reactor role", name)].action == "deleted"
    assert reports[("reactor function", stranger)].action == "kept"
    functions = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert name not in functions and stranger in functions
    assert name not in [r["RoleName"] for r in iam.list_roles()["Roles"]]
    again = [r for r in teardown_run("consumer") if r.kind.startswith("reactor")]
    assert [(r.kind, r.name, r.action) for r in again] == [
        ("reactor function", stranger, "kept")
    ], "a second teardown finds no reactor left"
