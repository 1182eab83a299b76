"""S3 Control against the local moto server: drop the account id botocore puts in the host.

S3 Control's endpoint rules prefix the host with the account id (``<account>.s3-control...``),
which against ``AWS_ENDPOINT_URL=http://127.0.0.1:<port>`` becomes an unresolvable
``<account>.127.0.0.1``. While the local runtime runs, every session gets a ``before-sign`` hook
that removes that prefix from loopback URLs only (the account id is also in the request's
``x-amz-account-id`` header, which moto reads). Reactors such as S3.1's then work unchanged.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import botocore.handlers

from ouroboros.aws import reset_sessions

if TYPE_CHECKING:
    from emulator.runtime import LocalRuntime

_LOOPBACK_WITH_ACCOUNT = re.compile(r"^(https?://)\d{12}\.((?:127\.0\.0\.1|localhost)[:/])")


def loopback_host(request: Any, **_: Any) -> None:
    """``http://<account>.127.0.0.1:port/...`` -> ``http://127.0.0.1:port/...``."""
    request.url = _LOOPBACK_WITH_ACCOUNT.sub(r"\1\2", request.url)


class S3ControlLoopback:
    """The runtime extension (see the module docstring)."""

    name = "s3control-loopback"
    _spec = ("before-sign.s3-control", loopback_host)

    def start(self, runtime: LocalRuntime) -> None:
        botocore.handlers.BUILTIN_HANDLERS.append(self._spec)
        reset_sessions()

    def stop(self) -> None:
        if self._spec in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.remove(self._spec)
