"""Django's development server as the local runtime serves the console with it (``runlocal``).

The server's request handler (`django.core.servers.basehttp.WSGIRequestHandler`) sends a
response's headers and its body in two writes. With Nagle's algorithm on, the body waits until the
client acknowledges the headers, and Linux delays that acknowledgement by up to 40 ms: every page,
static file and API answer of the local console took about 40 ms more than its work. The
schemathesis run of the tests (about 260 requests) took 17.6 s with the delay and 8.7 s without.
socketserver's ``disable_nagle_algorithm`` sets ``TCP_NODELAY`` on each accepted connection.

The deployed console runs behind API Gateway in Lambda and never uses this server.
"""

from __future__ import annotations

from django.core.servers.basehttp import WSGIRequestHandler


def devserver_nodelay() -> None:
    """Make the development server (``runserver``, and the test live servers built on its
    handler) send each write at once, without waiting for the previous one's acknowledgement."""
    WSGIRequestHandler.disable_nagle_algorithm = True
