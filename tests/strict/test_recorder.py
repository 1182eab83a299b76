"""The recorder: attribution through the local Lambda runner, threads and thread pools."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from emulator.caller import EMULATOR, function_current, running_as
from emulator.lambda_invoke import LocalLambda, function_key, project_function_register
from ouroboros.aws import client
from tests.strict.recorder import Recorder

pytestmark = pytest.mark.functional

PROBE = "ouroboros-dev-strict-probe"
#: Callers of these tests: keys no deployed function has, so the session's own check (which
#: records these calls too) does not judge what the tests make up.
CALLER, OTHER = "strict-probe-caller", "strict-probe-other"


def probe_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A deployed function's stand-in: one AWS call, from its own thread and from a pool."""
    client("sqs").list_queues()
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: client("sns").list_topics()).result()
    return {"function": function_current()}


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A recorder of this test alone (the session's keeps recording beside it)."""
    own = Recorder()
    own.install()
    try:
        yield own
    finally:
        own.uninstall()


@pytest.fixture
def local_lambda(moto_aws: None, tmp_path: Path) -> Iterator[LocalLambda]:
    runner = LocalLambda()
    runner.start(SimpleNamespace(data_dir=tmp_path))  # type: ignore[arg-type]
    project_function_register(PROBE, f"{__name__}.probe_handler")
    try:
        yield runner
    finally:
        runner.stop()


def recorded(recorder: Recorder) -> list[tuple[str, str, str]]:
    return [(c.function, c.service, c.operation) for c in recorder.calls]


def test_a_function_run_by_the_lambda_runner_is_attributed_to_it(
    local_lambda: LocalLambda, recorder: Recorder
) -> None:
    with running_as(CALLER):
        response = client("lambda").invoke(FunctionName=PROBE, Payload=b"{}")
    assert json.loads(response["Payload"].read()) == {"function": PROBE}
    assert recorded(recorder) == [
        (CALLER, "lambda", "Invoke"),  # the caller's call, judged as the caller's
        (PROBE, "sqs", "ListQueues"),
        (PROBE, "sns", "ListTopics"),  # made in a pool thread of the function
    ]
    assert recorder.calls[0].params == {"FunctionName": PROBE}  # no payload kept


def test_the_runners_own_calls_are_the_emulators_and_not_recorded(
    local_lambda: LocalLambda, recorder: Recorder
) -> None:
    lam = client("lambda")
    with running_as(CALLER), pytest.raises(lam.exceptions.ResourceNotFoundException):
        # A reactor name: the runner looks it up in the registry (as the emulator), finds none,
        # and moto answers that the function does not exist.
        lam.invoke(FunctionName="ouroboros-dev-rx-absent", Payload=b"{}")
    assert recorded(recorder) == [(CALLER, "lambda", "Invoke")]
    assert recorder.emulator >= 1  # the registry's GetItem


def test_function_keys_of_project_functions_and_reactors() -> None:
    project_function_register("ouroboros-dev-parse-finding", "lambdas.parse_finding.handler")
    assert function_key("ouroboros-dev-parse-finding") == "parse_finding"
    assert function_key("ouroboros-dev-rx-s3-public-read") == "reactor:s3-public-read"
    assert function_key("someone-elses-function") is None


def test_threads_and_pools_carry_the_attribution_of_who_started_them(
    moto_aws: None, recorder: Recorder
) -> None:
    def list_queues() -> None:
        client("sqs").list_queues()

    pool = ThreadPoolExecutor(1)
    try:
        with running_as(CALLER):
            pool.submit(list_queues).result()  # the pool's thread starts here, as the collector
            thread = threading.Thread(target=list_queues)
            thread.start()
            thread.join()
        pool.submit(list_queues).result()  # same thread, submitted by test code: not recorded
        with running_as(OTHER):
            pool.submit(list_queues).result()
    finally:
        pool.shutdown()
    assert [c.function for c in recorder.calls] == [CALLER, CALLER, OTHER]
    assert recorder.unattributed >= 1


def test_calls_with_assumed_credentials_name_the_assumed_role(
    moto_aws: None, recorder: Recorder
) -> None:
    role = "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
    with running_as(CALLER):
        credentials = client("sts").assume_role(RoleArn=role, RoleSessionName="probe")[
            "Credentials"
        ]
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name="us-east-1",
        )
        session.client("sqs").list_queues()
    assume, listing = recorder.calls
    assert (assume.operation, assume.principal, assume.account) == (
        "AssumeRole",
        None,
        "123456789012",
    )
    assert (listing.principal, listing.account) == (role, "222222222222")


def test_emulator_calls_are_counted_not_kept(moto_aws: None, recorder: Recorder) -> None:
    with running_as(EMULATOR):
        client("sqs").list_queues()
    assert recorder.calls == [] and recorder.emulator == 1
