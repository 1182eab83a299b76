"""Issue #3's acceptance, end to end on the local runtime: ``securityhub_import`` then
``collect_findings`` (run as the README tells users: management commands in another process)
put the finding into DynamoDB and into the console's home counts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from emulator.bus import bus_current
from emulator.runtime import LocalRuntime
from emulator.scheduler import scheduled_job_runs, scheduled_job_unregister
from ouroboros.models import FindingModel
from tests.conftest import EVENTS_DIR, load_event

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
ACTIVE_COUNT = re.compile(r'<span class="value" id="count-findings-active">(\d+)</span>')


@pytest.fixture
def viewer(db: Any) -> Client:
    user = User.objects.create_user(username="vera", password="x" * 12)
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    browser = Client()
    browser.force_login(user)
    return browser


def _home_active(browser: Client) -> int:
    response = browser.get("/")
    assert response.status_code == 200
    match = ACTIVE_COUNT.search(response.content.decode())
    assert match, "the home page shows no active findings count"
    return int(match.group(1))


def _manage(*args: str) -> str:
    """A management command in its own process (it finds the runtime through its data folder)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _stored(finding_id: str) -> FindingModel | None:
    try:
        return FindingModel.get(finding_id, consistent_read=True)
    except FindingModel.DoesNotExist:
        return None


def _collector_alone(runtime: LocalRuntime) -> None:
    """Leave the collector as the only writer: no scheduled runs, no Imported-event path."""
    deadline = time.monotonic() + 120
    while not any(run.name == "collect_findings" for run in scheduled_job_runs()):
        assert time.monotonic() < deadline, "the scheduler never ran the findings collector"
        time.sleep(0.5)
    scheduled_job_unregister("collect_findings")
    scheduled_job_unregister("collect_controls")
    bus = bus_current()
    assert bus is not None
    bus.unsubscribe("finding-imported")
    assert bus.wait_idle(30)


def test_import_then_collect_shows_the_finding_in_dynamodb_and_on_the_home_page(
    local_runtime: LocalRuntime, viewer: Client
) -> None:
    # As after `make run`: every part of the runtime on.
    first_file = EVENTS_DIR / "eventbridge_events" / "asr_imported_afsbp_ec2.7.json"
    first = load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json")["detail"]["findings"][0]
    before = _home_active(viewer)
    assert _stored(first["Id"]) is None
    assert "1 findings imported" in _manage("securityhub_import", str(first_file))
    report = json.loads(_manage("collect_findings"))
    assert report["read"] >= 1
    stored = _stored(first["Id"])
    assert stored is not None and stored.control_id == "EC2.7"
    assert stored.account_id == first["AwsAccountId"] and stored.record_state == "ACTIVE"
    assert _home_active(viewer) == before + 1

    # The collector on its own (the Imported-event path could have stored the first finding):
    # the finding appears only once collect_findings ran.
    _collector_alone(local_runtime)
    second_file = EVENTS_DIR / "asff_findings" / "asr_afsbp_s3.2.json"
    second = load_event("asff_findings/asr_afsbp_s3.2.json")
    _manage("securityhub_import", str(second_file))
    assert _stored(second["Id"]) is None
    assert _home_active(viewer) == before + 1

    report = json.loads(_manage("collect_findings"))
    assert (report["mode"], report["written"], report["created"]) == ("incremental", 1, 1)
    stored = _stored(second["Id"])
    assert stored is not None and stored.control_id == "S3.2"
    assert _home_active(viewer) == before + 2

    again = json.loads(_manage("collect_findings"))
    assert (again["written"], again["unchanged"]) == (0, again["read"])
    assert _home_active(viewer) == before + 2
