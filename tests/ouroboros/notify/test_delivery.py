"""The notification subscriber: channel formats, retries, and webhook URLs kept secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from ouroboros.aws import client
from ouroboros.config import get_config, reset_config
from ouroboros.models import NotificationModel
from ouroboros.models.notifications import RETENTION_DAYS
from ouroboros.notify import delivery
from ouroboros.notify.delivery import (
    notification_deliveries_list,
    notification_list,
    sns_event_deliver,
)
from ouroboros.notify.formats import slack_payload, wechat_payload
from ouroboros.pagination import InvalidCursorError
from tests.http_server import http_server_running

MESSAGE = {
    "execution_id": "2026-11-27T10:00:00.000Z#abcd",
    "status": "succeeded",
    "finding_id": "arn:aws:securityhub:us-east-1:222222222222:finding/x",
    "control_id": "S3.2",
    "account_id": "222222222222",
    "region": "us-east-1",
    "resource_id": "arn:aws:s3:::ouroboros-demo-public-222222222222",
    "reactor_id": "s3-public-read",
    "reactor_version": "1.0.0",
    "trigger": "event",
    "actor": "eventbridge",
    "dry_run": False,
    "changes": 1,
    "error": None,
}


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]] = []
    fail_first: set[str] = set()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path in Receiver.fail_first:
            Receiver.fail_first.discard(self.path)
            self.send_response(503)
        else:
            Receiver.received.append((self.path, body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    Receiver.fail_first = {"/wechat-secret-token"}
    with http_server_running(Receiver) as url:
        yield url


def sns_event(message: dict[str, Any]) -> dict[str, Any]:
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(message)}}]}


def test_formats_follow_each_channels_json() -> None:
    wechat = wechat_payload(MESSAGE)
    assert wechat["msgtype"] == "markdown" and "S3.2 remediated" in wechat["markdown"]["content"]
    assert "S3.2 remediated" in slack_payload(MESSAGE)["text"]
    failed = wechat_payload({**MESSAGE, "status": "failed", "error": "ReactorError: boom"})
    assert "FAILED" in failed["markdown"]["content"] and "boom" in failed["markdown"]["content"]


@pytest.mark.functional
def test_every_channel_is_posted_with_retries_and_no_url_is_logged_or_recorded(
    moto_aws: None,
    receiver: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead = "http://127.0.0.1:9/dead-secret-token"  # the discard port: connection refused
    monkeypatch.setenv("OUROBOROS_WECHAT_WEBHOOK_URL", f"{receiver}/wechat-secret-token")
    monkeypatch.setenv("OUROBOROS_SLACK_WEBHOOK_URL", f"{receiver}/slack-secret-token")
    monkeypatch.setenv("OUROBOROS_WEBHOOK_URL", dead)
    reset_config()
    caplog.set_level(logging.DEBUG)

    records = sns_event_deliver(event=sns_event(MESSAGE), pause=0.01)

    paths = sorted(path for path, _ in Receiver.received)
    assert paths == ["/slack-secret-token", "/wechat-secret-token"]  # WeChat after one 503
    wechat = next(body for path, body in Receiver.received if path.startswith("/wechat"))
    assert wechat["msgtype"] == "markdown"
    channels = records[0]["channels"]
    assert channels["wechat"].startswith("ok") and channels["slack"].startswith("ok")
    assert channels["webhook"].startswith("failed: connection error")
    stored = json.dumps(client("dynamodb").scan(TableName=NotificationModel.Meta.table_name))
    assert "connection error" in stored
    everything = caplog.text + stored + repr(get_config()) + json.dumps(records)
    assert "secret-token" not in everything
    assert notification_deliveries_list()[0]["message"]["execution_id"] == MESSAGE["execution_id"]


@pytest.mark.functional
def test_a_channel_whose_parameter_was_never_created_is_not_configured_not_failed(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Every deployment names the three webhook parameters; only the created ones are posted to."""
    import boto3

    from ouroboros.aws import reset_sessions
    from ouroboros.aws.parameters import parameter_get

    with http_server_running(Receiver) as base:
        boto3.client("ssm").put_parameter(
            Name="/ouroboros/prod/slack-webhook-url", Value=f"{base}/slack", Type="SecureString"
        )
        monkeypatch.setenv(
            "OUROBOROS_SLACK_WEBHOOK_URL_PARAMETER", "/ouroboros/prod/slack-webhook-url"
        )
        monkeypatch.setenv("OUROBOROS_WEBHOOK_URL_PARAMETER", "/ouroboros/prod/webhook-url")
        reset_config()
        reset_sessions()
        parameter_get.cache_clear()
        Receiver.received.clear()
        with caplog.at_level(logging.WARNING):
            (record,) = sns_event_deliver(
                event={"Records": [{"Sns": {"Message": json.dumps(MESSAGE)}}]}, pause=0
            )
        parameter_get.cache_clear()
    assert record["channels"]["slack"].startswith("ok")
    assert record["channels"]["webhook"] == "not configured"
    assert [path for path, _ in Receiver.received] == ["/slack"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.functional
def test_deliveries_are_stored_with_a_ttl_and_paged_newest_first_by_an_index(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUROBOROS_SLACK_WEBHOOK_URL", "https://hooks.example.com/x")
    reset_config()
    monkeypatch.setattr(delivery, "channel_post", lambda *args, **kwargs: "ok (200)")
    for n in range(5):
        delivery.notification_deliver(message={**MESSAGE, "execution_id": f"e-{n}"})
    operations: list[str] = []
    ddb = NotificationModel._get_connection().connection.client
    ddb.meta.events.register(
        "before-call.dynamodb.*", lambda model, **kw: operations.append(model.name)
    )

    first = notification_list(limit=2)
    second = notification_list(limit=2, cursor=first.next_cursor)
    last = notification_list(limit=2, cursor=second.next_cursor)

    shown = [d.message["execution_id"] for d in first.items + second.items + last.items]
    assert shown == ["e-4", "e-3", "e-2", "e-1", "e-0"]
    assert last.next_cursor is None
    assert set(operations) == {"Query"}  # time-index, never a Scan
    assert first.items[0].channels == {"slack": "ok (200)"}
    item = NotificationModel.from_raw_data(
        client("dynamodb").scan(TableName=NotificationModel.Meta.table_name)["Items"][0]
    )
    kept = item.expires_at - first.items[0].at
    assert abs(kept.total_seconds() - RETENTION_DAYS * 86400) < 120
    with pytest.raises(InvalidCursorError):
        notification_list(limit=2, cursor=first.next_cursor + "x")
    assert notification_deliveries_list(limit=1)[0]["message"]["execution_id"] == "e-4"
