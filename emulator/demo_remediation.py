"""The demo's remediation loop: `make run` shows a public bucket fixed without anyone clicking.

`demo_remediation_ensure` (run by ``runlocal`` in a thread, `DemoRemediation`, after the official
reactors are published to the local Hub) does:

1. wait until the Hub has verified the official S3.2 reactor ``s3-public-read`` (the
   ``security_reactors`` stream verifies what ``hub_publish`` uploaded);
2. install it in the consumer account unless it is installed already, and wait for the installer
   (the ``security_local_reactors`` stream) to create its role and function;
3. assign it to S3.2 in ``auto`` mode, as actor ``demo``, at version 0 (`control_assign_reactor`
   under the optimistic lock): only a control that nobody ever configured is assigned;
   the install and the assignment are audited through the ``audit`` hook (``runlocal`` passes
   the console's audit trail, actor ``demo``);
4. re-check the demo's S3.2 findings that are still FAILED / NEW / ACTIVE (they were imported,
   and skipped, before any reactor was assigned): the local Security Hub re-imports them with a
   new ``UpdatedAt``, as Security Hub's periodic control checks do; the "Findings - Imported"
   events start the state machine, the reactor removes the public statement in the member
   account, and the finding becomes RESOLVED.

Restarts (the data folder persists DynamoDB and the local Security Hub): S3.2 already assigned
by the demo skips steps 1-3, and a finding already RESOLVED is not re-checked, so the loop runs
once. What users change always wins: once S3.2 has been configured by anyone else (any
version, any mode, even ``off``), the demo leaves the control, the reactor and the findings
alone; a conflict with an edit made meanwhile leaves the user's edit. moto forgets buckets at
each restart: `demo_bucket_fixed` lets the seed re-create a bucket whose finding was resolved
without its public statement, so the restarted demo shows what the loop left.

Security Hub V2 (`demo_ocsf_remediation_ensure`, run by the same thread after the S3.2 part,
whatever that part did, unless the runtime is stopping): the same four steps and the same rules
for ``sqs-queue-encryption`` on SQS.1, whose demo finding is the OCSF one
(`emulator.demo_securityhub`, queue ``ouroboros-demo-unencrypted`` in 111111111111). Its
re-check goes through the local-only V2 import with a new ``finding_info.modified_time``; the
"Findings Imported V2" event starts the state machine, the reactor turns on the queue's
encryption and the write-back resolves the finding through ``BatchUpdateFindingsV2``. When the
local Hub does not publish ``sqs-queue-encryption`` (``OUROBOROS_LOCAL_CATALOG`` leaves it out)
this part is ``unavailable``; it never holds the S3.2 part up, nor the other way round.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from emulator.endpoints import endpoints_read
from emulator.securityhub_findings import now_timestamp
from emulator.securityhub_import import ocsf_finding_restamped, ocsf_findings_import
from ouroboros.aws import client
from ouroboros.controls.configuration import ControlConflictError, control_assign_reactor
from ouroboros.errors import OuroborosError
from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL
from ouroboros.reactors.catalog import hub_reactor_get, hub_reactor_versions
from ouroboros.reactors.errors import ReactorNotFoundError
from ouroboros.reactors.services import reactor_approval_required, reactor_install
from ouroboros.securityhub.asff import asff_parse

logger = logging.getLogger(__name__)

DEMO_ACTOR = "demo"
DEMO_REACTOR = "s3-public-read"
DEMO_CONTROL = "S3.2"
DEMO_MODE = "auto"
#: The Security Hub V2 part: its reactor and control (the demo's OCSF finding is SQS.1).
DEMO_OCSF_REACTOR = "sqs-queue-encryption"
DEMO_OCSF_CONTROL = "SQS.1"

Outcome = Literal["remediating", "already-set-up", "user-configured", "unavailable", "stopped"]
#: Told of each change the demo makes, with `audit_record`'s keywords (``action``,
#: ``target_type``, ``target_id``, ``before``, ``after``): the runtime's command passes one that
#: writes the console's audit trail (this package never imports Django).
AuditHook = Callable[..., object]


class DemoStoppedError(OuroborosError):
    """The runtime is stopping while the demo was waiting."""


@dataclass
class DemoRemediationReport:
    """What `demo_remediation_ensure` did."""

    outcome: Outcome
    installed: bool = False
    assigned: bool = False
    rechecked: list[str] = field(default_factory=list)
    detail: str = ""


def _wait(condition: Callable[[], bool], what: str, stop: threading.Event, timeout: float) -> None:
    """Poll ``condition`` every half second until true; `DemoStoppedError` or `TimeoutError`."""
    waited = 0.0
    while not condition():
        if stop.wait(0.5):
            raise DemoStoppedError(f"stopped while waiting for {what}")
        waited += 0.5
        if waited >= timeout:
            raise TimeoutError(f"{what}: not done after {timeout:.0f} s")


def _hub_has_verified(reactor_id: str) -> bool:
    try:
        hub_reactor_get(reactor_id=reactor_id)  # the latest verified version
    except ReactorNotFoundError:
        return False
    return True


def _reactor_status(reactor_id: str) -> str | None:
    try:
        return str(LocalReactorModel.get(reactor_id, consistent_read=True).status)
    except LocalReactorModel.DoesNotExist:
        return None


def _installed_status() -> str | None:
    return _reactor_status(DEMO_REACTOR)


def _control_of(control_id: str) -> ControlModel | None:
    try:
        return ControlModel.get(control_id, KIND_CONTROL, consistent_read=True)
    except ControlModel.DoesNotExist:
        return None


def _control() -> ControlModel | None:
    return _control_of(DEMO_CONTROL)


def _set_up_by_demo(control: ControlModel, reactor_id: str = DEMO_REACTOR) -> bool:
    return (
        control.updated_by == DEMO_ACTOR
        and control.reactor_id == reactor_id
        and control.mode == DEMO_MODE
    )


def _reactor_install_once(
    reactor_id: str,
    status: Callable[[], str | None],
    stop: threading.Event,
    timeout: float,
    audit: AuditHook | None,
) -> bool:
    """Install ``reactor_id`` unless it is (``status`` reads its local status); True when this
    call asked for the install."""
    _wait(lambda: _hub_has_verified(reactor_id), f"the Hub to verify {reactor_id}", stop, timeout)
    asked = False
    if status() in (None, "failed"):
        # The demo stands for the admin who read the list: official reactors that write
        # (bucket policies, queue attributes) need their actions approved.
        approval = reactor_approval_required(reactor_id=reactor_id)
        item = reactor_install(reactor_id=reactor_id, actor=DEMO_ACTOR, approved_actions=approval)
        asked = True
        if audit is not None:
            audit(
                action="reactor.install",
                target_type="reactor",
                target_id=reactor_id,
                after={
                    "version": item.version,
                    "approved_actions": approval,
                },
            )
    _wait(
        lambda: status() in ("installed", "failed"),
        f"the installer to install {reactor_id}",
        stop,
        timeout,
    )
    if status() != "installed":
        raise OuroborosError(f"{reactor_id} failed to install (see the Reactors page)")
    return asked


def _install(stop: threading.Event, timeout: float, audit: AuditHook | None = None) -> bool:
    """Install the demo's S3.2 reactor unless it is; True when this call asked for the install."""
    return _reactor_install_once(DEMO_REACTOR, _installed_status, stop, timeout, audit)


