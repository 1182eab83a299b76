"""Which Hub reactor could fix a control: the "Reactor available: X" line of the control and
finding pages, which tells a newcomer where the fix is (install it, assign it in dry run).

One Query on the Hub's ``catalog-index`` (the latest verified version of each reactor), filtered
on the manifests' ``control_ids``: the catalog holds tens of reactors, not thousands. A Hub that
cannot be read (another account's reader role missing, a network error) shows no line rather than
failing the page. (`ouroboros.reactors.coverage` answers the same question for every control
at once, with the installed reactors and modes: a page about one control needs this one Query.)
"""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from ouroboros.models import HubReactorModel
from ouroboros.reactors.catalog import LATEST

logger = logging.getLogger(__name__)


def hub_reactor_for_control(*, control_id: str) -> HubReactorModel | None:
    """The latest verified Hub reactor whose manifest names ``control_id`` (the first by id), or
    None."""
    if not control_id:
        return None
    try:
        found = HubReactorModel.catalog_index.query(
            LATEST, filter_condition=HubReactorModel.control_ids.contains(control_id)
        )
        return next(iter(found), None)
    except (PynamoDBException, ClientError, BotoCoreError) as exc:
        logger.warning("Hub catalog not read for %s: %s", control_id, exc)
        return None
