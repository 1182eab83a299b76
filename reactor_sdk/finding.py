"""The view of a Security Hub finding (ASFF) a reactor works on.

Only what reactors need: the finding's own account (``AwsAccountId``, never the event envelope's
``account``: with a delegated administrator they differ), its region, its control id in any of
the formats Security Hub has used, and its resources. Ships inside every reactor artifact, so it
uses the standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reactor_sdk.errors import ReactorInputError

_ACCOUNT = re.compile(r"^\d{12}$")
_CONTROL_IN_GENERATOR = re.compile(r"(?:security-control/|/v/[\d.]+/)([A-Za-z0-9]+\.\d+)$")


@dataclass(frozen=True)
class FindingResource:
    """One entry of the finding's ``Resources``."""

    type: str
    id: str
    region: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The last segment of the resource id (bucket, security group id, queue name...)."""
        tail = self.id.rsplit(":", 1)[-1]
        return tail.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Finding:
    """A finding as a reactor sees it; build it with `Finding.from_asff`."""

    id: str
    account_id: str
    region: str
    control_id: str | None
    title: str
    resources: tuple[FindingResource, ...]
    raw: Mapping[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def from_asff(cls, data: Mapping[str, Any]) -> Finding:
        """Parse an ASFF finding; `ReactorInputError` when it has no valid id, account or region."""
        if not isinstance(data, Mapping):
            raise ReactorInputError("finding: expected an ASFF object")
        finding_id = data.get("Id")
        account = str(data.get("AwsAccountId") or "")
        if not finding_id:
            raise ReactorInputError("finding: missing Id")
        if not _ACCOUNT.match(account):
            raise ReactorInputError(f"finding {finding_id}: AwsAccountId {account!r} is invalid")
        resources = tuple(
            FindingResource(
                type=str(item.get("Type", "")),
                id=str(item.get("Id", "")),
                region=item.get("Region"),
                details=item.get("Details") or {},
            )
            for item in data.get("Resources") or []
            if isinstance(item, Mapping) and item.get("Id")
        )
        region = data.get("Region") or next((r.region for r in resources if r.region), None)
        if not region:
            raise ReactorInputError(f"finding {finding_id}: no Region")
        return cls(
            id=str(finding_id),
            account_id=account,
            region=str(region),
            control_id=finding_control_id(data),
            title=str(data.get("Title") or ""),
            resources=resources,
            raw=data,
        )

    def resource(self, *types: str) -> FindingResource:
        """The first resource of one of ``types``; `ReactorInputError` when there is none."""
        for resource in self.resources:
            if resource.type in types:
                return resource
        found = ", ".join(r.type for r in self.resources) or "none"
        raise ReactorInputError(
            f"finding {self.id}: no resource of type {' or '.join(types)} (found: {found})"
        )


def finding_control_id(data: Mapping[str, Any]) -> str | None:
    """The control id of an ASFF finding, whichever format it uses, or None."""
    compliance = data.get("Compliance") or {}
    if compliance.get("SecurityControlId"):
        return str(compliance["SecurityControlId"])
    fields = data.get("ProductFields") or {}
    if fields.get("ControlId"):
        return str(fields["ControlId"])
    match = _CONTROL_IN_GENERATOR.search(str(data.get("GeneratorId") or ""))
    return match.group(1) if match else None
