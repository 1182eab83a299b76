"""A boto3-shaped Security Hub client over a `SecurityHubStore` in the same process.

``client.get_findings(**request)`` calls ``store.get_findings(request)``; a
`emulator.securityhub_errors.LocalSecurityHubError` comes back as the botocore ``ClientError``
the HTTP server's answer would have become (same code, same message). Benchmarks and functional
tests use it to drive the collector against the store without serializing every page over HTTP;
the HTTP path itself is `emulator.securityhub_server`'s and its tests'. ``calls`` counts the
requests of each operation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from emulator.securityhub_errors import LocalSecurityHubError
from emulator.securityhub_store import SecurityHubStore

#: The operations served, as boto3 method name -> Security Hub operation name.
OPERATIONS = {"get_findings": "GetFindings", "get_findings_v2": "GetFindingsV2"}


class SecurityHubStoreClient:
    """The read operations of a boto3 ``securityhub`` client, answered by ``store``."""

    def __init__(self, store: SecurityHubStore) -> None:
        self.store = store
        self.calls: Counter[str] = Counter()

    def __getattr__(self, method: str) -> Callable[..., dict[str, Any]]:
        operation = OPERATIONS.get(method)
        if operation is None:
            raise AttributeError(f"the in-process Security Hub client has no {method}")

        def call(**request: Any) -> dict[str, Any]:
            self.calls[operation] += 1
            try:
                response: dict[str, Any] = getattr(self.store, method)(request)
            except LocalSecurityHubError as exc:
                error = {"Error": {"Code": exc.code, "Message": str(exc)}}
                raise ClientError(error, operation) from exc
            return response

        return call
