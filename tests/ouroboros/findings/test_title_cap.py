"""Title search's control cap: the controls kept are those WITH findings, most failed first.

Issue 21: "public" said "No findings match" though 6 matched, because the 8-control cap took
the first catalog controls alphabetically. The counts per control come from the aggregates
(`control_finding_counts`), patched here: the rule is what is under test, not the counters.
"""

from __future__ import annotations

import pytest

from ouroboros.findings import plan
from ouroboros.findings.plan import FindingFilters, finding_plan

#: Twelve controls whose titles have "public"; the alphabetical first eight have no findings.
TITLES = [(f"A{n:02d}.1", f"Buckets should not be public ({n})") for n in range(12)]


def _controls(search: str) -> tuple[list[str], list[str]]:
    found, _ = finding_plan(filters=FindingFilters(search=search), sort="-updated")
    return [k.removeprefix("control ") for k in found.keys if k.startswith("control ")], (
        found.notices
    )


@pytest.fixture(autouse=True)
def catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan, "control_titles", lambda: TITLES)
    monkeypatch.setattr(plan, "finding_titles", lambda state: [])
    monkeypatch.setattr(plan, "catalog_lookup", lambda text: None)


def test_controls_without_findings_are_not_what_the_cap_keeps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counts = {"A09.1": (2, 2), "A10.1": (0, 1), "A11.1": (3, 3)}
    monkeypatch.setattr(plan, "control_finding_counts", lambda state: counts)

    controls, notices = _controls("public")

    assert controls == ["A11.1", "A09.1", "A10.1"]  # most failed first, then most findings
    assert notices == []


def test_past_the_cap_the_controls_with_most_failed_findings_are_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counts = {cid: (n, 20) for n, (cid, _) in enumerate(TITLES)}  # A11.1 fails most
    monkeypatch.setattr(plan, "control_finding_counts", lambda state: counts)

    controls, notices = _controls("public")

    assert controls == [f"A{n:02d}.1" for n in range(11, 3, -1)]
    assert "12 controls with findings" in notices[0] and "most failed" in notices[0]
