"""Facet counters: how many findings of a view have each filter value, kept up to date on write.

The findings list shows, beside each filter, how many findings each value would give, and a
total for the view. Counting items per request is not allowed (DESIGN: "Dashboard counts come
from aggregates kept up to date on write"), so the writer adds, for every finding, one counter
per PAIR of its facet values, in one aggregate per (dimension, value):

- ``findings#facet#<dimension>#<value>``, bucket ``<record state>#<other dimension>#<value>``:
  e.g. ``findings#facet#account#111111111111`` / ``ACTIVE#severity#CRITICAL`` counts the active
  CRITICAL findings of that account. One Query on the aggregate of a filter answers every other
  filter's counts under it; its partition holds one scope, so writes spread over many keys.
- ``findings#resource``, bucket ``<record state>#<resource id>``: findings per resource (the
  group-by resource, and the resource search's prefix match: a ``begins_with`` Query on the sort
  key, see `ouroboros.findings.plan`). Resource ids longer than a sort key may be are not counted.

The dimensions are `FACET_DIMENSIONS` (severity, compliance, workflow, account, control). What
the counters can answer (`ouroboros.findings.facets` reads them):

- no filter: every dimension from ``findings#<dimension>``, the total from ``findings#state``;
- one facet filter ``d = v``: the total and every other dimension from ``findings#facet#d#v``,
  and ``d``'s own values from ``findings#d`` (what choosing another value would give);
- two facet filters: the total (a bucket of either scope) and each filter's other values (from
  the other filter's scope); the remaining dimensions cannot be answered;
- anything else (three filters, region, resource type, product, a search): nothing, the page
  says "—" rather than count.

`aggregates_rebuild` recounts these counters with the others (same bucket rules, this module).
"""

from __future__ import annotations

from collections.abc import Mapping

FACET_DIMENSIONS = ("severity", "compliance", "workflow", "account", "control")
FACET_PREFIX = "findings#facet#"
RESOURCE_AGGREGATE = "findings#resource"
#: DynamoDB's limit on a sort key value, in bytes.
MAX_BUCKET_BYTES = 1024


def facet_aggregate_id(dimension: str, value: str) -> str:
    """The aggregate holding the counts of the findings whose ``dimension`` is ``value``."""
    return f"{FACET_PREFIX}{dimension}#{value}"


def facet_buckets(
    record_state: str, values: Mapping[str, str | None], resource_id: str | None = None
) -> list[tuple[str, str]]:
    """The (aggregate id, bucket) pairs of one finding's facet counters (module docstring)."""
    present = [(d, values[d]) for d in FACET_DIMENSIONS if values.get(d)]
    buckets = [
        (facet_aggregate_id(d, str(v)), f"{record_state}#{other}#{ov}")
        for d, v in present
        for other, ov in present
        if other != d
    ]
    if resource_id:
        bucket = f"{record_state}#{resource_id}"
        if len(bucket.encode()) <= MAX_BUCKET_BYTES:
            buckets.append((RESOURCE_AGGREGATE, bucket))
    return buckets
