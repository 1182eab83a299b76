"""A findings sync longer than one invocation: checkpoints, resume, expired tokens (issue 25).

The local Security Hub's store runs in this process (`SecurityHubStoreClient`, which counts the
GetFindings calls) on a virtual clock: it paces GetFindings (`RequestPacer`) and expires its
tokens on that clock, and each "invocation" gets a budget measured on it, so a sync spans several
invocations in a second of real time. Pages of 5 findings stand in for AWS's 100. DynamoDB is
moto.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from emulator.securityhub_client import SecurityHubStoreClient
from emulator.securityhub_pacing import RequestPacer, VirtualClock
from emulator.securityhub_store import SecurityHubStore
from lambdas.collect_findings import handler
from ouroboros.aggregates import aggregate_read, sync_lease_acquire, sync_state_get
from ouroboros.config import reset_config
from ouroboros.models import AggregateModel, FindingModel
from ouroboros.securityhub import collect_findings
from ouroboros.securityhub.collect_checkpoint import checkpoint_load, sync_progress
from ouroboros.securityhub.collect_findings import (
    LEASE,
    WATERMARK,
    FindingsCollectReport,
    SyncLeaseLostError,
    findings_collect,
)
from tests.conftest import load_event
from tests.ouroboros.findings.conftest import sample_raws, variant

pytestmark = pytest.mark.functional

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
BASE = datetime(2024, 1, 1, tzinfo=UTC)
PAGE = 5


def _stamp(n: int) -> str:
    return (BASE + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def asff_findings(count: int) -> list[dict[str, Any]]:
    """``count`` variants of three real samples (few counters to move: fast in moto), the n-th
    updated n seconds after `BASE`."""
    raws = sample_raws()[:3]
    return [
        variant(raws[n % len(raws)], n, UpdatedAt=_stamp(n), CreatedAt=_stamp(0))
        for n in range(count)
    ]


def ocsf_findings(count: int) -> Iterator[dict[str, Any]]:
    """``count`` variants of the real SQS.1 OCSF sample, the n-th modified n seconds after BASE."""
    sample = load_event("ocsf/02_shcspm_control_SQS.1_compliance_fail_new.json")
    for n in range(count):
        finding = copy.deepcopy(sample)
        info = finding["finding_info"]
        info["uid"] = f"{info['uid']}-{n}"
        info["modified_time_dt"] = _stamp(n)
        info["modified_time"] = int((BASE + timedelta(seconds=n)).timestamp() * 1000)
        finding["metadata"]["uid"] = f"{finding['metadata']['uid']}-{n}"
        yield finding


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Callable[..., tuple[SecurityHubStore, SecurityHubStoreClient]]]:
    """A local Security Hub store on a virtual clock, paced at 1 request/s (burst 1) so each
    page costs a virtual second; ``token_max_age`` as the test says."""
    stores: list[SecurityHubStore] = []

    def make(token_max_age: float | None = None) -> tuple[SecurityHubStore, SecurityHubStoreClient]:
        pacer = RequestPacer(VirtualClock(), rate=1.0, burst=1)
        store = SecurityHubStore(tmp_path / "hub.sqlite3", pacer=pacer, token_max_age=token_max_age)
        stores.append(store)
        return store, SecurityHubStoreClient(store)

    yield make
    for store in stores:
        store.close()


def invocation(
    store: SecurityHubStore, hub_client: SecurityHubStoreClient, budget: float | None
) -> FindingsCollectReport:
    """One collector invocation with ``budget`` virtual seconds (None: no limit)."""
    clock = store.clock
    end = clock.now() + budget if budget is not None else None
    return findings_collect(
        client=hub_client,
        now=NOW,
        page_size=PAGE,
        batch_size=20,
        margin=0.0,
        time_left=(lambda: end - clock.now()) if end is not None else None,
    )


def test_a_sync_spans_invocations_and_reads_each_page_once(moto_aws: None, hub: Any) -> None:
    store, hub_client = hub()
    store.findings_seed(asff_findings(48))  # 10 pages, the last one of 3
    reports = []
    while not reports or not reports[-1].complete:
        assert len(reports) < 10, "the sync does not progress"
        if reports:
            assert sync_state_get(WATERMARK) is None  # only a completed run moves it
            progress = sync_progress()
            assert progress is not None and progress["done"] is False
            assert progress["read"] == sum(r.read for r in reports)
            store.clock.sleep(900)  # the next scheduled run
        reports.append(invocation(store, hub_client, budget=2.5))

    assert len(reports) == 3
    assert [r.resumes for r in reports] == [0, 1, 2]
    assert [r.complete for r in reports] == [False, False, True]
    # Never a page twice: exactly the 10 pages' calls, over all invocations.
    assert hub_client.calls["GetFindings"] == 10
    assert sum(r.pages for r in reports) == 10
    assert sum(r.written for r in reports) == 48
    assert sum(1 for _ in FindingModel.scan()) == 48
    assert sum(aggregate_read("findings#state").values()) == 48
    assert sync_state_get(WATERMARK) == "2024-05-01T12:00:00.000Z"
    progress = sync_progress()
    assert progress is not None and progress.pop("updated_at")
    assert progress == {
        "mode": "full",
        "read": 48,
        "pages": 10,
        "started_at": "2024-05-01T12:00:00.000Z",
        "resumes": 2,
        "done": True,
    }

    # The next run is a new, incremental one: nothing left to resume.
    again = invocation(store, hub_client, budget=None)
    assert (again.mode, again.resumes, again.complete) == ("incremental", 0, True)


def test_an_invocation_while_another_runs_the_sync_reads_and_writes_nothing(
    moto_aws: None, hub: Any
) -> None:
    store, hub_client = hub()
    store.findings_seed(asff_findings(12))
    # A manual full sync is running (its lease: 600 s from NOW) when the schedule fires.
    assert sync_lease_acquire(LEASE, holder="manual-full-sync", now=NOW, seconds=600) is None

    overlapping = invocation(store, hub_client, budget=None)

    assert overlapping.mode == "skipped"
    assert overlapping.running_elsewhere_until == (NOW + timedelta(seconds=600)).isoformat()
    assert hub_client.calls["GetFindings"] == 0 and checkpoint_load() is None
    assert sum(1 for _ in FindingModel.scan()) == 0
    # Once that lease has run out (its holder died), the next run takes it, syncs, releases it.
    later = findings_collect(client=hub_client, now=NOW + timedelta(seconds=601), page_size=PAGE)
    assert later.complete and later.written == 12 and later.running_elsewhere_until is None
    assert (
        sync_lease_acquire(LEASE, holder="next", now=NOW + timedelta(seconds=602), seconds=1)
        is None
    )
    # A lease that is still running cannot be taken twice, whoever asks.
    assert sync_lease_acquire(LEASE, holder="third", now=NOW + timedelta(seconds=602), seconds=1)


class _TakenOverAtSecondPage:
    """A Security Hub client during whose second page another run takes the sync's lease (as
    if this run's lease had run out)."""

    def __init__(self, inner: SecurityHubStoreClient) -> None:
        self.inner, self.pages = inner, 0

    def get_findings(self, **request: Any) -> dict[str, Any]:
        self.pages += 1
        if self.pages == 2:
            AggregateModel(f"sync#{LEASE}_lease", "state", total=2**40, value="other").save()
        return self.inner.get_findings(**request)


