"""Least privilege in the scenario harness: each call a reactor makes in the member account,
judged against the permissions it declares.

A reactor reaches the member account through a session assumed with a session policy equal to its
declared permissions (`reactor_sdk.session.member_session`). `member_calls` notes, while it is
open, every ``sts:AssumeRole`` that carries such a policy and then every AWS call made with the
credentials it returned: the reactor's own calls, and nothing the test makes with its other
sessions. `calls_judge` maps each call to the IAM action and resource it needs (the strict IAM
check's mapping, `tests.strict.actions`) and evaluates it against that session policy
(`emulator.iam_evaluator`): a call outside what the reactor declared is a denial.

Where the mapping names no resource for a call (services `tests.strict.actions` has no resolver
for), the resource is the finding's own when its ARN has the shape of the resource type the action
needs (``arn:aws:ec2:...:security-group/sg-1`` for ``ec2:RevokeSecurityGroupIngress``); failing
that, the call is judged on its action alone: some declared statement must allow that action.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from botocore.client import BaseClient
from policy_sentry.querying.actions import get_privilege_info

from emulator.iam_evaluator import Request, evaluate
from tests.strict.actions import ACTION_NAMES, PREFIXES, Needed, UnmappedCallError, call_needs
from tests.strict.recorder import RecordedCall, params_kept

#: (botocore service, operation) -> (IAM prefix, action), where the strict check's mapping
#: (`tests.strict.actions`: one name per IAM prefix and operation) cannot say it: S3's bucket- and
#: account-level Block Public Access share operation names, and DeletePublicAccessBlock is
#: authorized as the Put action (the Service Authorization Reference has no Delete action).
OPERATION_ACTIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("s3", "GetPublicAccessBlock"): ("s3", "GetBucketPublicAccessBlock"),
    ("s3", "PutPublicAccessBlock"): ("s3", "PutBucketPublicAccessBlock"),
    ("s3", "DeletePublicAccessBlock"): ("s3", "PutBucketPublicAccessBlock"),
    ("s3control", "GetPublicAccessBlock"): ("s3", "GetAccountPublicAccessBlock"),
    ("s3control", "PutPublicAccessBlock"): ("s3", "PutAccountPublicAccessBlock"),
    ("s3control", "DeletePublicAccessBlock"): ("s3", "PutAccountPublicAccessBlock"),
}


@dataclass(frozen=True)
class MemberCall:
    """One call made with a reactor's member-account session."""

    service: str
    operation: str
    params: dict[str, Any]
    region: str
    role_arn: str
    session_policy: str

    def describe(self) -> str:
        return f"{self.service}.{self.operation}"


@dataclass(frozen=True)
class Judgement:
    """The verdict on one call: the action and resource it needed, and whether it was declared."""

    call: MemberCall
    action: str
    resource: str
    allowed: bool
    reason: str

    def describe(self) -> str:
        return (
            f"{self.call.describe()} needs {self.action} on {self.resource}, which the reactor "
            f"does not declare ({self.reason})"
        )


