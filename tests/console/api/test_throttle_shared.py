"""Rate limits hold across console instances: the counters live in DynamoDB (issue 25, part 4).

The defect: counters lived in Django's cache, which is each process's memory, so every Lambda
container counted on its own and N containers let N times the limit through. Now each request is
one atomic count in the ``api_rate_limits`` table (`console.api.rate_store`).

The first test runs two real console processes (``throttle_instance``: the local runtime's
settings, so the production store) against one moto server; the others drive the console in
this process on in-process moto, so the strict IAM check judges the console's calls.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from console.api.throttling import AnonymousRateThrottle, TokenRateThrottle
from emulator.moto_server import moto_server_start
from ouroboros.aws import client, reset_sessions
from ouroboros.config import reset_config
from ouroboros.models import ApiRateLimitModel, bind_models
from tests.console.api.conftest import Principal, assert_problem, bearer

pytestmark = [pytest.mark.django_db, pytest.mark.functional]
ROOT = Path(__file__).resolve().parents[3]
BAD_TOKEN = "ouro_0123456789ab_" + "x" * 43
START = 1_800_000_000.0  # the tests' clock: a fixed epoch second, moved by hand


def _rebind() -> None:
    reset_config()
    reset_sessions()
    bind_models()


@pytest.fixture
def moto_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's server on 127.0.0.1 holding only the rate-limit table; reset and stopped after."""
    server = moto_server_start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", server.url)
    _rebind()
    try:
        ApiRateLimitModel.create_table(wait=True)
        yield server.url
    finally:
        urllib.request.urlopen(  # moto's own reset endpoint on 127.0.0.1
            urllib.request.Request(f"{server.url}/moto-api/reset", method="POST"), timeout=10
        ).close()
        server.stop()


def _console_process(secret_file: Path, count: int) -> list[int]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "console.settings.local",
        "OUROBOROS_API_RATE_TOKEN": "10/minute",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.console.api.throttle_instance", str(secret_file), str(count)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    statuses: list[int] = json.loads(done.stdout.strip().splitlines()[-1])
    return statuses


def test_two_console_processes_sharing_one_token_hold_the_limit_in_total(
    moto_url: str, tmp_path: Path
) -> None:
    secret_file = tmp_path / "token-secret"

    first = _console_process(secret_file, 6)
    second = _console_process(secret_file, 6)

    # Each process alone is under 10/minute; together the 11th and 12th requests are refused.
    assert first == [200] * 6
    assert second == [200] * 4 + [429] * 2
    stored = client("dynamodb").scan(TableName=ApiRateLimitModel.Meta.table_name)["Items"]
    assert [(item["counter_key"]["S"], item["hits"]["N"]) for item in stored] == [
        ("throttle_token_1", "12")
    ]


class Clock:
    """The throttles' timer: a fixed time the test moves."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def shared_store(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """The console counts in DynamoDB (as deployed), 3 requests a minute per token or address."""
    clock = Clock()
    for throttle in (TokenRateThrottle, AnonymousRateThrottle):
        monkeypatch.setattr(throttle, "timer", staticmethod(clock))
    rates = {"token": "3/minute", "user": "3/minute", "anon": "3/minute"}
    with override_settings(
        OUROBOROS_API_RATE_STORE="dynamodb",
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates},
    ):
        yield clock


def _counter(key: str) -> ApiRateLimitModel:
    return ApiRateLimitModel.get(key, consistent_read=True)


def _statuses(client: Client, count: int) -> list[int]:
    return [client.get("/api/v1/tokens").status_code for _ in range(count)]


def test_a_token_counts_in_the_shared_table_and_its_window_ends_after_the_period(
    shared_store: Clock, principals: dict[str, Principal]
) -> None:
    token = principals["read_token"]
    assert token.token is not None
    key = f"throttle_token_{token.token.pk}"

    assert _statuses(token.client, 3) == [200] * 3
    shared_store.now += 20
    refused = assert_problem(token.client.get("/api/v1/tokens"), 429)
    assert refused["type"] == "urn:ouroboros:problem:throttled"
    counter = _counter(key)
    assert (counter.hits, counter.window_ends) == (4, START + 60)
    assert counter.expires_at is not None and counter.expires_at.timestamp() > START + 60
    assert token.client.get("/api/v1/findings").headers["Retry-After"] == "40"

    shared_store.now = START + 60  # the window is over: a new one starts with this request
    assert _statuses(token.client, 4) == [200] * 3 + [429]
    assert (_counter(key).hits, _counter(key).window_ends) == (4, START + 120)


def test_bad_tokens_count_in_the_shared_table_against_their_address(
    shared_store: Clock, principals: dict[str, Principal]
) -> None:
    assert _statuses(bearer(BAD_TOKEN), 3) == [401] * 3
    assert_problem(Client().get("/api/v1/tokens"), 429)

    assert _counter("throttle_anon_127.0.0.1").hits == 4
    # A valid token keeps its own counter and is not blocked by the address's.
    assert _statuses(principals["read_token"].client, 1) == [200]


def test_without_the_table_each_instance_still_limits_and_says_why(
    shared_store: Clock, principals: dict[str, Principal], caplog: Any
) -> None:
    client("dynamodb").delete_table(TableName=ApiRateLimitModel.Meta.table_name)

    with caplog.at_level(logging.WARNING, logger="console.api.rate_store"):
        statuses = _statuses(principals["read_token"].client, 4)

    assert statuses == [200] * 3 + [429]
    assert "counting throttle_token_" in caplog.text
    assert "in this instance only" in caplog.text