def _loop_set_up(
    *,
    control_id: str,
    reactor_id: str,
    control: ControlModel,
    install: Callable[[], bool],
    audit: AuditHook | None,
) -> DemoRemediationReport:
    """Steps 1-3 for one control (see the module docstring): ``remediating`` when this call
    assigned it, ``already-set-up`` when the demo did before, else ``user-configured``."""
    report = DemoRemediationReport("remediating")
    if control.version:
        if not _set_up_by_demo(control, reactor_id):
            return DemoRemediationReport("user-configured", detail=f"by {control.updated_by}")
        report.outcome = "already-set-up"
        return report
    report.installed = install()
    try:
        saved = control_assign_reactor(
            control_id=control_id,
            expected_version=0,
            reactor_id=reactor_id,
            mode=DEMO_MODE,
            actor=DEMO_ACTOR,
        )
    except ControlConflictError as exc:
        return DemoRemediationReport("user-configured", report.installed, detail=str(exc))
    report.assigned = True
    if audit is not None:
        audit(
            action="control.configure",
            target_type="control",
            target_id=control_id,
            before={"reactor_id": None, "mode": "off", "version": 0},
            after={
                "reactor_id": saved.reactor_id,
                "mode": saved.mode,
                "version": saved.version,
            },
        )
    return report


def _s3_2(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if asff_parse(f).control_id == DEMO_CONTROL]


