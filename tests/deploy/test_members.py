"""``bootstrap --role members``: the member role delivered by a service-managed StackSet (issue 24).

In-process moto with an organization: OU ``workloads`` under the root, ``prod`` nested in it and
``prod-eu`` nested in ``prod``, one account in each, and the management account (the caller) in
the root. ``workloads`` and ``prod`` are deployed explicitly. moto expands one level of nesting
only, so an account added later to ``prod-eu`` gets its instance, on a run naming ``workloads``
alone, through `deploy.members`' own expansion. moto ignores ``AutoDeployment`` and ``CallAs``:
they are asserted on the requests.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.core.management import CommandError, call_command

from deploy.members import MembersError, members_check, members_deploy, members_plan
from deploy.organization import OrganizationError, organization_caller, ous_parse
from ouroboros.aws import client, reset_sessions
from ouroboros.config import get_config, reset_config
from ouroboros.models import LocalReactorModel

pytestmark = pytest.mark.functional

EXTERNAL_ID = "members-test-external-id"
REGION = "us-east-1"
ROLE = "OuroborosMemberRemediationRole"
ACCESS_ROLE = "OrganizationAccountAccessRole"


@dataclass
class Org:
    """The organization the tests deploy to."""

    management: str
    root: str
    ous: dict[str, str]  # name -> id
    accounts: dict[str, str]  # OU name -> the account in it
    requests: list[tuple[str, dict[str, Any]]]

    def account_add(self, ou: str, name: str) -> str:
        org = client("organizations")
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")
        account = str(status["CreateAccountStatus"]["AccountId"])
        org.move_account(
            AccountId=account, SourceParentId=self.root, DestinationParentId=self.ous[ou]
        )
        return account

    def iam(self, account: str) -> Any:
        credentials = client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{ACCESS_ROLE}", RoleSessionName="test"
        )["Credentials"]
        import boto3

        return boto3.client(
            "iam",
            region_name=REGION,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    def sent(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.requests if name == operation]


@pytest.fixture
def org(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Org]:
    monkeypatch.setenv("OUROBOROS_EXTERNAL_ID", EXTERNAL_ID)
    reset_config()
    reset_sessions()
    organizations = client("organizations")
    management = organizations.create_organization(FeatureSet="ALL")["Organization"][
        "MasterAccountId"
    ]
    root = organizations.list_roots()["Roots"][0]["Id"]
    ous: dict[str, str] = {}
    parent = root
    for name in ("workloads", "prod", "prod-eu"):
        ou = organizations.create_organizational_unit(ParentId=parent, Name=name)
        parent = ous[name] = ou["OrganizationalUnit"]["Id"]
    requests: list[tuple[str, dict[str, Any]]] = []

    _record(requests)
    found = Org(management, root, ous, {}, requests)
    found.accounts = {name: found.account_add(name, f"acct-{name}") for name in ous}
    yield found


def _command(out: io.StringIO, *args: str) -> None:
    """``bootstrap --role members`` (no Zappa settings: the repository's name another id)."""
    no_settings = "/nonexistent/zappa_settings.json"
    call_command(
        "bootstrap", "--role", "members", "--zappa-settings", no_settings, *args, stdout=out
    )


def _record(requests: list[tuple[str, dict[str, Any]]]) -> None:
    """Keep every CloudFormation request as sent: its form-encoded body, flattened."""

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        body = params["body"]  # the query protocol's form fields (a dict, or already encoded)
        if isinstance(body, (str, bytes)):
            body = {
                k: v[0]
                for k, v in parse_qs(body if isinstance(body, str) else body.decode()).items()
            }
        requests.append((model.name, {str(k): str(v) for k, v in body.items()}))

    client("cloudformation", region=REGION).meta.events.register(
        "before-call.cloudformation.*", record
    )


def _bootstrap(org: Org, *args: str) -> str:
    out = io.StringIO()
    _command(out, "--ous", f"{org.ous['workloads']},{org.ous['prod']}", *args)
    return out.getvalue()


def _instances() -> dict[str, list[str]]:
    """Account -> the regions of its stack instances."""
    found: dict[str, list[str]] = {}
    name = f"ouroboros-{get_config().stage}-member-role"
    for summary in client("cloudformation", region=REGION).list_stack_instances(StackSetName=name)[
        "Summaries"
    ]:
        found.setdefault(summary["Account"], []).append(summary["Region"])
    return found


def test_every_account_of_the_ous_gets_the_member_role_once(org: Org) -> None:
    output = _bootstrap(org)

    (create,) = org.sent("CreateStackSet")
    assert create["AutoDeployment.Enabled"] == "true"
    assert create["AutoDeployment.RetainStacksOnAccountRemoval"] == "false"
    assert (create["PermissionModel"], create["CallAs"]) == ("SERVICE_MANAGED", "SELF")
    assert create["Parameters.member.1.ParameterKey"] == "ExternalId"
    assert create["Parameters.member.1.ParameterValue"] == EXTERNAL_ID
    assert "Parameters.member.2.ParameterKey" not in create
    instances = org.sent("CreateStackInstances")
    assert [r["Regions.member.1"] for r in instances] == [REGION, REGION]
    assert not any("Regions.member.2" in r for r in instances)  # one region: IAM is global
    targets = [
        [v for k, v in r.items() if k.startswith("DeploymentTargets.OrganizationalUnitIds")]
        for r in instances
    ]
    assert targets == [[org.ous["workloads"]], [org.ous["prod"]]]  # both chosen OUs targeted

    assert _instances() == {account: [REGION] for account in org.accounts.values()}
    assert org.management not in _instances()
    for account in org.accounts.values():
        role = org.iam(account).get_role(RoleName=ROLE)["Role"]
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Condition"]["StringEquals"] == {"sts:ExternalId": EXTERNAL_ID}
    assert EXTERNAL_ID not in output
    assert "created   stackset" in output

    again = _bootstrap(org)
    assert "2 unchanged" in again, again
    assert len(org.sent("CreateStackInstances")) == 2
    assert org.sent("UpdateStackSet") == []
    assert "member role as designed in 3 account(s)" in _bootstrap(org, "--check")


def test_check_reports_a_deleted_role_a_stale_template_and_a_new_account(org: Org) -> None:
    members_deploy(members_plan((org.ous["workloads"], org.ous["prod"])))
    gone = org.accounts["prod-eu"]
    org.iam(gone).delete_role(RoleName=ROLE)
    LocalReactorModel(
        "s3-public-read",
        version="1.0.0",
        sha256="0" * 64,
        status="installed",
        manifest={"permissions": ["s3:GetBucketPolicy"]},
    ).save()
    new = org.account_add("prod-eu", "acct-new")

    out = io.StringIO()
    with pytest.raises(CommandError, match="3 problem"):
        _command(out, "--check", "--ous", f"{org.ous['workloads']},{org.ous['prod']}")
    lines = out.getvalue().splitlines()
    assert any(
        line.startswith(f"account {gone} ({org.ous['prod-eu']}): role {ROLE} missing")
        for line in lines
    ), lines
    assert any("stale: template (permissions +s3:GetBucketPolicy)" in line for line in lines), lines
    assert any(line.startswith(f"account {new} ") and "not yet deployed" in line for line in lines)

    reports = {r.kind: r for r in members_deploy(members_plan((org.ous["workloads"],)))}
    assert (reports["stackset"].action, reports["stackset"].details) == (
        "updated",
        ["template (permissions +s3:GetBucketPolicy)"],
    )
    assert (reports["stack instances"].action, reports["stack instances"].details) == (
        "created",
        [new],
    )
    (update,) = org.sent("UpdateStackSet")
    assert update["AutoDeployment.Enabled"] == "true"
    assert update["Parameters.member.1.ParameterValue"] == EXTERNAL_ID

    check = members_check(members_plan((org.ous["workloads"],)), access_role=ACCESS_ROLE)
    assert [p.split(":")[0] for p in check.problems] == [f"account {gone} ({org.ous['prod-eu']})"]
    assert check.notes == []


def test_a_changed_external_id_is_redeployed_without_being_printed(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bootstrap(org)
    monkeypatch.setenv("OUROBOROS_EXTERNAL_ID", "rotated-external-id")
    reset_config()
    out = io.StringIO()
    with pytest.raises(CommandError):
        _command(out, "--check", "--ous", org.ous["workloads"])
    assert "stale: ExternalId differs" in out.getvalue()
    output = _bootstrap(org)
    assert "updated   stackset" in output and "(ExternalId)" in output
    assert "rotated-external-id" not in output + out.getvalue()
    (update,) = org.sent("UpdateStackSet")
    assert update["Parameters.member.1.ParameterValue"] == "rotated-external-id"


def test_a_delegated_administrator_calls_as_one(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    member = org.accounts["workloads"]
    credentials = client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/{ACCESS_ROLE}", RoleSessionName="admin"
    )["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])
    reset_sessions()
    assert organization_caller(member) == (org.management, "DELEGATED_ADMIN")
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    reset_sessions()

    plan = members_plan((org.ous["prod"],))
    assert plan.call_as == "SELF"
    _record(org.requests)
    members_deploy(replace(plan, call_as="DELEGATED_ADMIN"))
    assert org.requests
    assert {params.get("CallAs") for _, params in org.requests} == {"DELEGATED_ADMIN"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--ous", "ou-nope"), "not an OU or root id: ou-nope"),
        (("--ous", " , "), "names no OU"),
        ((), "--role members needs --ous"),
    ],
)
def test_bad_options_are_refused_clearly(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("bootstrap", "--role", "members", *args)


def test_an_unknown_ou_or_no_external_id_is_refused(
    org: Org, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(OrganizationError, match="ou-abcd-abcdefgh is no OU"):
        members_plan(ous_parse("ou-abcd-abcdefgh"))
    settings = tmp_path / "zappa_settings.json"
    settings.write_text(
        json.dumps({"workers": {"aws_environment_variables": {"OUROBOROS_EXTERNAL_ID": "other"}}})
    )
    with pytest.raises(MembersError, match="another OUROBOROS_EXTERNAL_ID"):
        members_plan((org.ous["prod"],), settings_path=settings)
    monkeypatch.delenv("OUROBOROS_EXTERNAL_ID")
    reset_config()
    with pytest.raises(MembersError, match="demands an ExternalId"):
        members_plan((org.ous["prod"],))


def _answer(operation: str, change: Any) -> None:
    """Let ``change`` edit the parsed answers to ``operation`` (states moto never reaches)."""
    client("cloudformation", region=REGION).meta.events.register(
        f"after-call.cloudformation.{operation}", lambda parsed, **_: change(parsed)
    )


def test_an_outdated_instance_is_reported_stale(org: Org) -> None:
    plan = members_plan((org.ous["workloads"],))
    members_deploy(plan)
    outdated = org.accounts["prod"]

    def mark(parsed: dict[str, Any]) -> None:
        for summary in parsed.get("Summaries", []):
            if summary["Account"] == outdated:
                summary.update(Status="OUTDATED", StatusReason="update cancelled")

    _answer("ListStackInstances", mark)
    check = members_check(plan, access_role="")
    assert check.problems == [
        f"account {outdated} ({org.ous['prod']}): stale, stack instance OUTDATED (update cancelled)"
    ]


def test_a_failed_or_endless_operation_is_a_clear_error(org: Org) -> None:
    plan = members_plan((org.ous["workloads"],))
    status = {"now": "FAILED"}
    _answer(
        "DescribeStackSetOperation", lambda p: p["StackSetOperation"].update(Status=status["now"])
    )
    with pytest.raises(MembersError, match=r"operation \S+ FAILED"):
        members_deploy(plan)

    status["now"] = "RUNNING"
    slept: list[float] = []
    with pytest.raises(MembersError, match="still RUNNING after 20 s"):
        members_deploy(plan, sleep=slept.append, wait_seconds=20)
    assert slept == [10.0, 10.0]


def test_a_chosen_ou_the_stack_set_does_not_target_is_reported_and_targeted(org: Org) -> None:
    plan = members_plan((org.ous["workloads"], org.ous["prod"]))
    members_deploy(plan)
    # AWS lists the StackSet's targets (moto does not): say it targets workloads only.
    _answer(
        "DescribeStackSet",
        lambda parsed: parsed["StackSet"].update(OrganizationalUnitIds=[org.ous["workloads"]]),
    )
    check = members_check(plan, access_role="")
    assert check.problems == [
        f"StackSet {plan.stack_set_name} does not target {org.ous['prod']}: accounts joining it "
        "would not get the role (run bootstrap --role members)"
    ]
    before = len(org.sent("CreateStackInstances"))
    (_, instances) = members_deploy(plan)
    assert (instances.action, instances.details) == ("created", [f"targets {org.ous['prod']}"])
    (request,) = org.sent("CreateStackInstances")[before:]
    assert request["DeploymentTargets.OrganizationalUnitIds.member.1"] == org.ous["prod"]
