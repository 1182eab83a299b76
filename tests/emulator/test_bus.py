"""The local event bus with in-process moto: rules, targets, the PutEvents bridge (functional)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.bus import EventBus, bus_rule_delete, bus_rule_put, bus_rules
from ouroboros.aws import client, reset_sessions
from ouroboros.errors import ValidationError
from tests.conftest import load_event
from tests.emulator.test_event_pattern import REMEDIATION_PATTERN

pytestmark = pytest.mark.functional

PASS_MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


@pytest.fixture
def moto_only() -> Iterator[None]:
    """In-process moto without the Ouroboros tables (the bus needs none)."""
    from moto import mock_aws

    with mock_aws():
        reset_sessions()
        yield
    reset_sessions()


@pytest.fixture
def bus(moto_only: None, tmp_path: Path) -> Iterator[EventBus]:
    bus = EventBus(tmp_path).start()
    try:
        yield bus
    finally:
        bus.stop()


def _queue(name: str) -> tuple[str, str]:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def _messages(url: str) -> list[dict[str, Any]]:
    sqs, bodies = client("sqs"), []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return bodies
        for message in got:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _state_machine(name: str = "reactor") -> str:
    sfn = client("stepfunctions")
    return sfn.create_state_machine(
        name=name, definition=PASS_MACHINE, roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]


def test_persistent_rule_sends_only_matching_events_to_sqs(bus: EventBus, tmp_path: Path) -> None:
    url, arn = _queue("remediate")
    bus_rule_put(name="remediate", pattern=REMEDIATION_PATTERN, targets=[arn], data_dir=tmp_path)
    failed = load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json")
    warning = load_event("eventbridge_events/asr_imported_cis120_1.3.json")
    bus.publish(failed)
    bus.publish(warning)
    assert bus.wait_idle(10)
    assert _messages(url) == [failed]
    assert [(d.rule, d.ok) for d in bus.deliveries()] == [("remediate", True)]


def test_rules_written_from_elsewhere_apply_at_once_and_persist(
    bus: EventBus, tmp_path: Path
) -> None:
    url, arn = _queue("later")
    event = load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json")
    bus.publish(event)
    assert bus.wait_idle(10)
    assert _messages(url) == []
    bus_rule_put(
        name="later", pattern={"source": ["aws.securityhub"]}, targets=[arn], data_dir=tmp_path
    )
    bus.publish(event)
    assert bus.wait_idle(10)
    assert len(_messages(url)) == 1
    assert [r.name for r in EventBus(tmp_path, mirror_moto=False).rules.rules()] == ["later"]
    assert bus_rule_delete(name="later", data_dir=tmp_path)
    assert bus_rules(data_dir=tmp_path) == []


def test_step_functions_targets_get_named_unique_executions(bus: EventBus, tmp_path: Path) -> None:
    machine = _state_machine()
    bus_rule_put(name="sfn", pattern=REMEDIATION_PATTERN, targets=[machine], data_dir=tmp_path)
    event = load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json")
    bus.publish(event)
    bus.publish(event)  # a replay: same event id, must still start (a second, distinct) execution
    assert bus.wait_idle(10)
    executions = client("stepfunctions").list_executions(stateMachineArn=machine)["executions"]
    names = sorted(e["name"] for e in executions)
    assert len(names) == 2 and names[0] != names[1]
    assert all(name.startswith(event["id"]) and len(name) <= 80 for name in names)
    described = client("stepfunctions").describe_execution(
        executionArn=executions[0]["executionArn"]
    )
    assert json.loads(described["input"]) == event


def test_a_failing_target_is_recorded_and_the_others_still_deliver(
    bus: EventBus, tmp_path: Path
) -> None:
    url, arn = _queue("still")
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:missing"
    bus_rule_put(
        name="a-broken",
        pattern={"source": ["aws.securityhub"]},
        targets=[missing],
        data_dir=tmp_path,
    )
    bus_rule_put(
        name="b-working", pattern={"source": ["aws.securityhub"]}, targets=[arn], data_dir=tmp_path
    )
    bus.publish(load_event("eventbridge_events/asr_custom_action_afsbp_ec2.2.json"))
    assert bus.wait_idle(30)
    outcomes = {d.rule: d for d in bus.deliveries()}
    assert not outcomes["a-broken"].ok and "StateMachineDoesNotExist" in outcomes["a-broken"].detail
    assert outcomes["b-working"].ok
    assert len(_messages(url)) == 1


@pytest.mark.parametrize(
    ("pattern", "targets"),
    [
        ({"source": "aws.securityhub"}, ["arn:aws:sqs:us-east-1:123456789012:q"]),
        ({"source": ["aws.securityhub"]}, []),
        ({"source": ["aws.securityhub"]}, ["arn:aws:sns:us-east-1:123456789012:topic"]),
        ({"source": ["aws.securityhub"]}, ["not-an-arn"]),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_stored(
    tmp_path: Path, pattern: dict[str, Any], targets: list[str]
) -> None:
    with pytest.raises(ValidationError):
        bus_rule_put(name="bad", pattern=pattern, targets=targets, data_dir=tmp_path)
    assert bus_rules(data_dir=tmp_path) == []


def test_put_events_through_moto_reaches_the_bus_with_its_event_id(bus: EventBus) -> None:
    received: list[dict[str, Any]] = []
    bus.subscribe("custom", {"source": ["ouroboros.test"]}, received.append)
    response = client("events").put_events(
        Entries=[{"Source": "ouroboros.test", "DetailType": "ping", "Detail": json.dumps({"n": 1})}]
    )
    assert bus.wait_idle(10)
    assert [e["id"] for e in received] == [response["Entries"][0]["EventId"]]
    assert received[0]["detail"] == {"n": 1}
    assert received[0]["account"] == "123456789012"


def test_moto_rules_match_inside_findings_and_deliver_once(bus: EventBus) -> None:
    url, arn = _queue("moto-rule")
    machine = _state_machine("from-moto-rule")
    events = client("events")
    events.put_rule(Name="remediate", EventPattern=json.dumps(REMEDIATION_PATTERN))
    events.put_targets(
        Rule="remediate", Targets=[{"Id": "q", "Arn": arn}, {"Id": "sfn", "Arn": machine}]
    )
    for name in ("asr_imported_afsbp_ec2.7.json", "asr_imported_cis120_1.3.json"):
        event = load_event(f"eventbridge_events/{name}")
        events.put_events(
            Entries=[
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                    "Resources": event["resources"],
                }
            ]
        )
    assert bus.wait_idle(10)
    bodies = _messages(url)
    assert len(bodies) == 1  # the FAILED one only, delivered by the bus alone (moto's is off)
    assert bodies[0]["detail"]["findings"][0]["Compliance"]["Status"] == "FAILED"
    sfn = client("stepfunctions")
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 1


def test_stopping_the_bus_gives_moto_its_own_delivery_back(moto_only: None, tmp_path: Path) -> None:
    from moto.events.models import EventsBackend

    original = EventsBackend.put_events
    bus = EventBus(tmp_path).start()
    assert EventsBackend.put_events is not original
    bus.stop()
    assert EventsBackend.put_events is original
