"""Cursors are opaque, signed, and bound to the list that issued them (no AWS needed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import QueryError

from ouroboros import pagination
from ouroboros.config import get_config, reset_config
from ouroboros.pagination import (
    InvalidCursorError,
    QuerySource,
    cursor_decode,
    cursor_encode,
    query_page,
)

SOURCE = QuerySource(
    "severity-index", "ACTIVE#HIGH", ("finding_id", "g_severity", "updated_at"), "updated_at"
)
KEY = {
    "finding_id": {"S": "arn:aws:securityhub:x"},
    "g_severity": {"S": "ACTIVE#HIGH"},
    "updated_at": {"S": "2024-01-01T00:00:00Z"},
}


def test_a_cursor_round_trips_for_its_own_scope() -> None:
    cursor = cursor_encode(scope="findings|a", sources=[SOURCE], positions=[KEY])

    assert cursor_decode(cursor, scope="findings|a", sources=[SOURCE]) == [KEY]
    assert "arn:aws" not in cursor


def test_another_scope_or_another_secret_rejects_the_cursor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cursor = cursor_encode(scope="findings|a", sources=[SOURCE], positions=[KEY])

    with pytest.raises(InvalidCursorError, match="another view"):
        cursor_decode(cursor, scope="findings|b", sources=[SOURCE])
    monkeypatch.setenv("OUROBOROS_CURSOR_SECRET", "rotated")
    reset_config()
    with pytest.raises(InvalidCursorError, match="damaged"):
        cursor_decode(cursor, scope="findings|a", sources=[SOURCE])


@pytest.mark.parametrize(
    "position",
    [
        {"finding_id": {"S": "x"}},
        {**KEY, "extra": {"S": "x"}},
        {**KEY, "updated_at": {"N": "1"}},
        {**KEY, "updated_at": {"S": ""}},
        "somewhere",
    ],
)
def test_a_signed_cursor_with_a_position_of_the_wrong_shape_is_rejected(position: object) -> None:
    cursor = cursor_encode(scope="s", sources=[SOURCE], positions=[position])  # type: ignore[list-item]

    with pytest.raises(InvalidCursorError):
        cursor_decode(cursor, scope="s", sources=[SOURCE])


@pytest.mark.parametrize("cursor", ["", "a.b.c", "!!!.???", "e30.AAAA", "x" * 9000])
def test_garbage_is_rejected_with_a_clear_error(cursor: str) -> None:
    with pytest.raises(InvalidCursorError, match="first page"):
        cursor_decode(cursor, scope="s", sources=[SOURCE])


@pytest.fixture
def configured_key() -> Iterator[bytes]:
    """A key handed over as the console does at startup; the previous one is restored."""
    previous = pagination._KEYS.get("configured")
    key = b"k" * 32
    pagination.cursor_key_configure(key)
    yield key
    pagination.cursor_key_configure(previous)


def test_cursors_are_never_signed_with_a_key_derived_from_public_names(
    configured_key: bytes,
) -> None:
    public = f"ouroboros-cursor:{get_config().table_name('cursor')}".encode()

    assert pagination._secret() == configured_key
    pagination.cursor_key_configure(None)
    assert pagination._secret() not in (public, configured_key)
    assert len(pagination._secret()) == 32
    with pytest.raises(ValueError, match="32 bytes"):
        pagination.cursor_key_configure(b"short")


def test_a_cursor_signed_with_another_configured_key_is_rejected(configured_key: bytes) -> None:
    cursor = cursor_encode(scope="s", sources=[SOURCE], positions=[KEY])
    pagination.cursor_key_configure(b"o" * 32)

    with pytest.raises(InvalidCursorError, match="damaged"):
        cursor_decode(cursor, scope="s", sources=[SOURCE])


def test_a_cursor_of_another_partition_of_the_same_index_is_rejected() -> None:
    other = QuerySource("severity-index", "ACTIVE#LOW", SOURCE.key_attributes, "updated_at")
    cursor = cursor_encode(scope="s", sources=[other], positions=[KEY])

    with pytest.raises(InvalidCursorError, match="another view"):
        cursor_decode(cursor, scope="s", sources=[SOURCE])


class _RefusingConnection:
    def query(self, *args: object, **kwargs: object) -> dict[str, object]:
        error = {"Error": {"Code": "ValidationException", "Message": "start key outside"}}
        raise QueryError("Failed to query items", ClientError(error, "Query"))


class _TableModel:
    _hash_keyname = "finding_id"
    _indexes: dict[str, object] = {}

    @staticmethod
    def _get_connection() -> _RefusingConnection:
        return _RefusingConnection()


def test_a_start_key_dynamodb_refuses_is_an_invalid_cursor_not_a_server_error() -> None:
    source = QuerySource(None, "arn:aws:securityhub:x", ("finding_id",), "finding_id")
    cursor = cursor_encode(
        scope="s", sources=[source], positions=[{"finding_id": KEY["finding_id"]}]
    )

    with pytest.raises(InvalidCursorError, match="does not fit"):
        query_page(_TableModel, [source], scope="s", item_key="finding_id", limit=1, cursor=cursor)  # type: ignore[arg-type]
    with pytest.raises(QueryError):  # without a cursor it is not the caller's fault
        query_page(_TableModel, [source], scope="s", item_key="finding_id", limit=1)  # type: ignore[arg-type]
