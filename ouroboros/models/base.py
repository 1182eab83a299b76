"""What every Ouroboros table model shares: table naming, binding to the configuration, streams.

A model declares its short table name (``table`` in ``Meta``) and whether it belongs to the
consumer or the Hub; `bind_model` turns that into ``{prefix}_{stage}_{name}`` (the Hub's:
``{hub_prefix}_{hub_stage}_{name}``) and the region of the current configuration. Credentials
never live in ``Meta``: PynamoDB uses botocore's default chain and ``AWS_ENDPOINT_URL_DYNAMODB``,
exactly like boto3, unless the model's side is bound to another session
(`ouroboros.models.binding`: a consumer reads a Hub in another account through its role).
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

import pynamodb.connection.base
from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import TableConnection
from pynamodb.models import Model

from ouroboros.config import get_config
from ouroboros.models.binding import Side, binding_current
from reactor_sdk.session import botocore_session

# PynamoDB makes a botocore session per connection and thread (`Connection.session`), and each
# new session would read and parse DynamoDB's service model and the endpoint data again (about
# 40 ms of CPU): in the local runtime every workflow thread pays it for every table it touches.
# Its sessions share the process's one data loader instead (read-only data, nothing else shared).
pynamodb.connection.base.get_session = botocore_session

#: One PynamoDB connection (so one botocore client) per region and endpoint, shared by every
#: model's table connection: PynamoDB would make a client per model (about 13 ms of CPU each, at
#: every cold start, for each table a function touches). `bind_model` forgets them (a new
#: configuration may mean new credentials or endpoints).
_shared_connections: dict[tuple[str | None, str | None], pynamodb.connection.base.Connection] = {}

__all__ = ["KindAttribute", "OuroborosModel", "Side", "bind_model"]


class OuroborosModel(Model):
    """Base of every table model. Subclasses set ``short_name``, ``side`` and ``stream_view``."""

    #: Table name without prefix and stage, e.g. ``security_findings``.
    short_name: ClassVar[str] = ""
    #: Which deployment owns the table.
    side: ClassVar[Side] = "consumer"
    #: DynamoDB stream view type, or None for no stream.
    stream_view: ClassVar[str | None] = None

    class Meta:
        abstract = True
        table_name = "unbound"
        billing_mode = "PAY_PER_REQUEST"

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """PynamoDB's connection, or the one of the session this side is bound to here."""
        binding = binding_current(cls.side)
        if binding is None:
            table = super()._get_connection()
            key = (table.connection.region, table.connection.host)
            shared = _shared_connections.setdefault(key, table.connection)
            if table.connection is not shared:
                with contextlib.suppress(ValueError):  # the kinds of one table share its meta
                    shared.add_meta_table(table.connection.get_meta_table(table.table_name))
                table.connection = shared
            return table
        own = super()._get_connection
        return binding.connection(cls.Meta.table_name, lambda: own().get_meta_table())


class KindAttribute(UnicodeAttribute):
    """Discriminates the kinds of items that share a table (e.g. control, standard, membership)."""


def bind_model(model: type[OuroborosModel]) -> None:
    """Point ``model`` at its table for the current configuration and drop its old connection."""
    config = get_config()
    meta: Any = model.Meta
    hub = model.side == "hub"
    meta.table_name = (
        config.hub_table_name(model.short_name) if hub else config.table_name(model.short_name)
    )
    meta.region = config.hub_region_name if hub else config.region
    meta.billing_mode = "PAY_PER_REQUEST"
    if model.stream_view:
        meta.stream_view_type = model.stream_view
    for bound in (model, *_subclasses(model)):
        bound._connection = None
    _shared_connections.clear()


def _subclasses(model: type[OuroborosModel]) -> list[type[OuroborosModel]]:
    """The classes that share ``model``'s table (the kinds of a discriminated table: they inherit
    its ``Meta``, but each keeps its own cached connection)."""
    found = []
    for sub in model.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
