"""Bulk actions on findings: run (or dry-run) their reactors, set workflow status, exempt them.

A selection is a list of finding ids (the console's checkboxes, an API body) or a filter of the
findings list resolved here (`finding_ids_matching`: the same selectors and indexes as the list,
page by page), at most `MAX_SELECTION` findings either way. Each action returns a `BulkResult`
with one `BulkMember` per finding selected, saying what happened to it:

- ``started``: a run was started for it (``execution_arn``); what the run then did (ran, dry run,
  skipped for an exemption or its mode...) is recorded by the workflow, as for "Remediate now";
- ``updated`` / ``exempted``: its workflow status was set / an exemption now covers it;
- ``skipped``: nothing to do (not stored, already exempted), with the reason;
- ``refused``: it could not be done (no installed reactor, its provenance refused, Security Hub
  refused the update...), with the reason.

Runs (`findings_bulk_run`) pre-check each finding as ``remediation_start`` does (provenance,
an installed reactor) and start the state machine with the ids of the rest: at most
`IDS_PER_EXECUTION` per execution and at most `EXECUTION_FINDINGS_BUDGET` bytes of their raw
ASFF, since Parse's output (every finding in full) must stay under the 256 KiB state payload.
Parse reads the findings by id (`ouroboros.workflow.finding_ids`). The reactor runs are paced
by the account-region token bucket every Dispatch takes (`ouroboros.workflow.ratelimit`), so a
bulk run never outpaces the remediation budget.

Workflow status (`findings_bulk_workflow`): on the hub of the home region (updates replicate to
the finding's own region, as the write-back's do: `ouroboros.securityhub.writeback`), through the
API of each format the finding was seen in, as the workflow's write-back chooses them
(`ouroboros.securityhub.writeback.writeback_formats`): BatchUpdateFindings (``Workflow``, the
operator's ``Note``) for ASFF, BatchUpdateFindingsV2 (``StatusId``, the note as ``Comment``; by
``MetadataUids``, or the ``FindingIdentifiers`` bridge for an item without one) for OCSF; at most
`UPDATES_PER_CALL` findings per call, the note required. A finding seen in both is updated only
when both APIs took it. Security Hub then emits "Findings - Imported" / "Findings Imported V2"
events, which update the stored findings; the trigger ignores findings that are not NEW, so
nothing loops.

Exemptions (`findings_bulk_exempt`): one exemption per finding (its account and its resource,
matched literally), added to its control in one versioned write per control.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.controls.configuration import control_configure
from ouroboros.controls.exemptions import MAX_EXEMPTIONS, ExemptionInput, exemption_build
from ouroboros.controls.params import control_params
from ouroboros.errors import ConflictError, NotFoundError, ValidationError
from ouroboros.findings.items import finding_formats
from ouroboros.findings.plan import MAX_LIMIT
from ouroboros.findings.selectors import BATCH_READ_BUDGET_FACTOR, FindingFilters, finding_list
from ouroboros.models import ControlModel, FindingModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL
from ouroboros.securityhub.asff import FORMAT_ASFF, FORMAT_OCSF
from ouroboros.securityhub.ocsf import OCSF_STATUS_IDS
from ouroboros.securityhub.writeback import writeback_formats
from ouroboros.workflow.finding_ids import (
    IDS_PER_EXECUTION,
    finding_raw_decode,
    findings_stored,
)
from ouroboros.workflow.manual import state_machine_arn
from ouroboros.workflow.provenance import finding_provenance_problem

Outcome = Literal["started", "updated", "exempted", "skipped", "refused"]
BulkAction = Literal["dry_run", "remediate", "workflow", "exempt"]
BULK_ACTIONS: tuple[BulkAction, ...] = ("dry_run", "remediate", "workflow", "exempt")
#: The most findings one bulk action takes (a selection or the findings a filter matches).
MAX_SELECTION = 1000
#: The most pages of the list a filter selection reads before it stops (a sparse search).
MAX_SELECTION_PAGES = 50
#: BatchUpdateFindings and BatchUpdateFindingsV2 take at most 100 findings per call.
UPDATES_PER_CALL = 100
#: Raw ASFF bytes per execution: Parse's output holds each finding in full (256 KiB at most).
EXECUTION_FINDINGS_BUDGET = 180_000
#: The workflow statuses an operator may set (Security Hub's ``Workflow.Status``).
SETTABLE_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
NOTE_MAX = 512
_PRINTABLE_ID = re.compile(r"^[ -~]{1,512}$")


@dataclass(frozen=True)
class BulkMember:
    """What happened to one finding of a bulk action."""

    finding_id: str
    outcome: Outcome
    reason: str = ""
    execution_arn: str | None = None


@dataclass
class BulkResult:
    """The outcome of a bulk action, one member per finding selected (in selection order)."""

    action: BulkAction
    members: list[BulkMember] = field(default_factory=list)
    #: Set when a filter matched more than `MAX_SELECTION` findings: only the first were taken.
    truncated: bool = False
    executions: list[str] = field(default_factory=list)
    calls: int = 0

    def counts(self) -> dict[str, int]:
        """How many members had each outcome."""
        counts: dict[str, int] = defaultdict(int)
        for member in self.members:
            counts[member.outcome] += 1
        return dict(counts)


def finding_ids_clean(finding_ids: Sequence[str]) -> list[str]:
    """The ids of a selection, stripped and deduplicated in order; `ValidationError` for an empty
    or oversized selection or an id that is not printable text of at most 512 characters."""
    ids = list(dict.fromkeys(str(i).strip() for i in finding_ids if str(i).strip()))
    if not ids:
        raise ValidationError("Select at least one finding.")
    if len(ids) > MAX_SELECTION:
        raise ValidationError(
            f"{len(ids)} findings selected: a bulk action takes at most {MAX_SELECTION}."
        )
    if any(not _PRINTABLE_ID.match(i) for i in ids):
        raise ValidationError("A finding id is printable text of at most 512 characters.")
    return ids


def finding_ids_matching(
    *, filters: FindingFilters, limit: int = MAX_SELECTION
) -> tuple[list[str], bool]:
    """The ids of the findings ``filters`` matches (as the findings list orders them), at most
    ``limit``, and whether more matched. Index-backed: the list's own pages, read in turn."""
    ids: list[str] = []
    cursor: str | None = None
    for _ in range(MAX_SELECTION_PAGES):
        page = finding_list(
            filters=filters,
            cursor=cursor,
            limit=MAX_LIMIT,
            read_budget_factor=BATCH_READ_BUDGET_FACTOR,
        )
        ids.extend(f.finding_id for f in page.items)
        cursor = page.next_cursor
        if not cursor or len(ids) > limit:
            break
    ids = list(dict.fromkeys(ids))
    return ids[:limit], len(ids) > limit or bool(cursor)


