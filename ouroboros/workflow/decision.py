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
    """What to do with one finding; ``reason`` says why for every skip, ``code`` too in a word
    (the ``Reason`` of the skip metric, `ouroboros.observability.metrics.SKIPS`)."""

    action: Action
    reason: str = ""
    code: str = ""


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
    ticket: str | None = None,
) -> Decision:
    """Decide for one finding (see the module docstring); the order of the checks matters:
    the cheapest, most certain reasons first, exemptions before anything that would run.

    ``provenance_problem`` is why the finding's origin is not trusted
    (`ouroboros.workflow.provenance`); it comes first: such a finding's claims (its control,
    its resource) are not believed, whatever the trigger. An OCSF finding
    (`ouroboros.securityhub.ocsf`) that Security Hub did not produce, or a coverage finding
    (it checks a service's enablement: no control), is never remediated either.

    ``ticket`` is the control's ticket behaviour (`ouroboros.tickets`): ``instead`` runs the
    reactor dry where an event would fix (the ticket carries the diff; an operator's own run
    still fixes); ``manual`` gives a finding
    that would wait for an operator a dry run (and its ticket), exemptions still applying."""
    if provenance_problem:
        return Decision("skip", provenance_problem, "provenance")
    ocsf = finding.ocsf
    if ocsf is not None and not ocsf.from_securityhub:
        product = ocsf.product_uid[:300]
        return Decision("skip", f"not from Security Hub: product {product}", "not_securityhub")
    if ocsf is not None and ocsf.is_coverage:
        return Decision("skip", "a Security Hub coverage finding: no control", "coverage")
    if finding.control_id is None:
        return Decision("skip", "not a control finding", "not_control")
    workflow_status = finding.workflow_status or "NEW"  # absent: a new finding
    if trigger == "event" and workflow_status != "NEW":
        return Decision("skip", f"workflow status {workflow_status}, not NEW", "not_new")
    if trigger == "event" and (
        finding.compliance_status != "FAILED" or finding.record_state != "ACTIVE"
    ):
        return Decision("skip", "not an active FAILED finding", "not_failed")
    if not reactor_id:
        return Decision("skip", f"no reactor assigned to {finding.control_id}", "no_reactor")
    if not reactor_installed:
        return Decision("skip", f"reactor {reactor_id} is not installed", "not_installed")
    effective = mode or "off"
    if effective == "off":
        return Decision("skip", "mode off", "mode_off")
    if effective == "manual" and trigger == "event" and ticket != "manual":
        return Decision("skip", "manual mode: waits for an operator", "manual_mode")
    for exemption in exemptions:
        if exemption_matches(exemption, finding, now=now):
            reason = exemption.get("reason") or "no reason given"
            return Decision("skip", f"exempt: {reason}", "exempt")
    if dry_run_requested or effective == "dry_run" or (ticket == "instead" and trigger == "event"):
        return Decision("dry_run")
    if effective == "manual" and trigger == "event":  # ticket manual: its dry run
        return Decision("dry_run")
    return Decision("run")
