"""A bulk run's input names findings by id (`ouroboros.workflow.finding_ids`): Parse refuses
anything but a list of at most 100 ids, before it reads a thing (reading them back is
tests/ouroboros/findings/test_bulk.py)."""

from __future__ import annotations

from typing import Any

import pytest

from ouroboros.errors import ParseFailedError
from ouroboros.workflow.parse import event_parse


def _start(finding_ids: Any) -> dict[str, Any]:
    return {
        "detail": {"findings": []},
        "ouroboros": {"trigger": "manual", "actor": "otto", "finding_ids": finding_ids},
    }


@pytest.mark.parametrize(
    ("finding_ids", "message"),
    [
        ("arn:aws:securityhub:one", "expected a list of finding ids"),
        ([1, 2], "expected a list of finding ids"),
        ([f"f{n}" for n in range(101)], "at most 100 finding ids per run"),
    ],
)
def test_parse_refuses_finding_ids_that_no_bulk_run_sends(finding_ids: Any, message: str) -> None:
    with pytest.raises(ParseFailedError, match=message):
        event_parse(event=_start(finding_ids))
