"""Findings built from the real samples, and a counter of DynamoDB writes."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from ouroboros.aws import client
from ouroboros.findings.services import finding_writer_client
from ouroboros.securityhub.asff import NormalizedFinding, asff_parse
from tests.conftest import EVENTS_DIR, load_event

WRITE_OPERATIONS = ("BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")


def sample_raws() -> list[dict[str, Any]]:
    """Every real ASFF sample (findings files and the findings inside the events)."""
    raws = [
        load_event(f"asff_findings/{p.name}")
        for p in sorted(EVENTS_DIR.glob("asff_findings/*.json"))
    ]
    for path in sorted(EVENTS_DIR.glob("eventbridge_events/*.json")):
        raws += load_event(f"eventbridge_events/{path.name}")["detail"]["findings"]
    return raws


def variant(raw: dict[str, Any], n: int, **changes: Any) -> dict[str, Any]:
    """A copy of a real finding with its own id (and any top-level ``changes``)."""
    out = copy.deepcopy(raw)
    out["Id"] = f"{raw['Id']}-v{n}"
    out.update(changes)
    return out


def parsed(raws: list[dict[str, Any]]) -> list[NormalizedFinding]:
    return [asff_parse(r) for r in raws]


class WriteCounter:
    """Counts DynamoDB write calls made through the shared low-level client."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any, **kwargs: Any) -> None:
        if model.name in WRITE_OPERATIONS:
            self.calls[model.name] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@pytest.fixture
def writes() -> Iterator[WriteCounter]:
    counter = WriteCounter()
    emitters = [client("dynamodb").meta.events, finding_writer_client().meta.events]
    for events in emitters:
        events.register("before-call.dynamodb", counter)
    yield counter
    for events in emitters:
        events.unregister("before-call.dynamodb", counter)
