"""Cursor pagination over DynamoDB Queries: opaque, signed cursors and pages merged in order.

Every list Ouroboros serves is one Query on a key or an index (`QuerySource`). A search that
resolves to a few keys (a title matching three controls) is a few Queries merged in sort order,
never a Scan. `query_page` reads at most ``limit + 1`` items per source when nothing is filtered,
so a page costs about its own size; with a filter expression it keeps reading until the page is
full or a read budget is spent, and then says so (``partial``) instead of reading on.

Cursors are ``base64url(json).base64url(hmac)``. The payload holds, per source, where to resume
(the key of the last item shown, DynamoDB's ``ExclusiveStartKey``), and a digest of the *scope*:
the caller's description of the plan (index, key, filters, sort) together with every source's
index, partition (hash value), sort attribute and direction. A cursor is therefore only accepted
by the list and partition that issued it: a cursor edited by hand, cut short, forged, or pasted
into another view raises `InvalidCursorError` (a `ValidationError`, HTTP 400), never a server
error; a position DynamoDB still refuses as a start key is the same error.

The HMAC key is secret, never derived from public names. In order: ``OUROBOROS_CURSOR_SECRET``
when set; else the key handed over with `cursor_key_configure` (the console derives it from its
``SECRET_KEY`` with HKDF and hands it over at startup: the core never imports Django); else a
random key of this process (cursors then only work within the process that issued them).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import QueryError

from ouroboros.config import get_config
from ouroboros.errors import ValidationError
from ouroboros.models.base import OuroborosModel

RawItem = dict[str, Any]
RawKey = dict[str, dict[str, str]]

_DONE = "done"
_MAX_KEY_VALUE = 2048
_MAX_CURSOR = 8192
_MIN_KEY_BYTES = 32
#: ``configured``: the key `cursor_key_configure` set; ``process``: this process's random key.
_KEYS: dict[str, bytes] = {"process": secrets.token_bytes(_MIN_KEY_BYTES)}


class InvalidCursorError(ValidationError):
    """A pagination cursor was altered, truncated, or belongs to another list."""


@dataclass(frozen=True)
class QuerySource:
    """One Query: on ``index_name`` (None: the table) for ``hash_value``, read in sort order.

    ``key_attributes`` are the attributes that position a Query on that index (the table's hash
    key plus the index's hash and range keys); ``sort_attribute`` is the index's range key.
    """

    index_name: str | None
    hash_value: str
    key_attributes: tuple[str, ...]
    sort_attribute: str
    forward: bool = False
    filter_condition: Any = None
    range_condition: Any = None


@dataclass
class Page:
    """One page of raw items, the cursor of the next page, and what it cost to read."""

    items: list[RawItem]
    next_cursor: str | None
    read_count: int = 0
    query_count: int = 0
    partial: bool = False


@dataclass
class _SourceState:
    source: QuerySource
    position: RawKey | None
    done: bool
    buffer: deque[RawItem] = field(default_factory=deque)
    more: bool = False
    resume: RawKey | None = None
    taken: bool = False


def cursor_key_configure(key: bytes | None) -> None:
    """Sign and check cursors with ``key`` (at least 32 bytes) from now on; None forgets it.

    The console calls this at startup with a key derived from its ``SECRET_KEY``
    (``console.settings.base.OUROBOROS_CURSOR_SIGNING_KEY``).
    """
    if key is None:
        _KEYS.pop("configured", None)
        return
    if not isinstance(key, bytes) or len(key) < _MIN_KEY_BYTES:
        raise ValueError(f"a cursor key has at least {_MIN_KEY_BYTES} bytes")
    _KEYS["configured"] = key


def _secret() -> bytes:
    config = get_config()
    if config.cursor_secret:
        return config.cursor_secret.encode()
    return _KEYS.get("configured") or _KEYS["process"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scope_digest(scope: str, sources: Sequence[QuerySource]) -> str:
    """What a cursor is bound to: the caller's scope and each source's index and partition."""
    bound = [scope] + [
        [s.index_name, s.hash_value, s.sort_attribute, s.forward, list(s.key_attributes)]
        for s in sources
    ]
    return hashlib.sha256(json.dumps(bound).encode()).hexdigest()[:32]


def cursor_encode(
    *, scope: str, sources: Sequence[QuerySource], positions: list[RawKey | str | None]
) -> str:
    """An opaque cursor resuming every source of ``scope`` at ``positions``."""
    payload = json.dumps(
        {"v": 2, "s": _scope_digest(scope, sources), "p": positions}, separators=(",", ":")
    ).encode()
    signature = hmac.new(_secret(), payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(signature)}"


def _check_key(position: Any, attributes: tuple[str, ...]) -> RawKey:
    if not isinstance(position, dict) or set(position) != set(attributes):
        raise InvalidCursorError(
            "This page link does not fit this list. Start from the first page."
        )
    for value in position.values():
        if (
            not isinstance(value, dict)
            or set(value) != {"S"}
            or not isinstance(value["S"], str)
            or not 0 < len(value["S"]) <= _MAX_KEY_VALUE
        ):
            raise InvalidCursorError("This page link is damaged. Start from the first page.")
    return position


def cursor_decode(
    cursor: str, *, scope: str, sources: list[QuerySource]
) -> list[RawKey | str | None]:
    """The positions stored in ``cursor``; `InvalidCursorError` unless it is intact and ours."""
    damaged = InvalidCursorError(
        "This page link is damaged or was changed (invalid cursor). Start from the first page."
    )
    if not isinstance(cursor, str) or len(cursor) > _MAX_CURSOR or cursor.count(".") != 1:
        raise damaged
    body, signature = cursor.split(".")
    try:
        payload, given = _unb64(body), _unb64(signature)
    except (binascii.Error, ValueError):
        raise damaged from None
    expected = hmac.new(_secret(), payload, hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(given, expected):
        raise damaged
    try:
        data = json.loads(payload)
    except ValueError:
        raise damaged from None
    if not isinstance(data, dict) or data.get("v") != 2:
        raise damaged
    if data.get("s") != _scope_digest(scope, sources):
        raise InvalidCursorError(
            "This page link belongs to another view (filters or sort changed). "
            "Start from the first page."
        )
    positions = data.get("p")
    if not isinstance(positions, list) or len(positions) != len(sources):
        raise damaged
    checked: list[RawKey | str | None] = []
    for position, source in zip(positions, sources, strict=True):
        if position is None or position == _DONE:
            checked.append(position)
        else:
            checked.append(_check_key(position, source.key_attributes))
    return checked


def _partition_attribute(model: type[OuroborosModel], source: QuerySource) -> str | None:
    """The attribute whose value is the partition ``source`` reads (its Query's hash key)."""
    if source.index_name is None:
        return str(model._hash_keyname)
    index = model._indexes.get(source.index_name)
    return index._hash_key_attribute().attr_name if index is not None else None


def _check_partitions(
    model: type[OuroborosModel], sources: list[QuerySource], positions: list[RawKey | str | None]
) -> None:
    """A position must lie in its source's partition (DynamoDB would refuse it as a start key)."""
    for source, position in zip(sources, positions, strict=True):
        if not isinstance(position, dict):
            continue
        attribute = _partition_attribute(model, source)
        if attribute is not None and position.get(attribute) != {"S": source.hash_value}:
            raise InvalidCursorError(
                "This page link does not fit this list. Start from the first page."
            )


def _item_key(item: RawItem, attributes: tuple[str, ...]) -> RawKey:
    return {name: item[name] for name in attributes}


def _fetch(
    model: type[OuroborosModel],
    state: _SourceState,
    *,
    want: int,
    attributes: list[str] | None,
    budget: int,
    page: Page,
) -> None:
    """Fill ``state.buffer`` with up to ``want`` matching items (more with a filter), in order."""
    source = state.source
    connection = model._get_connection()
    start: RawKey | None = state.position
    read = 0
    chunk = want
    while True:
        try:
            response = connection.query(
                source.hash_value,
                range_key_condition=source.range_condition,
                filter_condition=source.filter_condition,
                attributes_to_get=attributes,
                exclusive_start_key=start,
                index_name=source.index_name,
                limit=chunk,
                scan_index_forward=source.forward,
            )
        except QueryError as exc:
            # DynamoDB refuses a start key outside the Query (another partition, out of range).
            if start is not None and exc.cause_response_code == "ValidationException":
                raise InvalidCursorError(
                    "This page link does not fit this list. Start from the first page."
                ) from None
            raise
        page.query_count += 1
        scanned = int(response.get("ScannedCount", 0))
        read += scanned
        page.read_count += scanned
        state.buffer.extend(response.get("Items", []))
        start = response.get("LastEvaluatedKey")
        if start is None:
            state.more = False
            return
        state.more, state.resume = True, start
        if len(state.buffer) >= want or read >= budget:
            return
        chunk = min(max(chunk * 2, want), budget - read)


def _order_key(item: RawItem, source: QuerySource, item_key: str) -> tuple[str, str]:
    return (item[source.sort_attribute]["S"], item[item_key]["S"])


def _resume_sort_value(state: _SourceState) -> str | None:
    if state.resume is None:
        return None
    value = state.resume.get(state.source.sort_attribute)
    return value.get("S") if isinstance(value, dict) else None


def _blocked(candidate: tuple[str, str], states: list[_SourceState], forward: bool) -> bool:
    """Whether a source with unread items may still hold something ordered before ``candidate``."""
    for state in states:
        if state.buffer or not state.more:
            continue
        frontier = _resume_sort_value(state)
        if frontier is None:
            return True
        if forward and not candidate[0] < frontier:
            return True
        if not forward and not candidate[0] > frontier:
            return True
    return False


def _merge(states: list[_SourceState], *, limit: int, item_key: str) -> list[RawItem]:
    """Take up to ``limit`` items from the sources' buffers in order; skip duplicates."""
    forward = states[0].source.forward
    taken: list[RawItem] = []
    last_id: str | None = None
    while True:
        heads = [s for s in states if s.buffer]
        if not heads:
            break

        def rank(state: _SourceState) -> tuple[str, str]:
            return _order_key(state.buffer[0], state.source, item_key)

        best = min(heads, key=rank) if forward else max(heads, key=rank)
        head = best.buffer[0]
        duplicate = head[item_key]["S"] == last_id
        if not duplicate and (len(taken) >= limit or _blocked(rank(best), states, forward)):
            break
        best.buffer.popleft()
        best.position, best.taken = _item_key(head, best.source.key_attributes), True
        if not duplicate:
            taken.append(head)
            last_id = head[item_key]["S"]
    return taken


def query_page(
    model: type[OuroborosModel],
    sources: list[QuerySource],
    *,
    scope: str,
    item_key: str,
    limit: int,
    cursor: str | None = None,
    attributes: list[str] | None = None,
    read_budget: int | None = None,
) -> Page:
    """One page of ``limit`` items from ``sources`` merged in their sort order, and its cursor.

    ``item_key`` is the table's hash key (ties and duplicates are resolved on it); ``attributes``
    projects the items (each source's own key attributes are always added); ``read_budget`` caps the
    items DynamoDB reads per page when filter expressions drop some (default ``20 * limit``).
    """
    if not sources:
        return Page(items=[], next_cursor=None)
    if len({(s.sort_attribute, s.forward) for s in sources}) != 1:
        raise ValueError("merged sources must share sort attribute and direction")
    positions: list[RawKey | str | None] = (
        cursor_decode(cursor, scope=scope, sources=sources) if cursor else [None] * len(sources)
    )
    _check_partitions(model, sources, positions)
    budget = max(read_budget or 20 * limit, limit + 1) // len(sources) or 1
    states = [
        _SourceState(
            source=source,
            position=position if isinstance(position, dict) else None,
            done=position == _DONE,
        )
        for source, position in zip(sources, positions, strict=True)
    ]
    page = Page(items=[], next_cursor=None)
    for state in states:
        if not state.done:
            # Each source reads its own key attributes only: an index projecting little
            # (KEYS_ONLY, INCLUDE) refuses a request for another index's keys.
            wanted = (
                None
                if attributes is None
                else sorted({*attributes, *state.source.key_attributes, item_key})
            )
            _fetch(model, state, want=limit + 1, attributes=wanted, budget=budget, page=page)
    page.items = _merge([s for s in states if not s.done], limit=limit, item_key=item_key)
    next_positions: list[RawKey | str | None] = []
    for state in states:
        if state.done or (not state.buffer and not state.more):
            next_positions.append(_DONE)
        elif not state.buffer:
            next_positions.append(state.resume)
        else:
            next_positions.append(state.position)
    if any(p != _DONE for p in next_positions):
        page.next_cursor = cursor_encode(scope=scope, sources=sources, positions=next_positions)
        page.partial = len(page.items) < limit
    return page