def test_a_run_whose_lease_was_taken_over_stops_at_its_next_checkpoint(
    moto_aws: None, hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, hub_client = hub()
    store.findings_seed(asff_findings(48))
    monkeypatch.setattr(collect_findings, "CHECKPOINT_PAGES", 2)  # a checkpoint every 2 pages

    with pytest.raises(SyncLeaseLostError, match="Another findings sync took over"):
        findings_collect(
            client=_TakenOverAtSecondPage(hub_client), now=NOW, page_size=PAGE, batch_size=20
        )

    checkpoint = checkpoint_load()  # where the next run resumes
    assert checkpoint is not None and not checkpoint.done and 0 < checkpoint.read < 48
    assert AggregateModel.get(f"sync#{LEASE}_lease", "state").value == "other"  # kept


def test_an_expired_token_resumes_from_the_last_complete_page(moto_aws: None, hub: Any) -> None:
    store, hub_client = hub(token_max_age=60)
    store.findings_seed(asff_findings(30))
    first = invocation(store, hub_client, budget=1.5)
    assert (first.complete, first.pages, first.written) == (False, 3, 15)
    checkpoint = checkpoint_load()
    assert checkpoint is not None and checkpoint.next_token
    assert checkpoint.last_updated_at == _stamp(14)

    store.clock.sleep(3600)  # the stored token is now an hour old
    calls = hub_client.calls["GetFindings"]
    second = invocation(store, hub_client, budget=None)
    assert (second.complete, second.expired_tokens) == (True, 1)
    # One refused call, then from finding 14 (read again, written not) to 29: 16 findings.
    assert hub_client.calls["GetFindings"] - calls == 1 + 4
    assert (second.read, second.written, second.unchanged) == (16, 15, 1)
    assert sum(1 for _ in FindingModel.scan()) == 30
    assert sync_state_get(WATERMARK) == "2024-05-01T12:00:00.000Z"


def test_the_v2_path_resumes_and_falls_back_too(
    moto_aws: None, hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUROBOROS_SECURITYHUB_V2", "only")
    reset_config()
    store, hub_client = hub(token_max_age=60)
    findings = list(ocsf_findings(20))
    store.findings_v2_import({"Findings": findings})
    first = invocation(store, hub_client, budget=0.5)
    assert (first.sources, first.complete, first.written) == (["GetFindingsV2"], False, 10)
    store.clock.sleep(3600)
    second = invocation(store, hub_client, budget=None)
    assert (second.complete, second.expired_tokens, second.written) == (True, 1, 10)
    assert second.unchanged == 1  # the last finding of the last complete page, read again
    assert hub_client.calls["GetFindingsV2"] == 2 + 1 + 3
    assert sum(1 for _ in FindingModel.scan()) == 20


def test_the_lambda_stops_before_its_time_runs_out(moto_aws: None) -> None:
    context = SimpleNamespace(get_remaining_time_in_millis=lambda: 30_000)  # under the margin
    result = handler({}, context)
    assert (result["complete"], result["pages"]) == (False, 0)
    checkpoint = checkpoint_load()
    assert checkpoint is not None and (checkpoint.done, checkpoint.pages) == (False, 0)
    assert sync_state_get(WATERMARK) is None


def test_the_sync_benchmark_stores_10000_findings_once_across_invocations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`benchmarks/sync.py` at the acceptance's test scale: 10,000 findings (100 pages of AWS's
    100), a budget of 20 virtual seconds an invocation and tokens that expire in between."""
    from benchmarks.sync import sync_simulate

    monkeypatch.setenv("OUROBOROS_SECURITYHUB_V2", "off")
    reset_config()
    result = sync_simulate(findings=10_000, budget=20, margin=2, token_age=5, folder=tmp_path)
    assert result["every_finding_once"] and result["findings_stored"] == 10_000
    assert result["invocations"] > 1
    # Each resume found its token expired and re-read one finding; no page was read twice.
    assert result["expired_tokens"] == result["invocations"] - 1
    assert result["read"] == 10_000 + result["expired_tokens"]
    assert result["get_findings_calls"] == result["pages"] + result["expired_tokens"]
    # Paced at 3 pages a second: never faster than AWS.
    assert result["simulated_seconds"] >= (result["get_findings_calls"] - 6) / 3
