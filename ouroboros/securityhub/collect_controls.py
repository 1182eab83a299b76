"""The controls collector: enabled standards and their controls, from Security Hub into DynamoDB.

`controls_collect` reads, all paginated:

1. ``GetEnabledStandards``: the standards subscribed in this (administrator) account (a
   subscription still PENDING, DELETING or FAILED counts as not enabled), and
   ``DescribeStandards`` for their names (the ARN stands in where that call is refused);
2. ``DescribeStandardsControls`` per subscription: every standard control with its status in that
   standard, title, severity, remediation URL. Standard control ids become security control ids
   through the mapping table (`ouroboros.securityhub.control_ids`), so PCI's ``PCI.S3.6`` lands on
   ``S3.1`` and CIS 1.2.0 rule 1.1 on both ``CloudWatch.1`` and ``IAM.20``;
3. where the consolidated API answers (it does not in every partition or emulator):
   ``ListSecurityControlDefinitions`` for the standard-agnostic title / description / severity of
   each security control, ``ListSecurityControlDefinitions(StandardsArn=...)`` for the security
   controls of each enabled standard, and ``ListStandardsControlAssociations`` only for the controls
   step 2 could not place (standard controls newer than the mapping table), for their status.

Then one `control_catalog_upsert` call in its complete-collection form writes what changed:
re-collection never overwrites ``reactor_id`` / ``mode`` / ``exemptions`` and never bumps
``version``; an unchanged re-run writes nothing. A standard control the table cannot map and the
consolidated API does not explain is reported in ``unmapped`` and skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ouroboros.aws import client as aws_client
from ouroboros.controls.services import (
    MembershipRecord,
    StandardRecord,
    control_catalog_upsert,
)
from ouroboros.errors import ThrottledError
from ouroboros.securityhub.catalog import CatalogControl, catalog_lookup
from ouroboros.securityhub.control_ids import (
    security_control_ids,
    standard_generator_id,
    standard_id_from_arn,
)

logger = logging.getLogger(__name__)

#: Errors meaning "this API is not offered here", after which the collector does without it.
UNAVAILABLE_CODES = frozenset(
    {
        "AccessDeniedException",
        "InvalidAccessException",
        "InvalidInputException",
        "UnknownOperationException",
        "InvalidAction",
        "NotImplemented",
        "NotImplementedError",
        "NotImplementedException",
        "501",
        "404",
    }
)
THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException"})
#: Subscriptions whose controls cannot be read (yet, or any more): treated as not enabled.
NOT_COLLECTED = frozenset({"PENDING", "DELETING", "FAILED"})


@dataclass
class ControlsCollectReport:
    """What one controls collection read and wrote."""

    standards: int = 0
    controls: int = 0
    memberships: int = 0
    created: int = 0
    consolidated_api: bool = False
    unmapped: list[str] = field(default_factory=list)


@dataclass
class _Control:
    """What the collector knows of one security control, merged from every source."""

    control_id: str
    title: str = ""
    description: str = ""
    severity: str = "MEDIUM"
    remediation_url: str | None = None
    enabled: bool = False


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    try:
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in THROTTLING_CODES:
            raise ThrottledError(f"Security Hub {operation} kept throttling") from exc
        raise


def _unavailable(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    return error.get("Code") in UNAVAILABLE_CODES or status in UNAVAILABLE_CODES


def _standards(client: Any) -> list[tuple[StandardRecord, str]]:
    """(standard, subscription ARN) of every enabled standard."""
    names: dict[str, str] = {}
    try:
        names = {
            s["StandardsArn"]: s.get("Name") or s["StandardsArn"]
            for s in _pages(client, "describe_standards", "Standards")
        }
    except ClientError as exc:
        if not _unavailable(exc):
            raise
    found = []
    for sub in _pages(client, "get_enabled_standards", "StandardsSubscriptions"):
        if sub.get("StandardsStatus") in NOT_COLLECTED:
            continue
        arn = sub["StandardsArn"]
        standard_id = standard_id_from_arn(arn) or arn
        record = StandardRecord(
            standard_id, arn, names.get(arn, standard_id), sub.get("StandardsStatus", "READY")
        )
        found.append((record, sub["StandardsSubscriptionArn"]))
    return found


def _merge(known: dict[str, _Control], control_id: str, source: dict[str, Any]) -> _Control:
    control = known.setdefault(control_id, _Control(control_id))
    control.title = control.title or source.get("Title", "")
    control.description = control.description or source.get("Description", "")
    if source.get("SeverityRating"):
        control.severity = source["SeverityRating"]
    control.remediation_url = control.remediation_url or source.get("RemediationUrl")
    return control


def _consolidated(
    client: Any,
    standards: list[tuple[StandardRecord, str]],
    known: dict[str, _Control],
    members: dict[tuple[str, str], MembershipRecord],
) -> bool:
    """Fill ``known`` / ``members`` from the consolidated API; False where it is unavailable."""
    try:
        definitions = list(
            _pages(client, "list_security_control_definitions", "SecurityControlDefinitions")
        )
    except ClientError as exc:
        if _unavailable(exc):
            logger.info("consolidated controls API unavailable: %s", exc)
            return False
        raise
    by_id = {d["SecurityControlId"]: d for d in definitions}
    for control_id, definition in by_id.items():
        control = known.get(control_id)
        if control is not None:  # the standard-agnostic fields win over a standard's
            control.title = definition.get("Title") or control.title
            control.description = definition.get("Description") or control.description
            control.severity = definition.get("SeverityRating") or control.severity
            control.remediation_url = definition.get("RemediationUrl") or control.remediation_url
    unplaced: set[str] = set()
    for standard, _ in standards:
        for definition in _pages(
            client,
            "list_security_control_definitions",
            "SecurityControlDefinitions",
            StandardsArn=standard.standard_arn,
        ):
            if (definition["SecurityControlId"], standard.standard_id) not in members:
                unplaced.add(definition["SecurityControlId"])
    arns = {standard.standard_arn: standard.standard_id for standard, _ in standards}
    for control_id in sorted(unplaced):
        for assoc in _pages(
            client,
            "list_standards_control_associations",
            "StandardsControlAssociationSummaries",
            SecurityControlId=control_id,
        ):
            standard_id = arns.get(assoc["StandardsArn"])
            if standard_id is None or (control_id, standard_id) in members:
                continue
            control = _merge(known, control_id, by_id.get(control_id, {}))
            status = assoc.get("AssociationStatus", "ENABLED")
            control.enabled |= status == "ENABLED"
            members[(control_id, standard_id)] = MembershipRecord(
                control_id, standard_id, control_id, status
            )
    return True


def controls_collect(*, client: Any = None, now: datetime | None = None) -> ControlsCollectReport:
    """Collect standards and controls from Security Hub into ``security_controls``."""
    client = client or aws_client("securityhub")
    now = now or datetime.now(UTC)
    report = ControlsCollectReport()
    standards = _standards(client)
    known: dict[str, _Control] = {}
    members: dict[tuple[str, str], MembershipRecord] = {}
    for standard, subscription_arn in standards:
        for item in _pages(
            client,
            "describe_standards_controls",
            "Controls",
            StandardsSubscriptionArn=subscription_arn,
        ):
            standard_control = item.get("ControlId") or item["StandardsControlArn"].split("/")[-1]
            key = standard_generator_id(standard.standard_arn, standard_control)
            ids = security_control_ids(key) if key else ()
            if not ids:
                report.unmapped.append(f"{standard.standard_id}/{standard_control}")
                continue
            status = item.get("ControlStatus", "ENABLED")
            for control_id in ids:
                control = _merge(known, control_id, item)
                control.enabled |= status == "ENABLED"
                members[(control_id, standard.standard_id)] = MembershipRecord(
                    control_id, standard.standard_id, standard_control, status
                )
    report.consolidated_api = _consolidated(client, standards, known, members)
    controls = [_catalog_control(c) for c in known.values()]
    report.created = control_catalog_upsert(
        controls=controls,
        statuses={c.control_id: "ENABLED" if c.enabled else "DISABLED" for c in known.values()},
        standards=[standard for standard, _ in standards],
        memberships=list(members.values()),
        now=now,
    )
    report.standards, report.controls, report.memberships = (
        len(standards),
        len(controls),
        len(members),
    )
    if report.unmapped:
        logger.warning("controls without a security control id: %s", ", ".join(report.unmapped))
    return report


def _catalog_control(control: _Control) -> CatalogControl:
    shipped = catalog_lookup(control.control_id)
    return CatalogControl(
        control_id=control.control_id,
        title=control.title or (shipped.title if shipped else control.control_id),
        description=control.description or (shipped.description if shipped else ""),
        severity=control.severity.upper(),
        service=shipped.service if shipped else control.control_id.split(".")[0],
        resource_type=shipped.resource_type if shipped else None,
        remediation_url=control.remediation_url,
    )
