"""``manage.py aggregates_rebuild [--check]``: report drift (exit 1), then repair it."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from ouroboros.aggregates import aggregate_add, summary_counts
from ouroboros.findings.services import finding_upsert_batch
from tests.ouroboros.findings.conftest import parsed, sample_raws

pytestmark = pytest.mark.integration


def test_check_fails_on_drift_and_rebuild_repairs_it(ddb_tables: str) -> None:
    finding_upsert_batch(findings=parsed(sample_raws()), now=datetime.now(UTC))
    aggregate_add("findings#state", {"ACTIVE": -5})
    assert summary_counts()["findings_active"] == 13

    out = io.StringIO()
    with pytest.raises(CommandError, match="1 aggregate counters drifted"):
        call_command("aggregates_rebuild", "--check", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["check"], report["findings"], report["updates"]) == (True, 18, 0)
    assert report["drift"] == [
        {"aggregate": "findings#state", "bucket": "ACTIVE", "stored": 13, "actual": 18}
    ]
    assert summary_counts()["findings_active"] == 13

    out = io.StringIO()
    call_command("aggregates_rebuild", stdout=out)
    assert json.loads(out.getvalue())["updates"] == 1
    assert summary_counts()["findings_active"] == 18
    call_command("aggregates_rebuild", "--check", stdout=io.StringIO())  # no drift: no error
