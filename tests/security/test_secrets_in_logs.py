"""Secrets never reach a log line: webhook URLs on the notify path, API token secrets on the
token-creation paths, SSM SecureStrings and assumed-role credentials in botocore's DEBUG output,
and nothing of the kind in the deployed functions' JSON lines (`ouroboros.observability.logging`).

Everything is logged at DEBUG, botocore, urllib3 and Django's SQL logger included, and captured
twice: by ``caplog`` (the records) and by ``capfd`` (what reaches the process's stdout / stderr
through a plain stream handler, as on Lambda). Each test first checks that the capture did see
the path run (the messages it must contain), so a silent capture cannot pass.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from console.tokens.models import ApiToken
from lambdas import notify_subscriber, send_notification
from ouroboros.aws import client, member_session
from ouroboros.aws.parameters import parameter_get
from ouroboros.config import get_config, reset_config
from ouroboros.observability.logging import function_handler
from tests.console.api.conftest import make_user
from tests.http_server import http_server_running

NOISY = ("botocore", "boto3", "urllib3", "moto", "django", "django.db.backends", "ouroboros")
HOOK_SECRET = "T0KEN-in-the-webhook-url-3f9a"
PARAMETER_SECRET = "secret-from-ssm-71c2"
CORRELATION_ID = "c0ffee0123456789abcd"

MESSAGE = {
    "execution_id": "2026-11-27T10:00:00.000Z#abcd",
    "status": "failed",
    "finding_id": "arn:aws:securityhub:us-east-1:222222222222:finding/x",
    "control_id": "S3.2",
    "account_id": "222222222222",
    "region": "us-east-1",
    "resource_id": "arn:aws:s3:::bucket",
    "reactor_id": "s3-public-read",
    "reactor_version": "1.0.0",
    "trigger": "event",
    "actor": "eventbridge",
    "dry_run": False,
    "changes": 0,
    "error": "ReactorError: boom",
}


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """DEBUG on every logger that matters, to caplog and to stderr (as a Lambda would print)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    saved = {name: logging.getLogger(name).level for name in NOISY}
    caplog.set_level(logging.DEBUG)
    for name in NOISY:
        caplog.set_level(logging.DEBUG, logger=name)
    try:
        yield caplog
    finally:
        root.removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _logged(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> str:
    out, err = capfd.readouterr()
    records = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {getattr(r, 'request', '')}"
        for r in caplog.records
    )
    return "\n".join((records, out, err))


