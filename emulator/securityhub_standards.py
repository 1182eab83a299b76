"""Standards and controls of the local Security Hub (the operations collectors use to list them).

One standard is available: AWS Foundational Security Best Practices v1.0.0, whose controls are the
shipped AFSBP catalog (`ouroboros.securityhub.catalog.catalog_controls`). A fresh store has it
enabled, as EnableSecurityHub does with its default standards; BatchEnableStandards /
BatchDisableStandards switch it (READY at once, where AWS passes through PENDING).
UpdateStandardsControl records a control's status and reason in the store; the control
definitions themselves come from the catalog, never from the database.

Operations (boto3 request / response shapes): DescribeHub, DescribeStandards, GetEnabledStandards,
BatchEnableStandards, BatchDisableStandards, DescribeStandardsControls, UpdateStandardsControl,
ListSecurityControlDefinitions, ListStandardsControlAssociations, BatchGetSecurityControls.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from emulator.securityhub_errors import InvalidInputError, ResourceNotFoundError
from emulator.securityhub_findings import now_timestamp
from ouroboros.securityhub.catalog import (
    FSBP_STANDARD_ARN,
    FSBP_STANDARD_ID,
    FSBP_STANDARD_NAME,
    CatalogControl,
    catalog_controls,
    catalog_lookup,
)

STANDARDS: dict[str, dict[str, Any]] = {
    FSBP_STANDARD_ARN: {
        "StandardsArn": FSBP_STANDARD_ARN,
        "Name": FSBP_STANDARD_NAME,
        "Description": (
            "The AWS Foundational Security Best Practices standard is a set of controls that "
            "detect when your deployed accounts and resources deviate from security best practices."
        ),
        "EnabledByDefault": True,
        "StandardsManagedBy": {"Company": "AWS", "Product": "Security Hub"},
    }
}
_STANDARD_IDS = {FSBP_STANDARD_ARN: FSBP_STANDARD_ID}


class _Database(Protocol):
    region: str
    account_id: str

    def _read(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...


def page(items: Sequence[Any], request: dict[str, Any], key: str) -> dict[str, Any]:
    """One page of ``items`` under ``key`` with an offset NextToken (lists that do not move)."""
    limit = request.get("MaxResults") or 100
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise InvalidInputError("MaxResults must be 1..100")
    offset = 0
    if request.get("NextToken"):
        try:
            offset = int(json.loads(base64.urlsafe_b64decode(request["NextToken"]))["o"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInputError("NextToken is not valid") from exc
    response: dict[str, Any] = {key: list(items[offset : offset + limit])}
    if offset + limit < len(items):
        token = json.dumps({"o": offset + limit}).encode()
        response["NextToken"] = base64.urlsafe_b64encode(token).decode()
    return response


class StandardsOperations:
    """Mixin of `SecurityHubStore`: the standards and controls operations."""

    def describe_hub(self: _Database, request: dict[str, Any]) -> dict[str, Any]:
        with self._read() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'subscribed_at'").fetchone()
        return {
            "HubArn": f"arn:aws:securityhub:{self.region}:{self.account_id}:hub/default",
            "SubscribedAt": row[0] if row else now_timestamp(),
            "AutoEnableControls": True,
            "ControlFindingGenerator": "STANDARD_CONTROL",
        }

    def describe_standards(self, request: dict[str, Any]) -> dict[str, Any]:
        return page(list(STANDARDS.values()), request, "Standards")

    def get_enabled_standards(self: _Database, request: dict[str, Any]) -> dict[str, Any]:
        wanted = set(request.get("StandardsSubscriptionArns") or [])
        subscriptions = [
            s for s in _subscriptions(self) if not wanted or s["StandardsSubscriptionArn"] in wanted
        ]
        return page(subscriptions, request, "StandardsSubscriptions")

    def batch_enable_standards(self: _Database, request: dict[str, Any]) -> dict[str, Any]:
        arns = [r.get("StandardsArn") for r in request.get("StandardsSubscriptionRequests") or []]
        if not arns:
            raise InvalidInputError("StandardsSubscriptionRequests must not be empty")
        for arn in arns:
            if arn not in STANDARDS:
                raise InvalidInputError(f"the local Security Hub has no standard {arn!r}")
        with self._write() as db:
            for arn in arns:
                db.execute(
                    "INSERT OR IGNORE INTO subscriptions (standards_arn, subscribed_at) "
                    "VALUES (?, ?)",
                    (arn, now_timestamp()),
                )
        return {"StandardsSubscriptions": [_subscription(self, arn) for arn in arns]}

    def batch_disable_standards(self: _Database, request: dict[str, Any]) -> dict[str, Any]:
        by_subscription = {_subscription_arn(self, arn): arn for arn in STANDARDS}
        arns = request.get("StandardsSubscriptionArns") or []
        unknown = [arn for arn in arns if arn not in by_subscription]
        if not arns or unknown:
            raise InvalidInputError(f"unknown StandardsSubscriptionArns: {unknown or arns}")
        with self._write() as db:
            for arn in arns:
                db.execute(
                    "DELETE FROM subscriptions WHERE standards_arn = ?", (by_subscription[arn],)
                )
        return {
            "StandardsSubscriptions": [
                {**_subscription(self, by_subscription[arn]), "StandardsStatus": "DELETING"}
                for arn in arns
            ]
        }

    def describe_standards_controls(self: _Database, request: dict[str, Any]) -> dict[str, Any]:
        subscription = request.get("StandardsSubscriptionArn")
        standard = next(
            (arn for arn in _enabled(self) if _subscription_arn(self, arn) == subscription), None
        )
        if standard is None:
            raise ResourceNotFoundError(f"no enabled standard has subscription {subscription!r}")
        statuses = _control_statuses(self, standard)
        controls = [
            _standards_control(self, standard, control, statuses.get(control.control_id))
            for control in catalog_controls()
        ]
        return page(controls, request, "Controls")

    def update_standards_control(self: _Database, request: dict[str, Any]) -> dict[str, Any]:
        arn = request.get("StandardsControlArn") or ""
        standard, control = _parse_control_arn(self, arn)
        status = request.get("ControlStatus")
        if status not in (None, "ENABLED", "DISABLED"):
            raise InvalidInputError("ControlStatus is ENABLED or DISABLED")
        reason = request.get("DisabledReason")
        if status == "DISABLED" and not reason:
            raise InvalidInputError("DisabledReason is required to disable a control")
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO control_status "
                "(standards_arn, control_id, status, disabled_reason, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    standard,
                    control.control_id,
                    status or "ENABLED",
                    reason if status == "DISABLED" else None,
                    now_timestamp(),
                ),
            )
        return {}

    def list_security_control_definitions(self, request: dict[str, Any]) -> dict[str, Any]:
        standard = request.get("StandardsArn")
        if standard and standard not in STANDARDS:
            raise InvalidInputError(f"the local Security Hub has no standard {standard!r}")
        definitions = [_definition(control) for control in catalog_controls()]
        return page(definitions, request, "SecurityControlDefinitions")

    def list_standards_control_associations(
        self: _Database, request: dict[str, Any]
    ) -> dict[str, Any]:
        control = catalog_lookup(request.get("SecurityControlId") or "")
        if control is None:
            raise ResourceNotFoundError(f"no security control {request.get('SecurityControlId')!r}")
        summaries = []
        for standard in _enabled(self):
            state = _control_statuses(self, standard).get(control.control_id)
            summary: dict[str, Any] = {
                "StandardsArn": standard,
                "SecurityControlId": control.control_id,
                "SecurityControlArn": _security_control_arn(self, control),
                "AssociationStatus": state["status"] if state else "ENABLED",
                "RelatedRequirements": [],
                "StandardsControlTitle": control.title,
                "StandardsControlDescription": control.description or control.title,
            }
            if state:
                summary["UpdatedAt"] = datetime.fromisoformat(state["updated_at"])
                if state["reason"]:
                    summary["UpdatedReason"] = state["reason"]
            summaries.append(summary)
        return page(summaries, request, "StandardsControlAssociationSummaries")

    def batch_get_security_controls(self: _Database, request: dict[str, Any]) -> dict[str, Any]:
        found, unprocessed = [], []
        for control_id in request.get("SecurityControlIds") or []:
            control = catalog_lookup(control_id)
            if control is None:
                unprocessed.append({"SecurityControlId": control_id, "ErrorCode": "NOT_FOUND"})
                continue
            states = [_control_statuses(self, s).get(control.control_id) for s in _enabled(self)]
            enabled = any(state is None or state["status"] == "ENABLED" for state in states)
            found.append(
                {
                    **_definition(control),
                    "SecurityControlArn": _security_control_arn(self, control),
                    "SecurityControlStatus": "ENABLED" if enabled else "DISABLED",
                }
            )
        return {"SecurityControls": found, "UnprocessedIds": unprocessed}


def _enabled(store: _Database) -> list[str]:
    with store._read() as db:
        rows = db.execute("SELECT standards_arn FROM subscriptions ORDER BY standards_arn")
        return [row[0] for row in rows]


def _subscriptions(store: _Database) -> Iterator[dict[str, Any]]:
    for arn in _enabled(store):
        yield _subscription(store, arn)


def _subscription_arn(store: _Database, standards_arn: str) -> str:
    standard_id = _STANDARD_IDS[standards_arn]
    return f"arn:aws:securityhub:{store.region}:{store.account_id}:subscription/{standard_id}"


def _subscription(store: _Database, standards_arn: str) -> dict[str, Any]:
    return {
        "StandardsSubscriptionArn": _subscription_arn(store, standards_arn),
        "StandardsArn": standards_arn,
        "StandardsInput": {},
        "StandardsStatus": "READY",
        "StandardsControlsUpdatable": "READY_FOR_UPDATES",
    }


def _control_statuses(store: _Database, standards_arn: str) -> dict[str, dict[str, Any]]:
    with store._read() as db:
        rows = db.execute(
            "SELECT control_id, status, disabled_reason, updated_at FROM control_status "
            "WHERE standards_arn = ?",
            (standards_arn,),
        ).fetchall()
    return {row[0]: {"status": row[1], "reason": row[2], "updated_at": row[3]} for row in rows}


def _control_arn(store: _Database, standards_arn: str, control_id: str) -> str:
    standard_id = _STANDARD_IDS[standards_arn]
    account = f"arn:aws:securityhub:{store.region}:{store.account_id}"
    return f"{account}:control/{standard_id}/{control_id}"


def _parse_control_arn(store: _Database, arn: str) -> tuple[str, CatalogControl]:
    for standard in STANDARDS:
        prefix = _control_arn(store, standard, "")
        if arn.startswith(prefix):
            control = catalog_lookup(arn[len(prefix) :])
            if control is not None:
                return standard, control
    raise ResourceNotFoundError(f"no standards control {arn!r}")


def _remediation_url(control: CatalogControl) -> str:
    return f"https://docs.aws.amazon.com/console/securityhub/{control.control_id}/remediation"


def _security_control_arn(store: _Database, control: CatalogControl) -> str:
    return (
        f"arn:aws:securityhub:{store.region}:{store.account_id}:security-control/"
        f"{control.control_id}"
    )


def _standards_control(
    store: _Database, standard: str, control: CatalogControl, state: dict[str, Any] | None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "StandardsControlArn": _control_arn(store, standard, control.control_id),
        "ControlStatus": state["status"] if state else "ENABLED",
        "ControlId": control.control_id,
        "Title": control.title,
        "Description": control.description or control.title,
        "RemediationUrl": _remediation_url(control),
        "SeverityRating": control.severity,
        "RelatedRequirements": [],
    }
    if state:
        item["ControlStatusUpdatedAt"] = datetime.fromisoformat(state["updated_at"])
        if state["reason"]:
            item["DisabledReason"] = state["reason"]
    return item


def _definition(control: CatalogControl) -> dict[str, Any]:
    return {
        "SecurityControlId": control.control_id,
        "Title": control.title,
        "Description": control.description or control.title,
        "RemediationUrl": _remediation_url(control),
        "SeverityRating": control.severity,
        "CurrentRegionAvailability": "AVAILABLE",
    }
