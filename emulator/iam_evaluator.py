"""A small IAM policy evaluator: may this principal do this action on this resource?

It follows AWS's documented policy-evaluation logic
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and its
sub-page "How AWS enforcement code logic evaluates requests to allow or deny access",
``reference_policies_evaluation-logic_policy-eval-denyallow.html``) for the policy shapes
Ouroboros generates (`deploy.iam`, `deploy.member_role`, `ouroboros.reactors.installer`). It is a
test tool: no SCPs, RCPs, ACLs, VPC endpoint policies or service-specific exceptions (KMS key
policies, for one, are treated like any resource policy).

`evaluate`, in order:

1. Default deny. An explicit ``Deny`` that applies, in any policy passed (identity, boundary,
   session, resource), wins over every ``Allow``.
2. Same account (or no principal, or no account known on either side):

   - a resource-based policy that grants "directly" to the caller is enough on its own: it names
     the IAM user, the role session (``arn:aws:sts::A:assumed-role/R/S``), the federated user, the
     service principal, or ``*``. AWS: such grants are "not limited by an implicit deny in an
     identity-based policy, a permissions boundary, or session policy" (for ``*`` with
     ``aws:PrincipalArn``: "Permissions boundaries and session policies do not limit permissions
     granted using the aws:PrincipalArn condition key with a wildcard(*) in the Principal
     element");
   - otherwise the identity policies (their union) must allow, AND the permissions boundary (if
     any) must allow, AND the session policies (if any; their union) must allow;
   - otherwise a resource-based policy naming the caller's *role ARN* allows when the boundary and
     the session policies allow: AWS: "Resource-based policies that grant permissions to an IAM
     role ARN are limited by an implicit deny in a permissions boundary or session policy". (So a
     grant to the role ARN is NOT a way around the boundary; a grant to the session ARN is.)
   - a resource-based policy naming the caller's *account* (``arn:aws:iam::A:root`` or ``A``)
     delegates to the account (``reference_policies_elements_principal.html``, "AWS account
     principals"): the identity side must allow as above.

3. Cross-account (the caller's account differs from the resource's: the ARN's account segment,
   or the ``aws:ResourceAccount`` context key when the ARN has none, as for S3): the identity side
   (identity AND boundary AND session) must allow AND the resource-based policy must allow the
   caller by any of its names (``reference_policies_evaluation-logic-cross-account.html``).

For ``sts:AssumeRole*`` the resource policy is the role's trust policy (no Resource element),
which, unlike most resource policies, must allow the caller even within one account (AWS: "IAM
role trust policies and KMS key policies are exceptions to this logic, because they must
explicitly allow access for principals"). `trust_evaluate` checks a trust policy on its own.

Elements: Version (``2012-10-17`` or ``2008-10-17``; policy variables only in the former), Id,
Statement (one or a list), Sid, Effect, Action / NotAction, Resource / NotResource, Principal /
NotPrincipal (only in resource and trust policies), Condition. Actions match case-insensitively
with ``*`` and ``?``; resources match segment by segment (see `emulator.iam_conditions`, which
also documents the condition operators and policy variables). ``NotPrincipal`` must be used with
``Deny`` (AWS: "Using it with Allow is not supported"); it excludes a caller only when the
caller's account, role and session ARNs are all listed (AWS "might validate the account first,
then the role, and then the assumed-role user"), and it always applies to a caller with a
permissions boundary (AWS: "will always deny any IAM principal that has a permissions boundary
policy attached"). When the request has a principal, ``aws:PrincipalArn`` (the role ARN for a
role session) and ``aws:PrincipalAccount`` are added to the context unless given.

Malformed documents raise `PolicyError` naming the policy, the statement and the element.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from emulator.iam_conditions import (
    Context,
    PolicyError,
    UnresolvedVariable,
    arn_matches,
    arn_segments,
    condition_failure,
    variables_resolve,
    wildcard_matches,
)
from emulator.iam_documents import Policy, PolicyKind, Statement, policy_parse
from emulator.iam_principals import (
    Caller,
    Grant,
    caller_parse,
    principals_exclude,
    principals_grant,
)

__all__ = [
    "SESSION_POLICY_MAX_CHARS",
    "Decision",
    "PolicyError",
    "Request",
    "evaluate",
    "session_policy_problems",
    "trust_evaluate",
]

#: AWS's documented plaintext cap for session policies (AssumeRole ``Policy``).
SESSION_POLICY_MAX_CHARS = 2048


@dataclass(frozen=True)
class Request:
    """One API call: ``action`` on ``resource`` (an ARN or ``*``), by ``principal``."""

    action: str
    resource: str
    context: Mapping[str, str | bool | Sequence[str]] = field(default_factory=dict)
    principal: str | None = None


@dataclass(frozen=True)
class Decision:
    """The answer, why, and the deciding statement when there is one."""

    allowed: bool
    reason: str
    statement: dict[str, Any] | None = None


# --- statements against a request ---------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    action: str
    resource: str | None  # None: a trust policy (no Resource element)
    context: Context
    caller: Caller
    has_boundary: bool = False


def _matches_action(statement: Statement, action: str) -> bool:
    hit = any(
        wildcard_matches(p, action, Context({}), variables=False, ignore_case=True)
        for p in statement.actions
    )
    return hit != statement.not_action


def _matches_resource(statement: Statement, target: _Target) -> bool:
    if statement.resources is None or target.resource is None:
        return True
    if statement.variables:
        variables_resolve(statement.resources, target.context)
    hit = any(
        arn_matches(p, target.resource, target.context, variables=statement.variables)
        for p in statement.resources
    )
    return hit != statement.not_resource


def _principal_grant(statement: Statement, target: _Target) -> Grant | None:
    """For a resource or trust policy statement: does it name the caller, and how?"""
    if statement.principals is None:
        return "direct"
    if statement.not_principal:
        if target.has_boundary:  # AWS: always denies a principal that has a boundary
            return "direct"
        return None if principals_exclude(statement.principals, target.caller) else "direct"
    return principals_grant(statement.principals, target.caller)


def _unmet(statement: Statement, target: _Target) -> str | None:
    """None when the statement applies to ``target``; else what does not match."""
    if not _matches_action(statement, target.action):
        return "action"
    try:
        if not _matches_resource(statement, target):
            return "resource"
        if _principal_grant(statement, target) is None:
            return "principal"
        failure = condition_failure(
            statement.conditions, target.context, variables=statement.variables
        )
    except UnresolvedVariable as exc:
        return f"policy variable ${{{exc}}} has no value in the request context"
    return None if failure is None else f"condition {failure}"


def _first(policies: Iterable[Policy], effect: str, target: _Target) -> Statement | None:
    for policy in policies:
        for statement in policy.statements:
            if statement.effect == effect and _unmet(statement, target) is None:
                return statement
    return None


# --- evaluate -----------------------------------------------------------------------------------


def _target(
    principal: str | None,
    action: str,
    resource: str | None,
    context: Mapping[str, Any],
    *,
    has_boundary: bool = False,
) -> _Target:
    caller = caller_parse(principal)
    defaults = {}
    principal_arn = caller.principal_arn()
    if principal_arn is not None and caller.kind != "service":
        defaults["aws:PrincipalArn"] = principal_arn
    if caller.account is not None:
        defaults["aws:PrincipalAccount"] = caller.account
    merged = Context(context).with_defaults(defaults)
    return _Target(action, resource, merged, caller, has_boundary)


def _resource_account(target: _Target) -> str | None:
    segments = arn_segments(target.resource or "")
    account = segments[4] if len(segments) == 6 and segments[0] == "arn" else ""
    if account and account != "*":
        return account
    return target.context.single("aws:ResourceAccount")


def _strongest_grant(
    policies: list[Policy], target: _Target
) -> tuple[Statement | None, Grant | None]:
    """The resource policy's Allow that names the caller most directly (direct > role > account)."""
    best: tuple[Statement | None, Grant | None] = (None, None)
    rank: dict[Grant | None, int] = {None: 0, "account": 1, "role": 2, "direct": 3}
    for policy in policies:
        for statement in policy.statements:
            if statement.effect == "Allow" and _unmet(statement, target) is None:
                grant = _principal_grant(statement, target)
                if rank[grant] > rank[best[1]]:
                    best = (statement, grant)
    return best


