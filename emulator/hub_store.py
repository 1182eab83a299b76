"""Local Hub storage: the Hub's artifact bucket, kept across restarts, and installed reactors'
functions re-created.

moto keeps S3, IAM and Lambda in memory, while DynamoDB Local keeps the Hub's records and the
installed reactors on disk. So that a restart finds the two consistent, `LocalHubStore`:

- at start: creates the Hub's bucket (``OUROBOROS_HUB_BUCKET``), uploads the artifacts saved in
  ``<data dir>/hub/artifacts/`` back into it, and re-creates the role and function of every
  reactor recorded ``installed`` (from its sha256-checked artifact, like the installer); one that
  cannot be (an artifact built for an older reactor SDK contract) is left out with a warning that
  ``make run`` prints, naming the fix (rebuild and publish a new version, or ``make clean``);
- at stop: saves the bucket's artifacts into that folder.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.errors import OuroborosError
from ouroboros.reactors.installer import reactor_resources_ensure
from ouroboros.reactors.services import reactor_installed_list

if TYPE_CHECKING:
    from emulator.runtime import LocalRuntime

logger = logging.getLogger(__name__)


def hub_bucket_ensure() -> str:
    """Create the Hub's bucket if missing; its name."""
    bucket = get_config().hub_bucket
    s3 = client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
    return bucket


class LocalHubStore:
    """The runtime extension (see the module docstring)."""

    name = "hub-store"

    def __init__(self) -> None:
        self.folder = Path()
        self.restored = 0
        self.reinstalled: list[str] = []

    def start(self, runtime: LocalRuntime) -> None:
        self.folder = runtime.data_dir / "hub" / "artifacts"
        bucket = hub_bucket_ensure()
        s3 = client("s3")
        for path in sorted(p for p in self.folder.rglob("*.zip") if p.is_file()):
            key = path.relative_to(self.folder).as_posix()
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            self.restored += 1
        for item in reactor_installed_list():
            if item.status != "installed":
                continue
            try:
                reactor_resources_ensure(reactor_id=item.reactor_id)
                self.reinstalled.append(item.reactor_id)
            except OuroborosError as exc:  # e.g. built for an older reactor SDK: say what to do
                message = f"installed reactor {item.reactor_id} not re-created: {exc}"
                logger.warning(message)
                runtime.warnings.append(message)

    def stop(self) -> None:
        bucket = get_config().hub_bucket
        s3 = client("s3")
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                target = self.folder / entry["Key"]
                target.parent.mkdir(parents=True, exist_ok=True)
                body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
                tmp = target.with_suffix(".tmp")
                tmp.write_bytes(body)
                tmp.replace(target)
