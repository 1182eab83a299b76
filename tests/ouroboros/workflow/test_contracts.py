"""The Parse -> Dispatch item is `DispatchItem`: exactly these keys on the wire, JSON round-trip
unchanged, and the consumers' boundary (`dispatch_item_of`, `dispatch_failure_of`) keeps the
errors and the leniency they always had."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from ouroboros.errors import ReactorExecutionError, ValidationError
from ouroboros.models import ControlModel, ExecutionModel, LocalReactorModel
from ouroboros.observability.logging import correlation_id_of
from ouroboros.workflow.contracts import (
    DispatchFailureInput,
    DispatchItem,
    dispatch_failure_of,
    dispatch_item_of,
)
from ouroboros.workflow.dispatch import finding_dispatch
from ouroboros.workflow.parse import event_parse
from tests.findings_factory import sample_asff

pytestmark = pytest.mark.functional

REACTOR = "s3-public-read"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:ouroboros-dev-reactor-{REACTOR}"
#: The keys of an item, in the order Parse writes them (the JSON Step Functions carries).
WIRE_KEYS = [
    "finding",
    "control_id",
    "mode",
    "dry_run",
    "reactor_id",
    "reactor_version",
    "function_arn",
    "idempotency_key",
    "trigger",
    "actor",
    "sfn_execution_arn",
    "params",
    "correlation_id",
    # The V2 identity of a finding that arrived as OCSF ("Findings Imported V2"), else None.
    "ocsf",
    # The control's ticket behaviour (`ouroboros.tickets`): "off" unless it asks for tickets.
    "ticket",
]


def failed_finding() -> dict[str, Any]:
    finding = sample_asff("asr_afsbp_s3.2.json")
    finding["Workflow"] = {"Status": "NEW"}
    finding["Compliance"] = {**finding.get("Compliance", {}), "Status": "FAILED"}
    finding["RecordState"] = "ACTIVE"
    return finding


@pytest.fixture
def installed(moto_aws: None) -> None:
    ControlModel("S3.2", title="S3.2", reactor_id=REACTOR, mode="auto").save()
    LocalReactorModel(
        REACTOR,
        version="1.0.0",
        sha256="0" * 64,
        status="installed",
        function_arn=FUNCTION_ARN,
    ).save()


def test_the_contract_lists_the_keys_parse_has_always_written() -> None:
    assert list(DispatchItem.__annotations__) == WIRE_KEYS
    assert list(DispatchFailureInput.__annotations__) == [*WIRE_KEYS, "error"]


def test_an_event_item_is_exactly_what_parse_wrote_before(installed: None) -> None:
    finding = failed_finding()
    event = {"detail-type": "Security Hub Findings - Imported", "detail": {"findings": [finding]}}

    output = event_parse(event=event, sfn_execution="arn:aws:states:us-east-1:1:execution:x:y")

    assert output == {
        "items": [
            {
                "finding": finding,
                "control_id": "S3.2",
                "mode": "auto",
                "dry_run": False,
                "reactor_id": REACTOR,
                "reactor_version": "1.0.0",
                "function_arn": FUNCTION_ARN,
                "idempotency_key": finding["UpdatedAt"],
                "trigger": "event",
                "actor": "eventbridge",
                "sfn_execution_arn": "arn:aws:states:us-east-1:1:execution:x:y",
                "params": {},
                "correlation_id": correlation_id_of(
                    finding_id=finding["Id"], version=finding["UpdatedAt"]
                ),
                "ocsf": None,
                "ticket": "off",
            }
        ]
    }
    assert list(output["items"][0]) == WIRE_KEYS


def test_a_manual_item_round_trips_through_json_unchanged(installed: None) -> None:
    event = {
        "detail": {"findings": [failed_finding()]},
        "ouroboros": {"trigger": "manual", "actor": "alice", "dry_run": True, "request_id": "r1"},
    }

    output = event_parse(event=event)
    wire = json.loads(json.dumps(output))

    assert wire == output
    [item] = wire["items"]
    assert (item["trigger"], item["actor"], item["dry_run"]) == ("manual", "alice", True)
    assert (item["idempotency_key"], item["sfn_execution_arn"]) == ("manual#r1", None)
    # What Dispatch reads back from the wire is the item Parse wrote, key for key.
    assert dispatch_item_of(item) == output["items"][0]


@pytest.mark.parametrize("bad", [None, [], "item", 42])
def test_a_consumer_refuses_what_is_not_an_object_with_the_old_errors(bad: Any) -> None:
    with pytest.raises(ValidationError, match=r"^dispatch item: expected an object$"):
        dispatch_item_of(bad)
    with pytest.raises(
        ValidationError, match=r"^dispatch failure: expected the Catch input \(an object\)$"
    ):
        dispatch_failure_of(bad)


def test_a_missing_key_reads_as_none_and_extra_keys_are_dropped() -> None:
    item = dispatch_item_of({"finding": {"Id": "x"}, "dry_run": True, "unexpected": 1})
    assert list(item) == WIRE_KEYS
    assert {k: v for k, v in item.items() if v is not None} == {
        "finding": {"Id": "x"},
        "dry_run": True,
    }
    caught = dispatch_failure_of({"error": {"Error": "States.Timeout"}})
    assert caught["error"] == {"Error": "States.Timeout"} and caught["finding"] is None


def test_an_item_without_a_function_fails_its_run_without_invoking_anything(
    installed: None,
) -> None:
    event = {
        "detail": {"findings": [failed_finding()]},
        "ouroboros": {"trigger": "manual", "actor": "alice", "dry_run": True, "request_id": "r2"},
    }
    [item] = event_parse(event=event)["items"]
    broken: dict[str, Any] = copy.deepcopy(dict(item))
    del broken["function_arn"]

    with pytest.raises(ReactorExecutionError, match="no function_arn"):
        finding_dispatch(item=broken)

    [failed] = [e for e in ExecutionModel.scan() if e.status == "failed"]
    assert failed.error_type == "ValidationError" and failed.actor == "alice"
