"""Consumer table ``security_local_reactors``: the reactors installed in this account.

Hash key ``reactor_id``. The table's stream (NEW_AND_OLD_IMAGES) drives the installer, as in the
original system: INSERT installs, REMOVE uninstalls, MODIFY with a new ``version`` upgrades.
``status`` moves installing -> installed | failed (with ``status_reason``); transitions are
conditional writes, so two installers never both win.

Index ``kind-index`` (kind, reactor_id): the installed-reactors page, one Query.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from ouroboros.models.base import KindAttribute, OuroborosModel

STATUSES = ("installing", "installed", "failed", "uninstalling")


class LocalReactorKindIndex(GlobalSecondaryIndex):
    """``kind-index``: (kind, reactor_id)."""

    class Meta:
        index_name = "kind-index"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    reactor_id = UnicodeAttribute(range_key=True)


class LocalReactorModel(OuroborosModel):
    """A reactor installed (or being installed) in this consumer account."""

    short_name: ClassVar[str] = "security_local_reactors"
    stream_view: ClassVar[str | None] = "NEW_AND_OLD_IMAGES"

    class Meta(OuroborosModel.Meta):
        pass

    reactor_id = UnicodeAttribute(hash_key=True)
    kind = KindAttribute(default="REACTOR")
    version = UnicodeAttribute()
    sha256 = UnicodeAttribute()
    artifact_key = UnicodeAttribute(null=True)
    manifest: MapAttribute[str, Any] = MapAttribute(null=True)
    status = UnicodeAttribute(default="installing")
    status_reason = UnicodeAttribute(null=True)
    function_arn = UnicodeAttribute(null=True)
    role_arn = UnicodeAttribute(null=True)
    installed_by = UnicodeAttribute(null=True)
    requested_at = UTCDateTimeAttribute(null=True)
    installed_at = UTCDateTimeAttribute(null=True)
    function_name = UnicodeAttribute(null=True)
    #: The version installed before an upgrade was requested (shown while upgrading).
    previous_version = UnicodeAttribute(null=True)
    #: The dangerous actions (`ouroboros.reactors.dangerous_actions`) an admin approved for this
    #: version, exactly those its manifest declares; the installer refuses anything else.
    approved_actions: ListAttribute[str] = ListAttribute(null=True)
    approved_by = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)

    kind_index = LocalReactorKindIndex()
