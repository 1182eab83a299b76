"""Cursors are opaque, signed, and bound to the list that issued them (no AWS needed)."""

from __future__ import annotations

import pytest

from ouroboros.config import reset_config
from ouroboros.pagination import InvalidCursorError, QuerySource, cursor_decode, cursor_encode

SOURCE = QuerySource(
    "severity-index", "ACTIVE#HIGH", ("finding_id", "g_severity", "updated_at"), "updated_at"
)
KEY = {
    "finding_id": {"S": "arn:aws:securityhub:x"},
    "g_severity": {"S": "ACTIVE#HIGH"},
    "updated_at": {"S": "2024-01-01T00:00:00Z"},
}


def test_a_cursor_round_trips_for_its_own_scope() -> None:
    cursor = cursor_encode(scope="findings|a", positions=[KEY])

    assert cursor_decode(cursor, scope="findings|a", sources=[SOURCE]) == [KEY]
    assert "arn:aws" not in cursor


def test_another_scope_or_another_secret_rejects_the_cursor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cursor = cursor_encode(scope="findings|a", positions=[KEY])

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
    cursor = cursor_encode(scope="s", positions=[position])  # type: ignore[list-item]

    with pytest.raises(InvalidCursorError):
        cursor_decode(cursor, scope="s", sources=[SOURCE])


@pytest.mark.parametrize("cursor", ["", "a.b.c", "!!!.???", "e30.AAAA", "x" * 9000])
def test_garbage_is_rejected_with_a_clear_error(cursor: str) -> None:
    with pytest.raises(InvalidCursorError, match="first page"):
        cursor_decode(cursor, scope="s", sources=[SOURCE])
