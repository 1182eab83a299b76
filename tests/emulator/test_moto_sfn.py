"""moto's interpreter with the parse tree kept: each execution still evaluates on its own."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws
from moto.core.config import default_user_config

from emulator.moto_sfn import moto_sfn_speedups_install
from ouroboros.aws import client

pytestmark = pytest.mark.functional

#: A Map over the input's items with a Choice inside: per-execution state in every component.
DEFINITION = {
    "StartAt": "Each",
    "States": {
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Big?",
                "States": {
                    "Big?": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$.n", "NumericGreaterThan": 9, "Next": "Big"}],
                        "Default": "Small",
                    },
                    "Big": {"Type": "Pass", "Result": "big", "End": True},
                    "Small": {"Type": "Pass", "Result": "small", "End": True},
                },
            },
            "End": True,
        }
    },
}


@pytest.fixture
def sfn(isolated_env: Any) -> Iterator[Any]:
    config: Any = default_user_config.setdefault("stepfunctions", {})
    saved = config.get("execute_state_machine", False)
    config["execute_state_machine"] = True
    undo = moto_sfn_speedups_install()
    try:
        with mock_aws():
            yield client("stepfunctions")
    finally:
        undo()
        config["execute_state_machine"] = saved


def output(sfn: Any, arn: str) -> Any:
    deadline = time.monotonic() + 60  # a bound, not a timing assertion
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            assert described["status"] == "SUCCEEDED", described
            return json.loads(described["output"])
        time.sleep(0.05)
    raise AssertionError("execution did not finish")


def test_executions_share_the_parse_but_not_their_state(
    sfn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.stepfunctions.parser.asl.parse import asl_parser

    parses: list[str] = []
    real = asl_parser.AmazonStateLanguageParser.parse

    def counted(definition: str) -> Any:
        parses.append(definition)
        time.sleep(0.3)  # a slow parse: the executions started meanwhile must wait, not parse again
        return real(definition)

    monkeypatch.setattr(asl_parser.AmazonStateLanguageParser, "parse", staticmethod(counted))
    arn = sfn.create_state_machine(
        name="m", definition=json.dumps(DEFINITION), roleArn="arn:aws:iam::123456789012:role/r"
    )["stateMachineArn"]
    created = len(parses)  # moto validates the definition when it is created
    inputs = [[1, 20], [30], [2, 3, 40]]
    started = [
        sfn.start_execution(
            stateMachineArn=arn, name=f"e{i}", input=json.dumps({"items": [{"n": n} for n in ns]})
        )["executionArn"]
        for i, ns in enumerate(inputs)
    ]
    outputs = [output(sfn, a) for a in started]
    assert outputs == [["small", "big"], ["big"], ["small", "small", "big"]]
    assert len(parses) - created <= 1  # three executions, at most one parse