def _decided(allowed: bool, reason: str, statement: Statement | None = None) -> Decision:
    return Decision(allowed, reason, None if statement is None else dict(statement.raw))


@dataclass(frozen=True)
class _Policies:
    identities: list[Policy]
    bounds: list[Policy]
    sessions: list[Policy]
    resources: list[Policy]
    trust: bool  # the resource policy is the trust policy of the role being assumed


def _policies(
    request: Request,
    identity: Sequence[Mapping[str, Any]],
    boundary: Mapping[str, Any] | None,
    session: Sequence[Mapping[str, Any]] | None,
    resource_policy: Mapping[str, Any] | None,
) -> _Policies:
    if session is not None and len(session) == 0:
        raise PolicyError("session policies: pass None for no session policy, not an empty list")
    several = len(identity) > 1
    trust = request.action.lower().startswith("sts:assumerole")
    resources = []
    if resource_policy is not None:
        kind: PolicyKind = "trust" if trust else "resource"
        resources = [policy_parse(resource_policy, f"{kind} policy", kind)]
    return _Policies(
        identities=[
            policy_parse(d, f"identity policy{f' {i}' if several else ''}", "identity")
            for i, d in enumerate(identity, start=1)
        ],
        bounds=[]
        if boundary is None
        else [policy_parse(boundary, "permissions boundary", "boundary")],
        sessions=[
            policy_parse(d, f"session policy {i}", "session")
            for i, d in enumerate(session or [], 1)
        ],
        resources=resources,
        trust=trust and resource_policy is not None,
    )


