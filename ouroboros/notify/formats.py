"""How an outcome message reads in each channel (pure functions, no secrets).

- WeChat Work group robot: ``{"msgtype": "markdown", "markdown": {"content": ...}}``;
- Slack incoming webhook: ``{"text": ...}`` (mrkdwn);
- generic webhook: the message itself under ``{"source": "ouroboros", "message": {...}}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_STATUS_WORD = {
    "succeeded": "remediated",
    "failed": "remediation FAILED",
    "skipped": "skipped",
    "rolled_back": "rolled back",
}


def _headline(message: Mapping[str, Any]) -> str:
    word = _STATUS_WORD.get(str(message.get("status")), str(message.get("status")))
    if message.get("dry_run") and message.get("status") == "succeeded":
        word = "dry run"
    return f"{message.get('control_id') or 'finding'} {word}"


def _lines(message: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = [
        ("Account", f"{message.get('account_id')} / {message.get('region')}"),
        ("Resource", str(message.get("resource_id") or "-")),
        ("Reactor", f"{message.get('reactor_id')} {message.get('reactor_version') or ''}".strip()),
        ("Trigger", f"{message.get('trigger')} by {message.get('actor')}"),
        ("Changes", str(message.get("changes", 0))),
        ("Execution", str(message.get("execution_id"))),
    ]
    if message.get("error"):
        rows.append(("Error", str(message["error"])[:300]))
    if message.get("execution_url"):
        rows.append(("Console", str(message["execution_url"])))
    return rows


def wechat_payload(message: Mapping[str, Any]) -> dict[str, Any]:
    color = "warning" if message.get("status") == "failed" else "info"
    body = "\n".join(f'> {k}: <font color="comment">{v}</font>' for k, v in _lines(message))
    content = f'**Ouroboros**: <font color="{color}">{_headline(message)}</font>\n{body}'
    return {"msgtype": "markdown", "markdown": {"content": content[:4096]}}


def slack_payload(message: Mapping[str, Any]) -> dict[str, Any]:
    body = "\n".join(f"*{k}*: {v}" for k, v in _lines(message))
    return {"text": f":ouroboros: *Ouroboros*: {_headline(message)}\n{body}"}


def webhook_payload(message: Mapping[str, Any]) -> dict[str, Any]:
    return {"source": "ouroboros", "summary": _headline(message), "message": dict(message)}


FORMATS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "wechat": wechat_payload,
    "slack": slack_payload,
    "webhook": webhook_payload,
}
