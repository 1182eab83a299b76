"""Writes to controls. Catalog writes never touch what users configured on a control.

`control_catalog_upsert` is what the collectors and the demo seed use. It reads what is stored
first (one Query of ``kind-index`` for every control, one Query of ``standard-index`` per
standard) and writes only what changed, so an unchanged re-collection makes zero writes:

- a control item is changed with UpdateItem that SETs catalog fields only (title, severity,
  status, standards...), without the version bump, so ``reactor_id``, ``mode`` and ``exemptions``
  survive any number of re-collections and a user's edit in progress is not invalidated; changed
  controls are updated in parallel;
- membership and standard items belong to the collector alone: they are Put with BatchWriteItem in
  25s (`ouroboros.aws.dynamodb_batch`).

It keeps the ``controls`` aggregate (bucket ``total``) exact: a control counts when its item first
gets a title, as the UpdateItem itself reports (``ALL_OLD``), so a stale index read never
counts a control twice. ``collected_at`` is the time the catalog fields last changed.

Two ways to call it:

- one standard (``standard_id=``, the demo seed): every control becomes a member of that standard
  with ``status``; the controls' ``standard_ids`` gain the standard and keep the others;
- a complete collection (``standards=`` and ``memberships=``, the controls collector): the
  controls' ``standard_ids`` become exactly the standards they are members of, per-control status
  comes from ``statuses``, members no longer in a collected standard are deleted, stored standards
  missing from ``standards`` are marked ``DISABLED``, and stored controls missing from ``controls``
  get status ``DISABLED`` and no standards (their user configuration stays).

`control_failed_count_actions` is what the findings writer uses to keep ``failed_count``.

People's writes (reactor, mode, exemptions) are in `ouroboros.controls.configuration`, re-exported
here so callers have one place to import control services from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ouroboros.aggregates import aggregate_add
from ouroboros.aws import client as aws_client
from ouroboros.aws.dynamodb_batch import batch_write
from ouroboros.models import ControlModel
from ouroboros.models.controls import KIND_CONTROL, KIND_MEMBERSHIP, KIND_STANDARD
from ouroboros.securityhub.catalog import CatalogControl

UPDATE_WORKERS = 4
STATUS_DISABLED = "DISABLED"


@dataclass(frozen=True)
class StandardRecord:
    """An enabled standard as the collector found it."""

    standard_id: str
    standard_arn: str
    name: str
    status: str = "READY"


@dataclass(frozen=True)
class MembershipRecord:
    """A security control's place in one standard, with its status there."""

    control_id: str
    standard_id: str
    standard_control_id: str
    status: str = "ENABLED"


_CATALOG_FIELDS = (
    "title",
    "description",
    "severity",
    "service",
    "status",
    "resource_type",
    "remediation_url",
)


def _catalog_values(control: CatalogControl, status: str) -> dict[str, str | None]:
    return {
        "title": control.title,
        "description": control.description,
        "severity": control.severity,
        "service": control.service,
        "status": status,
        "resource_type": control.resource_type,
        "remediation_url": control.remediation_url,
    }


def _control_update(
    ddb: Any,
    control_id: str,
    values: Mapping[str, str | None],
    standards: set[str],
    replace_standards: bool,
    now: datetime,
) -> bool:
    """UpdateItem of catalog fields only (never version, reactor, mode, exemptions).

    Returns whether the control is new to the catalog.
    """
    names = {"#kind": "kind", "#collected": "collected_at", "#std": "standard_ids"}
    attr_values: dict[str, Any] = {
        ":kind": {"S": KIND_CONTROL},
        ":collected": {"S": ControlModel.collected_at.serialize(now)},
    }
    sets = ["#kind = :kind", "#collected = :collected"]
    removes: list[str] = []
    adds: list[str] = []
    for index, (name, value) in enumerate(values.items()):
        names[f"#f{index}"] = name
        if value is None:
            removes.append(f"#f{index}")
        else:
            attr_values[f":f{index}"] = {"S": value}
            sets.append(f"#f{index} = :f{index}")
    if standards:
        attr_values[":std"] = {"SS": sorted(standards)}
        (sets if replace_standards else adds).append(
            "#std = :std" if replace_standards else "#std :std"
        )
    elif replace_standards:
        removes.append("#std")
    else:
        del names["#std"]
    expression = "SET " + ", ".join(sets)
    if removes:
        expression += " REMOVE " + ", ".join(removes)
    if adds:
        expression += " ADD " + ", ".join(adds)
    response = ddb.update_item(
        TableName=ControlModel.Meta.table_name,
        Key={"control_id": {"S": control_id}, "sk": {"S": KIND_CONTROL}},
        UpdateExpression=expression,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=attr_values,
        ReturnValues="ALL_OLD",
    )
    # New in the catalog when it had no title before this very write (exact, whatever was read).
    return "title" not in response.get("Attributes", {})


