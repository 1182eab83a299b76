"""Finding ids with control characters: a clear 404 at every console entry point, never raw logs.

Issue 18: an id holding NUL could not be fetched (404) and was written raw into the log. Security
Hub ids are printable text, so such an id names no finding: each entry point answers 404 at once,
and no log line carries the raw control character.
"""

from __future__ import annotations

import logging

import pytest

from tests.console.api.conftest import Principal, assert_problem

pytestmark = [pytest.mark.django_db, pytest.mark.functional]

IDS = ["arn:aws:securityhub:finding/a\x00b", "arn:aws:securityhub:finding/a\nb", "a\x1bb"]


def _escaped(value: str) -> str:
    return "".join(f"%{ord(c):02X}" if ord(c) < 0x20 or c in "%" else c for c in value)


@pytest.mark.parametrize("finding_id", IDS, ids=["nul", "newline", "escape"])
def test_every_entry_point_answers_404_and_logs_nothing_raw(
    principals: dict[str, Principal],
    moto_aws: None,
    caplog: pytest.LogCaptureFixture,
    finding_id: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    operator = principals["operator"].client
    quoted = _escaped(finding_id)
    assert_problem(operator.get(f"/api/v1/findings/{quoted}"), 404)
    assert_problem(operator.post(f"/api/v1/findings/{quoted}/remediate", {}), 404)
    assert operator.get("/findings/detail/", {"id": finding_id}).status_code == 404
    assert operator.post(f"/findings/{quoted}/remediate/").status_code == 404
    raw = [c for c in finding_id if ord(c) < 0x20]
    for record in caplog.records:
        message = record.getMessage()
        assert not any(c in message for c in raw), message
