"""The local Security Hub's pacing (AWS's 3 GetFindings a second, burst 6) on a virtual clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.securityhub_errors import InvalidInputError
from emulator.securityhub_pacing import RequestPacer, VirtualClock
from emulator.securityhub_store import SecurityHubStore


def test_a_burst_of_six_then_three_a_second_on_the_virtual_clock() -> None:
    clock = VirtualClock()
    pacer = RequestPacer(clock)
    waits = [pacer.wait("GetFindings") for _ in range(12)]
    assert waits[:6] == [0.0] * 6
    assert waits[6:] == pytest.approx([1 / 3] * 6)
    assert clock.now() == pytest.approx(2.0)
    assert pacer.wait("GetFindingsV2") == 0.0  # each API has its own bucket
    clock.advance(10)  # a quiet while refills the bucket to the burst, no further
    assert [pacer.wait("GetFindings") for _ in range(7)][-2:] == pytest.approx([0.0, 1 / 3])


def test_bad_pacing_and_a_clock_going_back_are_refused() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        RequestPacer(rate=0)
    with pytest.raises(ValueError, match="does not go back"):
        VirtualClock().advance(-1)


def test_unpaced_by_default_and_tokens_expire_after_their_age(tmp_path: Path) -> None:
    assert SecurityHubStore(tmp_path / "a.sqlite3").pacer is None
    clock = VirtualClock()
    store = SecurityHubStore(tmp_path / "b.sqlite3", clock=clock, token_max_age=60)
    try:
        stored = store.batch_import_findings({"Findings": [_finding(n) for n in range(3)]})
        assert stored["SuccessCount"] == 3
        first = store.get_findings({"MaxResults": 1})
        clock.advance(60)
        assert store.get_findings({"MaxResults": 1, "NextToken": first["NextToken"]})["Findings"]
        clock.advance(61)
        with pytest.raises(InvalidInputError, match="NextToken has expired"):
            store.get_findings({"MaxResults": 1, "NextToken": first["NextToken"]})
    finally:
        store.close()


def _finding(n: int) -> dict[str, object]:
    from tests.ouroboros.findings.conftest import sample_raws, variant

    return variant(sample_raws()[0], n)
