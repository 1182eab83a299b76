"""Acceptance, in the local runtime: publish with ``hub_publish``, install from the Hub catalog
page as an operator, and within seconds the function and the role exist in the moto server and
the status is installed; uninstall from the installed page removes both."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

from ouroboros.aws import client
from ouroboros.models import LocalReactorModel
from tests.integration.test_reactor_lifecycle import (
    FUNCTION,
    hub_status,
    local_status,
)
from tests.reactor_support import CATALOG, iam_role_exists, lambda_function_exists, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def operator(db: Any) -> Client:
    user = User.objects.create_user(username="olga", password="x" * 12)
    # An admin: s3-public-read writes bucket policies, which only an admin may approve.
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    browser = Client()
    browser.force_login(user)
    return browser


def test_install_and_uninstall_from_the_console(local_runtime: Any, operator: Client) -> None:
    call_command("hub_publish", str(CATALOG / "s3_public_read"), stdout=io.StringIO())
    assert wait_for(lambda: hub_status("s3-public-read", "1.0.0"), "verification") == "verified"

    catalog = operator.get("/reactors/").content.decode()
    assert 'action="/reactors/hub/s3-public-read/install/"' in catalog
    approval = ["s3:DeleteBucketPolicy", "s3:PutBucketPolicy"]
    operator.post(
        "/reactors/hub/s3-public-read/install/", {"version": "1.0.0", "approve": approval}
    )
    assert wait_for(lambda: local_status("s3-public-read"), "install") == "installed"
    assert lambda_function_exists(FUNCTION) and iam_role_exists(FUNCTION)
    function = client("lambda").get_function(FunctionName=FUNCTION)["Configuration"]
    assert LocalReactorModel.get("s3-public-read").function_arn == function["FunctionArn"]
    assert "installed" in operator.get("/reactors/installed/").content.decode()

    operator.post("/reactors/installed/s3-public-read/uninstall/")
    wait_for(
        lambda: not lambda_function_exists(FUNCTION) and not iam_role_exists(FUNCTION), "uninstall"
    )
    assert "No reactor installed" in operator.get("/reactors/installed/").content.decode()