def _stored_controls() -> dict[str, ControlModel]:
    return {item.control_id: item for item in ControlModel.kind_index.query(KIND_CONTROL)}


def _membership_item(member: MembershipRecord) -> dict[str, Any]:
    return {
        "control_id": {"S": member.control_id},
        "sk": {"S": f"{KIND_STANDARD}#{member.standard_id}"},
        "kind": {"S": KIND_MEMBERSHIP},
        "standard_id": {"S": member.standard_id},
        "standard_control_id": {"S": member.standard_control_id},
        "standard_status": {"S": member.status},
    }


def _standard_item(standard: StandardRecord, now: datetime) -> dict[str, Any]:
    return {
        "control_id": {"S": f"{KIND_STANDARD}#{standard.standard_id}"},
        "sk": {"S": KIND_STANDARD},
        "kind": {"S": KIND_STANDARD},
        "standard_arn": {"S": standard.standard_arn},
        "name": {"S": standard.name},
        "standard_status": {"S": standard.status},
        "collected_at": {"S": ControlModel.collected_at.serialize(now)},
    }


def _sync_standards(
    ddb: Any, standards: list[StandardRecord], complete: bool, now: datetime
) -> int:
    stored = {item.control_id: item for item in ControlModel.kind_index.query(KIND_STANDARD)}
    puts = []
    for standard in standards:
        old = stored.pop(f"{KIND_STANDARD}#{standard.standard_id}", None)
        if old is None or (old.standard_arn, old.name, old.standard_status) != (
            standard.standard_arn,
            standard.name,
            standard.status,
        ):
            puts.append(_standard_item(standard, now))
    if complete:
        for old in stored.values():
            if old.standard_status != STATUS_DISABLED:
                record = StandardRecord(
                    old.control_id.removeprefix(f"{KIND_STANDARD}#"),
                    old.standard_arn or "",
                    old.name or "",
                    STATUS_DISABLED,
                )
                puts.append(_standard_item(record, now))
    batch_write(ddb, ControlModel.Meta.table_name, puts)
    return len(puts)


def _sync_memberships(
    ddb: Any, memberships: list[MembershipRecord], standard_ids: set[str], complete: bool
) -> int:
    stored: dict[tuple[str, str], ControlModel] = {}
    for standard_id in standard_ids:
        for item in ControlModel.standard_index.query(standard_id):
            stored[(item.control_id, standard_id)] = item
    puts = []
    for member in memberships:
        old = stored.pop((member.control_id, member.standard_id), None)
        if old is None or (old.standard_control_id, old.standard_status) != (
            member.standard_control_id,
            member.status,
        ):
            puts.append(_membership_item(member))
    batch_write(ddb, ControlModel.Meta.table_name, puts)
    deletes = list(stored) if complete else []
    for control_id, standard_id in deletes:
        ddb.delete_item(
            TableName=ControlModel.Meta.table_name,
            Key={"control_id": {"S": control_id}, "sk": {"S": f"{KIND_STANDARD}#{standard_id}"}},
        )
    return len(puts) + len(deletes)