@dataclass
class MemberCalls:
    """What `member_calls` recorded."""

    calls: list[MemberCall] = field(default_factory=list)
    _sessions: dict[str, tuple[str, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, client: Any, operation: str, params: dict[str, Any]) -> None:
        session = self._sessions.get(_access_key(client) or "")
        if session is None:
            return
        call = MemberCall(
            service=client.meta.service_model.service_name,
            operation=operation,
            params=params_kept(params),
            region=client.meta.region_name or "",
            role_arn=session[0],
            session_policy=session[1],
        )
        with self._lock:
            self.calls.append(call)

    def assumed(self, params: dict[str, Any], response: dict[str, Any]) -> None:
        key = (response.get("Credentials") or {}).get("AccessKeyId")
        if key and params.get("Policy") and params.get("RoleArn"):
            self._sessions[key] = (str(params["RoleArn"]), str(params["Policy"]))


def _access_key(client: Any) -> str | None:
    credentials = getattr(client._request_signer, "_credentials", None)
    return getattr(credentials, "access_key", None) if credentials is not None else None


@contextmanager
def member_calls() -> Iterator[MemberCalls]:
    """Record the calls made with sessions assumed with a session policy, in this block."""
    recorded = MemberCalls()
    original: Callable[..., Any] = BaseClient.__dict__["_make_api_call"]

    def _make_api_call(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        recorded.note(client, operation_name, api_params)
        response = original(client, operation_name, api_params)
        if operation_name == "AssumeRole":
            recorded.assumed(api_params, response)
        return response

    BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]
    try:
        yield recorded
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def _account(role_arn: str) -> str:
    return role_arn.split(":")[4]


def _recorded(call: MemberCall) -> RecordedCall:
    service, operation = OPERATION_ACTIONS.get(
        (call.service, call.operation), (call.service, call.operation)
    )
    return RecordedCall(
        function="reactor",
        service=service,
        operation=operation,
        params=call.params,
        region=call.region,
        account=_account(call.role_arn),
        principal=call.role_arn,
        settings=None,
        test="",
        session_policy=call.session_policy,
    )


def _action(call: MemberCall) -> tuple[str, str]:
    if (call.service, call.operation) in OPERATION_ACTIONS:
        return OPERATION_ACTIONS[(call.service, call.operation)]
    prefix = PREFIXES.get(call.service, call.service)
    return prefix, ACTION_NAMES.get((prefix, call.operation), call.operation)


def _arn_pattern(arn_format: str) -> re.Pattern[str]:
    parts = re.split(r"\$\{[^}]+\}", arn_format)
    return re.compile(".+?".join(re.escape(part) for part in parts))


def _resource_types(call: MemberCall) -> tuple[list[str], dict[str, Any]]:
    """The resource types the call's action acts on, and the service's ARN formats."""
    prefix, action = _action(call)
    try:
        info = get_privilege_info(prefix, action)
    except Exception:  # policy_sentry raises a bare Exception for an unknown action
        return [], {}
    return [name for name in info["resource_types"] if name], info.get("service_resources") or {}


def _target_resource(call: MemberCall, target_arn: str) -> str | None:
    """``target_arn`` when it has the shape of a resource type the call's action acts on."""
    names, resources = _resource_types(call)
    for name in names:
        arn_format = (resources.get(name) or {}).get("arn")
        if arn_format and _arn_pattern(arn_format).fullmatch(target_arn):
            return target_arn
    return None


def _needs(call: MemberCall, target_arn: str) -> list[Needed]:
    """What the call needs; "" as the resource: judge the action alone."""
    try:
        needs = call_needs(_recorded(call))
    except UnmappedCallError as exc:
        if "needs a resource of type" not in str(exc):
            raise
        needs = [Needed(":".join(_action(call)), "*", {"aws:RequestedRegion": call.region})]
    resolved = []
    for needed in needs:
        if needed.resource == "*" and _resource_types(call)[0]:
            # An action on resources the mapping could not name: the finding's, or none.
            resource = _target_resource(call, target_arn) or ""
            needed = Needed(needed.action, resource, needed.context)
        resolved.append(needed)
    return resolved


def _declared_action(action: str, policy: dict[str, Any]) -> bool:
    for statement in policy["Statement"]:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if statement.get("Effect") == "Allow" and any(
            fnmatchcase(action.lower(), pattern.lower()) for pattern in actions
        ):
            return True
    return False


def calls_judge(calls: list[MemberCall], *, target_arn: str = "") -> list[Judgement]:
    """Each call of ``calls`` against its session policy (see the module docstring); raises
    `UnmappedCallError` for an operation with no IAM action."""
    judgements = []
    for call in calls:
        policy = json.loads(call.session_policy)
        for needed in _needs(call, target_arn):
            if needed.resource:
                decision = evaluate(
                    Request(needed.action, needed.resource, needed.context), [policy]
                )
                allowed, reason = decision.allowed, decision.reason
                resource = needed.resource
            else:
                allowed = _declared_action(needed.action, policy)
                reason = "judged on the action alone: no resource ARN known for it"
                resource = "(resource not resolved)"
            judgements.append(Judgement(call, needed.action, resource, allowed, reason))
    return judgements
