"""DynamoDB stream records, as Lambda delivers them, parsed into plain Python values.

Both stream consumers (the Hub's verification, the consumer's installer) get Lambda's
DynamoDB-stream event: ``{"Records": [{"eventID", "eventName", "dynamodb": {"Keys", "NewImage",
"OldImage", "SequenceNumber", ...}, "eventSourceARN", ...}]}``, images in DynamoDB JSON.
`stream_record_parse` turns one record into a `StreamRecord` whose images are plain dicts
(numbers as int or float, sets as sorted lists).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from boto3.dynamodb.types import TypeDeserializer

from ouroboros.errors import ValidationError

EventName = Literal["INSERT", "MODIFY", "REMOVE"]
_deserializer = TypeDeserializer()


@dataclass(frozen=True)
class StreamRecord:
    """One change of one item."""

    event_id: str
    event_name: EventName
    keys: dict[str, Any]
    new_image: dict[str, Any] | None
    old_image: dict[str, Any] | None
    sequence_number: str
    source_arn: str


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return value


def _attribute(value: Any) -> Any:
    """One attribute value made deserializable: Lambda delivers binary values base64-encoded,
    and DynamoDB Local's stream drops the type of an empty map (``{}`` for ``{"M": {}}``)."""
    if not isinstance(value, dict):
        return value
    if not value:
        return {"M": {}}
    if "M" in value:
        return {"M": {k: _attribute(v) for k, v in value["M"].items()}}
    if "L" in value:
        return {"L": [_attribute(v) for v in value["L"]]}
    if isinstance(value.get("B"), str):
        return {"B": base64.b64decode(value["B"])}
    if "BS" in value:
        return {"BS": [base64.b64decode(v) if isinstance(v, str) else v for v in value["BS"]]}
    return value


def _image(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not raw:
        return None
    return {key: _plain(_deserializer.deserialize(_attribute(value))) for key, value in raw.items()}


def stream_event_check(event: Any) -> dict[str, Any]:
    """``event`` when it is shaped like Lambda's DynamoDB-stream event; `ValidationError` if not
    (a record with a malformed image is reported per record by the consumer, not here)."""
    if not isinstance(event, dict):
        raise ValidationError("event: expected a DynamoDB stream event (an object)")
    records = event.get("Records")
    if not isinstance(records, list) or not all(
        isinstance(r, Mapping) and isinstance(r.get("dynamodb"), Mapping) for r in records
    ):
        # per-record failures name a record by dynamodb.SequenceNumber: without it, refuse all
        raise ValidationError("event: expected Records to be a list of DynamoDB stream records")
    return event


def stream_record_parse(raw: Mapping[str, Any]) -> StreamRecord:
    """Parse one Lambda DynamoDB-stream record; `ValidationError` when it is not one."""
    name = raw.get("eventName")
    body = raw.get("dynamodb")
    if name not in ("INSERT", "MODIFY", "REMOVE") or not isinstance(body, Mapping):
        raise ValidationError(f"not a DynamoDB stream record (eventName={name!r})")
    return StreamRecord(
        event_id=str(raw.get("eventID", "")),
        event_name=name,
        keys=_image(body.get("Keys")) or {},
        new_image=_image(body.get("NewImage")),
        old_image=_image(body.get("OldImage")),
        sequence_number=str(body.get("SequenceNumber", "")),
        source_arn=str(raw.get("eventSourceARN", "")),
    )
