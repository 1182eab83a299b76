"""Hub tables: the control catalog (``security_controls``) and published reactors
(``security_reactors``).

They live in the Hub account under the same names as the consumer's tables; where one process
holds both roles, ``OUROBOROS_HUB_TABLE_PREFIX`` keeps them apart (see `ouroboros.config`).

``security_reactors``: hash ``reactor_id``, range ``version`` (every published version stays).
Its stream (NEW_AND_OLD_IMAGES) runs verification on INSERT: ``status`` pending -> verified |
rejected (with ``status_reason``). ``latest`` marks the newest verified version of a reactor and
feeds the sparse ``catalog-index`` (latest, reactor_id) the catalog page Queries.

``security_controls`` (Hub): hash ``control_id``; ``kind-index`` (kind, control_id) lists them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from ouroboros.models.base import KindAttribute, OuroborosModel

REACTOR_STATUSES = ("pending", "verified", "rejected")


class HubControlKindIndex(GlobalSecondaryIndex):
    """``kind-index``: (kind, control_id)."""

    class Meta:
        index_name = "kind-index"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    control_id = UnicodeAttribute(range_key=True)


class HubControlModel(OuroborosModel):
    """A control in the catalog the Hub publishes reactors against."""

    short_name: ClassVar[str] = "security_controls"
    side: ClassVar[str] = "hub"  # type: ignore[assignment]

    class Meta(OuroborosModel.Meta):
        pass

    control_id = UnicodeAttribute(hash_key=True)
    kind = KindAttribute(default="CONTROL")
    title = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    severity = UnicodeAttribute(null=True)
    service = UnicodeAttribute(null=True)
    resource_type = UnicodeAttribute(null=True)
    reactor_ids = ListAttribute(of=UnicodeAttribute, null=True)

    kind_index = HubControlKindIndex()


class HubCatalogIndex(GlobalSecondaryIndex):
    """``catalog-index``: (latest, reactor_id); only the latest verified version carries it."""

    class Meta:
        index_name = "catalog-index"
        projection = AllProjection()

    latest = UnicodeAttribute(hash_key=True)
    reactor_id = UnicodeAttribute(range_key=True)


class HubReactorModel(OuroborosModel):
    """A published version of a reactor: manifest, artifact and verification result."""

    short_name: ClassVar[str] = "security_reactors"
    side: ClassVar[str] = "hub"  # type: ignore[assignment]
    stream_view: ClassVar[str | None] = "NEW_AND_OLD_IMAGES"

    class Meta(OuroborosModel.Meta):
        pass

    reactor_id = UnicodeAttribute(hash_key=True)
    version = UnicodeAttribute(range_key=True)
    title = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    control_ids = ListAttribute(of=UnicodeAttribute, null=True)
    manifest: MapAttribute[str, Any] = MapAttribute(null=True)
    artifact_key = UnicodeAttribute()
    sha256 = UnicodeAttribute()
    status = UnicodeAttribute(default="pending")
    status_reason = UnicodeAttribute(null=True)
    latest = UnicodeAttribute(null=True)
    published_by = UnicodeAttribute(null=True)
    published_at = UTCDateTimeAttribute(null=True)
    verified_at = UTCDateTimeAttribute(null=True)
    #: Lower-case id, title, control ids and description: the catalog's search filter.
    search_text = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)

    catalog_index = HubCatalogIndex()
