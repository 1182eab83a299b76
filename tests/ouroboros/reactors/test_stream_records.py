"""Parsing DynamoDB stream records as Lambda delivers them."""

from __future__ import annotations

import base64

import pytest

from ouroboros.errors import ValidationError
from ouroboros.reactors.stream_records import stream_record_parse
from tests.reactor_support import stream_event


def test_insert_modify_remove() -> None:
    new = {"reactor_id": "r", "version": "1.1.0", "status": "installing", "size": 12}
    old = {"reactor_id": "r", "version": "1.0.0", "status": "installed"}
    event = stream_event(
        [("INSERT", new, None), ("MODIFY", new, old), ("REMOVE", None, old)], key="reactor_id"
    )
    records = [stream_record_parse(r) for r in event["Records"]]
    assert [r.event_name for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    assert records[0].new_image == new and records[0].old_image is None
    assert records[1].old_image == old and records[1].sequence_number == "000000000000000000002"
    assert records[2].new_image is None and records[2].keys == {"reactor_id": "r"}
    assert isinstance(records[0].new_image["size"], int)  # type: ignore[index]


def test_dynamodb_local_empty_maps_and_lambda_binary() -> None:
    raw = {
        "eventName": "INSERT",
        "dynamodb": {
            "Keys": {"k": {"S": "a"}},
            "NewImage": {
                "k": {"S": "a"},
                "m": {"M": {"empty": {}, "list": {"L": [{}]}}},
                "b": {"B": base64.b64encode(b"\x00\x01").decode()},
            },
            "SequenceNumber": "7",
        },
    }
    record = stream_record_parse(raw)
    assert record.new_image == {"k": "a", "m": {"empty": {}, "list": [{}]}, "b": b"\x00\x01"}


@pytest.mark.parametrize(
    "raw", [{}, {"eventName": "INSERT"}, {"eventName": "UPSERT", "dynamodb": {}}]
)
def test_not_a_stream_record(raw: dict) -> None:
    with pytest.raises(ValidationError, match="not a DynamoDB stream record"):
        stream_record_parse(raw)
