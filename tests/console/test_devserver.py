"""The development server the local runtime serves the console with (`console.devserver`): each
connection it accepts has Nagle's algorithm off, so a response's body does not wait for the
client's delayed acknowledgement of its headers."""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer

from console.devserver import devserver_nodelay


class _Recording(WSGIRequestHandler):
    """Django's handler, noting the TCP_NODELAY of each connection it sets up."""

    seen: list[int] = []

    def setup(self) -> None:
        super().setup()
        self.seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


@pytest.fixture
def served() -> Iterator[str]:
    server = WSGIServer(("127.0.0.1", 0), _Recording)
    server.set_app(_app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_console_server_accepts_connections_with_nagle_off(
    served: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(WSGIRequestHandler, "disable_nagle_algorithm", False)
    _Recording.seen = []
    with urllib.request.urlopen(served, timeout=10) as response:
        assert response.read() == b"ok"
    assert _Recording.seen == [0]  # Django's default: Nagle on
    devserver_nodelay()
    with urllib.request.urlopen(served, timeout=10) as response:
        assert response.read() == b"ok"
    assert _Recording.seen[1] != 0
