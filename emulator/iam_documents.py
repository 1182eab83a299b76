"""IAM policy documents, parsed and checked: what `emulator.iam_evaluator` evaluates.

A document is a mapping (or its JSON text) with ``Version``, optional ``Id`` and ``Statement``
(one statement or a list). Each statement is checked against the IAM JSON policy grammar
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html) for the kind
of policy it sits in: identity, boundary and session policies name no Principal and need a
Resource; resource policies need a Principal; role trust policies need a Principal and have no
Resource. Anything malformed raises `PolicyError` naming the policy, the statement (its number and
Sid) and the element, never a ``KeyError``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from emulator.iam_conditions import POLICY_VARIABLES_VERSION, PolicyError, conditions_validate

PolicyKind = Literal["identity", "boundary", "session", "resource", "trust"]
_STATEMENT_KEYS = {
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
    "NotResource", "Condition",
}  # fmt: skip
_PRINCIPAL_TYPES = {"AWS", "Service", "Federated", "CanonicalUser"}


def _strings(value: Any, where: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise PolicyError(f"{where} must be a string or a non-empty list of strings")
    return items


@dataclass(frozen=True)
class Statement:
    """One checked statement; ``label`` says where: "statement 2 (Sid) of identity policy"."""

    label: str
    raw: dict[str, Any]
    effect: str
    actions: list[str]
    not_action: bool
    resources: list[str] | None
    not_resource: bool
    principals: Mapping[str, list[str]] | None  # {"*": ["*"]} for "Principal": "*"
    not_principal: bool
    conditions: Mapping[str, Any]
    variables: bool


@dataclass(frozen=True)
class Policy:
    """One checked document, named for messages ("permissions boundary", "session policy 1")."""

    name: str
    statements: list[Statement]


def _one_of(statement: Mapping[str, Any], name: str, where: str) -> tuple[Any, bool]:
    both = name in statement and f"Not{name}" in statement
    if both:
        raise PolicyError(f"{where}: has both {name} and Not{name}")
    if name in statement:
        return statement[name], False
    return statement.get(f"Not{name}"), f"Not{name}" in statement


def _principals(value: Any, where: str) -> Mapping[str, list[str]]:
    if value == "*":
        return {"*": ["*"]}
    if not isinstance(value, Mapping) or not value:
        raise PolicyError(f"{where}: Principal must be '*' or an object such as {{'AWS': ...}}")
    parsed = {}
    for kind, names in value.items():
        if kind not in _PRINCIPAL_TYPES:
            raise PolicyError(f"{where}: unknown principal type {kind!r}")
        parsed[kind] = _strings(names, f"{where}: Principal {kind}")
        if kind == "AWS" and any("*" in n and n != "*" for n in parsed[kind]):
            raise PolicyError(f"{where}: a Principal cannot use a wildcard inside an ARN")
    return parsed


def _action_patterns(value: Any, where: str) -> list[str]:
    actions = _strings(value, f"{where}: Action")
    for action in actions:
        if action != "*" and ":" not in action:
            raise PolicyError(f"{where}: action {action!r} is not '*' or 'service:Action'")
    return actions


def _resource_patterns(value: Any, where: str) -> list[str]:
    resources = _strings(value, f"{where}: Resource")
    for resource in resources:
        if resource != "*" and not resource.startswith("arn:"):
            raise PolicyError(f"{where}: resource {resource!r} is not '*' or an ARN")
    return resources


def _statement(raw: Any, label: str, kind: PolicyKind, variables: bool) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{label}: a statement must be an object, not {raw!r}")
    unknown = set(raw) - _STATEMENT_KEYS
    if unknown:
        raise PolicyError(f"{label}: unknown element(s) {sorted(unknown)}")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        problem = "has no Effect" if effect is None else f"has Effect {effect!r}"
        raise PolicyError(f"{label}: {problem} (must be 'Allow' or 'Deny')")
    actions, not_action = _one_of(raw, "Action", label)
    if actions is None:
        raise PolicyError(f"{label}: has neither Action nor NotAction")
    resources, not_resource = _one_of(raw, "Resource", label)
    if kind == "trust" and resources is not None:
        raise PolicyError(f"{label}: a trust policy cannot have Resource or NotResource")
    if kind != "trust" and resources is None:
        raise PolicyError(f"{label}: has neither Resource nor NotResource")
    principal, not_principal = _one_of(raw, "Principal", label)
    if kind in ("identity", "boundary", "session") and principal is not None:
        raise PolicyError(f"{label}: a {kind} policy cannot name a Principal or NotPrincipal")
    if kind in ("resource", "trust") and principal is None:
        raise PolicyError(f"{label}: a {kind} policy statement needs Principal or NotPrincipal")
    if not_principal and effect == "Allow":
        raise PolicyError(f"{label}: NotPrincipal is only supported with Effect Deny")
    conditions = raw.get("Condition", {})
    conditions_validate(conditions, label)
    return Statement(
        label=label,
        raw=dict(raw),
        effect=effect,
        actions=_action_patterns(actions, label),
        not_action=not_action,
        resources=None if resources is None else _resource_patterns(resources, label),
        not_resource=not_resource,
        principals=None if principal is None else _principals(principal, label),
        not_principal=not_principal,
        conditions=conditions,
        variables=variables,
    )


def policy_parse(document: Mapping[str, Any] | str, name: str, kind: PolicyKind) -> Policy:
    """``document`` (a mapping or its JSON text) checked as a ``kind`` policy called ``name``."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise PolicyError(f"{name}: not valid JSON ({exc})") from exc
    if not isinstance(document, Mapping):
        raise PolicyError(f"{name}: a policy document must be an object")
    unknown = set(document) - {"Version", "Id", "Statement"}
    if unknown:
        raise PolicyError(f"{name}: unknown top-level element(s) {sorted(unknown)}")
    version = document.get("Version", "2008-10-17")
    if version not in ("2012-10-17", "2008-10-17"):
        raise PolicyError(f"{name}: Version must be '2012-10-17' or '2008-10-17', not {version!r}")
    raw = document.get("Statement")
    if raw is None:
        raise PolicyError(f"{name}: has no Statement")
    statements = raw if isinstance(raw, list) else [raw]
    variables = version == POLICY_VARIABLES_VERSION
    return Policy(
        name,
        [
            _statement(s, _statement_label(s, index, name), kind, variables)
            for index, s in enumerate(statements, start=1)
        ],
    )


def _statement_label(raw: Any, index: int, policy: str) -> str:
    sid = raw.get("Sid") if isinstance(raw, Mapping) else None
    return f"statement {index}{f' ({sid})' if sid else ''} of {policy}"
