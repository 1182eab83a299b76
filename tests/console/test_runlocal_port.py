"""``runlocal``'s console port check: a port a server listens on is refused at once with a hint;
a port whose last server's connections linger in TIME_WAIT (the console restarted on the same
port, as the demo-loop test does) is free, as runserver itself (SO_REUSEADDR) finds it."""

from __future__ import annotations

import socket

import pytest
from django.core.management import CommandError

from console.jobs.management.commands.runlocal import _port_free_check


def test_a_port_a_server_listens_on_is_refused_with_another_to_try() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with pytest.raises(CommandError, match=f"port {port} on 127.0.0.1 is in use.*PORT="):
            _port_free_check(port)


def test_a_port_left_in_time_wait_by_a_stopped_server_is_free() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the server closes first: its side of the connection is in TIME_WAIT
        client.close()
    _port_free_check(port)  # raises without SO_REUSEADDR
