"""The demo's Security Hub V2 part (`emulator.demo_remediation`): its OCSF SQS.1 finding is
re-checked through the local V2 import while it is open, and only then; the part is unavailable
without ``sqs-queue-encryption`` in the local Hub, and neither part holds the other up.

The whole loop (install, assignment, remediation, Resolved through V2, restart) runs in
tests/integration/test_demo_loop.py.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from emulator import demo_remediation
from emulator.demo_remediation import (
    DEMO_OCSF_REACTOR,
    DemoRemediation,
    DemoRemediationReport,
    demo_ocsf_findings_recheck,
    demo_ocsf_remediation_ensure,
)
from emulator.demo_securityhub import OCSF_DEMO_ACCOUNT, demo_securityhub_v2_seed
from tests.emulator.test_demo_securityhub_v2 import Hub, hub  # noqa: F401 (the fixture)

pytestmark = pytest.mark.functional


def test_the_open_ocsf_finding_is_rechecked_through_v2_until_resolved(hub: Hub) -> None:  # noqa: F811
    demo_securityhub_v2_seed(account=OCSF_DEMO_ACCOUNT, region="us-east-1")
    assert hub.wait_idle(10)
    (seeded,) = hub.client.get_findings_v2()["Findings"]
    endpoint = hub.client.meta.endpoint_url

    assert demo_ocsf_findings_recheck(endpoint=endpoint) == [seeded["finding_info"]["uid"]]

    assert hub.wait_idle(10)
    (rechecked,) = hub.client.get_findings_v2()["Findings"]  # the same finding, seen again
    assert rechecked["metadata"]["uid"] == seeded["metadata"]["uid"]
    assert rechecked["finding_info"]["modified_time"] >= seeded["finding_info"]["modified_time"]
    # Its "Findings Imported V2" event is what starts the state machine.
    assert [e["detail"]["findings"][0] for e in hub.events] == [seeded, rechecked]

    hub.client.batch_update_findings_v2(MetadataUids=[seeded["metadata"]["uid"]], StatusId=4)
    assert demo_ocsf_findings_recheck(endpoint=endpoint) == []  # a restart re-checks nothing


def test_without_sqs_queue_encryption_in_the_hub_the_v2_part_is_unavailable(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        demo_remediation, "endpoints_read", lambda: SimpleNamespace(securityhub="http://x")
    )
    report = demo_ocsf_remediation_ensure()
    assert (report.outcome, report.detail) == (
        "unavailable",
        f"the local Hub does not publish {DEMO_OCSF_REACTOR}",
    )


def test_a_part_that_fails_never_holds_the_other_up(monkeypatch: pytest.MonkeyPatch) -> None:
    def s3_2_fails(**kwargs: Any) -> DemoRemediationReport:
        raise TimeoutError("the Hub to verify s3-public-read: not done after 300 s")

    monkeypatch.setattr(demo_remediation, "demo_remediation_ensure", s3_2_fails)
    monkeypatch.setattr(
        demo_remediation,
        "demo_ocsf_remediation_ensure",
        lambda **kw: DemoRemediationReport(
            "remediating", installed=True, assigned=True, rechecked=["uid"]
        ),
    )
    lines: list[str] = []
    demo = DemoRemediation(accounts=("111111111111",), announce=lines.append)

    demo._run()  # the thread's body, here

    assert lines == [
        "demo remediation: not set up "
        "(TimeoutError: the Hub to verify s3-public-read: not done after 300 s)",
        "demo remediation (SQS.1, OCSF): remediating: installed sqs-queue-encryption, "
        "assigned to SQS.1 (auto), re-checked 1 finding(s)",
    ]
    monkeypatch.setattr(
        demo_remediation,
        "demo_ocsf_remediation_ensure",
        lambda **kw: DemoRemediationReport("unavailable", detail="no control SQS.1"),
    )
    lines.clear()
    demo._run()
    assert lines[1] == "demo remediation (SQS.1, OCSF): unavailable (no control SQS.1)"
