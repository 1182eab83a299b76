"""The findings list's numbers in a real Chromium at 1024 px: a facet count, then an export.

Expected values are computed here from the seeded findings, not read from the counters.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from tests.console.conftest import Seeded, seed_security_data

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def console(
    live_server: Any, ddb_tables: str, transactional_db: None, settings: Any
) -> Iterator[Seeded]:
    # The live server is a thread of this process sharing its in-memory database: the export
    # runs in the request (a runner thread would open a database of its own).
    settings.EXPORT_RUNNER = "inline"
    user = User.objects.create_user("otto", password="otto-password-1")
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    yield seed_security_data()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1024, "height": 800}, accept_downloads=True)
    yield context.new_page()
    context.close()


def test_a_facet_count_filters_the_list_and_the_view_exports_as_csv(
    console: Seeded, live_server: Any, page: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    critical = sorted(
        (f for f in console.findings if f.severity_label == "CRITICAL"),
        key=lambda f: f.updated_at,
        reverse=True,
    )
    page.goto(f"{live_server.url}/findings/")
    page.fill("#id_username", "otto")
    page.fill("#id_password", "otto-password-1")
    page.click("button[type=submit]")
    page.wait_for_selector("#facets")

    facet = page.locator('#facet-severity a[data-value="CRITICAL"]')
    assert facet.locator(".count").inner_text() == str(len(critical))
    assert page.inner_text("#list-total").startswith(f"{len(console.findings)} findings")
    facet.click()
    page.wait_for_url("**/findings/?*severity=CRITICAL*")
    assert page.inner_text("#list-total").startswith(f"{len(critical)} findings")
    assert page.locator("#findings-table tbody tr").count() == len(critical)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024  # no overflow
    table = page.locator(".table-wrap")  # ... nor a scrolled table
    assert table.evaluate("e => e.scrollWidth <= e.clientWidth")
    screenshot(page, "findings-facets-1024")

    page.select_option("#export-format", "csv")
    page.click("#export-button")
    page.wait_for_selector("#export-download")
    with page.expect_download() as download:
        page.click("#export-download")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))

    assert [r["finding_id"] for r in rows] == [f.finding_id for f in critical]
    assert download.value.suggested_filename.endswith(".csv")
