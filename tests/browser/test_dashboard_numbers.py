"""The dashboard's numbers in a real Chromium, on seeded data whose expected values this test
computes: fixes apart from skips, dry runs and failures; median and p90 time to remediate; the
failing controls with and without a reactor; exemptions expiring within 14 days; top failing
controls tied by severity; and the time charts spanning their panel."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from console.findings.templatetags.console_query import duration
from ouroboros.aggregates.remediation import ttr_bucket, ttr_quantile
from ouroboros.executions.services import execution_record
from ouroboros.models import ControlModel, HubReactorModel
from ouroboros.models.controls import KIND_CONTROL, Exemption
from ouroboros.models.findings import SEVERITY_RANK
from ouroboros.reactors.catalog import LATEST
from ouroboros.securityhub.asff import asff_parse
from ouroboros.securityhub.catalog import catalog_lookup
from tests.console.conftest import Seeded, seed_security_data
from tests.findings_factory import sample_asff

pytestmark = [pytest.mark.browser, pytest.mark.integration]

HOURS = (1, 3, 6, 30, 24 * 400)  # the fixes' times to remediate; one finding a year old
OUTCOMES = {"dry_run": 2, "skipped": 4, "failed": 1}


@dataclasses.dataclass
class Expected:
    fixed: int
    others: dict[str, int]
    seconds: list[int]
    failing: set[str]
    covered: set[str]
    top: list[str]


def _seed_remediations(now: datetime) -> list[int]:
    finding = asff_parse(sample_asff("asr_afsbp_s3.2.json"))
    ended = now.isoformat().replace("+00:00", "Z")
    seconds = []
    for hours in HOURS:
        observed = (now - timedelta(hours=hours)).isoformat().replace("+00:00", "Z")
        fixed = dataclasses.replace(finding, first_observed_at=observed, created_at=observed)
        execution_record(finding=fixed, status="succeeded", finished_at=ended)
        seconds.append(hours * 3600)
    for _ in range(OUTCOMES["dry_run"]):
        execution_record(finding=finding, status="succeeded", dry_run=True, finished_at=ended)
    for _ in range(OUTCOMES["skipped"]):
        execution_record(finding=finding, status="skipped", skip_reason="off", finished_at=ended)
    execution_record(finding=finding, status="failed", error="boom", finished_at=ended)
    return seconds


def _exemptions(now: datetime) -> None:
    control = ControlModel.get("S3.2", KIND_CONTROL)
    control.exemptions = [
        Exemption(
            exemption_id=f"e{days}",
            resource_pattern=f"arn:aws:s3:::bucket-{days}",
            expires_at=now + timedelta(days=days),
            reason=f"expires in {days} days",
            created_by="olga",
            created_at=now,
        )
        for days in (5, 20)
    ]
    control.save()


@pytest.fixture
def seeded(live_server: Any, ddb_tables: str, transactional_db: None) -> Iterator[Expected]:
    user = User.objects.create_user("vera", password="vera-password-1")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    data: Seeded = seed_security_data()
    now = datetime.now(UTC).replace(microsecond=0)
    seconds = _seed_remediations(now)
    _exemptions(now)
    failed = Counter(
        f.control_id
        for f in data.findings
        if f.record_state == "ACTIVE" and f.compliance_status == "FAILED" and f.control_id
    )
    covered = set(sorted(failed)[:2])
    HubReactorModel(
        "fixes-two",
        "1.0.0",
        artifact_key="k",
        sha256="0" * 64,
        status="verified",
        latest=LATEST,
        control_ids=sorted(covered),
    ).save()

    def rank(control_id: str) -> tuple[int, int, str]:
        known = catalog_lookup(control_id)
        severity = SEVERITY_RANK.get(known.severity.upper(), -1) if known else -1
        return (-failed[control_id], -severity, control_id)

    yield Expected(
        fixed=len(HOURS),
        others=OUTCOMES,
        seconds=seconds,
        failing=set(failed),
        covered=covered,
        top=sorted(failed, key=rank)[:10],
    )


def _quantile(seconds: list[int], q: float) -> tuple[float, int]:
    """The histogram's estimate (what the page shows) and the true value it stands for."""
    histogram = Counter(ttr_bucket(s) for s in seconds)
    estimate = ttr_quantile(histogram, q)
    assert estimate is not None
    true = sorted(seconds)[max(1, math.ceil(q * len(seconds))) - 1]
    return estimate, true


def test_the_dashboard_shows_numbers_a_security_lead_can_trust(
    seeded: Expected,
    live_server: Any,
    browser: Any,
    screenshot: Callable[[Any, str], Path],
) -> None:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        page.fill("#id_username", "vera")
        page.fill("#id_password", "vera-password-1")
        page.click("button[type=submit]")
        page.wait_for_selector("#count-fixed")
        screenshot(page, "dashboard")

        assert page.inner_text("#count-fixed") == str(seeded.fixed)
        for outcome, count in seeded.others.items():
            assert page.inner_text(f"#count-{outcome}") == str(count), outcome
        median, true_median = _quantile(seeded.seconds, 0.5)
        p90, true_p90 = _quantile(seeded.seconds, 0.9)
        assert ttr_bucket(median) == ttr_bucket(true_median)  # 6 h, not the mean's 80 days
        assert ttr_bucket(p90) == ttr_bucket(true_p90)
        assert page.inner_text("#ttr-median") == duration(median)
        assert page.inner_text("#ttr-p90") == duration(p90)
        assert page.inner_text("#ttr-count") == str(len(seeded.seconds))

        with_reactor = len(seeded.covered & seeded.failing)
        assert page.inner_text("#coverage-with") == str(with_reactor)
        assert page.inner_text("#coverage-failing") == str(len(seeded.failing))
        assert page.inner_text("#coverage-without") == str(len(seeded.failing) - with_reactor)

        assert page.inner_text("#count-expiring") == "1"
        rows = page.locator("#exemptions-expiring tbody tr").all_inner_texts()
        assert len(rows) == 1 and "S3.2" in rows[0] and "expires in 5 days" in rows[0]

        labels = page.locator("#chart-controls text.bar-label").all_text_contents()
        assert labels == seeded.top

        for chart in ("#chart-remediations", "#chart-mttr"):
            width = page.evaluate(
                """(selector) => {
                    const svg = document.querySelector(selector);
                    const panel = svg.closest('.panel');
                    const style = getComputedStyle(panel);
                    const inner = panel.clientWidth - parseFloat(style.paddingLeft)
                        - parseFloat(style.paddingRight);
                    return [svg.getBoundingClientRect().width, inner];
                }""",
                chart,
            )
            assert width[0] == pytest.approx(width[1], abs=2), chart
        last = page.evaluate(
            """() => {
                const svg = document.querySelector('#chart-remediations');
                const cols = svg.querySelectorAll('rect.col-hit');
                const box = cols[cols.length - 1].getBoundingClientRect();
                return [box.right, svg.getBoundingClientRect().right];
            }"""
        )
        assert last[0] == pytest.approx(last[1], abs=4)  # the columns reach the right edge
    finally:
        context.close()
