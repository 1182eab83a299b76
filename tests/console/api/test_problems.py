"""One error shape for every failure under /api/: RFC 7807 problem details."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from console.tokens.models import ApiToken
from ouroboros.errors import ConflictError, OuroborosError, ValidationError
from tests.console.api.conftest import Principal, assert_problem
from tests.console.api.urls_errors import all_error_classes

pytestmark = [pytest.mark.django_db, pytest.mark.functional]


def _post(client: Client, path: str, body: Any, content_type: str = "application/json") -> Any:
    return client.post(path, body, content_type=content_type)


def test_validation_errors_point_at_each_field(principals: dict[str, Principal]) -> None:
    response = _post(
        principals["write_token"].client,
        "/api/v1/tokens",
        {"scope": "owner", "expires_days": "7", "name": 5},
    )
    body = assert_problem(response, 400)
    assert body["type"] == "urn:ouroboros:problem:validation"
    pointers = {error["pointer"] for error in body["errors"]}
    assert pointers == {"#/name", "#/scope", "#/expires_days"}
    assert ApiToken.objects.count() == 4  # nothing written


def test_a_body_that_is_not_an_object_is_a_validation_error(
    principals: dict[str, Principal],
) -> None:
    body = assert_problem(_post(principals["write_token"].client, "/api/v1/tokens", [1, 2]), 400)
    assert body["errors"][0]["pointer"] == "#"


def test_query_validation_errors(principals: dict[str, Principal], moto_aws: None) -> None:
    client = principals["viewer"].client
    for query in ("days=0", "days=abc", "days=", "days=1.5", "record_state=DELETED"):
        body = assert_problem(client.get(f"/api/v1/summary?{query}"), 400)
        assert body["errors"][0]["pointer"] in ("#/days", "#/record_state"), query
    body = assert_problem(principals["admin"].client.get("/api/v1/audit?cursor=abc"), 400)
    assert body["errors"][0]["pointer"] == "#/cursor"


def test_malformed_json_and_wrong_media_type(principals: dict[str, Principal]) -> None:
    client = principals["write_token"].client
    body = assert_problem(_post(client, "/api/v1/tokens", "{nope"), 400)
    assert body["type"] == "urn:ouroboros:problem:parse-error"
    body = assert_problem(_post(client, "/api/v1/tokens", "name=x", "text/plain"), 415)
    assert body["type"] == "urn:ouroboros:problem:unsupported-media-type"


def test_unknown_urls_under_api_are_404_problems_for_every_method() -> None:
    client = Client()
    for method in ("get", "post", "put", "patch", "delete", "options"):
        for path in ("/api/", "/api/v1/", "/api/v1/nothing", "/api/v2/summary", "/api/v1/summary/"):
            body = assert_problem(getattr(client, method)(path), 404)
            assert body["type"] == "urn:ouroboros:problem:not-found"


def test_an_unknown_item_is_a_404_problem(principals: dict[str, Principal]) -> None:
    client = principals["write_token"].client
    assert_problem(client.delete("/api/v1/tokens/987654321"), 404)
    assert_problem(client.delete("/api/v1/tokens/0"), 404)  # not even a valid id
    assert_problem(client.delete("/api/v1/tokens/99999999999999999999"), 404)


def test_unsupported_methods_are_405_problems_with_allow(principals: dict[str, Principal]) -> None:
    client = principals["admin"].client
    response = client.put("/api/v1/tokens")
    body = assert_problem(response, 405)
    assert body["type"] == "urn:ouroboros:problem:method-not-allowed"
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"
    options = client.options("/api/v1/tokens")
    assert options.status_code == 204 and options["Allow"] == response["Allow"]
    assert client.get("/api/v1/tokens")["Allow"] == response["Allow"]
    assert client.head("/api/v1/tokens").status_code == 200


@pytest.mark.urls("tests.console.api.urls_errors")
def test_every_ouroboros_error_maps_to_its_status(principals: dict[str, Principal]) -> None:
    classes = all_error_classes()
    assert {"NotFoundError", "ValidationError", "ConflictError", "ApiTokenInvalidError"} <= set(
        classes
    )
    client = principals["viewer"].client
    for name, cls in classes.items():
        response = client.get(f"/api/test/raise/{name}")
        if cls.status_code == OuroborosError.status_code:
            assert_problem(response, 500)
            continue
        body = assert_problem(response, cls.status_code)
        assert body["detail"] == f"{name} raised on purpose"
        if issubclass(cls, ValidationError):
            assert body["errors"] == [{"pointer": "#", "detail": body["detail"]}]
        assert body["type"].startswith("urn:ouroboros:problem:")
        assert body["title"]
    conflict = client.get("/api/test/raise/ConflictError").json()
    assert conflict["status"] == ConflictError.status_code == 409
    assert conflict["type"] == "urn:ouroboros:problem:conflict"
    assert conflict["title"] == "Conflict"


def test_a_duplicate_token_name_is_a_409(principals: dict[str, Principal]) -> None:
    client = principals["write_token"].client
    _post(client, "/api/v1/tokens", {"name": "twice", "scope": "read"})
    body = assert_problem(_post(client, "/api/v1/tokens", {"name": "twice", "scope": "read"}), 409)
    assert "twice" in body["detail"]


@pytest.mark.urls("tests.console.api.urls_errors")
def test_unexpected_errors_are_500_problems_without_internals(
    principals: dict[str, Principal], settings: Any
) -> None:
    response = principals["viewer"].client.get("/api/test/crash")
    body = assert_problem(response, 500)
    assert "internal detail" not in response.content.decode()
    assert "Traceback" not in response.content.decode() and "traceback" not in body
    settings.DEBUG = True
    body = assert_problem(principals["viewer"].client.get("/api/test/crash"), 500)
    assert "internal detail" in body["detail"] and body["traceback"]


def test_rate_limits_answer_429_with_retry_after(
    principals: dict[str, Principal], settings: Any
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/minute", "user": "2/minute", "anon": None},
    }
    reader, other = principals["read_token"], principals["write_token"]
    assert [reader.client.get("/api/v1/tokens").status_code for _ in range(3)] == [200] * 3
    response = reader.client.get("/api/v1/tokens")
    body = assert_problem(response, 429)
    assert body["type"] == "urn:ouroboros:problem:throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Keyed by token: another token of the same user still has its own budget.
    assert other.client.get("/api/v1/tokens").status_code == 200
    viewer = principals["viewer"].client
    assert [viewer.get("/api/v1/tokens").status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.urls("tests.console.api.urls_errors")
def test_sessions_need_the_csrf_token_for_writes(users: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["opal"])
    body = assert_problem(client.post("/api/test/echo", {}, content_type="application/json"), 403)
    assert "CSRF" in body["detail"]
    client.get("/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/test/echo", {}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200


@pytest.mark.urls("tests.console.api.urls_errors")
def test_bearer_requests_need_no_csrf_token(principals: dict[str, Principal]) -> None:
    writer = principals["write_token"]
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {writer.secret}")
    assert client.post("/api/test/echo", {}, content_type="application/json").status_code == 200
