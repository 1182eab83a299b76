"""The plugin in a pytest run of its own: a denied call fails the run and is reported; an allowed
one passes; the JSON report holds the recording and the verdict."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _plugins_left_out() -> list[str]:
    """The ``-p no:NAME`` options of the project's pytest configuration. The run starts in a
    folder of its own, outside that configuration: it leaves out the same plugins."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    options = config["tool"]["pytest"]["ini_options"]["addopts"].split()
    return [
        arg
        for flag, value in itertools.pairwise(options)
        if flag == "-p" and value.startswith("no:")
        for arg in (flag, value)
    ]


QUIET = _plugins_left_out()


def run_pytest(tmp_path: Path, body: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    test = tmp_path / "test_strict_probe.py"
    test.write_text(body)
    report = tmp_path / "strict.json"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OUROBOROS_", "AWS_", "PYTEST_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        OUROBOROS_STRICT_REPORT=str(report),
        DJANGO_SETTINGS_MODULE="console.settings.test",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.strict.plugin", *QUIET, str(test)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done, report


PROBE = """
from moto import mock_aws

from emulator.caller import running_as
from ouroboros.aws import client, reset_sessions

TOPIC = "arn:aws:sns:us-east-1:123456789012:ouroboros-dev-notifications"


def test_a_function_call():
    with mock_aws():
        reset_sessions()
        client("sns").create_topic(Name="ouroboros-dev-notifications")
        with running_as("{function}"):
            {call}
"""
LIST_QUEUES = 'client("sqs").list_queues()'
PUBLISH = 'client("sns").publish(TopicArn=TOPIC, Message="x")'


@pytest.mark.functional
@pytest.mark.long
def test_a_denied_call_fails_the_run_and_names_the_call(tmp_path: Path) -> None:
    done, report = run_pytest(tmp_path, PROBE.format(function="parse_finding", call=LIST_QUEUES))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed" in done.stdout  # the test passed: the check failed the run
    assert (
        "DENIED   parse_finding: sqs.ListQueues in test_strict_probe.py::test_a_function_call"
        in done.stdout
    )
    document = json.loads(report.read_text())
    assert [d["needed"]["action"] for d in document["denials"]] == ["sqs:ListQueues"]
    assert document["denials"][0]["missing_statement"] == {
        "Effect": "Allow",
        "Action": "sqs:ListQueues",
        "Resource": "*",
    }
    assert [c["operation"] for c in document["calls"]] == ["ListQueues"]  # not the set-up
    assert document["unattributed_calls"] >= 1


@pytest.mark.functional
def test_a_run_whose_calls_are_allowed_passes(tmp_path: Path) -> None:
    done, report = run_pytest(tmp_path, PROBE.format(function="send_notification", call=PUBLISH))
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads(report.read_text())
    assert (document["judged"], document["allowed"], document["denials"]) == (1, 1, [])
