"""A live console on 127.0.0.1 (a free port) for tests that need a real HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pytest_django.live_server_helper import LiveServer


@contextmanager
def live_console() -> Iterator[str]:
    """Serve the console (and its static files) on 127.0.0.1; yields the base URL."""
    server = LiveServer("127.0.0.1:0")
    try:
        yield server.url
    finally:
        server.stop()
