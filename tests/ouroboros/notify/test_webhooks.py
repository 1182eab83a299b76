"""Webhook URL policy (issue 17): https to public hosts only, no redirect to another host, plain
http to loopback only in the local runtime; a refusal names the rule, never the URL."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from ouroboros.aws import client
from ouroboros.config import get_config, reset_config
from ouroboros.models import NotificationModel
from ouroboros.notify import webhooks
from ouroboros.notify.delivery import channel_post, notification_deliver
from ouroboros.notify.webhooks import WebhookRefused, webhook_url_check
from tests.http_server import http_server_running

MESSAGE = {"execution_id": "e-1", "status": "succeeded", "control_id": "S3.2"}
SECRET = "hook-secret-token"


class Receiver(BaseHTTPRequestHandler):
    """Records every request; ``redirect_to`` (when set) answers POSTs with a 302 there."""

    received: list[tuple[str, str]] = []
    redirect_to = ""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Receiver.received.append(("POST", f"{self.server.server_port}{self.path}"))  # type: ignore[attr-defined]
        if Receiver.redirect_to:
            self.send_response(302)
            self.send_header("Location", Receiver.redirect_to)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        Receiver.received.append(("GET", f"{self.server.server_port}{self.path}"))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    Receiver.redirect_to = ""
    with http_server_running(Receiver) as url:
        yield url


def _aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUROBOROS_RUNTIME", "aws")
    reset_config()


def _resolving_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    """Every name resolves to ``address`` (no DNS in tests)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"ftp://files.example.com/{SECRET}", "scheme not allowed (https only)"),
        (f"file:///etc/{SECRET}", "scheme not allowed (https only)"),
        (f"http://hooks.example.com/{SECRET}", "plain http to a host that is not loopback"),
        (f"https://10.0.0.1/{SECRET}", "host resolves to a private address"),
        (f"https://169.254.169.254/latest/{SECRET}", "host resolves to a link-local address"),
        (f"https://[fd00::1]/{SECRET}", "host resolves to a private address"),
        (f"https://224.0.0.1/{SECRET}", "host resolves to a multicast address"),
        (f"https://0.0.0.0/{SECRET}", "host resolves to a unspecified address"),
        (f"https://100.64.0.1/{SECRET}", "host resolves to a non-global address"),
    ],
)
def test_each_rule_refuses_its_url_with_the_rule_not_the_url(url: str, reason: str) -> None:
    with pytest.raises(WebhookRefused) as refused:
        webhook_url_check(url, local=True)
    assert refused.value.reason == reason
    assert SECRET not in str(refused.value)


def test_a_public_name_resolving_to_the_metadata_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _resolving_to(monkeypatch, "169.254.169.254")
    with pytest.raises(WebhookRefused, match="link-local"):
        webhook_url_check("https://hooks.example.com/x", local=False)


def test_https_to_a_public_address_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving_to(monkeypatch, "93.184.215.14")
    webhook_url_check("https://hooks.example.com/x", local=False)  # no exception


def test_outside_the_local_runtime_loopback_is_refused_even_over_https() -> None:
    with pytest.raises(WebhookRefused, match="plain http outside the local runtime"):
        webhook_url_check("http://127.0.0.1:8080/x", local=False)
    with pytest.raises(WebhookRefused, match="loopback address"):
        webhook_url_check("https://127.0.0.1:8443/x", local=False)


def test_the_runtime_marker_decides_what_is_local(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_config().local_runtime  # tests and the local runtime
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "ouroboros-dev-notify")
    reset_config()
    assert not get_config().local_runtime  # Lambda, whatever OUROBOROS_RUNTIME says
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME")
    _aws(monkeypatch)
    assert not get_config().local_runtime


def test_http_to_a_loopback_receiver_is_posted_locally_and_refused_in_aws(
    receiver: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"{receiver}/{SECRET}"
    assert channel_post("webhook", url, MESSAGE, pause=0) == "ok (200)"
    assert len(Receiver.received) == 1

    _aws(monkeypatch)
    caplog.set_level(logging.DEBUG)
    outcome = channel_post("webhook", url, MESSAGE, pause=0)
    assert outcome == "refused: plain http outside the local runtime"
    assert len(Receiver.received) == 1  # nothing posted
    assert SECRET not in caplog.text


@pytest.mark.functional
def test_a_refused_url_is_recorded_with_its_reason_and_never_the_url(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OUROBOROS_WEBHOOK_URL", f"ftp://files.example.com/{SECRET}")
    monkeypatch.setenv("OUROBOROS_SLACK_WEBHOOK_URL", f"https://169.254.169.254/{SECRET}")
    reset_config()
    caplog.set_level(logging.DEBUG)
    record = notification_deliver(message=MESSAGE, pause=0)
    assert record["channels"] == {
        "slack": "refused: host resolves to a link-local address",
        "webhook": "refused: scheme not allowed (https only)",
    }
    stored = json.dumps(client("dynamodb").scan(TableName=NotificationModel.Meta.table_name))
    assert "refused: scheme not allowed" in stored  # the record is there...
    assert SECRET not in caplog.text + stored + json.dumps(record)  # ...without the URL


def test_a_redirect_to_another_host_is_refused_and_never_followed(
    receiver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with http_server_running(Receiver) as elsewhere:
        other_port = elsewhere.rsplit(":", 1)[1]
        Receiver.redirect_to = f"http://localhost:{other_port}/stolen"  # another host name
        outcome = channel_post("webhook", f"{receiver}/{SECRET}", MESSAGE, pause=0)
        assert outcome == "refused: redirect to another host"
        Receiver.redirect_to = f"{elsewhere}/stolen"  # same address, another port
        outcome = channel_post("webhook", f"{receiver}/{SECRET}", MESSAGE, pause=0)
        assert outcome == "refused: redirect to another host"
    assert not [hit for hit in Receiver.received if hit[1].startswith(other_port)]


def test_a_redirect_on_the_same_host_is_followed(receiver: str) -> None:
    Receiver.redirect_to = f"{receiver}/moved"
    assert channel_post("webhook", f"{receiver}/{SECRET}", MESSAGE, pause=0) == "ok (200)"
    port = receiver.rsplit(":", 1)[1]
    assert Receiver.received[-1] == ("GET", f"{port}/moved")


def test_an_https_redirect_to_http_is_a_downgrade() -> None:
    handler = webhooks.SameOriginRedirects(local=True)
    request = webhooks.urllib.request.Request("https://127.0.0.1:8443/x", method="POST")

    class Body:
        closed = False

        def close(self) -> None:
            self.closed = True

    body = Body()
    with pytest.raises(WebhookRefused, match="redirect from https to another scheme"):
        handler.redirect_request(request, body, 302, "Found", None, "http://127.0.0.1:8443/x")  # type: ignore[arg-type]
    assert body.closed
