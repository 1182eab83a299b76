"""Page cursors are signed with a key derived from SECRET_KEY and bound to the list they page.

The attack (issue 17): cursors were signed with a key derived from public table names, so anyone
could forge one, and a forged cursor naming another partition reached DynamoDB and gave a 500.
Every forged, truncated, foreign or malformed cursor is now a 400 problem on the API lists and a
400 page with a message on the console lists, never a 500.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from console.settings.base import _cursor_signing_key
from ouroboros import pagination
from ouroboros.config import get_config
from ouroboros.executions.selectors import ExecutionFilters, execution_list
from ouroboros.findings.selectors import FindingFilters, finding_list
from ouroboros.models import ExecutionModel, HubReactorModel
from ouroboros.reactors.catalog import LATEST
from tests.console.api import seed
from tests.console.api.conftest import Principal, assert_problem
from tests.findings_factory import samples_write

pytestmark = [pytest.mark.django_db, pytest.mark.functional]

#: The key every cursor used to be signed with: anyone who knows the table names knows it.
PUBLIC_KEY = f"ouroboros-cursor:{get_config().table_name('cursor')}".encode()
HUB_PAGE = "reactors:hub"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _payload(cursor: str) -> dict[str, Any]:
    body = cursor.split(".")[0]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return data


def _signed(payload: dict[str, Any], key: bytes) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return f"{_b64(raw)}.{_b64(hmac.new(key, raw, hashlib.sha256).digest()[:16])}"


@pytest.fixture
def lists(moto_aws: None) -> dict[str, str]:
    """Findings and executions in moto; the next_cursor of the first page of each list."""
    samples_write()
    for n in range(3):
        ExecutionModel(
            f"2024-05-0{n + 1}T00:00:00+00:00#000{n}",
            finding_id=f"arn:aws:securityhub:finding/{n}",
            control_id="S3.5",
            account_id="111111111111",
            reactor_id="s3-ssl-only",
            reactor_version="1.0.0",
            trigger="manual",
            actor="opal",
            status="succeeded" if n else "failed",
            started_at=f"2024-05-0{n + 1}T00:00:00+00:00",
        ).save()
    return {
        "findings": finding_list(limit=1).next_cursor or "",
        "findings_high": finding_list(filters=FindingFilters(severity="HIGH"), limit=1).next_cursor
        or "",
        "executions": execution_list(limit=1).next_cursor or "",
        "executions_ok": execution_list(
            filters=ExecutionFilters(status="succeeded"), limit=1
        ).next_cursor
        or "",
    }


def test_the_console_hands_the_core_a_key_derived_from_its_secret_key() -> None:
    derived = _cursor_signing_key(settings.SECRET_KEY)

    assert derived == settings.OUROBOROS_CURSOR_SIGNING_KEY
    assert pagination._secret() == derived
    assert derived != settings.SECRET_KEY.encode() and len(derived) == 32
    assert _cursor_signing_key(settings.SECRET_KEY + "x") != derived


def test_valid_cursors_still_page(principals: dict[str, Principal], lists: dict[str, str]) -> None:
    reader = principals["read_token"].client

    for path, name in (("/api/v1/findings", "findings"), ("/api/v1/executions", "executions")):
        response = reader.get(path, {"limit": "1", "cursor": lists[name]})
        assert response.status_code == 200, response.content
        assert len(response.json()["results"]) == 1


@pytest.mark.parametrize(
    ("path", "page", "name"),
    [
        ("/api/v1/findings", "finding_list", "findings"),
        ("/api/v1/executions", "execution_list", "executions"),
    ],
)
def test_a_cursor_forged_with_the_public_key_is_refused(
    principals: dict[str, Principal], lists: dict[str, str], path: str, page: str, name: str
) -> None:
    payload = _payload(lists[name])
    [position] = payload["p"]
    position[f"{name[:-1]}_id"] = {"S": "forged"}  # resume wherever the forger likes
    forged = _signed(payload, PUBLIC_KEY)

    body = assert_problem(principals["read_token"].client.get(path, {"cursor": forged}), 400)
    assert body["type"] == "urn:ouroboros:problem:invalid-cursor"
    html = principals["viewer"].client.get(reverse(page), {"cursor": forged})
    assert html.status_code == 400
    assert "damaged or was changed" in html.content.decode()


@pytest.mark.parametrize(
    ("path", "page", "query", "name"),
    [
        ("/api/v1/findings", "finding_list", {}, "executions"),
        ("/api/v1/findings", "finding_list", {}, "findings_high"),
        ("/api/v1/findings", "finding_list", {"severity": "HIGH"}, "findings"),
        ("/api/v1/executions", "execution_list", {}, "findings"),
        ("/api/v1/executions", "execution_list", {}, "executions_ok"),
        ("/api/v1/executions", "execution_list", {"status": "succeeded"}, "executions"),
    ],
)
def test_a_cursor_of_another_list_or_partition_is_refused(
    principals: dict[str, Principal],
    lists: dict[str, str],
    path: str,
    page: str,
    query: dict[str, str],
    name: str,
) -> None:
    cursor = lists[name]
    assert cursor

    response = principals["read_token"].client.get(path, {**query, "cursor": cursor})
    body = assert_problem(response, 400)
    assert body["type"] == "urn:ouroboros:problem:invalid-cursor"
    html = principals["viewer"].client.get(reverse(page), {**query, "cursor": cursor})
    assert html.status_code == 400
    assert "Start from the first page" in html.content.decode()


GARBAGE = ["garbage", "a.b", "e30.AAAA", "eyJ2IjoxfQ.AAAA", "x" * 7000 + ".AAAA", "%%%.%%%"]


@pytest.mark.parametrize(
    ("path", "page"),
    [("/api/v1/findings", "finding_list"), ("/api/v1/executions", "execution_list")],
)
def test_garbage_cursors_are_400_never_500(
    principals: dict[str, Principal], lists: dict[str, str], path: str, page: str
) -> None:
    for cursor in GARBAGE:
        assert_problem(principals["read_token"].client.get(path, {"cursor": cursor}), 400)
        html = principals["viewer"].client.get(reverse(page), {"cursor": cursor})
        assert html.status_code == 400, cursor


@pytest.mark.parametrize("name", ["findings", "executions"])
def test_a_truncated_cursor_is_refused(
    principals: dict[str, Principal], lists: dict[str, str], name: str
) -> None:
    path = f"/api/v1/{name}"
    cut = lists[name][:-3]

    assert_problem(principals["read_token"].client.get(path, {"cursor": cut}), 400)


def test_a_signed_position_in_another_partition_is_a_400_not_a_500(
    principals: dict[str, Principal], lists: dict[str, str]
) -> None:
    """Were the key ever to leak: DynamoDB's refusal of the start key is still a clean 400."""
    payload = _payload(lists["executions"])
    [position] = payload["p"]
    position["kind"] = {"S": "SOMETHING-ELSE"}
    resigned = _signed(payload, pagination._secret())

    body = assert_problem(
        principals["read_token"].client.get("/api/v1/executions", {"cursor": resigned}), 400
    )
    assert body["type"] == "urn:ouroboros:problem:invalid-cursor"


