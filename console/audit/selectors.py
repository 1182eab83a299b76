"""Reads of the audit trail: newest first, by cursor (keyset on the id, never OFFSET).

The cursor of the next page is the id of the last entry shown, as text: opaque to clients by
contract, but simple enough that every string matching `CURSOR_PATTERN` is a valid cursor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from console.audit.models import AuditEntry
from ouroboros.errors import ValidationError

MAX_LIMIT = 200
CURSOR_PATTERN = r"^[1-9][0-9]{0,17}$"
_CURSOR = re.compile(CURSOR_PATTERN)


@dataclass(frozen=True)
class AuditPage:
    """One page of entries and the cursor of the next page (None on the last page)."""

    entries: list[AuditEntry]
    next_cursor: str | None


def audit_list(
    *,
    cursor: str | None = None,
    limit: int = 50,
    action: str | None = None,
    actor_name: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
) -> AuditPage:
    """Entries newest first, filtered by exact action / actor / target; ``limit`` in 1..200."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")
    entries = AuditEntry.objects.order_by("-id")
    if cursor:
        if not _CURSOR.match(cursor):
            raise ValidationError("cursor is not valid: use the next_cursor of the previous page")
        entries = entries.filter(id__lt=int(cursor))
    for name, value in (
        ("action", action),
        ("actor_name", actor_name),
        ("target_type", target_type),
        ("target_id", target_id),
    ):
        if value:
            entries = entries.filter(**{name: value})
    page = list(entries[: limit + 1])
    has_more = len(page) > limit
    page = page[:limit]
    return AuditPage(entries=page, next_cursor=str(page[-1].id) if has_more else None)
