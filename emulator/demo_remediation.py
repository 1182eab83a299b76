"""The demo's remediation loop: `make run` shows a public bucket fixed without anyone clicking.

`demo_remediation_ensure` (run by ``runlocal`` in a thread, `DemoRemediation`, after the official
reactors are published to the local Hub) does:

1. wait until the Hub has verified the official S3.2 reactor ``s3-public-read`` (the
   ``security_reactors`` stream verifies what ``hub_publish`` uploaded);
2. install it in the consumer account unless it is installed already, and wait for the installer
   (the ``security_local_reactors`` stream) to create its role and function;
3. assign it to S3.2 in ``auto`` mode, as actor ``demo``, at version 0 (`control_assign_reactor`
   under the optimistic lock): only a control that nobody ever configured is assigned;
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
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from emulator.endpoints import endpoints_read
from emulator.securityhub_findings import now_timestamp
from ouroboros.aws import client
from ouroboros.controls.configuration import ControlConflictError, control_assign_reactor
from ouroboros.errors import OuroborosError
from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL
from ouroboros.reactors.catalog import hub_reactor_get
from ouroboros.reactors.errors import ReactorNotFoundError
from ouroboros.reactors.services import reactor_approval_required, reactor_install
from ouroboros.securityhub.asff import asff_parse

logger = logging.getLogger(__name__)

DEMO_ACTOR = "demo"
DEMO_REACTOR = "s3-public-read"
DEMO_CONTROL = "S3.2"
DEMO_MODE = "auto"

Outcome = Literal["remediating", "already-set-up", "user-configured", "unavailable", "stopped"]


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


def _hub_verified() -> bool:
    try:
        hub_reactor_get(reactor_id=DEMO_REACTOR)  # the latest verified version
    except ReactorNotFoundError:
        return False
    return True


def _installed_status() -> str | None:
    try:
        return str(LocalReactorModel.get(DEMO_REACTOR, consistent_read=True).status)
    except LocalReactorModel.DoesNotExist:
        return None


def _control() -> ControlModel | None:
    try:
        return ControlModel.get(DEMO_CONTROL, KIND_CONTROL, consistent_read=True)
    except ControlModel.DoesNotExist:
        return None


def _set_up_by_demo(control: ControlModel) -> bool:
    return (
        control.updated_by == DEMO_ACTOR
        and control.reactor_id == DEMO_REACTOR
        and control.mode == DEMO_MODE
    )


def _install(stop: threading.Event, timeout: float) -> bool:
    """Install the demo reactor unless it is; True when this call asked for the install."""
    _wait(_hub_verified, f"the Hub to verify {DEMO_REACTOR}", stop, timeout)
    asked = False
    if _installed_status() in (None, "failed"):
        # The demo stands for the admin who read the list: the official S3.2 reactor writes
        # bucket policies (s3:PutBucketPolicy, s3:DeleteBucketPolicy), which need approval.
        approval = reactor_approval_required(reactor_id=DEMO_REACTOR)
        reactor_install(reactor_id=DEMO_REACTOR, actor=DEMO_ACTOR, approved_actions=approval)
        asked = True
    _wait(
        lambda: _installed_status() in ("installed", "failed"),
        f"the installer to install {DEMO_REACTOR}",
        stop,
        timeout,
    )
    if _installed_status() != "installed":
        raise OuroborosError(f"{DEMO_REACTOR} failed to install (see the Reactors page)")
    return asked


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
    *, accounts: tuple[str, ...], stop: threading.Event | None = None, timeout: float = 300
) -> DemoRemediationReport:
    """Set up the demo's remediation loop once (see the module docstring)."""
    stop = stop or threading.Event()
    endpoints = endpoints_read()
    if endpoints is None or not endpoints.securityhub:
        return DemoRemediationReport("unavailable", detail="no local Security Hub")
    control = _control()
    if control is None:
        return DemoRemediationReport("unavailable", detail=f"no control {DEMO_CONTROL}")
    report = DemoRemediationReport("remediating")
    if control.version:
        if not _set_up_by_demo(control):
            return DemoRemediationReport("user-configured", detail=f"by {control.updated_by}")
        report.outcome = "already-set-up"
    else:
        report.installed = _install(stop, timeout)
        try:
            control_assign_reactor(
                control_id=DEMO_CONTROL,
                expected_version=0,
                reactor_id=DEMO_REACTOR,
                mode=DEMO_MODE,
                actor=DEMO_ACTOR,
            )
        except ControlConflictError as exc:
            return DemoRemediationReport("user-configured", report.installed, detail=str(exc))
        report.assigned = True
    report.rechecked = demo_findings_recheck(accounts=accounts)
    logger.info("demo remediation: %s", report)
    return report


class DemoRemediation:
    """`demo_remediation_ensure` in a thread, so the console serves while the loop runs."""

    def __init__(
        self,
        *,
        accounts: tuple[str, ...] | None = None,
        timeout: float = 300,
        announce: Callable[[str], object] | None = None,
    ) -> None:
        from emulator.demo import MEMBER_ACCOUNTS

        self.accounts = accounts or MEMBER_ACCOUNTS
        self.timeout = timeout
        self.announce = announce
        self.report: DemoRemediationReport | None = None
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> DemoRemediation:
        self._thread = threading.Thread(target=self._run, name="demo-remediation", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.report = demo_remediation_ensure(
                accounts=self.accounts, stop=self._stop, timeout=self.timeout
            )
        except DemoStoppedError:
            self.report = DemoRemediationReport("stopped")
        except Exception as exc:  # a demo that cannot finish never stops the runtime
            self.error = f"{type(exc).__name__}: {exc}"
            logger.warning("demo remediation not set up: %s", self.error)
        if self.announce is not None:
            self.announce(self.summary())

    def summary(self) -> str:
        """One line for the terminal: what the demo did."""
        if self.error or self.report is None:
            return f"demo remediation: not set up ({self.error})"
        report = self.report
        done = [
            *(["installed " + DEMO_REACTOR] if report.installed else []),
            *([f"assigned to {DEMO_CONTROL} ({DEMO_MODE})"] if report.assigned else []),
            *([f"re-checked {len(report.rechecked)} finding(s)"] if report.rechecked else []),
        ]
        detail = f": {', '.join(done)}" if done else ""
        return f"demo remediation: {report.outcome}{detail}"

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
