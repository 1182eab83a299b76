"""Bulk dry run in a real Chromium: an operator selects the 200 findings of a filter, dry-runs them,
and the summary lists each finding with its outcome (started in a workflow run, or refused with
the reason).

The console runs in pytest-django's ``live_server`` (a thread of this process) over in-process
moto (``moto_aws``: DynamoDB and Step Functions, where the runs really start); the findings are
seeded with two batched writes of the findings writer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from ouroboros.aws import client
from tests.ouroboros.findings.bulk_support import bulk_findings_seed, workflow_ready

pytestmark = [pytest.mark.browser, pytest.mark.functional]

ACCOUNT = "111122223333"


def test_bulk_dry_run_of_200_findings_selected_by_filter(
    moto_aws: None,
    live_server: Any,
    transactional_db: None,
    browser: Any,
    screenshot: Callable[[Any, str], Path],
) -> None:
    workflow_ready()
    runnable = bulk_findings_seed(190)
    refused = bulk_findings_seed(10, prefix="noreactor", control_id="S3.9")
    user = User.objects.create_user("otto", password="otto-password-1")
    user.groups.add(Group.objects.get_or_create(name="operator")[0])

    context = browser.new_context(viewport={"width": 1360, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/findings/?account={ACCOUNT}")
        page.fill("#id_username", "otto")
        page.fill("#id_password", "otto-password-1")
        page.click("button[type=submit]")
        page.wait_for_selector("#bulk-form")
        assert "account=" + ACCOUNT in page.url

        page.check("#bulk-scope-filter")
        page.select_option("#bulk-action", "dry_run")
        page.click("#bulk-submit")
        page.wait_for_selector("#bulk-members")
        screenshot(page, "summary")

        assert page.inner_text("#bulk-title") == "Dry run: 200 findings"
        rows = page.eval_on_selector_all(
            "#bulk-members tbody tr",
            "rows => rows.map(r => [r.dataset.findingId, r.dataset.outcome, r.innerText])",
        )
        outcomes = {finding_id: outcome for finding_id, outcome, _ in rows}
        assert outcomes == {
            **dict.fromkeys(runnable, "started"),
            **dict.fromkeys(refused, "refused"),
        }
        texts = {finding_id: text for finding_id, _, text in rows}
        assert all("control S3.9 has no reactor assigned" in texts[i] for i in refused)
        assert all("workflow run manual-" in texts[i] for i in runnable)
    finally:
        context.close()

    # The runs that started: the 190 findings' ids, in runs of at most 100.
    sfn = client("stepfunctions")
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert len(executions) >= 2 and all(e["name"].startswith("manual-") for e in executions)