class Hook(BaseHTTPRequestHandler):
    """A webhook that fails (500) on one path and accepts the others."""

    posted: list[str] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        Hook.posted.append(self.path)
        self.send_response(500 if "fail" in self.path else 200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    Hook.posted = []
    with http_server_running(Hook) as url:
        yield url


@pytest.mark.functional
def test_the_notify_path_never_logs_a_webhook_url(
    moto_aws: None,
    hook: str,
    monkeypatch: pytest.MonkeyPatch,
    everything_logged: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Publish (SNS), deliver to three channels (one URL from SSM, one failing), at DEBUG."""
    client("ssm").put_parameter(
        Name="/ouroboros/dev/slack-webhook-url",
        Value=f"{hook}/slack/{PARAMETER_SECRET}",
        Type="SecureString",
    )
    monkeypatch.setenv("OUROBOROS_WECHAT_WEBHOOK_URL", f"{hook}/wechat/{HOOK_SECRET}")
    monkeypatch.setenv("OUROBOROS_SLACK_WEBHOOK_URL_PARAMETER", "/ouroboros/dev/slack-webhook-url")
    monkeypatch.setenv("OUROBOROS_WEBHOOK_URL", f"{hook}/fail/{HOOK_SECRET}")
    reset_config()
    client("sns").create_topic(Name=get_config().notification_topic_name)
    parameter_get.cache_clear()
    monkeypatch.setattr("ouroboros.notify.delivery.time.sleep", lambda _: None)
    capfd.readouterr()
    everything_logged.clear()

    message = {**MESSAGE, "correlation_id": CORRELATION_ID}
    published = send_notification.handler({"messages": [message]})
    event = {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(message)}}]}
    delivered = notify_subscriber.handler(event)

    logged = _logged(everything_logged, capfd)
    json_lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    # The functions' JSON logger (ouroboros.observability.logging) wrote its lines too.
    assert {
        line["service"] for line in json_lines if line.get("correlation_id") == CORRELATION_ID
    } >= {"send_notification", "notify_subscriber"}
    assert published and delivered == {"delivered": 1}
    assert sorted(p.split("/")[1] for p in Hook.posted).count("fail") == 3  # retried
    assert {"slack", "wechat"} <= {p.split("/")[1] for p in Hook.posted}
    assert "Publish" in logged and "GetParameter" in logged  # botocore's DEBUG was captured
    assert "notification to webhook failed" in logged
    assert HOOK_SECRET not in logged
    assert PARAMETER_SECRET not in logged


def test_the_functions_json_logger_never_writes_a_secret(capfd: pytest.CaptureFixture[str]) -> None:
    """What a function's JSON lines carry (message, ``extra`` keys, an exception's text) is
    redacted: a webhook URL keeps its host only, a token-named key or an API token its name."""
    url = f"https://hooks.example.com/services/{HOOK_SECRET}"

    @function_handler("notify_subscriber", correlation=lambda event: {"correlation_id": "c-1"})
    def careless(event: dict[str, Any], context: Any = None) -> None:
        logging.getLogger("ouroboros.notify.delivery").warning(
            "posting to %s", url, extra={"webhook_url": url, "api_token": f"ouro_r_{HOOK_SECRET}"}
        )
        raise RuntimeError(f"could not post to {url}")

    capfd.readouterr()
    with pytest.raises(RuntimeError):
        careless({})
    out, err = capfd.readouterr()
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [line["level"] for line in lines] == ["WARNING", "ERROR"]  # both were written
    assert lines[0]["message"].startswith("posting to https://hooks.example.com/")
    assert HOOK_SECRET not in out + err


@pytest.mark.functional
def test_assumed_role_credentials_stay_out_of_debug_logs(
    moto_aws: None,
    everything_logged: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    session = member_session("222222222222")
    credentials = session.get_credentials().get_frozen_credentials()
    # The same call made without the guard: botocore does log the credentials at DEBUG, so the
    # capture works and what keeps the member session's out is the guard.
    bare = client("sts").assume_role(
        RoleArn="arn:aws:iam::333333333333:role/other", RoleSessionName="bare"
    )["Credentials"]
    logged = _logged(everything_logged, capfd)
    assert bare["SecretAccessKey"] in logged
    assert credentials.secret_key not in logged and credentials.token not in logged


@pytest.mark.django_db
@pytest.mark.functional
def test_token_creation_never_logs_the_secret(
    django_user_model: Any,
    everything_logged: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The three ways to mint a token: the API, the admin page, the management command; with
    Django's SQL logger on (``force_debug_cursor``), so even query parameters are checked."""
    admin = make_user(django_user_model, "ada", "admin")
    make_user(django_user_model, "opal", "operator")
    browser = Client()
    browser.force_login(admin)
    connection.force_debug_cursor = True
    try:
        capfd.readouterr()
        everything_logged.clear()
        api = browser.post(
            "/api/v1/tokens",
            {"name": "pipeline", "scope": "read"},
            content_type="application/json",
            HTTP_X_CSRFTOKEN="",
        )
        page = browser.post(
            "/tokens/create", {"user": admin.pk, "name": "nightly", "scope": "write"}
        )
        out = io.StringIO()
        call_command(
            "api_token",
            "create",
            "--user",
            "opal",
            "--scope",
            "read",
            stdout=out,
            stderr=io.StringIO(),
        )
    finally:
        connection.force_debug_cursor = False
    secrets = [
        api.json()["token"],
        page.content.decode().split('<code id="new-token">')[1].split("</code>")[0],
        out.getvalue().strip(),
    ]
    assert ApiToken.objects.count() == 3
    logged = _logged(everything_logged, capfd)
    assert "INSERT INTO" in logged  # the SQL logger did run
    for secret in secrets:
        assert secret.startswith("ouro_")
        assert secret.split("_", 2)[2] not in logged
