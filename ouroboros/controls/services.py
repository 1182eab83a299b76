"""Writes to controls. Catalog writes never touch what users configured on a control.

`control_catalog_upsert` is what the collectors and the demo seed use: it SETs only catalog
fields (title, severity, ...) with UpdateItem, without the version bump, so ``reactor_id``,
``mode`` and ``exemptions`` survive any number of re-collections and a user's edit in progress is
not invalidated by a collector run. It keeps the ``controls`` aggregate (bucket ``total``) exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pynamodb.expressions.update import Action

from ouroboros.aggregates import aggregate_add
from ouroboros.models import ControlModel
from ouroboros.models.controls import KIND_CONTROL, KIND_MEMBERSHIP, KIND_STANDARD
from ouroboros.securityhub.catalog import CatalogControl


def _update_unversioned(control_id: str, sk: str, actions: list[Action]) -> dict[str, Any]:
    """UpdateItem without touching ``version``; returns the item's old attributes ({} if new)."""
    response = ControlModel._get_connection().update_item(
        control_id, range_key=sk, actions=actions, return_values="ALL_OLD"
    )
    return dict(response.get("Attributes", {}))


def control_catalog_upsert(
    *,
    controls: Iterable[CatalogControl],
    standard_id: str | None = None,
    standard_arn: str | None = None,
    standard_name: str | None = None,
    status: str = "ENABLED",
    now: datetime | None = None,
) -> int:
    """Create or refresh the catalog fields of ``controls``; return how many controls were new.

    With ``standard_id`` the standard item and one membership item per control are written too.
    """
    now = now or datetime.now(UTC)
    created = 0
    if standard_id:
        _update_unversioned(
            f"{KIND_STANDARD}#{standard_id}",
            KIND_STANDARD,
            [
                ControlModel.kind.set(KIND_STANDARD),
                ControlModel.standard_arn.set(standard_arn or standard_id),
                ControlModel.name.set(standard_name or standard_id),
                ControlModel.collected_at.set(now),
            ],
        )
    for control in controls:
        actions: list[Action] = [
            ControlModel.kind.set(KIND_CONTROL),
            ControlModel.title.set(control.title),
            ControlModel.description.set(control.description),
            ControlModel.severity.set(control.severity),
            ControlModel.service.set(control.service),
            ControlModel.status.set(status),
            ControlModel.collected_at.set(now),
        ]
        if control.resource_type:
            actions.append(ControlModel.resource_type.set(control.resource_type))
        if standard_id:
            actions.append(ControlModel.standard_ids.add({standard_id}))
        old = _update_unversioned(control.control_id, KIND_CONTROL, actions)
        if "title" not in old:
            created += 1
        if standard_id:
            _update_unversioned(
                control.control_id,
                f"{KIND_STANDARD}#{standard_id}",
                [
                    ControlModel.kind.set(KIND_MEMBERSHIP),
                    ControlModel.standard_id.set(standard_id),
                    ControlModel.standard_control_id.set(control.control_id),
                    ControlModel.standard_status.set(status),
                ],
            )
    aggregate_add("controls", {"total": created})
    return created
