"""Where the running local runtime listens, shared with every other process through a file.

The runtime writes ``<data dir>/endpoints.json`` when it starts and removes it when it stops. Any
other process (a management command in another terminal, the console, a test) calls
`endpoints_adopt`, which, when the runtime is running and the environment names no endpoint of its
own, sets the standard ``AWS_ENDPOINT_URL*`` variables and the runtime's dummy credentials. From
then on boto3 and PynamoDB reach the local services without any code knowing it is local.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from ouroboros.config import get_config, reset_config

ENDPOINTS_FILE = "endpoints.json"

#: Credentials the local runtime uses; moto maps this access key to its default account.
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


@dataclass(frozen=True)
class LocalEndpoints:
    """The URLs of the running local runtime."""

    aws: str
    dynamodb: str
    dynamodb_backend: str  # "dynamodb-local" or "moto"
    region: str
    pid: int
    securityhub: str = ""
    hub_table_prefix: str = "hub"
    #: The local Security Hub's own ticket connector (`emulator.securityhub_tickets`).
    ticket_connector_id: str = ""

    def environ(self) -> dict[str, str]:
        """The environment variables that point boto3 and PynamoDB at these endpoints."""
        env = {
            "AWS_ENDPOINT_URL": self.aws,
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb,
            "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": self.dynamodb,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "OUROBOROS_HUB_TABLE_PREFIX": self.hub_table_prefix,
            **LOCAL_CREDENTIALS,
        }
        if self.securityhub:
            env["AWS_ENDPOINT_URL_SECURITYHUB"] = self.securityhub
        if self.ticket_connector_id:
            env["OUROBOROS_TICKET_CONNECTOR_ID"] = self.ticket_connector_id
        return env


def endpoints_path(data_dir: Path | None = None) -> Path:
    """Path of the endpoints file in ``data_dir`` (default: the configured data folder)."""
    return (data_dir or get_config().data_dir) / ENDPOINTS_FILE


def endpoints_write(endpoints: LocalEndpoints, data_dir: Path | None = None) -> Path:
    """Publish ``endpoints`` for other processes (atomic rename: readers never see half a file)."""
    path = endpoints_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(endpoints), indent=2))
    tmp.replace(path)
    return path


def endpoints_read(data_dir: Path | None = None) -> LocalEndpoints | None:
    """The endpoints of the runtime that is running now, or None (no file, or its process died)."""
    path = endpoints_path(data_dir)
    try:
        data = json.loads(path.read_text())
        endpoints = LocalEndpoints(**data)
    except (OSError, ValueError, TypeError):
        return None
    if not _alive(endpoints.pid):
        return None
    return endpoints


def endpoints_clear(data_dir: Path | None = None) -> None:
    """Remove the endpoints file (the runtime is stopping)."""
    endpoints_path(data_dir).unlink(missing_ok=True)


def endpoints_adopt(data_dir: Path | None = None) -> LocalEndpoints | None:
    """Point this process at the running local runtime, unless it has endpoints of its own.

    Never applies inside Lambda or when ``OUROBOROS_RUNTIME=aws``.
    """
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or os.environ.get("OUROBOROS_RUNTIME") == "aws":
        return None
    if os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        return None
    endpoints = endpoints_read(data_dir)
    if endpoints is None:
        return None
    os.environ.update(endpoints.environ())
    reset_config()
    return endpoints


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
