"""The dashboard's findings sync line: read from the collector's checkpoint (issue 25)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from ouroboros.securityhub.collect_checkpoint import SyncCheckpoint, checkpoint_save

pytestmark = [pytest.mark.django_db, pytest.mark.functional]


def test_the_dashboard_shows_a_sync_in_progress_then_done(
    moto_aws: None, as_role: Callable[[str], Client]
) -> None:
    viewer = as_role("viewer")
    assert 'id="findings-sync"' not in viewer.get(reverse("home")).content.decode()

    checkpoint = SyncCheckpoint(
        mode="full",
        start=None,
        end="2024-05-01T12:00:00.000Z",
        sources=["GetFindings"],
        started_at="2024-05-01T12:00:00.000Z",
        read=250_000,
        resumes=3,
    )
    checkpoint_save(checkpoint, now="2024-05-01T13:00:00.000Z")
    html = viewer.get(reverse("home")).content.decode()
    assert "Full sync: " in html
    assert '<span id="findings-sync-read">250000</span> findings read' in html
    assert "started at 2024-05-01T12:00:00.000Z" in html
    assert '<span id="findings-sync-resumes">3</span> times' in html
    assert '<span id="findings-sync-state">in progress</span>' in html

    checkpoint.done = True
    checkpoint_save(checkpoint, now="2024-05-01T13:15:00.000Z")
    html = viewer.get(reverse("home")).content.decode()
    assert '<span id="findings-sync-state">done</span>' in html
