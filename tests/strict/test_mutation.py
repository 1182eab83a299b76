"""The check catches a missing permission: remove any one generated statement, and exactly the
recorded calls that statement covered are reported denied.

A representative workload (`tests.strict.workload`: the workflow's tasks, the collector, the
installer, the Hub's verifier, the console's pages and actions) runs under its own
recorder. With the generated policies nothing it did is denied. Then, for every statement of
the roles of `MUTATED` in turn, the verdict with that statement removed must deny exactly the
(call, action, resource) triples the statement alone allows (what it "covers"), and nothing
else. Statements the workload cannot exercise are listed in `NOT_EXERCISED` with the reason; any
other statement that covers nothing fails the test (the workload must keep up with the policies).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.iam_evaluator import Request, evaluate
from ouroboros.findings import services as finding_services
from ouroboros.securityhub import collect_findings as collector
from tests.strict.actions import call_needs
from tests.strict.recorder import DeploymentSettings, RecordedCall, Recorder
from tests.strict.verdict import Policy, PolicySource, generated_policy, verdict_judge
from tests.strict.workload import workload_run

pytestmark = [pytest.mark.functional, pytest.mark.django_db]

#: The roles whose every statement is removed in turn.
MUTATED = (
    "parse_finding",
    "dispatch_finding",
    "dispatch_failure",
    "collect_findings",
    "console",
    "reactor_installer",
    "send_notification",
    "hub_verify",
)

_LOGS = "the Lambda service writes the function's logs itself (no boto3 call records it)"
_ESM = "the event source mapping (Lambda's service) does it, with the function's role"
#: (role, first action of the statement, how many actions it has) -> why the workload never
#: needs that statement.
NOT_EXERCISED: dict[tuple[str, str, int], str] = {
    **{(role, "logs:CreateLogGroup", 3): _LOGS for role in MUTATED},
    ("console", "states:DescribeExecution", 1): "only the API's execution status reads it",
    ("console", "ssm:GetParameter", 3): "production settings read their secrets at cold start",
    # (also the key of its reactor_invoke statement, which the workload covers: checked as usual)
    ("console", "lambda:InvokeFunction", 1): (
        "API Gateway's call with the console's role as its integration credentials (Zappa's "
        "REST API): no code of the console makes it (tests/deploy/test_console_role.py)"
    ),
    ("dispatch_finding", "dynamodb:GetItem", 4): (
        "its tables_read (controls, local reactors): the dispatch item carries what it needs and "
        "no path found reads them (reported as a possible over-grant)"
    ),
    ("send_notification", "securityhub:CreateTicketV2", 1): (
        "the workload's finding is ASFF (no V2 metadata uid): its ticket takes the webhook "
        "channel; tests/ouroboros/tickets/test_tickets.py opens a V2 finding's ticket through "
        "send_notification's handler, and the strict check judges that CreateTicketV2"
    ),
    ("reactor_installer", "sqs:SendMessage", 1): _ESM,
    ("reactor_installer", "dynamodb:DescribeStream", 4): _ESM,
    ("hub_verify", "sqs:SendMessage", 1): _ESM,
    ("hub_verify", "dynamodb:DescribeStream", 4): _ESM,
    ("hub_verify", "lambda:InvokeFunction", 1): (
        "the workload's verifier confines its import in a child process (no "
        "OUROBOROS_HUB_IMPORT_FUNCTION); tests/ouroboros/reactors/test_import_probe.py runs the "
        "AWS mode as hub_verify and the strict check judges its invocation of the probe"
    ),
    ("hub_verify", "kms:Sign", 1): (
        "the workload's verifier signs with the local key (no OUROBOROS_HUB_SIGNING_KEY_ID); "
        "tests/deploy/test_signing.py evaluates this statement and its alias condition directly"
    ),
}

Triple = tuple[int, str, str]


@pytest.fixture(autouse=True)
def one_writer_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's in-process DynamoDB is not thread-safe."""
    monkeypatch.setattr(finding_services, "WRITE_WORKERS", 1)
    monkeypatch.setattr(collector, "IN_FLIGHT", 1)


@pytest.fixture
def recorded(
    moto_aws: None, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[list[RecordedCall]]:
    recorder = Recorder()
    recorder.install()
    try:
        with recorder.recording_test(request.node.nodeid):
            workload_run(tmp_path / "lambda-data")
    finally:
        recorder.uninstall()
    yield recorder.calls


def _triples(calls: list[RecordedCall], role: str, policy: Policy) -> set[Triple]:
    """(call index, action, resource) of what ``role`` needs that ``policy`` allows."""
    allowed = set()
    for index, call in enumerate(calls):
        if call.function != role or call.principal is not None:
            continue
        for needed in call_needs(call):
            request = Request(needed.action, needed.resource, needed.context)
            if evaluate(request, [policy]).allowed:
                allowed.add((index, needed.action, needed.resource))
    return allowed


def _without(policy: Policy, index: int) -> Policy:
    mutated = copy.deepcopy(policy)
    del mutated["Statement"][index]
    return mutated


def _replacing(role: str, policy: Policy) -> PolicySource:
    """The generated policies, with ``policy`` as ``role``'s."""

    def policy_for(key: str, settings: DeploymentSettings, account: str) -> Policy:
        return policy if key == role else generated_policy(key, settings, account)

    return policy_for


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def _first_action(statement: dict[str, Any]) -> str:
    return _actions(statement)[0]


def test_generated_policies_allow_the_whole_workload(recorded: list[RecordedCall]) -> None:
    verdict = verdict_judge(recorded)
    assert verdict.judged > 50
    assert {call.function for call in recorded} >= set(MUTATED)
    assert verdict.ok, "\n".join(verdict.report_lines())


def test_removing_any_statement_denies_exactly_the_calls_it_covered(
    recorded: list[RecordedCall],
) -> None:
    problems: list[str] = []
    checked = 0
    positions = {id(call): index for index, call in enumerate(recorded)}
    for role in MUTATED:
        mine = [c for c in recorded if c.function == role and c.settings is not None]
        settings: DeploymentSettings = mine[0].settings  # type: ignore[assignment]
        full = generated_policy(role, settings, mine[0].account)
        for index, statement in enumerate(full["Statement"]):
            alone = {"Version": "2012-10-17", "Statement": [statement]}
            covered = _triples(recorded, role, alone)
            label = f"{role} statement {index} ({_first_action(statement)}...)"
            if not covered:
                if (role, _first_action(statement), len(_actions(statement))) not in NOT_EXERCISED:
                    problems.append(f"{label}: the workload never needs it")
                continue
            verdict = verdict_judge(recorded, policy_for=_replacing(role, _without(full, index)))
            denied = {
                (positions[id(d.call)], d.needed.action, d.needed.resource) for d in verdict.denials
            }
            if denied != covered:
                problems.append(
                    f"{label}: denied {sorted(denied - covered)[:3]} beyond what it covered, "
                    f"missed {sorted(covered - denied)[:3]}"
                )
            checked += 1
    assert not problems, "\n".join(problems)
    assert checked >= 3 * 3  # at least three roles, several statements each
