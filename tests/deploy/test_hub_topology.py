"""The Hub topology: a Hub in its own account read through its role, or both sides in one account.

In-process moto with two accounts: the consumer is moto's default account (the test
credentials), the Hub another one, reached as an organization's administrator reaches a member
account (assuming a role in it; moto maps the credentials to the role's account).

- two accounts: ``bootstrap --role hub`` in the Hub account creates the reader role (trusting
  the consumer account, with ExternalId) and the bucket policy and prints the consumer's
  settings; the consumer is bootstrapped with them, and its console and installer read the
  catalog and fetch an artifact through the role, while the consumer account holds no Hub table
  and no Hub bucket;
- one account: both sides bootstrapped with the default prefixes get different
  ``security_controls`` tables, each with its own key schema.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from deploy.bootstrap import BootstrapError, bootstrap_run
from deploy.hub_access import READER_ROLE_SUFFIX, hub_outputs
from deploy.naming import deployment_current
from emulator.caller import running_as
from ouroboros.aws import base_session, client, reset_sessions
from ouroboros.config import reset_config
from ouroboros.models import ALL_MODELS, bind_models
from ouroboros.reactors.catalog import hub_artifact_fetch, hub_catalog_list
from ouroboros.reactors.hub import hub_reactor_verify
from ouroboros.reactors.installer import reactor_stream_record_handle
from ouroboros.reactors.packaging import sha256_hex
from ouroboros.reactors.services import reactor_install
from ouroboros.reactors.stream_records import StreamRecord
from tests.deploy.securityhub_stub import ActionTargetStub
from tests.reactor_support import approval, built_artifact, hub_publish

pytestmark = pytest.mark.functional

CONSUMER = "123456789012"  # moto's default account: the test credentials
HUB = "210987654321"
EXTERNAL_ID = "ouroboros-hub-3f9c"
REACTOR = "s3-public-read"


def _refresh() -> None:
    reset_config()
    reset_sessions()
    bind_models()


def _credentials(monkeypatch: pytest.MonkeyPatch, creds: dict[str, str]) -> None:
    for name, value in creds.items():
        monkeypatch.setenv(name, value)
    if "AWS_SESSION_TOKEN" not in creds:
        monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    _refresh()


def _hub_admin() -> dict[str, str]:
    """Credentials in the Hub account (an administrator role assumed into it)."""
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{HUB}:role/OrganizationAccountAccessRole",
        RoleSessionName="hub-admin",
    )["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }


CONSUMER_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture
def aws() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        _refresh()
        yield
    _refresh()


def _bootstrap(side: str) -> list[Any]:
    if side == "consumer":
        ActionTargetStub(CONSUMER, "us-east-1").install(base_session())
    return bootstrap_run(side, include_planned=True, sleep=lambda _: None)  # type: ignore[arg-type]


def _table_names() -> list[str]:
    return list(client("dynamodb").list_tables()["TableNames"])


def _record(item: Any) -> StreamRecord:
    image = {
        "reactor_id": item.reactor_id,
        "version": item.version,
        "status": item.status,
        "function_name": item.function_name,
    }
    keys = {"reactor_id": item.reactor_id}
    return StreamRecord("e1", "INSERT", keys, image, None, "1", "arn")  # type: ignore[arg-type]


@pytest.fixture
def hub_account(aws: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The Hub bootstrapped in its own account with one verified reactor; its printed outputs."""
    _credentials(monkeypatch, _hub_admin())
    monkeypatch.setenv("OUROBOROS_ROLE", "hub")
    monkeypatch.delenv("OUROBOROS_HUB_TABLE_PREFIX")
    monkeypatch.setenv("OUROBOROS_HUB_CONSUMER_ACCOUNTS", CONSUMER)
    monkeypatch.setenv("OUROBOROS_HUB_EXTERNAL_ID", EXTERNAL_ID)
    _refresh()
    assert client("sts").get_caller_identity()["Account"] == HUB
    reports = _bootstrap("hub")
    assert {r.kind for r in reports if r.action == "created"} >= {"iam role", "s3 bucket policy"}
    outputs = hub_outputs(deployment_current("hub"))
    monkeypatch.setenv("OUROBOROS_HUB_BUCKET", outputs["OUROBOROS_HUB_BUCKET"])
    _refresh()
    hub_publish(built_artifact("s3_public_read"))
    hub_reactor_verify(reactor_id=REACTOR, version="1.0.0")
    return outputs


