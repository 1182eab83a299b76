"""Consumer table ``security_controls``: standards, controls, memberships and their configuration.

One table holds three kinds of item (the ``kind`` attribute):

=============  ===========================  ==============  =======================================
kind           ``control_id`` (hash)        ``sk`` (range)  holds
=============  ===========================  ==============  =======================================
``CONTROL``    security control id, S3.2    ``CONTROL``     title, severity, service, status, the
                                                            user's configuration (reactor, mode,
                                                            its parameters, exemptions) and a
                                                            version (lock)
``MEMBERSHIP`` security control id          ``STANDARD#<standard id>``   the control's id and
                                                            ``standard_status`` in one standard
``STANDARD``   ``STANDARD#<standard id>``   ``STANDARD``    an enabled standard: name, ARN
=============  ===========================  ==============  =======================================

Control ids keep AWS's spelling (``Opensearch.1``); look-ups go through the catalog, which matches
them case-insensitively.

Indexes (every console list is a Query on one of them, sorted by control id):

- ``kind-index`` (kind, control_id): all controls; all standards.
- ``standard-index`` (standard_id, control_id): memberships of one standard (then BatchGet the
  control items: two reads per listed control at most).
- ``severity-index`` (severity, control_id), ``status-index`` (status, control_id),
  ``service-index`` (service, control_id), ``mode-index`` (mode, control_id): control items only
  (memberships and standards carry none of these attributes, so the indexes stay sparse).
- ``reactor-index`` (reactor_id, control_id): controls with an assigned reactor (sparse).

The collector writes the catalog fields; users write ``reactor_id``, ``mode``, ``params`` (the
reactor's parameters for this control, as set), ``ticket`` (`TICKET_MODES`), ``exemptions``.
Re-collection updates catalog fields only, so it never overwrites a user's configuration, and
``version`` makes a second concurrent edit fail instead of losing the first.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from ouroboros.models.base import KindAttribute, OuroborosModel

KIND_CONTROL = "CONTROL"
KIND_MEMBERSHIP = "MEMBERSHIP"
KIND_STANDARD = "STANDARD"

MODES = ("off", "manual", "dry_run", "auto")

#: A control's ticket behaviour (`ouroboros.tickets`), beside its mode: ``off`` (none, and what an
#: item without the attribute means); ``instead`` (run the reactor dry and open a ticket with its
#: diff instead of remediating); ``after_failure`` (a ticket when a run fails);
#: ``after_dry_run`` (a ticket after a dry run); ``manual`` (a manual-mode finding gets a dry run
#: and a ticket, the operator still decides).
TICKET_MODES = ("off", "instead", "after_failure", "after_dry_run", "manual")


class KindIndex(GlobalSecondaryIndex):
    """``kind-index``: (kind, control_id)."""

    class Meta:
        index_name = "kind-index"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    control_id = UnicodeAttribute(range_key=True)


class StandardIndex(GlobalSecondaryIndex):
    """``standard-index``: (standard_id, control_id)."""

    class Meta:
        index_name = "standard-index"
        projection = AllProjection()

    standard_id = UnicodeAttribute(hash_key=True)
    control_id = UnicodeAttribute(range_key=True)


class SeverityIndex(GlobalSecondaryIndex):
    """``severity-index``: (severity, control_id)."""

    class Meta:
        index_name = "severity-index"
        projection = AllProjection()

    severity = UnicodeAttribute(hash_key=True)
    control_id = UnicodeAttribute(range_key=True)


class StatusIndex(GlobalSecondaryIndex):
    """``status-index``: (status, control_id)."""

    class Meta:
        index_name = "status-index"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    control_id = UnicodeAttribute(range_key=True)


class ServiceIndex(GlobalSecondaryIndex):
    """``service-index``: (service, control_id)."""

    class Meta:
        index_name = "service-index"
        projection = AllProjection()

    service = UnicodeAttribute(hash_key=True)
    control_id = UnicodeAttribute(range_key=True)


class ModeIndex(GlobalSecondaryIndex):
    """``mode-index``: (mode, control_id)."""

    class Meta:
        index_name = "mode-index"
        projection = AllProjection()

    mode = UnicodeAttribute(hash_key=True)
    control_id = UnicodeAttribute(range_key=True)


class ReactorIndex(GlobalSecondaryIndex):
    """``reactor-index``: (reactor_id, control_id)."""

    class Meta:
        index_name = "reactor-index"
        projection = AllProjection()

    reactor_id = UnicodeAttribute(hash_key=True)
    control_id = UnicodeAttribute(range_key=True)


class Exemption(MapAttribute):
    """A rule under which a control's reactor must not run.

    A finding is exempt when every non-empty field matches: ``account`` equals its account,
    ``resource_pattern`` (shell-style, ``fnmatch``) matches one of its resource ids, ``tag``
    (``key=value``) is on one of its resources; and ``expires_at`` is absent or in the future.
    """

    exemption_id = UnicodeAttribute()
    account = UnicodeAttribute(null=True)
    resource_pattern = UnicodeAttribute(null=True)
    tag = UnicodeAttribute(null=True)
    expires_at = UTCDateTimeAttribute(null=True)
    reason = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class ControlModel(OuroborosModel):
    """An item of ``security_controls`` (see the module docstring for the three kinds)."""

    short_name: ClassVar[str] = "security_controls"

    class Meta(OuroborosModel.Meta):
        pass

    control_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=KIND_CONTROL)
    kind = KindAttribute(default=KIND_CONTROL)

    # Catalog fields (written by the collector).
    title = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    severity = UnicodeAttribute(null=True)
    service = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    resource_type = UnicodeAttribute(null=True)
    remediation_url = UnicodeAttribute(null=True)
    standard_ids = UnicodeSetAttribute(null=True)
    collected_at = UTCDateTimeAttribute(null=True)

    # Membership / standard fields.
    standard_id = UnicodeAttribute(null=True)
    standard_arn = UnicodeAttribute(null=True)
    standard_control_id = UnicodeAttribute(null=True)
    standard_status = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)

    # User configuration (written by the console / API only).
    reactor_id = UnicodeAttribute(null=True)
    mode = UnicodeAttribute(null=True)
    #: The reactor's parameters as set for this control (its schema's defaults fill the rest).
    params: MapAttribute[str, Any] = MapAttribute(null=True)
    #: The ticket behaviour (`TICKET_MODES`); absent: ``off``.
    ticket = UnicodeAttribute(null=True)
    exemptions = ListAttribute(of=Exemption, null=True)
    updated_by = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)

    # Aggregate kept on finding writes (active FAILED findings of this control).
    failed_count = NumberAttribute(null=True)

    version = VersionAttribute()

    kind_index = KindIndex()
    standard_index = StandardIndex()
    severity_index = SeverityIndex()
    status_index = StatusIndex()
    service_index = ServiceIndex()
    mode_index = ModeIndex()
    reactor_index = ReactorIndex()
