"""What every Ouroboros table model shares: table naming, binding to the configuration, streams.

A model declares its short table name (``table`` in ``Meta``) and whether it belongs to the
consumer or the Hub; `bind_model` turns that into ``{prefix}_{stage}_{name}`` and the region of
the current configuration. Credentials never live in ``Meta``: PynamoDB uses botocore's default
chain and ``AWS_ENDPOINT_URL_DYNAMODB``, exactly like boto3.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from ouroboros.config import get_config

Side = Literal["consumer", "hub"]


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


class KindAttribute(UnicodeAttribute):
    """Discriminates the kinds of items that share a table (e.g. control, standard, membership)."""


def bind_model(model: type[OuroborosModel]) -> None:
    """Point ``model`` at its table for the current configuration and drop its old connection."""
    config = get_config()
    meta: Any = model.Meta
    meta.table_name = (
        config.hub_table_name(model.short_name)
        if model.side == "hub"
        else config.table_name(model.short_name)
    )
    meta.region = config.region
    meta.billing_mode = "PAY_PER_REQUEST"
    if model.stream_view:
        meta.stream_view_type = model.stream_view
    for bound in (model, *_subclasses(model)):
        bound._connection = None


def _subclasses(model: type[OuroborosModel]) -> list[type[OuroborosModel]]:
    """The classes that share ``model``'s table (the kinds of a discriminated table: they inherit
    its ``Meta``, but each keeps its own cached connection)."""
    found = []
    for sub in model.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