def test_hub_catalog_cursors_are_signed_and_bound_to_the_search(
    principals: dict[str, Principal], moto_aws: None
) -> None:
    seed.hub_seed()
    for reactor_id in ("a-reactor", "z-reactor"):  # three in the catalog: pages of one
        HubReactorModel(
            reactor_id,
            "1.0.0",
            artifact_key="k",
            sha256="cd" * 32,
            status="verified",
            latest=LATEST,
        ).save()
    reader = principals["read_token"].client
    first = reader.get("/api/v1/hub/reactors", {"limit": "1"}).json()
    assert first["next_cursor"]

    resumed = reader.get("/api/v1/hub/reactors", {"limit": "1", "cursor": first["next_cursor"]})
    assert resumed.status_code == 200
    foreign = reader.get(
        "/api/v1/hub/reactors", {"search": "public", "cursor": first["next_cursor"]}
    )
    assert assert_problem(foreign, 400)["type"] == "urn:ouroboros:problem:invalid-cursor"
    forged = _signed(_payload(first["next_cursor"]), PUBLIC_KEY)
    assert_problem(reader.get("/api/v1/hub/reactors", {"cursor": forged}), 400)
    for cursor in [*GARBAGE, forged, first["next_cursor"][:-2]]:
        html = principals["viewer"].client.get(reverse(HUB_PAGE), {"q": "x", "cursor": cursor})
        assert html.status_code == 400, cursor
        assert "first page" in html.content.decode()
