"""The before/after view of an execution's changes: what a dry run would change, what a run
changed, what a rollback restored.

A reactor reports each change as ``{"action", "resource", "description", "before", "after"}``
(`reactor_sdk.Change`). Each side is shown as text (a JSON document, or a string holding one,
pretty-printed in the reactor's own key order), and the two sides as a line diff: ``-`` a line
only before, ``+`` a line only after, a space a line both share. Nothing here calls AWS: the
view only reads what the execution recorded.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: A side longer than this is cut (a policy is far shorter; the raw record keeps it whole).
SIDE_MAX = 20_000


@dataclass(frozen=True)
class DiffLine:
    """One line of the diff: ``sign`` is ``-`` (before only), ``+`` (after only) or a space."""

    sign: str
    text: str

    @property
    def kind(self) -> str:
        """The CSS class of the line."""
        return {"-": "del", "+": "add"}.get(self.sign, "same")


@dataclass(frozen=True)
class ChangeView:
    """One change, ready to render."""

    action: str
    resource: str
    description: str
    lines: list[DiffLine]

    @property
    def changed(self) -> bool:
        return any(line.sign != " " for line in self.lines)


def _text(value: Any) -> str:
    """``value`` as comparable text: JSON (also a string that holds JSON) pretty-printed."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value[:SIDE_MAX]
        if isinstance(value, str):
            return value[:SIDE_MAX]
    return json.dumps(value, indent=2, default=str)[:SIDE_MAX]


def change_lines(before: Any, after: Any) -> list[DiffLine]:
    """The line diff of two sides (see the module docstring)."""
    old, new = _text(before).splitlines(), _text(after).splitlines()
    lines = []
    for row in difflib.ndiff(old, new):
        if row.startswith("? "):  # ndiff's intraline hints
            continue
        lines.append(DiffLine(row[0], row[2:]))
    return lines


def changes_view(changes: Iterable[Any] | None) -> list[ChangeView]:
    """The changes of an execution, each with its before/after diff."""
    views = []
    for change in changes or []:
        entry: Mapping[str, Any] = change if isinstance(change, Mapping) else {"after": change}
        views.append(
            ChangeView(
                action=str(entry.get("action") or "change"),
                resource=str(entry.get("resource") or ""),
                description=str(entry.get("description") or ""),
                lines=change_lines(entry.get("before"), entry.get("after")),
            )
        )
    return views
