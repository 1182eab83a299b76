"""The in-process moto server on 127.0.0.1 that stands in for every AWS service but DynamoDB.

Requests go through `emulator.moto_request_limits` first: one that breaks a limit AWS enforces
(a role name over 64 characters, a sixth target on a rule...) gets AWS's validation error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from emulator.dynamodb_local import free_port
from emulator.moto_request_limits import RequestLimitsMiddleware

logger = logging.getLogger(__name__)


@dataclass
class MotoServer:
    """A running `ThreadedMotoServer`."""

    server: ThreadedMotoServer
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop()


class LimitedMotoServer(ThreadedMotoServer):
    """moto's threaded server with AWS's request limits in front (`RequestLimitsMiddleware`)."""

    def _server_entry(self) -> None:
        app = RequestLimitsMiddleware(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        # Polled every 0.1 s (the default is 0.5 s): stopping waits for the loop to see it.
        self._server.serve_forever(poll_interval=0.1)


def moto_server_start(port: int = 0) -> MotoServer:
    """Start moto's HTTP server in a thread, bound to 127.0.0.1, refusing what AWS refuses."""
    port = port or free_port()
    server = LimitedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    logger.info("moto server on http://127.0.0.1:%s", port)
    return MotoServer(server=server, port=port)
