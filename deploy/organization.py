"""The AWS organization as the member-role StackSet sees it (`deploy.members`).

Who manages it (organizations:DescribeOrganization ``MasterAccountId``: a caller that is not the
management account acts as a delegated administrator, ``CallAs=DELEGATED_ADMIN``), and which
active accounts the chosen OUs hold, nested OUs included: the walk follows
organizations:ListChildren itself, because AWS's StackSets reach nested OUs but the emulator
only one level down. The management account is left out: service-managed StackSets never
deploy to it. Both calls work for the management account and for a delegated administrator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ouroboros.aws import client
from ouroboros.errors import OuroborosError

_TARGET = re.compile(r"(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})")


class OrganizationError(OuroborosError):
    """The organization or an OU asked for does not exist, or an OU id is malformed."""


@dataclass(frozen=True)
class MemberAccounts:
    """The OUs the operator chose, those plus every OU nested under them, and their accounts."""

    chosen: tuple[str, ...]
    #: The chosen OUs and every OU nested under them, breadth first from the chosen ones.
    ous: tuple[str, ...]
    #: Active account id -> the OU that holds it (the management account left out).
    accounts: dict[str, str]


def ous_parse(text: str) -> tuple[str, ...]:
    """``ou-a,ou-b`` -> the OU (or root) ids, checked against AWS's pattern, without repeats."""
    ous = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not ous:
        raise OrganizationError("--ous names no OU: pass ou-xxxx-xxxxxxxx[,ou-...]")
    bad = [ou for ou in ous if not _TARGET.fullmatch(ou)]
    if bad:
        raise OrganizationError(
            f"not an OU or root id: {', '.join(bad)} (expected ou-xxxx-xxxxxxxx)"
        )
    return ous


def organization_caller(account: str) -> tuple[str, str]:
    """(the management account, ``SELF`` or ``DELEGATED_ADMIN`` for the caller ``account``)."""
    org = client("organizations")
    try:
        management = str(org.describe_organization()["Organization"]["MasterAccountId"])
    except org.exceptions.AWSOrganizationsNotInUseException as exc:
        raise OrganizationError(
            f"account {account} is in no organization: service-managed StackSets need AWS "
            "Organizations (use member_role_template and deploy the stack by hand)"
        ) from exc
    return management, "SELF" if management == account else "DELEGATED_ADMIN"


def _listed(org: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in org.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def organization_accounts(ous: tuple[str, ...], *, management: str) -> MemberAccounts:
    """The chosen OUs, every OU nested under them (breadth first), and their active accounts."""
    org = client("organizations")
    found: list[str] = []
    accounts: dict[str, str] = {}
    queue = list(ous)
    while queue:
        ou = queue.pop(0)
        if ou in found:
            continue
        found.append(ou)
        try:
            for account in _listed(org, "list_accounts_for_parent", "Accounts", ParentId=ou):
                state = account.get("State") or account.get("Status")
                if state == "ACTIVE" and account["Id"] != management:
                    accounts.setdefault(account["Id"], ou)
            queue += [
                child["Id"]
                for child in _listed(
                    org, "list_children", "Children", ParentId=ou, ChildType="ORGANIZATIONAL_UNIT"
                )
            ]
        except org.exceptions.ParentNotFoundException as exc:
            raise OrganizationError(f"{ou} is no OU (or root) of this organization") from exc
    return MemberAccounts(chosen=ous, ous=tuple(found), accounts=accounts)
