"""Anonymous and bad-token requests are throttled per address, although they end in 401.

The attack (issue 17): DRF runs throttles after authentication and permissions, so 70 anonymous
and 70 bad-token requests all got 401 and never a 429. Now every 401 counts against the ``anon``
limit of its ``REMOTE_ADDR`` (60/minute by default, ``OUROBOROS_API_RATE_ANON``), while a valid
token or session keeps its own limit and is never blocked by that bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.console.api.conftest import Principal, assert_problem, bearer

pytestmark = pytest.mark.django_db
BAD_TOKEN = "ouro_0123456789ab_" + "x" * 43


@pytest.fixture
def anon_rate_5() -> Iterator[None]:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "5/minute"}
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        yield


def _statuses(client: Client, count: int, **extra: Any) -> list[int]:
    return [client.get("/api/v1/tokens", **extra).status_code for _ in range(count)]


def test_the_61st_anonymous_request_in_a_minute_is_429() -> None:
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"] == "60/minute"
    client = Client()

    assert _statuses(client, 60) == [401] * 60
    body = assert_problem(client.get("/api/v1/tokens"), 429)
    assert body["type"] == "urn:ouroboros:problem:throttled"
    assert int(client.get("/api/v1/findings").headers["Retry-After"]) >= 1


def test_bad_tokens_count_against_the_anonymous_limit(anon_rate_5: None) -> None:
    client = bearer(BAD_TOKEN)

    assert _statuses(client, 5) == [401] * 5
    assert_problem(client.get("/api/v1/tokens"), 429)
    # Malformed headers and anonymous requests from the same address share the bucket.
    assert_problem(Client(HTTP_AUTHORIZATION="Bearer a b").get("/api/v1/tokens"), 429)
    assert_problem(Client().get("/api/v1/summary"), 429)


def test_the_address_is_remote_addr_never_x_forwarded_for(anon_rate_5: None) -> None:
    client = Client()
    assert _statuses(client, 5) == [401] * 5

    spoofed = _statuses(client, 3, HTTP_X_FORWARDED_FOR="203.0.113.7")
    elsewhere = client.get("/api/v1/tokens", REMOTE_ADDR="198.51.100.9")

    assert spoofed == [429] * 3
    assert elsewhere.status_code == 401


def test_a_valid_token_or_session_is_not_blocked_by_the_anonymous_bucket(
    anon_rate_5: None, principals: dict[str, Principal]
) -> None:
    assert _statuses(Client(), 5) + _statuses(bearer(BAD_TOKEN), 1) == [401] * 5 + [429]

    assert _statuses(principals["read_token"].client, 10) == [200] * 10
    assert _statuses(principals["viewer"].client, 10) == [200] * 10
