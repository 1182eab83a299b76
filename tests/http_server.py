"""A throwaway HTTP server on 127.0.0.1 for tests that need something to answer them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer


@contextmanager
def http_server_running(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free port of 127.0.0.1 in a thread; yields the base URL; stops it."""
    server = HTTPServer(("127.0.0.1", 0), handler)
    # Polled every 50 ms, not 0.5 s: ``shutdown`` waits for the loop to see it.
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
