"""Test support for reactors: built artifacts, publishing to the Hub, findings in member accounts.

- `built_artifact(package)`: the artifact of an official reactor, built once per test process
  (the folder is removed when the process ends);
- `hub_publish(artifact)`: upload to the Hub bucket (boto3, as the core sees it) and register;
- `member_finding(sample, ...)`: a real sample finding rewritten to a member account and resource;
- `BUCKET`, `PUBLIC`, `OWNER`: a member bucket with a public-read statement beside the owner's;
- `stream_event(...)`: a Lambda DynamoDB-stream event for items, in DynamoDB JSON.
"""

from __future__ import annotations

import atexit
import copy
import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.reactors.hub import hub_artifact_key, hub_reactor_register
from ouroboros.reactors.packaging import Artifact, reactor_build
from tests.conftest import load_event

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "lambdas" / "reactors"
MEMBER = "222222222222"
CALLER = "123456789012"
#: A member bucket and the two statements of its policy: public read, and the owner's access.
BUCKET = "member-public-bucket"
PUBLIC = {
    "Sid": "PublicRead",
    "Effect": "Allow",
    "Principal": "*",
    "Action": ["s3:GetObject"],
    "Resource": f"arn:aws:s3:::{BUCKET}/*",
}
OWNER = {
    "Sid": "OwnerFullAccess",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:root"},
    "Action": "s3:*",
    "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
}

_built: dict[str, Artifact] = {}
_build_dir = Path(tempfile.mkdtemp(prefix="ouroboros-test-artifacts-"))
atexit.register(shutil.rmtree, _build_dir, True)


def built_artifact(package: str) -> Artifact:
    """The artifact of ``lambdas/reactors/<package>``, built once per test process."""
    if package not in _built:
        _built[package] = reactor_build(source=CATALOG / package, out_dir=_build_dir / package)
    return _built[package]


def hub_bucket_ensure() -> str:
    bucket = get_config().hub_bucket
    s3 = client("s3")
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:
        s3.create_bucket(Bucket=bucket)
    return bucket


def hub_publish(artifact: Artifact, *, data: bytes | None = None) -> str:
    """Upload ``artifact`` (or other ``data`` under its name) and register it; the key."""
    bucket = hub_bucket_ensure()
    key = hub_artifact_key(manifest=artifact.manifest, sha256=artifact.sha256)
    client("s3").put_object(Bucket=bucket, Key=key, Body=data or artifact.path.read_bytes())
    hub_reactor_register(
        manifest=artifact.manifest,
        sha256=artifact.sha256,
        size=artifact.size,
        artifact_key=key,
        published_by="test",
    )
    return key


def tamper(data: bytes) -> bytes:
    """``data`` with one byte changed (in the middle, inside compressed content)."""
    index = len(data) // 2
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def member_finding(
    sample: str,
    *,
    account: str = MEMBER,
    resource_type: str | None = None,
    resource_id: str | None = None,
    control_id: str | None = None,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """A real sample finding (``tests/events/<sample>``; from an EventBridge event, its first
    finding) moved to ``account`` and ``region`` (Security Hub's product ARN too) and pointed at
    ``resource_id``; other fields stay as AWS wrote them."""
    finding = copy.deepcopy(load_event(sample))
    if "detail" in finding:
        finding = finding["detail"]["findings"][0]
    old_account = finding["AwsAccountId"]
    text = json.dumps(finding).replace(old_account, account)
    finding = json.loads(text)
    finding["Region"] = region
    # Security Hub's own product ARN names the finding's region (`ouroboros.workflow.provenance`).
    finding["ProductArn"] = re.sub(
        r"^(arn:aws[a-z-]*:securityhub:)[a-z0-9-]+(::product/aws/securityhub)$",
        rf"\g<1>{region}\g<2>",
        finding["ProductArn"],
    )
    if control_id:
        finding.setdefault("ProductFields", {})["ControlId"] = control_id
        finding["Compliance"] = {**finding.get("Compliance", {}), "SecurityControlId": control_id}
    if resource_id:
        resource = finding["Resources"][0]
        resource["Id"] = resource_id
        resource["Type"] = resource_type or resource["Type"]
        resource["Region"] = region
    finding["Compliance"] = {**finding.get("Compliance", {}), "Status": "FAILED"}
    return finding


def stream_event(
    records: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]],
    *,
    key: str,
    source_arn: str = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026",
) -> dict[str, Any]:
    """A Lambda DynamoDB-stream event of (eventName, new image, old image) triples."""
    serializer = TypeSerializer()

    def image(item: dict[str, Any] | None) -> dict[str, Any] | None:
        if item is None:
            return None
        return {k: serializer.serialize(v) for k, v in item.items() if v is not None}

    out = []
    for number, (name, new, old) in enumerate(records, start=1):
        base = new or old or {}
        body: dict[str, Any] = {
            "Keys": image({key: base[key]}),
            "SequenceNumber": f"{number:021d}",
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        if new is not None:
            body["NewImage"] = image(new)
        if old is not None:
            body["OldImage"] = image(old)
        out.append(
            {
                "eventID": f"e{number}",
                "eventName": name,
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": body,
                "eventSourceARN": source_arn,
            }
        )
    return {"Records": out}


def wait_for[T](probe: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    """Poll ``probe`` until it returns a truthy value (a generous bound, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def lambda_function_exists(name: str) -> bool:
    """Whether the Lambda function ``name`` exists (an installer left it, or removed it)."""
    lam = client("lambda")
    try:
        lam.get_function(FunctionName=name)
    except lam.exceptions.ResourceNotFoundException:
        return False
    return True


def iam_role_exists(name: str) -> bool:
    """Whether the IAM role ``name`` exists."""
    iam = client("iam")
    try:
        iam.get_role(RoleName=name)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


def approval(reactor_id: str) -> list[str]:
    """The dangerous actions an admin approves to install official ``reactor_id`` (exactly those
    its manifest declares, as listed in ``ouroboros/reactors/data/official_reactors.json``)."""
    from ouroboros.reactors.catalog import version_key
    from ouroboros.reactors.official import official_reactors

    versions = official_reactors()[reactor_id]
    return list(versions[max(versions, key=version_key)]["dangerous_actions"])


def official_variant(
    monkeypatch: Any, source: Path | None = None, *, artifact: bytes | None = None
) -> None:
    """Treat the reactor package at ``source``, or inside the ``artifact`` bytes (a changed copy
    of an official reactor, such as a new version), as the official one for this test: as if
    this repository shipped it."""
    import io
    import zipfile

    from ouroboros.reactors import official
    from ouroboros.reactors.packaging import package_entries

    if source is not None:
        package, entries = source.name, package_entries(source)
    else:
        assert artifact is not None
        with zipfile.ZipFile(io.BytesIO(artifact)) as archive:
            entries = [(n, archive.read(n)) for n in archive.namelist()]
        package = next(n.split("/")[0] for n, _ in entries if n.endswith("/reactor.py"))
        entries = [(n, d) for n, d in entries if n.startswith(f"{package}/")]
    code = dict(entries)[f"{package}/reactor.py"].decode()
    version = re.search(r'^\s+version = "([^"]+)"', code, re.M)
    assert version is not None, "no version in reactor.py"
    listed = {
        k: {v: dict(e) for v, e in vs.items()} for k, vs in official.official_reactors().items()
    }
    versions = next(
        vs for vs in listed.values() if any(e["package"] == package for e in vs.values())
    )
    entry = dict(next(iter(versions.values())))
    entry["files_sha256"] = official.package_digest(entries)
    versions[version[1]] = entry
    monkeypatch.setattr(official, "official_reactors", lambda: listed)
