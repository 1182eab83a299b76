"""Stream pollers against DynamoDB Local: order, checkpoints, resume, per-record failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator.streams import StreamPoller
from ouroboros.models import LocalReactorModel
from ouroboros.reactors.stream_records import stream_record_parse

pytestmark = pytest.mark.integration


class Recorder:
    """A consumer that records deliveries and fails the records it is told to."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.fail = fail or set()
        self.batches: list[list[dict[str, Any]]] = []

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        json.dumps(event)  # what Lambda receives is JSON
        self.batches.append(event["Records"])
        failures = [
            {"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
            for r in event["Records"]
            if stream_record_parse(r).keys["reactor_id"] in self.fail
        ]
        return {"batchItemFailures": failures}

    @property
    def ids(self) -> list[str]:
        return [stream_record_parse(r).keys["reactor_id"] for b in self.batches for r in b]


def _put(*ids: str) -> None:
    for reactor_id in ids:
        LocalReactorModel(reactor_id, version="1.0.0", sha256="0" * 64).save()


def _poller(deliver: Recorder, folder: Path) -> StreamPoller:
    return StreamPoller(LocalReactorModel.Meta.table_name, deliver, folder, max_attempts=2)


def _drain(poller: StreamPoller, rounds: int = 6) -> None:
    for _ in range(rounds):
        poller.poll_once()


def test_records_arrive_in_order_in_lambdas_shape(ddb_tables: str, tmp_path: Path) -> None:
    recorder = Recorder()
    poller = _poller(recorder, tmp_path)
    _put("a", "b", "c")
    LocalReactorModel.get("b").delete()
    _drain(poller)
    assert recorder.ids == ["a", "b", "c", "b"]
    record = recorder.batches[0][0]
    assert record["eventName"] == "INSERT" and record["eventSource"] == "aws:dynamodb"
    assert ":ddblocal:000000000000:" in record["eventSourceARN"]
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], float)
    assert poller.delivered == 4


def test_a_restarted_poller_resumes_after_its_checkpoint(ddb_tables: str, tmp_path: Path) -> None:
    first = Recorder()
    poller = _poller(first, tmp_path)
    _put("a", "b")
    _drain(poller)
    checkpoint = json.loads(poller.checkpoint_path.read_text())
    assert next(iter(checkpoint["shards"].values()))["sequence"]
    _put("c")  # written while "stopped"
    second = Recorder()
    _drain(_poller(second, tmp_path))
    assert first.ids == ["a", "b"] and second.ids == ["c"]


def test_a_failing_record_is_retried_then_skipped_without_blocking(
    ddb_tables: str, tmp_path: Path
) -> None:
    recorder = Recorder(fail={"b"})
    poller = _poller(recorder, tmp_path)
    _put("a", "b", "c")
    _drain(poller)
    # a is checkpointed; b fails, so b and c come again; b fails its second (last) attempt and
    # is skipped, and c, processed in that same batch, is done: nothing is blocked.
    assert recorder.ids == ["a", "b", "c", "b", "c"]
    _put("d")
    recorder.batches.clear()
    _drain(poller)
    assert recorder.ids == ["d"]


def test_a_consumer_crash_fails_the_whole_batch_and_retries(
    ddb_tables: str, tmp_path: Path
) -> None:
    calls: list[int] = []

    def flaky(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(len(event["Records"]))
        if len(calls) == 1:
            raise RuntimeError("cold start failed")
        return {"batchItemFailures": []}

    poller = StreamPoller(LocalReactorModel.Meta.table_name, flaky, tmp_path)
    _put("a", "b")
    _drain(poller)
    assert calls[:2] == [2, 2] and poller.delivered == 2
