"""The in-process moto server on 127.0.0.1 that stands in for every AWS service but DynamoDB."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from moto.server import ThreadedMotoServer

from emulator.dynamodb_local import free_port

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


def moto_server_start(port: int = 0) -> MotoServer:
    """Start moto's HTTP server in a thread, bound to 127.0.0.1."""
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    logger.info("moto server on http://127.0.0.1:%s", port)
    return MotoServer(server=server, port=port)
