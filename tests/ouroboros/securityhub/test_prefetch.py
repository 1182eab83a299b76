"""The collector's page prefetch thread: order kept, source errors reach the reader, close stops."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from ouroboros.errors import ThrottledError
from ouroboros.securityhub.collect_findings import _Prefetch


def _pages(count: int) -> Iterator[list[dict[str, Any]]]:
    for n in range(count):
        yield [{"Id": f"f{n}"}]


def test_pages_arrive_in_order_and_all_of_them() -> None:
    prefetch = _Prefetch(_pages(50), depth=3)
    assert [page[0]["Id"] for page in prefetch] == [f"f{n}" for n in range(50)]
    prefetch.close()


def test_an_error_of_the_source_is_raised_in_the_reader_after_the_pages_before_it() -> None:
    def failing() -> Iterator[list[dict[str, Any]]]:
        yield from _pages(2)
        raise ThrottledError("Security Hub GetFindings kept throttling")

    prefetch = _Prefetch(failing(), depth=5)
    seen = []
    with pytest.raises(ThrottledError):
        for page in prefetch:
            seen.append(page[0]["Id"])
    assert seen == ["f0", "f1"]
    prefetch.close()


def test_close_stops_reading_an_endless_source() -> None:
    read = itertools.count()

    def endless() -> Iterator[list[dict[str, Any]]]:
        for n in read:
            yield [{"Id": f"f{n}"}]

    prefetch = _Prefetch(endless(), depth=4)
    first = next(iter(prefetch))
    assert first == [{"Id": "f0"}]
    prefetch.close()
    assert not prefetch._thread.is_alive()
    assert next(read) <= 1 + 4 + 2  # at most the depth ahead, plus the pages in hand
