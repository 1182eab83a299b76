"""The local Security Hub's custom action: a user picks "Fix with Ouroboros" on findings.

In the Security Hub console, choosing a custom action on selected findings makes Security Hub send
one "Security Hub Findings - Custom Action" event to EventBridge: source ``aws.securityhub``,
``resources`` = the action target's ARN, ``detail`` = ``actionName``, ``actionDescription`` and the
findings as Security Hub holds them. The event names no user (AWS records who in CloudTrail), so
the workflow records the actor as ``securityhub:<action name>`` (`ouroboros.workflow.parse`).

`custom_action_invoke` is that click for the local runtime: it reads the findings from the local
Security Hub (GetFindings by id), builds the event Security Hub would send (`custom_action_event`)
and puts it on the runtime's EventBridge (PutEvents on moto, which the local bus bridges, so it
works from any process, e.g. ``manage.py securityhub_custom_action`` in another terminal). The
``ouroboros-custom-action`` rule of ``statemachine/rules.json`` (registered by the workflow
extension with `local_custom_action_arn`) starts the same state machine as Imported events.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from emulator.bus import DEFAULT_ACCOUNT
from emulator.request_limits import request_check
from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.errors import NotFoundError, ValidationError

CUSTOM_ACTION_DETAIL_TYPE = "Security Hub Findings - Custom Action"
SOURCE = "aws.securityhub"
#: Security Hub takes up to 100 selected findings per custom action (GetFindings page size too).
MAX_FINDINGS = 100


@dataclass(frozen=True)
class CustomAction:
    """A Security Hub action target."""

    arn: str
    name: str
    description: str


def local_custom_action() -> CustomAction:
    """The workflow's custom action as the local runtime registers it (``rules.json``).

    Its Id, name and description are checked against AWS's CreateActionTarget limits
    (`emulator.request_limits`): a custom action AWS would refuse is refused here too.
    """
    from deploy.workflow import rules_render

    config = get_config()
    rule = rules_render("")["custom_action"]
    request_check(
        "securityhub",
        "CreateActionTarget",
        {
            "Id": rule["ActionTargetId"],
            "Name": rule["ActionTargetName"],
            "Description": rule["ActionTargetDescription"],
        },
    )
    arn = (
        f"arn:aws:securityhub:{config.region}:{DEFAULT_ACCOUNT}:action/custom/"
        f"{rule['ActionTargetId']}"
    )
    return CustomAction(arn, rule["ActionTargetName"], rule["ActionTargetDescription"])


def local_custom_action_arn() -> str:
    return local_custom_action().arn


def custom_action_event(
    *, findings: Sequence[dict[str, Any]], action: CustomAction
) -> dict[str, Any]:
    """The PutEvents entry of the event Security Hub sends for ``action`` on ``findings``."""
    detail = {
        "actionName": action.name,
        "actionDescription": action.description,
        "findings": list(findings),
    }
    return {
        "Source": SOURCE,
        "DetailType": CUSTOM_ACTION_DETAIL_TYPE,
        "Resources": [action.arn],
        "Detail": json.dumps(detail, default=str),
    }


def _findings(finding_ids: Sequence[str]) -> list[dict[str, Any]]:
    filters = {"Id": [{"Value": fid, "Comparison": "EQUALS"} for fid in finding_ids]}
    found = client("securityhub").get_findings(Filters=filters, MaxResults=MAX_FINDINGS)
    by_id = {f["Id"]: f for f in found["Findings"]}
    missing = [fid for fid in finding_ids if fid not in by_id]
    if missing:
        raise NotFoundError(f"no finding {missing[0]} in the local Security Hub")
    return [by_id[fid] for fid in finding_ids]


def custom_action_invoke(*, finding_ids: Sequence[str], action: CustomAction | None = None) -> str:
    """Send the custom action event for ``finding_ids`` (see the module docstring); its id."""
    ids = list(dict.fromkeys(f.strip() for f in finding_ids if f and f.strip()))
    if not ids:
        raise ValidationError("give at least one finding id")
    if len(ids) > MAX_FINDINGS:
        raise ValidationError(f"a custom action takes at most {MAX_FINDINGS} findings")
    entry = custom_action_event(findings=_findings(ids), action=action or local_custom_action())
    response = client("events").put_events(Entries=[entry])
    result = response["Entries"][0]
    if "EventId" not in result:
        raise ValidationError(
            f"EventBridge refused the event: {result.get('ErrorCode')} {result.get('ErrorMessage')}"
        )
    return str(result["EventId"])
