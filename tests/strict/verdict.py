"""The verdict on a recording: would IAM allow each call a deployed function made in the tests?

Each recorded call of a deployed function (a key of `deploy.functions`) or of the state
machine's role is mapped to what it needs (`tests.strict.actions`) and evaluated
(`emulator.iam_evaluator`) against the policy bootstrap generates for that role
(`deploy.iam.function_policy`, `state_machine_policy`), in the deployment the call was made in:
the stage, table prefixes and region of the configuration in force when it was made
(`DeploymentSettings`) and the account of its credentials (moto's default). The Hub bucket is
the one the test configured (`RecordedDeployment`): the deployment hands its own bucket to the
functions in ``OUROBOROS_HUB_BUCKET``, which tests leave at the default (whether the deployment
provides every setting is ``tests/deploy/test_settings_coverage.py``'s to check, not this one's).

Calls made with the credentials of a session assumed with a session policy (a reactor's session
in a member account, `reactor_sdk.session`), by any function or reactor, are judged against the
assumed role's inline policies AND that session policy, as recorded (`RecordedCall`): so a
reactor's raw boto3 call outside what it declared is a denial, whatever the member role allows.

Not judged, and counted as such: reactors' other calls (``reactor:<id>``, their permissions
belong to the reactor model) and EventBridge's deliveries (tests put rules with targets bootstrap
never creates); other calls made with assumed credentials (the assumed role is not the
function's: the ``sts:AssumeRole`` call itself is judged), and those whose role's policies were
never seen; calls made under a configuration the test made invalid.

A denial names the call, the function, the test and the statement the role would need.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from deploy.functions import FUNCTIONS, function_get
from deploy.iam import function_policy, state_machine_policy
from deploy.naming import Deployment
from emulator.caller import STATES
from emulator.iam_evaluator import Request, evaluate
from ouroboros.config import Role, reset_config
from tests.strict.actions import Needed, UnmappedCallError, call_needs
from tests.strict.recorder import DeploymentSettings, RecordedCall

Policy = dict[str, Any]
#: (role key, settings, account) -> the identity policy of that role.
PolicySource = Callable[[str, DeploymentSettings, str], Policy]

JUDGED_KEYS = frozenset({spec.key for spec in FUNCTIONS} | {STATES})

_SETTINGS_ENV = {
    "stage": "OUROBOROS_STAGE",
    "region": "AWS_REGION",
    "table_prefix": "OUROBOROS_TABLE_PREFIX",
    "hub_table_prefix": "OUROBOROS_HUB_TABLE_PREFIX",
    "hub_role_arn": "OUROBOROS_HUB_ROLE_ARN",
    "member_role_name": "OUROBOROS_MEMBER_ROLE_NAME",
}


@dataclass(frozen=True)
class Denial:
    """A call the role would refuse, and the statement it lacks."""

    call: RecordedCall
    needed: Needed
    reason: str

    @property
    def missing_statement(self) -> dict[str, Any]:
        return {"Effect": "Allow", "Action": self.needed.action, "Resource": self.needed.resource}

    def describe(self) -> str:
        call = self.call
        context = {k: v for k, v in self.needed.context.items() if k != "aws:RequestedRegion"}
        when = f" with {context}" if context else ""
        return (
            f"{call.function}: {call.service}.{call.operation} in {call.test or '?'} "
            f"(region {call.region}) would be denied: the role needs {self.needed.action} on "
            f"{self.needed.resource}{when} ({self.reason})"
        )


@dataclass
class Verdict:
    """What the judge found in a recording."""

    judged: int = 0
    allowed: int = 0
    denials: list[Denial] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    not_judged: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.denials and not self.unmapped

    def report_lines(self) -> list[str]:
        lines = [
            f"strict IAM check: {self.judged} calls judged, {self.allowed} actions allowed, "
            f"{len(self.denials)} denied, {len(self.unmapped)} unmapped; not judged: "
            + (", ".join(f"{n} {why}" for why, n in sorted(self.not_judged.items())) or "none")
        ]
        lines += [f"DENIED   {d.describe()}" for d in _unique(self.denials)]
        lines += [f"UNMAPPED {u}" for u in sorted(set(self.unmapped))]
        return lines


def _unique(denials: list[Denial]) -> list[Denial]:
    """One line per function, action, resource and test (a loop repeats the same call)."""
    seen: dict[tuple[str, str, str, str], Denial] = {}
    for denial in denials:
        key = (denial.call.function, denial.needed.action, denial.needed.resource, denial.call.test)
        seen.setdefault(key, denial)
    return list(seen.values())


@dataclass(frozen=True)
class RecordedDeployment(Deployment):
    """The deployment a call was made in, with the Hub bucket its configuration named."""

    artifacts_bucket: str = ""

    @property
    def hub_bucket(self) -> str:
        return self.artifacts_bucket or super().hub_bucket


def deployment_of(settings: DeploymentSettings, account: str, side: Role) -> Deployment:
    """The deployment matching ``settings`` in ``account`` (``side``: the function's)."""
    return RecordedDeployment(
        settings.stage, settings.region, account, side, artifacts_bucket=settings.hub_bucket
    )


@contextmanager
def settings_applied(settings: DeploymentSettings) -> Iterator[None]:
    """The configuration ``settings`` describe, for the block (names derive from it)."""
    saved = {var: os.environ.get(var) for var in _SETTINGS_ENV.values()}
    try:
        for name, var in _SETTINGS_ENV.items():
            os.environ[var] = getattr(settings, name)
        reset_config()
        yield
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
        reset_config()


@lru_cache(maxsize=256)
def generated_policy(role: str, settings: DeploymentSettings, account: str) -> Policy:
    """The policy bootstrap gives ``role`` in the deployment ``settings`` and ``account`` name."""
    with settings_applied(settings):
        if role == STATES:
            tasks = [spec for spec in FUNCTIONS if spec.trigger == "task"]
            return state_machine_policy(tasks, deployment_of(settings, account, "consumer"))
        spec = function_get(role)
        return function_policy(spec, deployment_of(settings, account, spec.side))


def _session_judged(call: RecordedCall) -> bool:
    """Whether ``call`` (by a deployed function or a reactor) is judged as its assumed role's
    session: role AND session policy."""
    ours = call.function in JUDGED_KEYS or call.function.startswith("reactor:")
    return bool(
        ours and call.principal and call.session_policy and call.principal_policies is not None
    )


def _not_judged(call: RecordedCall) -> str | None:
    if _session_judged(call):
        return None
    if call.function not in JUDGED_KEYS:
        return "reactor" if call.function.startswith("reactor:") else call.function
    if call.principal is not None:
        return "with assumed credentials"
    if call.settings is None:
        return "under an invalid configuration"
    return None


def verdict_judge(
    calls: Iterable[RecordedCall], *, policy_for: PolicySource = generated_policy
) -> Verdict:
    """Judge every call of ``calls`` (see the module docstring)."""
    verdict = Verdict()
    decide = _Decisions(policy_for)
    for call in calls:
        why = _not_judged(call)
        if why is not None:
            verdict.not_judged[why] += 1
            continue
        verdict.judged += 1
        try:
            needs = call_needs(call)
        except UnmappedCallError as exc:
            verdict.unmapped.append(str(exc))
            continue
        for needed in needs:
            allowed, reason = decide(call, needed)
            if allowed:
                verdict.allowed += 1
            else:
                verdict.denials.append(Denial(call, needed, reason))
    return verdict


class _Decisions:
    """The evaluator's decisions, each asked once (a loop repeats one call thousands of times)."""

    def __init__(self, policy_for: PolicySource) -> None:
        self.policy_for = policy_for
        self.known: dict[tuple[Any, ...], tuple[bool, str]] = {}

    def __call__(self, call: RecordedCall, needed: Needed) -> tuple[bool, str]:
        if _session_judged(call):
            return session_decide(call, needed)
        assert call.settings is not None
        context = tuple(sorted((k, str(v)) for k, v in needed.context.items()))
        key = (call.function, call.settings, call.account, needed.action, needed.resource, context)
        known = self.known.get(key)
        if known is None:
            policy = self.policy_for(call.function, call.settings, call.account)
            decision = evaluate(Request(needed.action, needed.resource, needed.context), [policy])
            known = self.known[key] = (decision.allowed, decision.reason)
        return known


def session_decide(call: RecordedCall, needed: Needed) -> tuple[bool, str]:
    """``needed`` against the assumed role's inline policies AND the session policy of ``call``
    (recorded with both: `RecordedCall.session_policy`, ``principal_policies``)."""
    assert call.session_policy is not None and call.principal_policies is not None
    identity = [json.loads(text) for text in call.principal_policies]
    if not identity:
        return False, f"the role {call.principal} has no policy"
    decision = evaluate(
        Request(needed.action, needed.resource, needed.context),
        identity,
        session=[json.loads(call.session_policy)],
    )
    return decision.allowed, decision.reason
