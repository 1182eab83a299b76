"""Concurrent dispatchers meet DynamoDB conditional-check failures: exactly one remediation.

Real DynamoDB Local (conditional writes really race) for the tables; moto for the rest; the
reactor behind Lambda Invoke only counts its runs.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from lambdas import dispatch_finding
from ouroboros.models import ControlModel, LocalReactorModel
from tests.reliability.conftest import REACTOR_ID, Workflow, reactor_function_arn
from tests.reliability.faults import FaultInjector

pytestmark = pytest.mark.integration

THREADS = 8


def in_parallel(call: Callable[[int], Any]) -> list[Any]:
    """Run ``call(i)`` in ``THREADS`` threads released at once; results or raised errors."""
    barrier = threading.Barrier(THREADS)
    results: list[Any] = [None] * THREADS

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = call(index)
        except Exception as exc:  # collected, asserted by the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def concurrent(ddb_tables: str, workflow: Workflow) -> Workflow:
    """The workflow harness with its tables in DynamoDB Local and a reactor that only counts."""
    local = boto3.client("dynamodb", endpoint_url=ddb_tables, region_name="us-east-1")
    table = str(ControlModel.Meta.table_name)
    key = {"control_id": {"S": "S3.2"}, "sk": {"S": "CONTROL"}}
    # the harness wrote into DynamoDB Local, where conditional writes really race
    assert local.get_item(TableName=table, Key=key)["Item"]
    assert LocalReactorModel.get(REACTOR_ID).function_arn == reactor_function_arn()
    lock = threading.Lock()

    def counting(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with lock:
            workflow.invocations.append(event)  # (the responder appended it already)
        return {"status": "changed", "changes": [{"action": "counted"}], "rollback_data": {}}

    workflow.reactor = counting
    return workflow


def test_the_same_finding_dispatched_concurrently_runs_once(concurrent: Workflow) -> None:
    item = concurrent.item()
    results = in_parallel(lambda _: dispatch_finding.handler(copy.deepcopy(item)))
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    statuses = sorted(r["result"]["status"] for r in results)
    assert statuses == ["duplicate"] * (THREADS - 1) + ["succeeded"]
    reactor_runs = [e for e in concurrent.invocations if "operation" in e]
    assert len(reactor_runs) == 2  # one Invoke, recorded by the responder and by the reactor
    assert len(concurrent.executions("succeeded")) == 1
    assert concurrent.hub_statuses() == ["NOTIFIED", "RESOLVED"]


def test_concurrent_findings_of_one_account_share_the_rate_limit_and_all_run(
    concurrent: Workflow, faults: FaultInjector
) -> None:
    """Eight findings of one account-region at once: the token bucket's conditional update
    fails for all but one writer per round; each re-reads and takes its token; none is lost."""
    items = []
    for index in range(THREADS):
        finding = copy.deepcopy(concurrent.finding)
        finding["Id"] = f"{finding['Id']}-{index}"
        items.append(concurrent.item(finding=finding, idempotency_key=finding["UpdatedAt"]))
    results = in_parallel(lambda i: dispatch_finding.handler(items[i]))
    assert [r for r in results if isinstance(r, Exception)] == []
    assert [r["result"]["status"] for r in results] == ["succeeded"] * THREADS
    assert faults.sent[("dynamodb", "UpdateItem")] >= THREADS
