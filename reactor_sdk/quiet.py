"""Keeps secrets out of botocore's DEBUG logs.

At DEBUG, botocore logs every request's parameters (``botocore.endpoint``) and every response body
(``botocore.parsers``): a decrypted SSM SecureString (a webhook URL, the Django secret key, the
database URL), the temporary credentials of ``sts:AssumeRole``. Calls that carry a secret run
inside `secret_call`: while a thread is inside it, the DEBUG records of those loggers (and of
urllib3, which may echo bodies on errors) from that thread are dropped. Other threads and levels
above DEBUG are untouched.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: The loggers whose DEBUG records can hold a request's parameters or a response's body.
BODY_LOGGERS = ("botocore.endpoint", "botocore.parsers", "botocore.hooks", "urllib3.connectionpool")

_state = threading.local()
_installed = threading.Lock()


class SecretCallFilter(logging.Filter):
    """Drops DEBUG records emitted by a thread that is inside `secret_call`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (getattr(_state, "depth", 0) and record.levelno <= logging.DEBUG)


_FILTER = SecretCallFilter()


def _install() -> None:
    with _installed:
        for name in BODY_LOGGERS:
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)


@contextmanager
def secret_call() -> Iterator[None]:
    """Run an AWS call whose parameters or answer hold a secret (see the module docstring)."""
    _install()
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1