def demo_findings_open(*, accounts: tuple[str, ...]) -> list[dict[str, Any]]:
    """The demo buckets' S3.2 findings the local Security Hub holds FAILED / NEW / ACTIVE."""
    from emulator.demo import public_bucket_name

    filters = {
        "ResourceId": [
            {"Value": f"arn:aws:s3:::{public_bucket_name(a)}", "Comparison": "EQUALS"}
            for a in accounts
        ],
        "ComplianceStatus": [{"Value": "FAILED", "Comparison": "EQUALS"}],
        "WorkflowStatus": [{"Value": "NEW", "Comparison": "EQUALS"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
    }
    response = client("securityhub").get_findings(Filters=filters, MaxResults=100)
    return _s3_2(list(response["Findings"]))


def demo_findings_recheck(*, accounts: tuple[str, ...]) -> list[str]:
    """Re-import the open demo S3.2 findings with a new ``UpdatedAt``; their ids."""
    findings = demo_findings_open(accounts=accounts)
    if not findings:
        return []
    now = now_timestamp()
    for finding in findings:
        finding["UpdatedAt"] = now
        finding["LastObservedAt"] = now
    client("securityhub").batch_import_findings(Findings=findings)
    return [str(f["Id"]) for f in findings]


def demo_bucket_fixed(*, account_id: str, bucket: str) -> bool:
    """Whether the local Security Hub holds the bucket's S3.2 finding RESOLVED (see above)."""
    endpoints = endpoints_read()
    if endpoints is None or not endpoints.securityhub:
        return False
    filters = {
        "AwsAccountId": [{"Value": account_id, "Comparison": "EQUALS"}],
        "ResourceId": [{"Value": f"arn:aws:s3:::{bucket}", "Comparison": "EQUALS"}],
        "WorkflowStatus": [{"Value": "RESOLVED", "Comparison": "EQUALS"}],
    }
    found = client("securityhub").get_findings(Filters=filters, MaxResults=100)["Findings"]
    return bool(_s3_2(list(found)))


def demo_remediation_ensure(
    *,
    accounts: tuple[str, ...],
    stop: threading.Event | None = None,
    timeout: float = 300,
    audit: AuditHook | None = None,
) -> DemoRemediationReport:
    """Set up the demo's remediation loop once (see the module docstring); ``audit`` is told
    of each change the demo makes (the install, the assignment), as the console audits them."""
    stop = stop or threading.Event()
    endpoints = endpoints_read()
    if endpoints is None or not endpoints.securityhub:
        return DemoRemediationReport("unavailable", detail="no local Security Hub")
    control = _control()
    if control is None:
        return DemoRemediationReport("unavailable", detail=f"no control {DEMO_CONTROL}")
    report = _loop_set_up(
        control_id=DEMO_CONTROL,
        reactor_id=DEMO_REACTOR,
        control=control,
        install=lambda: _install(stop, timeout, audit),
        audit=audit,
    )
    if report.outcome == "user-configured":
        return report
    report.rechecked = demo_findings_recheck(accounts=accounts)
    logger.info("demo remediation: %s", report)
    return report


def _ocsf_open_filters() -> dict[str, Any]:
    from emulator.demo_securityhub import DEMO_QUEUE, OCSF_DEMO_ACCOUNT

    strings = [
        ("compliance.control", DEMO_OCSF_CONTROL, "EQUALS"),
        ("cloud.account.uid", OCSF_DEMO_ACCOUNT, "EQUALS"),
        ("resources.uid", f"/{OCSF_DEMO_ACCOUNT}/{DEMO_QUEUE}", "CONTAINS"),
        ("compliance.status", "Fail", "EQUALS"),
        ("status", "New", "EQUALS"),
    ]
    return {
        "CompositeFilters": [
            {
                "Operator": "AND",
                "StringFilters": [
                    {"FieldName": name, "Filter": {"Value": value, "Comparison": comparison}}
                    for name, value, comparison in strings
                ],
            }
        ]
    }


def demo_ocsf_findings_open() -> list[dict[str, Any]]:
    """The demo queue's OCSF SQS.1 findings the local Security Hub V2 holds Fail / New."""
    response = client("securityhub").get_findings_v2(Filters=_ocsf_open_filters(), MaxResults=100)
    return list(response["Findings"])


def demo_ocsf_findings_recheck(*, endpoint: str) -> list[str]:
    """Re-import the open demo OCSF findings through the local V2 import of ``endpoint`` with a
    new ``finding_info.modified_time`` (its "Findings Imported V2" events follow); their uids."""
    findings = demo_ocsf_findings_open()
    if not findings:
        return []
    now = now_timestamp()
    answer = ocsf_findings_import(endpoint, [ocsf_finding_restamped(f, now) for f in findings])
    for failure in answer.get("FailedFindings") or []:
        logger.warning("demo OCSF re-check %s: %s", failure.get("Id"), failure.get("ErrorMessage"))
    return [str(f["finding_info"]["uid"]) for f in findings]


def demo_ocsf_remediation_ensure(
    *,
    stop: threading.Event | None = None,
    timeout: float = 300,
    audit: AuditHook | None = None,
) -> DemoRemediationReport:
    """Set up the demo's Security Hub V2 loop once: ``sqs-queue-encryption`` on SQS.1 and the
    demo's OCSF finding re-checked (see the module docstring); ``audit`` as above."""
    stop = stop or threading.Event()
    endpoints = endpoints_read()
    if endpoints is None or not endpoints.securityhub:
        return DemoRemediationReport("unavailable", detail="no local Security Hub")
    if not hub_reactor_versions(reactor_id=DEMO_OCSF_REACTOR):
        return DemoRemediationReport(
            "unavailable", detail=f"the local Hub does not publish {DEMO_OCSF_REACTOR}"
        )
    control = _control_of(DEMO_OCSF_CONTROL)
    if control is None:
        return DemoRemediationReport("unavailable", detail=f"no control {DEMO_OCSF_CONTROL}")
    status = partial(_reactor_status, DEMO_OCSF_REACTOR)
    report = _loop_set_up(
        control_id=DEMO_OCSF_CONTROL,
        reactor_id=DEMO_OCSF_REACTOR,
        control=control,
        install=lambda: _reactor_install_once(DEMO_OCSF_REACTOR, status, stop, timeout, audit),
        audit=audit,
    )
    if report.outcome == "user-configured":
        return report
    report.rechecked = demo_ocsf_findings_recheck(endpoint=endpoints.securityhub)
    logger.info("demo remediation (OCSF): %s", report)
    return report


def _summary(
    label: str,
    control_id: str,
    reactor_id: str,
    report: DemoRemediationReport | None,
    error: str | None,
    *,
    why_unavailable: bool = False,
) -> str:
    if error or report is None:
        return f"{label}: not set up ({error})"
    done = [
        *(["installed " + reactor_id] if report.installed else []),
        *([f"assigned to {control_id} ({DEMO_MODE})"] if report.assigned else []),
        *([f"re-checked {len(report.rechecked)} finding(s)"] if report.rechecked else []),
    ]
    detail = f": {', '.join(done)}" if done else ""
    if why_unavailable and report.outcome == "unavailable" and report.detail:
        detail = f" ({report.detail})"
    return f"{label}: {report.outcome}{detail}"


class DemoRemediation:
    """`demo_remediation_ensure`, then `demo_ocsf_remediation_ensure`, in a thread, so the
    console serves while the loops run; ``announce`` is told each part's line as it ends."""

    def __init__(
        self,
        *,
        accounts: tuple[str, ...] | None = None,
        timeout: float = 300,
        announce: Callable[[str], object] | None = None,
        audit: AuditHook | None = None,
    ) -> None:
        from emulator.demo import MEMBER_ACCOUNTS

        self.audit = audit
        self.accounts = accounts or MEMBER_ACCOUNTS
        self.timeout = timeout
        self.announce = announce
        self.report: DemoRemediationReport | None = None
        self.error: str | None = None
        #: The Security Hub V2 part's report and error.
        self.ocsf_report: DemoRemediationReport | None = None
        self.ocsf_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> DemoRemediation:
        self._thread = threading.Thread(target=self._run, name="demo-remediation", daemon=True)
        self._thread.start()
        return self

    def _part(
        self, ensure: Callable[[], DemoRemediationReport]
    ) -> tuple[DemoRemediationReport | None, str | None]:
        try:
            return ensure(), None
        except DemoStoppedError:
            return DemoRemediationReport("stopped"), None
        except Exception as exc:  # a demo that cannot finish never stops the runtime
            error = f"{type(exc).__name__}: {exc}"
            logger.warning("demo remediation not set up: %s", error)
            return None, error

    def _run(self) -> None:
        self.report, self.error = self._part(
            lambda: demo_remediation_ensure(
                accounts=self.accounts, stop=self._stop, timeout=self.timeout, audit=self.audit
            )
        )
        if self.announce is not None:
            self.announce(self.summary())
        if self._stop.is_set():
            return
        self.ocsf_report, self.ocsf_error = self._part(
            lambda: demo_ocsf_remediation_ensure(
                stop=self._stop, timeout=self.timeout, audit=self.audit
            )
        )
        if self.announce is not None:
            self.announce(self.ocsf_summary())

    def summary(self) -> str:
        """One line for the terminal: what the demo did on S3.2."""
        return _summary("demo remediation", DEMO_CONTROL, DEMO_REACTOR, self.report, self.error)

    def ocsf_summary(self) -> str:
        """One line for the terminal: what the demo did on SQS.1 (its OCSF finding)."""
        return _summary(
            f"demo remediation ({DEMO_OCSF_CONTROL}, OCSF)",
            DEMO_OCSF_CONTROL,
            DEMO_OCSF_REACTOR,
            self.ocsf_report,
            self.ocsf_error,
            why_unavailable=True,
        )

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
