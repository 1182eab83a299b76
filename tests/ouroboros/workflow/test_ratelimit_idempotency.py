"""The token bucket paces a burst instead of dropping it; the idempotency marker is claimed once."""

from __future__ import annotations

import pytest

from ouroboros.config import reset_config
from ouroboros.errors import ThrottledError
from ouroboros.executions.services import idempotency_claim
from ouroboros.workflow import ratelimit
from ouroboros.workflow.ratelimit import rate_token_take

pytestmark = pytest.mark.functional


class FakeClock:
    """The bucket's clock: still unless the taker sleeps (a slow machine refills nothing)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_burst_is_paced_per_account_region(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(ratelimit, "time", clock)
    monkeypatch.setenv("OUROBOROS_REMEDIATION_RATE", "0.5")  # a token every 2 s
    monkeypatch.setenv("OUROBOROS_REMEDIATION_BURST", "3")
    reset_config()
    waits = [rate_token_take(account_id="222222222222", region="us-east-1") for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]  # the burst passes at once
    # The next ones wait for their token, one rate interval each; none is dropped.
    assert waits[3:] == pytest.approx([2.0, 2.0])
    assert clock.slept == pytest.approx([2.0, 2.0])
    # Another account-region has its own budget.
    assert rate_token_take(account_id="111111111111", region="us-east-1") == 0.0


def test_over_budget_beyond_the_wait_raises_throttled(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUROBOROS_REMEDIATION_RATE", "0.01")
    monkeypatch.setenv("OUROBOROS_REMEDIATION_BURST", "1")
    reset_config()
    rate_token_take(account_id="222222222222", region="us-east-1")
    with pytest.raises(ThrottledError, match="222222222222/us-east-1"):
        rate_token_take(account_id="222222222222", region="us-east-1", max_wait_seconds=0.5)


def test_the_idempotency_marker_is_claimed_once(moto_aws: None) -> None:
    first = idempotency_claim(finding_id="f-1", key="2026-11-27T10:00:00Z", execution_id="a")
    again = idempotency_claim(finding_id="f-1", key="2026-11-27T10:00:00Z", execution_id="b")
    newer = idempotency_claim(finding_id="f-1", key="2026-11-27T11:00:00Z", execution_id="c")
    assert (first, again, newer) == (True, False, True)
