"""Bootstrap survives AWS's first-call refusals (injected: moto never refuses).

Each refusal of `tests.deploy.first_call` is installed on the session bootstrap uses, in
front of in-process moto and the Security Hub stub of the rehearsal; bootstrap runs with a fake
sleep that records the pauses, so nothing waits for real.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from deploy.bootstrap import bootstrap_run
from deploy.retry import PropagationError, backoff_delays, propagation_retry
from ouroboros.aws import base_session, client, reset_sessions
from ouroboros.config import reset_config
from ouroboros.models import bind_models
from tests.deploy.first_call import (
    ROLE_NOT_ASSUMABLE,
    FirstCallRefusal,
    continuous_backups_unavailable,
    state_machine_role_not_assumable,
)
from tests.deploy.securityhub_stub import ActionTargetStub

ACCOUNT = "123456789012"  # moto's default account
STAGE = "firstcall"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In-process moto (no tables yet: bootstrap creates them) with the Security Hub stub."""
    monkeypatch.setenv("OUROBOROS_STAGE", STAGE)
    monkeypatch.setenv("OUROBOROS_RUNTIME", "aws")
    with mock_aws():
        reset_config()
        reset_sessions()
        bind_models()
        ActionTargetStub(ACCOUNT, "us-east-1").install(base_session())
        yield
    reset_sessions()


def _refused(refusal: FirstCallRefusal) -> FirstCallRefusal:
    """Install ``refusal`` on bootstrap's session (before any client of it is created)."""
    refusal.install(base_session())
    return refusal


def test_the_refusal_answers_with_aws_code_and_message_then_lets_calls_through(aws: None) -> None:
    refusal = _refused(continuous_backups_unavailable(count=1))
    ddb = client("dynamodb")
    ddb.create_table(
        TableName="t",
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    spec = {"PointInTimeRecoveryEnabled": True}
    with pytest.raises(ClientError) as refused:
        ddb.update_continuous_backups(TableName="t", PointInTimeRecoverySpecification=spec)
    assert refused.value.response["Error"] == {
        "Code": "ContinuousBackupsUnavailableException",
        "Message": "Backups are being enabled for the table: t. Please retry later",
    }
    ddb.update_continuous_backups(TableName="t", PointInTimeRecoverySpecification=spec)
    assert (refusal.calls, refusal.refused) == (2, 1)


def test_bootstrap_waits_until_the_state_machine_role_is_assumable(aws: None) -> None:
    refusal = _refused(state_machine_role_not_assumable(count=3))
    sleeps: list[float] = []
    reports = bootstrap_run("consumer", sleep=sleeps.append)
    machine = next(r for r in reports if r.kind == "state machine")
    assert machine.action == "created"
    assert refusal.refused == 3 and refusal.calls == 4
    assert sleeps == [1.0, 2.0, 4.0]
    name = f"ouroboros-{STAGE}-security-hub-finding-reactor"
    machines = client("stepfunctions").list_state_machines()["stateMachines"]
    assert [m["name"] for m in machines] == [name]


def test_bootstrap_waits_until_continuous_backups_can_be_enabled(aws: None) -> None:
    refusal = _refused(continuous_backups_unavailable(count=2))
    sleeps: list[float] = []
    reports = bootstrap_run("consumer", sleep=sleeps.append)
    tables = [r.name for r in reports if r.kind == "dynamodb table"]
    assert tables and {r.action for r in reports if r.kind == "dynamodb table"} == {"created"}
    assert refusal.refused == 2 and sleeps == [1.0, 2.0]
    ddb = client("dynamodb")
    for name in tables:
        backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        status = backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
        assert status == "ENABLED", name


def test_bootstrap_fails_clearly_when_the_refusal_outlasts_the_retries(aws: None) -> None:
    refusal = _refused(state_machine_role_not_assumable(count=100))
    sleeps: list[float] = []
    with pytest.raises(PropagationError) as failed:
        bootstrap_run("consumer", sleep=sleeps.append)
    message = str(failed.value)
    assert f"create state machine ouroboros-{STAGE}-security-hub-finding-reactor" in message
    assert "still AccessDeniedException after 8 attempts over 39 s" in message
    assert ROLE_NOT_ASSUMABLE in message and "run bootstrap again" in message
    assert isinstance(failed.value.__cause__, ClientError)
    assert refusal.refused == 8 and sleeps == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]


def test_an_access_denied_that_is_not_propagation_is_raised_at_once(aws: None) -> None:
    """Only "cannot assume the provided role" is waited out, not a missing permission."""
    _refused(
        FirstCallRefusal(
            "sfn",
            "CreateStateMachine",
            "AccessDeniedException",
            "User is not authorized to perform: iam:PassRole",
            count=1,
        )
    )
    sleeps: list[float] = []
    with pytest.raises(ClientError, match="iam:PassRole"):
        bootstrap_run("consumer", sleep=sleeps.append)
    assert sleeps == []


def _error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "Operation")


def test_propagation_retry_backs_off_exponentially_up_to_the_cap() -> None:
    assert backoff_delays(6, 0.5, 3.0) == [0.5, 1.0, 2.0, 3.0, 3.0]
    answers: list[object] = [_error("Busy"), _error("Busy"), "done"]
    sleeps: list[float] = []

    def call() -> object:
        answer = answers.pop(0)
        if isinstance(answer, ClientError):
            raise answer
        return answer

    assert propagation_retry(call, retry_on={"Busy"}, delay=0.5, sleep=sleeps.append) == "done"
    assert sleeps == [0.5, 1.0]


def test_propagation_retry_raises_other_errors_unchanged() -> None:
    sleeps: list[float] = []
    other = _error("ValidationException")

    def call() -> None:
        raise other

    with pytest.raises(ClientError) as raised:
        propagation_retry(call, retry_on={"Busy"}, sleep=sleeps.append)
    assert raised.value is other and sleeps == []