def test_hub_bootstrap_creates_the_reader_role_and_prints_the_consumer_settings(
    hub_account: dict[str, str],
) -> None:
    stage = "dev"
    role_name = f"ouroboros-{stage}-{READER_ROLE_SUFFIX}"
    assert hub_account == {
        "OUROBOROS_HUB_ROLE_ARN": f"arn:aws:iam::{HUB}:role/{role_name}",
        "OUROBOROS_HUB_BUCKET": f"ouroboros-{stage}-hub-artifacts-{HUB}",
        "OUROBOROS_HUB_TABLE_PREFIX": "hub",
        "OUROBOROS_HUB_STAGE": stage,
        "OUROBOROS_HUB_REGION": "us-east-1",
    }
    iam = client("iam")
    role = iam.get_role(RoleName=role_name)["Role"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{CONSUMER}:root"}
    assert trust["Condition"]["StringEquals"] == {"sts:ExternalId": EXTERNAL_ID}
    policy = iam.get_role_policy(RoleName=role_name, PolicyName="ouroboros")["PolicyDocument"]
    granted = {(a, r) for s in policy["Statement"] for a in s["Action"] for r in s["Resource"]}
    table = f"arn:aws:dynamodb:us-east-1:{HUB}:table/hub_{stage}_security_reactors"
    assert ("dynamodb:Query", f"{table}/index/*") in granted
    assert ("s3:GetObject", f"arn:aws:s3:::{hub_account['OUROBOROS_HUB_BUCKET']}/*") in granted
    writes = {a for a, _ in granted if not a.startswith(("dynamodb:Get", "dynamodb:B", "s3:Get"))}
    assert writes <= {"dynamodb:Query", "dynamodb:DescribeTable"}, "the reader only reads"
    bucket_policy = json.loads(
        client("s3").get_bucket_policy(Bucket=hub_account["OUROBOROS_HUB_BUCKET"])["Policy"]
    )
    (reader,) = bucket_policy["Statement"]
    assert reader["Principal"] == {"AWS": hub_account["OUROBOROS_HUB_ROLE_ARN"]}
    assert (reader["Effect"], reader["Action"]) == ("Allow", "s3:GetObject")
    again = _bootstrap("hub")  # the functions are not deployed: their triggers stay pending
    assert {r.action for r in again} == {"unchanged", "pending"}, [r.line() for r in again]
    assert {r.name for r in again if r.kind in ("iam role", "s3 bucket policy")} >= {
        role_name,
        hub_account["OUROBOROS_HUB_BUCKET"],
    }


def test_consumer_reads_the_hub_of_another_account_through_its_role(
    hub_account: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _credentials(monkeypatch, CONSUMER_CREDENTIALS)
    for name in ("OUROBOROS_ROLE", "OUROBOROS_HUB_CONSUMER_ACCOUNTS"):
        monkeypatch.delenv(name)
    for name, value in hub_account.items():
        monkeypatch.setenv(name, value)
    _refresh()
    sent: list[dict[str, Any]] = []  # before the first STS client: clients copy the handlers
    base_session().events.register(
        "provide-client-params.sts.AssumeRole", lambda params, **_: sent.append(dict(params))
    )
    assert client("sts").get_caller_identity()["Account"] == CONSUMER
    reports = _bootstrap("consumer")
    assert "hub_dev_security_reactors" not in _table_names(), "no Hub table in the consumer"
    console = client("iam").get_role_policy(
        RoleName="ouroboros-dev-console-role", PolicyName="ouroboros"
    )["PolicyDocument"]
    assert {
        "Effect": "Allow",
        "Action": ["sts:AssumeRole"],
        "Resource": hub_account["OUROBOROS_HUB_ROLE_ARN"],
    } in console["Statement"]
    assert all(r.action in ("created", "pending") for r in reports)

    with running_as("console"):
        page = hub_catalog_list()
    assert [item.reactor_id for item in page.items] == [REACTOR]
    with running_as("reactor_installer"):
        data = hub_artifact_fetch(artifact_key=page.items[0].artifact_key)
    assert sha256_hex(data) == built_artifact("s3_public_read").sha256
    item = reactor_install(reactor_id=REACTOR, approved_actions=approval(REACTOR), actor="alice")
    outcome = reactor_stream_record_handle(_record(item))
    assert outcome.action == "installed", outcome.reason
    assert sent and {p["RoleArn"] for p in sent} == {hub_account["OUROBOROS_HUB_ROLE_ARN"]}
    assert {p.get("ExternalId") for p in sent} == {EXTERNAL_ID}


def test_one_account_holds_both_sides_without_a_table_collision(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OUROBOROS_HUB_TABLE_PREFIX")  # the defaults, as a fresh account has them
    _refresh()
    hub = _bootstrap("hub")
    consumer = _bootstrap("consumer")
    tables = [r for r in hub + consumer if r.kind == "dynamodb table"]
    assert len({r.name for r in tables}) == len(tables) == len(ALL_MODELS)
    assert all(r.action == "created" for r in tables), [r.line() for r in tables]
    ddb = client("dynamodb")
    keys = {
        name: ddb.describe_table(TableName=name)["Table"]["KeySchema"]
        for name in ("cmdb_dev_security_controls", "hub_dev_security_controls")
    }
    assert keys["cmdb_dev_security_controls"] != keys["hub_dev_security_controls"]


def test_same_table_names_on_both_sides_of_one_account_are_refused(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUROBOROS_HUB_TABLE_PREFIX", "cmdb")
    _refresh()
    with pytest.raises(BootstrapError, match="OUROBOROS_HUB_TABLE_PREFIX"):
        _bootstrap("hub")
    assert _table_names() == []


def test_the_bootstrap_command_prints_the_consumer_settings(
    hub_account: dict[str, str], tmp_path: Path
) -> None:
    from django.core.management import call_command

    out = io.StringIO()
    no_settings = str(tmp_path / "absent.json")
    call_command("bootstrap", "--role", "hub", "--zappa-settings", no_settings, stdout=out)
    printed = out.getvalue().split("consumer settings for this Hub:")[1].split()
    assert printed == [
        *(f"{name}={value}" for name, value in hub_account.items()),
        "OUROBOROS_HUB_EXTERNAL_ID=<the",
        "ExternalId",
        "set",
        "here>",
    ]


def test_teardown_removes_the_reader_role_and_the_bucket_policy(
    hub_account: dict[str, str],
) -> None:
    from deploy.teardown import teardown_run

    role_name = hub_account["OUROBOROS_HUB_ROLE_ARN"].rsplit("/", 1)[1]
    bucket = hub_account["OUROBOROS_HUB_BUCKET"]
    first = {(r.kind, r.name): r.action for r in teardown_run("hub")}
    assert first[("iam role", role_name)] == "deleted"
    assert first[("s3 bucket policy", bucket)] == "deleted"
    assert first[("s3 bucket", bucket)] == "kept"
    iam, s3 = client("iam"), client("s3")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=role_name)
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=bucket)
    again = {(r.kind, r.name): r.action for r in teardown_run("hub")}
    assert again[("iam role", role_name)] == again[("s3 bucket policy", bucket)] == "absent"