def evaluate(
    request: Request,
    identity: Sequence[Mapping[str, Any]],
    *,
    boundary: Mapping[str, Any] | None = None,
    session: Sequence[Mapping[str, Any]] | None = None,
    resource_policy: Mapping[str, Any] | None = None,
) -> Decision:
    """Whether AWS would allow ``request`` given these policies (see the module docstring).

    For ``sts:AssumeRole*`` the ``resource_policy`` is the role's trust policy, which must allow
    the caller even within one account.
    """
    p = _policies(request, identity, boundary, session, resource_policy)
    target = _target(
        request.principal,
        request.action,
        request.resource,
        request.context,
        has_boundary=boundary is not None,
    )
    denied = _first([*p.identities, *p.bounds, *p.sessions, *p.resources], "Deny", target)
    if denied is not None:
        return _decided(False, f"explicit deny by {denied.label}", denied)

    what = f"{request.action} on {request.resource}"
    by_identity = _first(p.identities, "Allow", target)
    limit = None
    if p.bounds and _first(p.bounds, "Allow", target) is None:
        limit = f"permissions boundary does not allow {what}"
    elif p.sessions and _first(p.sessions, "Allow", target) is None:
        limit = f"session policy does not allow {what}"
    granted, grant = _strongest_grant(p.resources, target)

    resource_account = _resource_account(target)
    if target.caller.account and resource_account and target.caller.account != resource_account:
        prefix = f"cross-account ({request.principal} -> account {resource_account}): "
        return _cross_account(prefix, what, by_identity, limit, granted, bool(p.resources))
    if p.trust and granted is None:
        return _decided(False, f"the trust policy does not allow {request.principal} to {what}")
    return _same_account(p, what, by_identity, limit, granted, grant)


def _same_account(
    p: _Policies,
    what: str,
    by_identity: Statement | None,
    limit: str | None,
    granted: Statement | None,
    grant: Grant | None,
) -> Decision:
    """A direct resource-policy grant; else identity AND boundary AND session; else a grant to
    the role ARN AND boundary AND session."""
    if granted is not None and grant == "direct":
        return _decided(
            True, f"allowed by {granted.label} (granted directly to the caller)", granted
        )
    if by_identity is not None and limit is None:
        return _decided(True, f"allowed by {by_identity.label}", by_identity)
    if granted is not None and grant == "role" and limit is None:
        return _decided(True, f"allowed by {granted.label} (granted to the role ARN)", granted)
    if limit is not None and (by_identity is not None or grant == "role"):
        return _decided(False, limit)
    reason = f"no identity statement allows {what}"
    if p.resources:
        reason += (
            f" and the {'trust' if p.trust else 'resource'} policy does not allow it on its own"
        )
        if grant == "account":
            reason += " (it names the account, which delegates to identity policies)"
    return _decided(False, reason)