def control_catalog_upsert(
    *,
    controls: Iterable[CatalogControl],
    standard_id: str | None = None,
    standard_arn: str | None = None,
    standard_name: str | None = None,
    status: str = "ENABLED",
    statuses: Mapping[str, str] | None = None,
    standards: Iterable[StandardRecord] | None = None,
    memberships: Iterable[MembershipRecord] | None = None,
    now: datetime | None = None,
    client: Any = None,
) -> int:
    """Create or refresh the catalog fields of ``controls``; return how many controls were new.

    See the module docstring for the one-standard and the complete-collection forms.
    """
    now = now or datetime.now(UTC)
    ddb = client or aws_client("dynamodb")
    wanted = {control.control_id: control for control in controls}
    complete = memberships is not None
    if complete:
        standard_list = list(standards or ())
        member_list = [m for m in memberships or () if m.control_id in wanted]
    else:
        standard_list = (
            [StandardRecord(standard_id, standard_arn or standard_id, standard_name or standard_id)]
            if standard_id
            else []
        )
        member_list = [MembershipRecord(c, standard_id, c, status) for c in wanted if standard_id]
    member_of: dict[str, set[str]] = {}
    for member in member_list:
        member_of.setdefault(member.control_id, set()).add(member.standard_id)

    stored = _stored_controls()
    # (control id, catalog values, standards) of every control item that must change.
    updates: list[tuple[str, dict[str, str | None], set[str]]] = []
    for control_id, control in wanted.items():
        values = _catalog_values(control, (statuses or {}).get(control_id, status))
        standard_ids = member_of.get(control_id, set())
        old = stored.pop(control_id, None)
        if old is not None and _unchanged(old, values, standard_ids, complete):
            continue
        updates.append((control_id, values, standard_ids))
    if complete:
        for control_id, old in stored.items():
            if old.status != STATUS_DISABLED or old.standard_ids:
                values = {name: getattr(old, name) for name in _CATALOG_FIELDS}
                updates.append((control_id, {**values, "status": STATUS_DISABLED}, set()))

    created = 0
    error: BaseException | None = None
    with ThreadPoolExecutor(UPDATE_WORKERS, thread_name_prefix="control-upsert") as pool:
        futures = [
            pool.submit(_control_update, ddb, cid, values, stds, complete, now)
            for cid, values, stds in updates
        ]
        for future in futures:
            failure = future.exception()
            if failure is None:
                created += future.result()
            elif error is None:
                error = failure
    # Count what landed even when some updates failed, so a retry never counts a control twice.
    aggregate_add("controls", {"total": created})
    if error is not None:
        raise error
    _sync_standards(ddb, standard_list, complete, now)
    _sync_memberships(ddb, member_list, {s.standard_id for s in standard_list}, complete)
    return created


def _unchanged(
    old: ControlModel, values: Mapping[str, str | None], standard_ids: set[str], complete: bool
) -> bool:
    if any(getattr(old, name) != values[name] for name in _CATALOG_FIELDS):
        return False
    stored = set(old.standard_ids or ())
    return stored == standard_ids if complete else standard_ids <= stored


def control_failed_count_actions(deltas: Mapping[str, int]) -> list[dict[str, Any]]:
    """TransactWriteItems actions adding ``deltas`` (control id -> change) to ``failed_count``.

    A control the catalog does not hold yet gets an item with only the count; the catalog fills it
    in later (its catalog writes are updates, so the count survives).
    """
    return [
        {
            "Update": {
                "TableName": ControlModel.Meta.table_name,
                "Key": {"control_id": {"S": control_id}, "sk": {"S": KIND_CONTROL}},
                "UpdateExpression": "ADD #c :d",
                "ExpressionAttributeNames": {"#c": "failed_count"},
                "ExpressionAttributeValues": {":d": {"N": str(delta)}},
            }
        }
        for control_id, delta in sorted(deltas.items())
        if delta
    ]


from ouroboros.controls.configuration import (  # noqa: E402 - re-export, see the docstring
    ControlConflictError,
    control_assign_reactor,
    control_assign_reactor_many,
    control_configure,
    control_exemption_add,
    control_exemption_remove,
)

__all__ = [
    "ControlConflictError",
    "MembershipRecord",
    "StandardRecord",
    "control_assign_reactor",
    "control_assign_reactor_many",
    "control_catalog_upsert",
    "control_configure",
    "control_exemption_add",
    "control_exemption_remove",
    "control_failed_count_actions",
]
