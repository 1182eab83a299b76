"""What bootstrap and teardown did to each resource: one line per resource, for people and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Action = Literal["created", "updated", "unchanged", "deleted", "absent", "kept", "pending"]


@dataclass
class ResourceReport:
    """One resource: its kind, its name, what happened, and what drifted (for ``updated``)."""

    kind: str
    name: str
    action: Action
    details: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.action:9} {self.kind:22} {self.name}"
        if self.details:
            text += "  (" + "; ".join(self.details) + ")"
        return text


def reports_changed(reports: list[ResourceReport]) -> list[ResourceReport]:
    """The reports of resources that were created, updated or deleted."""
    return [r for r in reports if r.action in ("created", "updated", "deleted")]


def reports_summary(reports: list[ResourceReport]) -> str:
    """``3 created, 1 updated, 20 unchanged``: counts per action, in a stable order."""
    order = ("created", "updated", "unchanged", "deleted", "absent", "kept", "pending")
    counts = {action: sum(r.action == action for r in reports) for action in order}
    return ", ".join(f"{n} {action}" for action, n in counts.items() if n)
