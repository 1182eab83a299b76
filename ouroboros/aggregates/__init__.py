"""Counters kept up to date on write (dashboard numbers) and the collectors' sync state.

Writers call `aggregate_add` with the deltas of what they wrote; readers call `aggregate_read`,
one Query per aggregate, never a count over items.

Aggregates and their buckets (the contract between writers and the dashboard):

- ``controls``: ``total``.
- ``findings#state``: ``ACTIVE``, ``ARCHIVED``.
- ``findings#severity``, ``findings#compliance``, ``findings#workflow``, ``findings#account``,
  ``findings#control``: ``<record state>#<value>`` (e.g. ``ACTIVE#CRITICAL``).
- ``executions#day``: ``<YYYY-MM-DD>#<status>``.
- ``findings#control_failed``: ``<record state>#<control id>``, findings whose compliance status
  is FAILED (the dashboard's top failing controls; it falls back to ``findings#control``).
- ``executions#mttr``: ``<YYYY-MM-DD>#seconds`` and ``<YYYY-MM-DD>#count`` (mean time to
  remediate; contract and writer in `ouroboros.aggregates.remediation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from ouroboros.models import AggregateModel


def aggregate_add(aggregate_id: str, deltas: Mapping[str, int]) -> None:
    """Add ``deltas`` (bucket -> change) to the counters of ``aggregate_id``; zeros are skipped."""
    now = datetime.now(UTC)
    for bucket, delta in deltas.items():
        if not delta:
            continue
        AggregateModel(aggregate_id, bucket).update(
            actions=[AggregateModel.total.add(delta), AggregateModel.updated_at.set(now)]
        )


def aggregate_read(aggregate_id: str) -> dict[str, int]:
    """Every bucket of ``aggregate_id`` with its count (one Query)."""
    return {
        item.bucket: int(item.total or 0)
        for item in AggregateModel.query(aggregate_id)
        if item.value is None
    }


def sync_state_get(name: str) -> str | None:
    """A stored piece of sync state (e.g. a collector's watermark), or None."""
    try:
        return AggregateModel.get(f"sync#{name}", "state").value
    except AggregateModel.DoesNotExist:
        return None


def sync_state_set(name: str, value: str) -> None:
    """Store a piece of sync state."""
    AggregateModel(f"sync#{name}", "state", value=value, updated_at=datetime.now(UTC)).save()


def summary_counts() -> dict[str, int]:
    """The headline numbers of the home page: controls, active and archived findings."""
    states = aggregate_read("findings#state")
    return {
        "controls": aggregate_read("controls").get("total", 0),
        "findings_active": states.get("ACTIVE", 0),
        "findings_archived": states.get("ARCHIVED", 0),
    }
