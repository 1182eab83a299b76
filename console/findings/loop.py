"""The remediation loop on a finding's page: dry run -> diff -> apply -> progress -> roll back.

`finding_loop` reads what the page shows around its "Dry run" / "Remediate now" form:

- ``latest``: the run the loop is at: the newest execution of the finding that is not a skip
  (a dry run, a remediation or a rollback), unless a run was just started from this page
  (``since``) and its newest execution is newer, skip or not (then the page says why it did
  not run);
- its before/after diff and its actions (`console.executions.actions`: "Apply" for a dry run
  that would change something, "Roll back" for a remediation that can be undone);
- ``waiting``: a run started from this page (the form's redirect carries ``since``, the time of
  the request) has not been recorded yet; the page refreshes until it is, for at most
  `WAIT_SECONDS` (a start the workflow refused leaves a record, but a Parse failure does not);
- ``refresh``: waiting, or a run of the first page of history still in progress;
- ``exemptions``: the exemptions of the finding's control that hold this finding (a rollback
  adds one), so the page says why auto mode leaves it alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest

from console.executions.actions import IN_PROGRESS, ExecutionActions, execution_actions
from console.executions.changes import ChangeView, changes_view
from ouroboros.errors import ValidationError
from ouroboros.models import ControlModel, ExecutionModel
from ouroboros.models.controls import KIND_CONTROL, Exemption
from ouroboros.securityhub.asff import asff_parse
from ouroboros.workflow.decision import exemption_matches

#: How long a page waits for a run it started to be recorded.
WAIT_SECONDS = 300


@dataclass(frozen=True)
class FindingLoop:
    """What the finding's page shows of its remediation loop (see the module docstring)."""

    latest: ExecutionModel | None = None
    actions: ExecutionActions | None = None
    changes: list[ChangeView] = field(default_factory=list)
    waiting: bool = False
    refresh: bool = False
    control_reactor: str | None = None
    exemptions: list[Exemption] = field(default_factory=list)


def _since(text: str | None, now: datetime) -> str | None:
    """The ``since`` of a page just redirected from a start, if it is recent (ISO, UTC)."""
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if not now - timedelta(seconds=WAIT_SECONDS) <= at <= now + timedelta(seconds=60):
        return None
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _control(control_id: str | None) -> ControlModel | None:
    if not control_id:
        return None
    try:
        return ControlModel.get(control_id, KIND_CONTROL)
    except ControlModel.DoesNotExist:
        return None


def _exemptions_holding(
    control: ControlModel | None, asff: dict[str, Any] | None, now: datetime
) -> list[Exemption]:
    if control is None or not control.exemptions or not asff:
        return []
    try:
        finding = asff_parse(asff)
    except ValidationError:
        return []
    holding = []
    for exemption in control.exemptions:
        rule = {
            "account": exemption.account,
            "resource_pattern": exemption.resource_pattern,
            "tag": exemption.tag,
            "expires_at": exemption.expires_at,
            "reason": exemption.reason,
        }
        if exemption_matches(rule, finding, now=now):
            holding.append(exemption)
    return holding


def finding_loop(
    *,
    request: HttpRequest,
    control_id: str | None,
    asff: dict[str, Any] | None,
    history: list[ExecutionModel],
    since: str | None,
    now: datetime | None = None,
) -> FindingLoop:
    """The loop of the finding whose executions (newest first) are ``history``."""
    now = now or datetime.now(UTC)
    started = _since(since, now)
    newest = history[0] if history else None
    recorded = newest is not None and started is not None and (newest.started_at or "") >= started
    latest = newest if recorded else next((e for e in history if e.status != "skipped"), None)
    waiting = started is not None and not recorded
    actions = execution_actions(request=request, execution=latest) if latest else None
    control = _control(control_id)
    running = any(e.status in IN_PROGRESS for e in history)
    return FindingLoop(
        latest=latest,
        actions=actions,
        changes=changes_view(latest.changes) if latest else [],
        waiting=waiting,
        refresh=waiting or running or bool(actions and actions.in_progress),
        control_reactor=control.reactor_id if control else None,
        exemptions=_exemptions_holding(control, asff, now),
    )
