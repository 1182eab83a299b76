"""Pure decision logic: for one finding, run the reactor, run it dry, or skip it (and why).

No AWS here; `ouroboros.workflow.parse` gathers the inputs (the control's configuration and the
installed reactor) and records the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any, Literal

from ouroboros.securityhub.asff import NormalizedFinding

Action = Literal["run", "dry_run", "skip"]
Trigger = Literal["event", "manual", "custom_action", "rollback"]


@dataclass(frozen=True)
class Decision:
    """What to do with one finding; ``reason`` says why for every skip."""

    action: Action
    reason: str = ""


def exemption_matches(
    exemption: Mapping[str, Any], finding: NormalizedFinding, *, now: datetime
) -> bool:
    """Whether ``exemption`` (account, resource_pattern, tag, expires_at) covers ``finding``."""
    expires = exemption.get("expires_at")
    if expires is not None and expires <= now:
        return False
    account = exemption.get("account")
    pattern = exemption.get("resource_pattern")
    tag = exemption.get("tag")
    if not (account or pattern or tag):
        return False
    if account and account != finding.account_id:
        return False
    if pattern and not any(fnmatchcase(rid, pattern) for rid in finding.resource_ids):
        return False
    return not (tag and tag not in finding.resource_tags)


def finding_decide(
    *,
    finding: NormalizedFinding,
    trigger: Trigger,
    mode: str | None,
    reactor_id: str | None,
    reactor_installed: bool,
    exemptions: Sequence[Mapping[str, Any]],
    dry_run_requested: bool,
    now: datetime,
    provenance_problem: str | None = None,
) -> Decision:
    """Decide for one finding (see the module docstring); the order of the checks matters:
    the cheapest, most certain reasons first, exemptions before anything that would run.

    ``provenance_problem`` is why the finding's origin is not trusted
    (`ouroboros.workflow.provenance`); it comes first: such a finding's claims (its control,
    its resource) are not believed, whatever the trigger."""
    if provenance_problem:
        return Decision("skip", provenance_problem)
    if finding.control_id is None:
        return Decision("skip", "not a control finding")
    workflow_status = finding.workflow_status or "NEW"  # absent: a new finding
    if trigger == "event" and workflow_status != "NEW":
        return Decision("skip", f"workflow status {workflow_status}, not NEW")
    if trigger == "event" and (
        finding.compliance_status != "FAILED" or finding.record_state != "ACTIVE"
    ):
        return Decision("skip", "not an active FAILED finding")
    if not reactor_id:
        return Decision("skip", f"no reactor assigned to {finding.control_id}")
    if not reactor_installed:
        return Decision("skip", f"reactor {reactor_id} is not installed")
    effective = mode or "off"
    if effective == "off":
        return Decision("skip", "mode off")
    if effective == "manual" and trigger == "event":
        return Decision("skip", "manual mode: waits for an operator")
    for exemption in exemptions:
        if exemption_matches(exemption, finding, now=now):
            return Decision("skip", f"exempt: {exemption.get('reason') or 'no reason given'}")
    if dry_run_requested or effective == "dry_run":
        return Decision("dry_run")
    return Decision("run")
