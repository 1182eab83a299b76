"""Malformed and oversized events into every Lambda handler: a clear error, nothing stored half.

The handlers are walked from the deployed function list (`deploy.functions.FUNCTIONS`)
and the reactor catalog (``lambdas/reactors/*``); a handler module that is in neither fails
`test_every_handler_module_is_covered`, so a new handler gets these tests automatically.

The contract: a handler given input that is not what its trigger sends either raises an
`OuroborosError` with a 4xx status (a validation error the state machine or the stream reports
by its class name) or returns its normal "nothing to do" answer. It never raises a bare
``AttributeError`` / ``KeyError`` / ``TypeError`` / a DynamoDB or SNS error, and nothing of the
input is stored except in a complete, bounded audit record of the workflow.
"""

from __future__ import annotations

import copy
import importlib
import json
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import lambdas
import lambdas.reactors as catalog
from deploy.functions import FUNCTIONS
from ouroboros.aws import client
from ouroboros.errors import OuroborosError
from ouroboros.models import ExecutionModel
from tests.reliability.faults import FaultInjector, json_response

pytestmark = pytest.mark.functional

MARK = "MALFORMED-INPUT-7f3a"
BIG = MARK + "x" * (1024 * 1024)  # 1 MB: past DynamoDB's 400 KB item and SNS's 256 KB message

BAD_EVENTS: dict[str, Any] = {
    "null": None,
    "list": [MARK],
    "string": MARK,
    "number": 42,
    "empty": {},
    "detail_not_object": {"detail": MARK},
    "findings_not_list": {"detail": {"findings": MARK}},
    "findings_garbage": {"detail": {"findings": [1, MARK, None, [], {"Id": MARK}]}},
    "findings_oversized": {"detail": {"findings": [{"Id": BIG, "ProductArn": BIG}]}},
    "records_not_list": {"Records": MARK},
    "records_garbage": {"Records": [1, MARK]},
    "records_not_stream": {"Records": [{"eventName": MARK, "dynamodb": MARK, "Sns": MARK}]},
    "sns_not_json": {"Records": [{"Sns": {"Message": MARK + "{", "MessageId": "m"}}]},
    "messages_not_list": {"messages": MARK},
    "messages_oversized": {"messages": [{"status": BIG, "control_id": MARK}]},
    "finding_not_object": {"finding": MARK, "params": MARK, "function_arn": MARK},
    "operation_unknown": {"operation": "<script>" + MARK, "finding": {}},
    "catch_garbage": {"error": MARK, "finding": MARK},
}

Handler = Callable[[Any, Any], Any]


def deployed_handlers() -> dict[str, str]:
    """Handler path of every deployed function and every catalog reactor."""
    handlers = {spec.key: spec.handler for spec in FUNCTIONS if spec.trigger != "http"}
    for package in pkgutil.iter_modules(catalog.__path__):
        handlers[f"reactor:{package.name}"] = f"lambdas.reactors.{package.name}.reactor.handler"
    return handlers


HANDLERS = deployed_handlers()


def load(path: str) -> Handler:
    module, attribute = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), attribute)  # type: ignore[no-any-return]


def test_every_handler_module_is_covered() -> None:
    modules = {path.rsplit(".", 1)[0] for path in HANDLERS.values()}
    folder = Path(lambdas.__file__).parent
    on_disk = {f"lambdas.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__"}
    assert on_disk - modules == set(), "handler modules without bad-input tests"
    reactors = {p.parent.name for p in Path(catalog.__file__).parent.glob("*/reactor.py")}
    assert {f"lambdas.reactors.{r}.reactor" for r in reactors} <= modules


def stored_marks() -> list[tuple[str, int, str]]:
    """(table, item size, status) of every stored item that quotes the bad input."""
    ddb = client("dynamodb")
    found = []
    for table in ddb.list_tables()["TableNames"]:
        for page in ddb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                text = json.dumps(item)
                if MARK in text:
                    found.append((table, len(text), item.get("status", {}).get("S", "")))
    return found


@pytest.fixture
def quiet_aws(faults: FaultInjector) -> FaultInjector:
    """moto, plus the Security Hub calls moto lacks answered empty, and the topic."""
    from ouroboros.config import get_config
    from ouroboros.notify import outcomes as notify

    empty = b'{"StandardsSubscriptions": []}'
    faults.respond("securityhub", "GetEnabledStandards", lambda r: json_response(r, empty))
    notify._account.cache_clear()
    client("sns").create_topic(Name=get_config().notification_topic_name)
    return faults


@pytest.mark.parametrize("key", sorted(HANDLERS))
def test_malformed_events_get_a_clear_error_and_store_nothing_half(
    quiet_aws: FaultInjector, key: str
) -> None:
    handler = load(HANDLERS[key])
    problems = []
    for name, event in BAD_EVENTS.items():
        try:
            answer = handler(copy.deepcopy(event), None)
        except OuroborosError as exc:
            if exc.status_code >= 500 or not str(exc):
                problems.append(f"{name}: {type(exc).__name__} ({exc.status_code}) {exc}")
            continue
        except Exception as exc:
            problems.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if not isinstance(answer, dict):
            problems.append(f"{name}: answered {type(answer).__name__}")
        elif len(json.dumps(answer, default=str)) > 256 * 1024:
            problems.append(f"{name}: answered {len(json.dumps(answer, default=str))} bytes")
    assert problems == []
    execution_table = str(ExecutionModel.Meta.table_name)
    for table, size, status in stored_marks():
        # Only the workflow's audit record may quote bad input: complete and bounded.
        assert table == execution_table and status in ("skipped", "failed") and size < 8192, (
            table,
            size,
            status,
        )
