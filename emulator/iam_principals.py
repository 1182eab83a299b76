"""Principals: who is calling, and whether a policy's Principal element names them, and how.

A caller is an account (``123456789012`` or ``arn:aws:iam::123456789012:root``), an IAM user or
role ARN, a role session (``arn:aws:sts::A:assumed-role/R/S``), a federated user, a service
principal (``lambda.amazonaws.com``) or nobody (anonymous). A Principal element names the caller
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html):

- ``direct``: ``*``, the caller's own ARN (user, session, federated user), its service name;
- ``role``: the ARN of the role a session belongs to (any path; AWS matches sessions of it);
- ``account``: the caller's account, which "delegates authority to the account".

`emulator.iam_evaluator` decides what each grants (a role ARN grant is limited by boundaries and
session policies, an account grant needs the identity policy too).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Grant = Literal["direct", "role", "account"]
_ACCOUNT = re.compile(r"^\d{12}$")
_IAM_ARN = re.compile(r"^arn:([\w-]+):(iam|sts)::(\d{12}):(.+)$")
_GRANT_ORDER: tuple[Grant, ...] = ("direct", "role", "account")


@dataclass(frozen=True)
class Caller:
    """Who is asking, and the names a policy may know them by."""

    arn: str | None  # None: anonymous
    kind: str  # anonymous | account | user | role | session | federated | service | other
    account: str | None = None
    role: str | None = None  # "account:role-name" for a role or a role session

    @property
    def root(self) -> str | None:
        return None if self.account is None else f"arn:aws:iam::{self.account}:root"

    def principal_arn(self) -> str | None:
        """``aws:PrincipalArn``: the role's ARN for a role session, else the caller's ARN."""
        if self.kind == "session" and self.role and self.arn:
            partition = self.arn.split(":")[1]
            account, name = self.role.split(":", 1)
            return f"arn:{partition}:iam::{account}:role/{name}"
        return self.root if self.kind == "account" else self.arn


def _role_key(arn: str) -> str | None:
    """``account:name`` of a role ARN (any path) or an assumed-role session ARN."""
    match = _IAM_ARN.match(arn)
    if match is None:
        return None
    service, account, rest = match.group(2), match.group(3), match.group(4)
    if service == "iam" and rest.startswith("role/"):
        return f"{account}:{rest.rsplit('/', 1)[-1]}"
    if service == "sts" and rest.startswith("assumed-role/") and rest.count("/") >= 2:
        return f"{account}:{rest.split('/')[1]}"
    return None


def _account_of(name: str) -> str | None:
    """The account an account principal names (``123456789012`` or ``arn:...:iam::A:root``)."""
    if _ACCOUNT.match(name):
        return name
    match = _IAM_ARN.match(name)
    return (
        match.group(3) if match and match.group(2) == "iam" and match.group(4) == "root" else None
    )


def caller_parse(principal: str | None) -> Caller:
    if principal is None:
        return Caller(None, "anonymous")
    if _ACCOUNT.match(principal):
        return Caller(f"arn:aws:iam::{principal}:root", "account", principal)
    match = _IAM_ARN.match(principal)
    if match is None:
        kind = "service" if principal.endswith(".amazonaws.com") else "other"
        return Caller(principal, kind)
    service, account, rest = match.group(2), match.group(3), match.group(4)
    kinds = {
        ("iam", "root"): "account",
        ("iam", "user"): "user",
        ("iam", "role"): "role",
        ("sts", "assumed-role"): "session",
        ("sts", "federated-user"): "federated",
    }
    kind = kinds.get((service, rest.split("/", 1)[0]), "other")
    return Caller(principal, kind, account, _role_key(principal))


def principals_grant(principals: Mapping[str, list[str]], caller: Caller) -> Grant | None:
    """How strongly a Principal element names ``caller``: directly, by role ARN, by account."""
    found: set[Grant] = set()
    for kind, names in principals.items():
        for name in names:
            if name == "*" and kind in ("*", "AWS"):
                found.add("direct")
            elif kind == "Service":
                if caller.kind == "service" and name.lower() == (caller.arn or "").lower():
                    found.add("direct")
            elif kind != "AWS":
                if name == caller.arn:
                    found.add("direct")
            elif _account_of(name) is not None:
                if _account_of(name) == caller.account:
                    found.add("account")
            elif name == caller.arn and caller.kind != "role":
                found.add("direct")
            elif caller.role is not None and _role_key(name) == caller.role:
                found.add("role")
    return next((grant for grant in _GRANT_ORDER if grant in found), None)


def principals_exclude(principals: Mapping[str, list[str]], caller: Caller) -> bool:
    """NotPrincipal: the caller is excepted only when each of its names is listed."""
    listed = {n for names in principals.values() for n in names}
    roles = {_role_key(n) for n in listed} - {None}
    accounts = {_account_of(n) for n in listed} - {None}
    if caller.kind == "anonymous":
        return False
    if caller.kind in ("service", "other"):
        return caller.arn in listed
    needs = [caller.account in accounts]
    if caller.kind in ("role", "session"):
        needs.append(caller.role in roles)
    if caller.kind not in ("account", "role"):
        needs.append(caller.arn in listed)
    return all(needs)