def _chunks[T](items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def execution_batches(sized: Sequence[tuple[str, int]]) -> list[list[str]]:
    """Ids in executions of at most `IDS_PER_EXECUTION` ids and `EXECUTION_FINDINGS_BUDGET`
    bytes each (a finding larger than the budget runs alone)."""
    batches: list[list[str]] = []
    current: list[str] = []
    used = 0
    for finding_id, size in sized:
        if current and (
            len(current) >= IDS_PER_EXECUTION or used + size > EXECUTION_FINDINGS_BUDGET
        ):
            batches.append(current)
            current, used = [], 0
        current.append(finding_id)
        used += size
    if current:
        batches.append(current)
    return batches


class _Reactors:
    """Why a control's reactor cannot run (None: it can), asked once per control."""

    def __init__(self) -> None:
        self._problems: dict[str, str | None] = {}

    def problem(self, control_id: str) -> str | None:
        if control_id not in self._problems:
            self._problems[control_id] = self._ask(control_id)
        return self._problems[control_id]

    @staticmethod
    def _ask(control_id: str) -> str | None:
        try:
            reactor_id = ControlModel.get(control_id, KIND_CONTROL).reactor_id
        except ControlModel.DoesNotExist:
            reactor_id = None
        if not reactor_id:
            return f"control {control_id} has no reactor assigned: nothing to run"
        try:
            reactor = LocalReactorModel.get(reactor_id)
        except LocalReactorModel.DoesNotExist:
            reactor = None
        if reactor is None or reactor.status != "installed":
            return f"reactor {reactor_id} of {control_id} is not installed"
        return None


def findings_bulk_run(*, finding_ids: Sequence[str], actor: str, dry_run: bool) -> BulkResult:
    """Start runs (dry runs) of the findings ``finding_ids`` names (see the module docstring)."""
    if not actor:
        raise ValidationError("actor is required")
    ids = finding_ids_clean(finding_ids)
    stored = findings_stored(ids)
    reactors = _Reactors()
    verdicts: dict[str, BulkMember] = {}
    sized: list[tuple[str, int]] = []
    for finding_id in ids:
        finding = stored.get(finding_id)
        raw = finding_raw_decode(finding) if finding else None
        if finding is None or raw is None:
            verdicts[finding_id] = BulkMember(finding_id, "skipped", "not a stored finding")
            continue
        problem = finding_provenance_problem(raw) or (
            reactors.problem(finding.control_id)
            if finding.control_id
            else "not a control finding: no reactor applies"
        )
        if problem:
            verdicts[finding_id] = BulkMember(finding_id, "refused", problem)
            continue
        sized.append((finding_id, len(json.dumps(raw, default=str))))
    result = BulkResult(action="dry_run" if dry_run else "remediate")
    if sized:
        arn = state_machine_arn()
        sfn = client("stepfunctions")
        for batch in execution_batches(sized):
            result.calls += 1
            try:
                execution = _execution_start(sfn, arn, batch, actor=actor, dry_run=dry_run)
            except (ClientError, BotoCoreError) as exc:
                why = f"the workflow could not be started: {exc}"
                verdicts.update({i: BulkMember(i, "refused", why) for i in batch})
                continue
            result.executions.append(execution)
            verdicts.update({i: BulkMember(i, "started", execution_arn=execution) for i in batch})
    result.members = [verdicts[i] for i in ids]
    return result


def _execution_start(
    sfn: Any, arn: str, finding_ids: list[str], *, actor: str, dry_run: bool
) -> str:
    request_id = uuid.uuid4().hex
    payload = {
        "detail": {"findings": []},
        "ouroboros": {
            "trigger": "manual",
            "actor": actor,
            "dry_run": bool(dry_run),
            "request_id": request_id,
            "finding_ids": finding_ids,
        },
    }
    response = sfn.start_execution(
        stateMachineArn=arn, name=f"manual-{request_id}", input=json.dumps(payload)
    )
    return str(response["executionArn"])


def findings_bulk_workflow(
    *, finding_ids: Sequence[str], status: str, note: str, actor: str
) -> BulkResult:
    """Set the workflow status of the selected findings, with ``note`` (see the module doc)."""
    note = (note or "").strip()
    problems = []
    if status not in SETTABLE_STATUSES:
        problems.append(f"workflow status must be one of {', '.join(SETTABLE_STATUSES)}")
    if not note:
        problems.append("a note is required (it says why, in Security Hub)")
    elif len(note) > NOTE_MAX:
        problems.append(f"the note must be at most {NOTE_MAX} characters")
    if problems:
        text = "; ".join(problems)
        raise ValidationError(text[0].upper() + text[1:] + ".")
    ids = finding_ids_clean(finding_ids)
    stored = findings_stored(ids)
    verdicts: dict[str, BulkMember] = {}
    findings: list[FindingModel] = []
    for finding_id in ids:
        finding = stored.get(finding_id)
        if finding is None:
            verdicts[finding_id] = BulkMember(finding_id, "skipped", "not a stored finding")
        else:
            findings.append(finding)
    result = BulkResult(action="workflow")
    mode = get_config().securityhub_v2
    hub = client("securityhub")  # the home region's hub holds every aggregated finding
    written = {f.finding_id: writeback_formats(set(finding_formats(f)), mode) for f in findings}
    asff = [f for f in findings if FORMAT_ASFF in written[f.finding_id]]
    ocsf = [f for f in findings if FORMAT_OCSF in written[f.finding_id]]
    groups = [
        (asff, _update_chunk),
        ([f for f in ocsf if f.metadata_uid], _update_chunk_v2),
        ([f for f in ocsf if not f.metadata_uid], _update_chunk_v2),
    ]
    for group, update in groups:
        for chunk in _chunks(group, UPDATES_PER_CALL):
            result.calls += 1
            for finding_id, member in update(
                hub, chunk, status=status, note=note, actor=actor
            ).items():
                # Seen in both formats: updated only when both APIs took it.
                earlier = verdicts.get(finding_id)
                if earlier is None or earlier.outcome != "refused":
                    verdicts[finding_id] = member
    result.members = [verdicts[i] for i in ids]
    return result


def _update_chunk_v2(
    hub: Any, chunk: list[FindingModel], *, status: str, note: str, actor: str
) -> dict[str, BulkMember]:
    """BatchUpdateFindingsV2 for ``chunk``: all by ``metadata.uid``, or all by the identifier
    bridge (a request takes one kind); ``actor`` is the console's audit's (V2 has no author)."""
    by_uid = {f.metadata_uid: f.finding_id for f in chunk if f.metadata_uid}
    request: dict[str, Any] = {"StatusId": OCSF_STATUS_IDS[status], "Comment": note}
    if len(by_uid) == len(chunk):
        request["MetadataUids"] = list(by_uid)
    else:
        request["FindingIdentifiers"] = [
            {
                "CloudAccountUid": f.account_id,
                "FindingInfoUid": f.finding_id,
                "MetadataProductUid": f.ocsf_product_uid
                or str(f.product_arn or "").replace("::product/", "::productv2/"),
            }
            for f in chunk
        ]
    try:
        response = hub.batch_update_findings_v2(**request)
    except (ClientError, BotoCoreError) as exc:
        reason = f"Security Hub refused the update: {exc}"
        return {f.finding_id: BulkMember(f.finding_id, "refused", reason) for f in chunk}
    refused: dict[str, str] = {}
    for unprocessed in response.get("UnprocessedFindings") or []:
        identifier = unprocessed.get("FindingIdentifier") or {}
        finding_id = by_uid.get(str(unprocessed.get("MetadataUid"))) or str(
            identifier.get("FindingInfoUid")
        )
        refused[finding_id] = str(
            unprocessed.get("ErrorMessage") or unprocessed.get("ErrorCode") or "unprocessed"
        )
    return {
        f.finding_id: (
            BulkMember(f.finding_id, "refused", f"Security Hub: {refused[f.finding_id]}")
            if f.finding_id in refused
            else BulkMember(f.finding_id, "updated", f"workflow status {status}")
        )
        for f in chunk
    }


def _update_chunk(
    hub: Any, chunk: list[FindingModel], *, status: str, note: str, actor: str
) -> dict[str, BulkMember]:
    try:
        response = hub.batch_update_findings(
            FindingIdentifiers=[{"Id": f.finding_id, "ProductArn": f.product_arn} for f in chunk],
            Workflow={"Status": status},
            Note={"Text": note, "UpdatedBy": actor[:512]},
        )
    except (ClientError, BotoCoreError) as exc:
        reason = f"Security Hub refused the update: {exc}"
        return {f.finding_id: BulkMember(f.finding_id, "refused", reason) for f in chunk}
    refused = {
        str((u.get("FindingIdentifier") or {}).get("Id")): str(
            u.get("ErrorMessage") or u.get("ErrorCode") or "unprocessed"
        )
        for u in response.get("UnprocessedFindings") or []
    }
    return {
        f.finding_id: (
            BulkMember(f.finding_id, "refused", f"Security Hub: {refused[f.finding_id]}")
            if f.finding_id in refused
            else BulkMember(f.finding_id, "updated", f"workflow status {status}")
        )
        for f in chunk
    }


def resource_pattern_literal(resource_id: str) -> str:
    """``resource_id`` as an exemption pattern that matches it alone (fnmatch's ``*?[`` quoted)."""
    return re.sub(r"([*?\[])", r"[\1]", resource_id)


def findings_bulk_exempt(
    *,
    finding_ids: Sequence[str],
    reason: str,
    actor: str,
    expires_at: datetime | None = None,
) -> BulkResult:
    """Exempt each selected finding's resource (in its account) on its control; one write per
    control. `ValidationError` for a missing reason or a past expiry, before anything is written."""
    # The reason and expiry every exemption shares, validated once as an exemption's are.
    exemption_build(
        ExemptionInput(account="0" * 12, reason=reason, expires_at=expires_at), actor=actor
    )
    ids = finding_ids_clean(finding_ids)
    stored = findings_stored(ids)
    verdicts: dict[str, BulkMember] = {}
    by_control: dict[str, list[FindingModel]] = defaultdict(list)
    for finding_id in ids:
        finding = stored.get(finding_id)
        if finding is None:
            verdicts[finding_id] = BulkMember(finding_id, "skipped", "not a stored finding")
        elif not finding.control_id:
            verdicts[finding_id] = BulkMember(finding_id, "refused", "not a control finding")
        elif not finding.resource_id:
            verdicts[finding_id] = BulkMember(finding_id, "refused", "it names no resource")
        else:
            by_control[finding.control_id].append(finding)
    result = BulkResult(action="exempt")
    for control_id, findings in by_control.items():
        result.calls += 1
        verdicts.update(
            _exempt_on_control(
                control_id, findings, reason=reason, actor=actor, expires_at=expires_at
            )
        )
    result.members = [verdicts[i] for i in ids]
    return result


def _exempt_on_control(
    control_id: str,
    findings: list[FindingModel],
    *,
    reason: str,
    actor: str,
    expires_at: datetime | None,
) -> dict[str, BulkMember]:
    def every(outcome: Outcome, why: str) -> dict[str, BulkMember]:
        return {f.finding_id: BulkMember(f.finding_id, outcome, why) for f in findings}

    try:
        control = ControlModel.get(control_id, KIND_CONTROL)
    except ControlModel.DoesNotExist:
        return every("refused", f"control {control_id} is not collected")
    current = list(control.exemptions or [])
    held = {(e.account, e.resource_pattern) for e in current if not e.tag}
    verdicts: dict[str, BulkMember] = {}
    added: list[ExemptionInput] = []
    for finding in findings:
        key = (finding.account_id, resource_pattern_literal(finding.resource_id or ""))
        if key in held:
            verdicts[finding.finding_id] = BulkMember(
                finding.finding_id, "skipped", f"already exempted on {control_id}"
            )
            continue
        held.add(key)
        added.append(
            ExemptionInput(
                account=key[0], resource_pattern=key[1], reason=reason, expires_at=expires_at
            )
        )
        verdicts[finding.finding_id] = BulkMember(
            finding.finding_id, "exempted", f"exemption added on {control_id}"
        )
    if not added:
        return verdicts
    if len(current) + len(added) > MAX_EXEMPTIONS:
        return every(
            "refused",
            f"control {control_id} would hold {len(current) + len(added)} exemptions "
            f"(at most {MAX_EXEMPTIONS}): exempt fewer, or use a resource pattern",
        )
    try:
        control_configure(
            control_id=control_id,
            expected_version=int(control.version or 0),
            reactor_id=control.reactor_id,
            mode=control.mode or "off",
            exemptions=[*current, *added],
            actor=actor,
            params=control_params(control),
        )
    except (ValidationError, ConflictError, NotFoundError) as exc:
        return every("refused", str(exc))
    return verdicts
