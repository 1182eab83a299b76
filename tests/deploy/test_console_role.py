"""The console's role as API Gateway and a VPC need it (issue 15, items 1 and 5).

Zappa's REST API integration hands API Gateway the console function's own role
(``Credentials``), so the role must trust ``apigateway.amazonaws.com`` and allow invoking the
console; a console in a VPC needs the network-interface actions. Bootstrap writes both on every
run (a re-run keeps them), and ``bootstrap --check`` evaluates the role with the emulator's IAM
evaluator. In-process moto with the Security Hub stub of the rehearsal.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from moto import mock_aws

from console.jobs.management.commands.bootstrap import EvaluatorJudge
from deploy.bootstrap import bootstrap_run
from deploy.check import console_invoke_problems, deployment_problems
from deploy.config_file import DeployConfig
from deploy.functions import function_get
from deploy.iam import POLICY_NAME, VPC_ACCESS, function_policy, trust_policy
from deploy.naming import deployment_current
from deploy.zappa_settings import zappa_settings_build, zappa_settings_write
from emulator.iam_evaluator import Request, evaluate, trust_evaluate
from ouroboros.aws import base_session, client, reset_sessions
from ouroboros.config import reset_config
from ouroboros.models import bind_models
from tests.deploy.securityhub_stub import ActionTargetStub

pytestmark = pytest.mark.functional

ACCOUNT = "123456789012"  # moto's default account
STAGE = "consolerole"
CONSOLE_ROLE = f"ouroboros-{STAGE}-console-role"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OUROBOROS_STAGE", STAGE)
    monkeypatch.setenv("OUROBOROS_RUNTIME", "aws")
    with mock_aws():
        reset_config()
        reset_sessions()
        bind_models()
        ActionTargetStub(ACCOUNT, "us-east-1").install(base_session())
        yield
    reset_sessions()


def _settings(tmp_path: Path, config: DeployConfig) -> Path:
    return zappa_settings_write(
        zappa_settings_build(config=config, stage=STAGE), tmp_path / "zappa_settings.json"
    )


def _trust() -> dict[str, object]:
    document = client("iam").get_role(RoleName=CONSOLE_ROLE)["Role"]["AssumeRolePolicyDocument"]
    return json.loads(document) if isinstance(document, str) else document


def _policy(role: str = CONSOLE_ROLE) -> dict[str, Any]:
    document: dict[str, Any] = client("iam").get_role_policy(RoleName=role, PolicyName=POLICY_NAME)[
        "PolicyDocument"
    ]
    return document


def _console_problems() -> list[str]:
    deployment = deployment_current("consumer")
    return console_invoke_problems(function_get("console"), deployment, EvaluatorJudge())


def test_bootstrap_lets_api_gateway_use_the_console_role_and_only_that_one(aws: None) -> None:
    bootstrap_run("consumer")
    assert trust_evaluate(_trust(), "apigateway.amazonaws.com").allowed
    assert trust_evaluate(_trust(), "lambda.amazonaws.com").allowed
    assert _console_problems() == []
    console = deployment_current("consumer").function_arn(function_get("console"))
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/{CONSOLE_ROLE}/apigateway.amazonaws.com"
    collector = deployment_current("consumer").function_arn(function_get("collect_findings"))
    assert not evaluate(
        Request("lambda:InvokeFunction", collector, principal=session), [_policy()]
    ).allowed, "the console role invokes the console only"
    worker = client("iam").get_role(RoleName=f"ouroboros-{STAGE}-collect-findings-role")["Role"]
    assert not trust_evaluate(
        worker["AssumeRolePolicyDocument"], "apigateway.amazonaws.com"
    ).allowed, "no other role trusts API Gateway"
    assert console.endswith(f"function:ouroboros-{STAGE}-console")


def test_the_check_catches_a_console_role_api_gateway_cannot_use(aws: None) -> None:
    bootstrap_run("consumer")
    client("iam").update_assume_role_policy(
        RoleName=CONSOLE_ROLE, PolicyDocument=json.dumps(trust_policy("lambda.amazonaws.com"))
    )
    (problem,) = _console_problems()
    assert problem.startswith(f"console: API Gateway cannot assume role {CONSOLE_ROLE} (")
    problems = deployment_problems("consumer", judge=EvaluatorJudge())
    assert problem in problems
    assert f"console: role {CONSOLE_ROLE} trusts other than" in "\n".join(problems)

    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("bootstrap", "--role", "consumer", "--check", stdout=out)
    assert problem in out.getvalue().splitlines()

    (report,) = [r for r in bootstrap_run("consumer") if r.name == CONSOLE_ROLE]
    assert (report.action, report.details) == ("updated", ["trust policy"])
    assert _console_problems() == []


def test_the_check_catches_a_console_role_that_may_not_invoke_the_console(aws: None) -> None:
    bootstrap_run("consumer")
    policy = _policy()
    statements = [s for s in policy["Statement"] if "lambda:InvokeFunction" not in s["Action"]]
    client("iam").put_role_policy(
        RoleName=CONSOLE_ROLE,
        PolicyName=POLICY_NAME,
        PolicyDocument=json.dumps({**policy, "Statement": statements}),
    )
    (problem,) = _console_problems()
    assert problem.startswith(f"console: role {CONSOLE_ROLE} may not invoke the function (")
    (report,) = [r for r in bootstrap_run("consumer") if r.name == CONSOLE_ROLE]
    assert report.details == ["permissions"]
    assert _console_problems() == []


def test_a_console_in_a_vpc_gets_the_network_interface_actions_and_keeps_them(
    aws: None, tmp_path: Path
) -> None:
    vpc = DeployConfig(
        vpc_subnet_ids=("subnet-0123456789abcdef0",),
        vpc_security_group_ids=("sg-0123456789abcdef0",),
    )
    settings = _settings(tmp_path, vpc)
    bootstrap_run("consumer", settings_path=settings)
    deployment = deployment_current("consumer")
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/{CONSOLE_ROLE}/console"
    for action in VPC_ACCESS:
        assert evaluate(Request(action, "*", principal=session), [_policy()]).allowed, action
    assert _policy() == function_policy(function_get("console"), deployment, vpc=True)
    again = [r for r in bootstrap_run("consumer", settings_path=settings) if r.name == CONSOLE_ROLE]
    assert [r.action for r in again] == ["unchanged"], "a re-run keeps the ENI permissions"
    worker = _policy(f"ouroboros-{STAGE}-collect-findings-role")
    assert "ec2:" not in json.dumps(worker), "only the console joins the VPC"


def test_without_a_vpc_the_console_role_has_no_network_interface_actions(
    aws: None, tmp_path: Path
) -> None:
    bootstrap_run("consumer", settings_path=_settings(tmp_path, DeployConfig()))
    assert "ec2:" not in json.dumps(_policy())


def test_the_bootstrap_command_runs_with_the_zappa_settings_it_is_given(
    aws: None, tmp_path: Path
) -> None:
    """``--zappa-settings``: a ``--settings`` option would clash with Django's own."""
    out = io.StringIO()
    settings = _settings(tmp_path, DeployConfig())
    call_command("bootstrap", "--role", "consumer", "--zappa-settings", str(settings), stdout=out)
    lines = out.getvalue().splitlines()
    assert f"{'created':9} {'iam role':22} {CONSOLE_ROLE}" in lines
    other = zappa_settings_write(zappa_settings_build(stage="other"), tmp_path / "other.json")
    with pytest.raises(CommandError, match="export OUROBOROS_STAGE=other"):
        call_command("bootstrap", "--role", "consumer", "--zappa-settings", str(other))