def _cross_account(
    prefix: str,
    what: str,
    by_identity: Statement | None,
    limit: str | None,
    granted: Statement | None,
    has_resource_policy: bool,
) -> Decision:
    """Both sides must allow: the caller's (identity, boundary, session) and the resource's."""
    if by_identity is None:
        return _decided(False, f"{prefix}no identity statement allows {what}")
    if limit is not None:
        return _decided(False, prefix + limit)
    if not has_resource_policy:
        return _decided(False, f"{prefix}the resource has no resource-based policy allowing {what}")
    if granted is None:
        return _decided(False, f"{prefix}the resource policy does not allow {what}")
    return _decided(True, f"{prefix}allowed by {by_identity.label} and {granted.label}", granted)


# --- trust policies -----------------------------------------------------------------------------


def trust_evaluate(
    trust_policy: Mapping[str, Any],
    principal: str,
    context: Mapping[str, Any] | None = None,
    *,
    action: str = "sts:AssumeRole",
) -> Decision:
    """May ``principal`` (an account id, an account/role/user/session ARN, or a service principal
    such as ``lambda.amazonaws.com``) assume the role with this trust policy?

    A trust policy must allow the caller even within one account. When it names the caller's
    account (``arn:aws:iam::A:root`` or ``A``) the account delegates: AWS also requires the
    caller's own identity policy to allow ``sts:AssumeRole`` on the role, which the reason notes.
    """
    policy = policy_parse(trust_policy, "trust policy", "trust")
    target = _target(principal, action, None, context or {})
    denied = _first([policy], "Deny", target)
    if denied is not None:
        return _decided(False, f"explicit deny by {denied.label}", denied)
    allowed = _first([policy], "Allow", target)
    if allowed is not None:
        reason = f"allowed by {allowed.label}"
        if _principal_grant(allowed, target) == "account":
            account = target.caller.account
            reason += f" (it names account {account}: its identity policy must also allow {action})"
        return _decided(True, reason, allowed)
    unmet = [(s, _unmet(s, target) or "") for s in policy.statements if s.effect == "Allow"]
    near = [
        f"{s.label}: {why} not met" for s, why in unmet if why.startswith(("condition", "policy"))
    ]
    detail = f" ({'; '.join(near)})" if near else ""
    return _decided(False, f"trust policy does not allow {principal} to {action}{detail}")


# --- session policies ---------------------------------------------------------------------------


def _plaintext_length(text: str) -> int:
    """Characters of JSON ``text``, not counting whitespace outside string literals."""
    count, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            count += 1
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char not in " \t\n\r":
            count += 1
            in_string = char == '"'
    return count


def session_policy_problems(policy: Mapping[str, Any] | str) -> list[str]:
    """Why AWS STS would refuse ``policy`` as the inline session policy of ``AssumeRole``.

    The rule implemented: the JSON text (``policy`` itself when a string, else
    ``json.dumps(policy)``, as the project sends it) may hold only the characters AWS lists (tab,
    line feed, carriage return, U+0020 through U+00FF) and, not counting whitespace outside
    string literals, at most 2,048 characters. AWS: "The plaintext that you use for both inline
    and managed session policies can't exceed 2,048 characters" (STS AssumeRole, ``Policy``);
    not counting insignificant whitespace is IAM's rule for its policy-size quotas, applied here.
    AWS also packs the policy and session tags into a binary form with its own limit
    (``PackedPolicySize``), which cannot be predicted and is not checked. The document must also
    be a valid policy that names no Principal.
    """
    problems = []
    try:
        text = policy if isinstance(policy, str) else json.dumps(policy)
    except (TypeError, ValueError) as exc:
        return [f"not serialisable as JSON: {exc}"]
    bad = sorted({c for c in text if not (c in "\t\n\r" or "\u0020" <= c <= "\u00ff")})
    if bad:
        problems.append(f"characters outside U+0020-U+00FF, tab, LF, CR: {bad[:5]}")
    length = _plaintext_length(text)
    if length > SESSION_POLICY_MAX_CHARS:
        problems.append(
            f"{length} characters without whitespace, over the {SESSION_POLICY_MAX_CHARS}-character"
            " session policy limit"
        )
    try:
        policy_parse(text, "session policy", "session")
    except PolicyError as exc:
        problems.append(str(exc))
    return problems
