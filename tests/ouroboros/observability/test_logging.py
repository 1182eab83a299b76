"""The functions' JSON log lines: service, correlation keys, errors, and never a secret."""

from __future__ import annotations

import json
import logging
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from ouroboros.observability.logging import (
    REDACTED,
    correlation_bound,
    correlation_id_of,
    function_handler,
    function_running,
    json_formatter,
)

CORE = logging.getLogger("ouroboros.workflow.sample")
SECRET = "T0KEN-3f9a-in-a-path"


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def correlation(event: dict[str, Any]) -> dict[str, Any]:
    return {"correlation_id": event.get("cid"), "finding_id": event.get("finding"), "account": "1"}


@function_handler("dispatch_finding", correlation=correlation)
def sample_handler(event: dict[str, Any], context: Any = None) -> str:
    CORE.info("working on %s", event.get("finding"), extra={"execution_id": "e-1"})
    if event.get("fail"):
        raise ValueError(f"boom at https://hooks.example.com/services/{SECRET}")
    return str(function_running())


def test_a_function_writes_json_lines_with_its_service_and_correlation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    context = SimpleNamespace(aws_request_id="req-1")
    assert sample_handler({"cid": "c-1", "finding": "f-1"}, context) == "dispatch_finding"
    CORE.info("after the invocation")

    inside, after = lines(capsys.readouterr().out)
    assert inside["message"] == "working on f-1" and inside["level"] == "INFO"
    assert inside["service"] == "dispatch_finding"
    assert inside["function_request_id"] == "req-1"
    assert [inside[k] for k in ("correlation_id", "finding_id", "account")] == ["c-1", "f-1", "1"]
    assert inside["execution_id"] == "e-1"  # the record's own extra keys
    assert after["service"] == "ouroboros" and "correlation_id" not in after
    assert function_running() is None


def test_a_failing_handler_logs_one_error_line_and_raises_unchanged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ValueError, match="boom"):
        sample_handler({"cid": "c-2", "finding": "f-2", "fail": True})
    error = lines(capsys.readouterr().out)[-1]
    assert error["level"] == "ERROR" and error["exception_name"] == "ValueError"
    assert error["correlation_id"] == "c-2" and "boom" in error["exception"]
    assert SECRET not in json.dumps(error)  # the exception's text is redacted too


def test_bound_keys_stay_in_their_thread_and_context(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[str] = []

    def other() -> None:
        CORE.warning("from another thread")
        seen.append("done")

    with correlation_bound(correlation_id="c-3", control_id="S3.2", reactor_id=None):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        CORE.warning("bound here")
    CORE.warning("unbound again")
    other_line, bound, unbound = lines(capsys.readouterr().out)
    assert seen == ["done"]
    assert "correlation_id" not in other_line
    assert (bound["correlation_id"], bound["control_id"]) == ("c-3", "S3.2")
    assert "reactor_id" not in bound  # an unknown key is left out, not written as null
    assert "correlation_id" not in unbound


def test_no_secret_reaches_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    """Webhook URLs (path and query), API and Slack tokens, and keys named like secrets."""
    CORE.warning(
        "posting to https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=%s and %s",
        SECRET,
        "https://user:pw@hooks.slack.com/services/T0/B0/" + SECRET,
        extra={
            "webhook_url": "https://hooks.example.com/x",
            "token": "ouro_abc_" + SECRET,
            "nested": {"slack_token": "xoxb-" + SECRET, "detail": ["ouro_r_" + SECRET]},
        },
    )
    (line,) = lines(capsys.readouterr().out)
    text = json.dumps(line)
    assert SECRET not in text and "pw@" not in text
    assert line["message"].startswith("posting to https://qyapi.weixin.qq.com/" + REDACTED)
    assert line["webhook_url"] == REDACTED and line["token"] == REDACTED
    assert line["nested"]["slack_token"] == REDACTED
    assert line["nested"]["detail"] == ["ouro_" + REDACTED]


def test_the_correlation_id_is_one_per_finding_version() -> None:
    first = correlation_id_of(finding_id="arn:f", version="2026-01-01T00:00:00Z")
    assert first == correlation_id_of(finding_id="arn:f", version="2026-01-01T00:00:00Z")
    assert first != correlation_id_of(finding_id="arn:f", version="2026-01-02T00:00:00Z")
    assert first != correlation_id_of(finding_id="arn:g", version="2026-01-01T00:00:00Z")
    assert len(first) == 20 and int(first, 16) >= 0


def test_the_consoles_formatter_writes_the_same_redacted_json() -> None:
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "GET %s", ("/findings",), None
    )
    line = json.loads(json_formatter(service="console").format(record))
    assert (line["service"], line["level"]) == ("console", "ERROR")
    assert line["message"] == "GET /findings"
    url = logging.LogRecord("x", logging.INFO, __file__, 1, "https://h.example/" + SECRET, (), None)
    assert SECRET not in json_formatter().format(url)
