"""Kept releases: the packages, the manifest and the deployed-version record `deploy.upgrade` uses.

Where they live:

- ``s3://<Zappa's package bucket>/ouroboros-releases/<stage>/<side>/<version>/<package>.zip``:
  every package an upgrade deployed, as deployed (SSE-S3);
- ``.../<version>/manifest.json``: what each function of the side ran in that release (the code's
  SHA-256 as Lambda reports it, the Lambda version published for it, its configuration), the
  SHA-256 of each kept package, the state machine's definition (consumer), and the release it
  replaced;
- the SSM String parameter ``/ouroboros/<stage>/deployed-version/<side>``: the deployed version,
  its manifest's SHA-256, and the previous version with its manifest's SHA-256. One per side:
  a Hub and a consumer may share an account and a stage.

Each manifest names the release before it and that manifest's SHA-256, so the releases form a
chain walked back one rollback at a time, and every link is checked: a manifest or a package
changed in the bucket since it was kept is refused (`ReleaseTamperedError`) before anything is
touched.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from deploy.functions import FunctionSpec
from deploy.naming import Deployment
from deploy.report import ResourceReport
from deploy.zappa_settings import zappa_settings_read
from ouroboros.aws import client
from ouroboros.errors import OuroborosError

#: Key prefix of kept releases in Zappa's package bucket.
RELEASES_PREFIX = "ouroboros-releases"
#: Under the deployment's parameter path (``/ouroboros/<stage>/``), then ``/<side>``.
VERSION_PARAMETER = "deployed-version"
#: A version label is part of S3 keys: letters, digits and ``._+-``.
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
#: What a rollback restores of a function's configuration besides its code.
CONFIGURATION_KEYS = ("Handler", "Runtime", "MemorySize", "Timeout", "Role", "Description")


class UpgradeError(OuroborosError):
    """An upgrade or a rollback cannot proceed; the message says why and what to do."""


class ReleaseTamperedError(UpgradeError):
    """A kept manifest or package differs from the SHA-256 recorded for it."""


def version_check(version: str) -> str:
    """``version`` if it is a valid label, else `UpgradeError` naming the rule."""
    if not VERSION_PATTERN.match(version):
        raise UpgradeError(
            f"version {version!r}: use 1 to 64 letters, digits and . _ + - (starting with a "
            "letter or digit), e.g. 1.4.0 or 1.4.0+g3f2a9c1"
        )
    return version


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def lambda_sha256(digest_hex: str) -> str:
    """A SHA-256 as Lambda's ``CodeSha256`` spells it (base64 of the digest)."""
    return base64.b64encode(bytes.fromhex(digest_hex)).decode()


def function_configuration(config: dict[str, Any]) -> dict[str, Any]:
    """The part of a GetFunctionConfiguration answer UpdateFunctionConfiguration takes back."""
    kept = {key: config[key] for key in CONFIGURATION_KEYS if key in config}
    kept["Environment"] = {
        "Variables": dict((config.get("Environment") or {}).get("Variables", {}))
    }
    vpc = config.get("VpcConfig") or {}
    kept["VpcConfig"] = {
        "SubnetIds": sorted(vpc.get("SubnetIds", [])),
        "SecurityGroupIds": sorted(vpc.get("SecurityGroupIds", [])),
    }
    return kept


@dataclass(frozen=True)
class FunctionRelease:
    """What one function ran in a release."""

    key: str
    name: str
    package: str
    #: Lambda's ``CodeSha256`` (base64).
    code_sha256: str
    #: The Lambda version published for it (Lambda keeps it; informative).
    lambda_version: str
    configuration: dict[str, Any]


@dataclass(frozen=True)
class Release:
    """One deployed version of one side (the manifest)."""

    version: str
    side: str
    stage: str
    deployed_at: str
    previous: str | None
    previous_manifest_sha256: str | None
    #: Package name -> SHA-256 (hex) of its kept zip.
    packages: dict[str, str]
    functions: tuple[FunctionRelease, ...]
    state_machine_definition: str | None = None

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Release:
        raw = json.loads(data)
        known = {f.name for f in fields(FunctionRelease)}
        functions = tuple(
            FunctionRelease(**{k: v for k, v in item.items() if k in known})
            for item in raw.pop("functions")
        )  # keys a later release added are left out: an older upgrade can still read it
        return cls(functions=functions, **{k: v for k, v in raw.items() if k in _RELEASE_FIELDS})


_RELEASE_FIELDS = frozenset(f.name for f in fields(Release)) - {"functions"}


@dataclass(frozen=True)
class DeployedVersion:
    """The SSM record: what runs now, and what a rollback goes back to."""

    version: str
    manifest_sha256: str
    previous: str | None = None
    previous_manifest_sha256: str | None = None


def release_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def release_bucket(settings_path: Path, specs: tuple[FunctionSpec, ...]) -> str:
    """Zappa's package bucket (``s3_bucket`` of the side's packaging stages)."""
    if not settings_path.is_file():
        raise UpgradeError(
            f"{settings_path} not found: run python manage.py zappa_settings --write first"
        )
    settings = zappa_settings_read(settings_path)
    buckets = {settings.get(spec.package, {}).get("s3_bucket") for spec in specs}
    buckets.discard(None)
    if len(buckets) != 1:
        raise UpgradeError(
            f"{settings_path.name}: expected one s3_bucket for the packages "
            f"{sorted({s.package for s in specs})}, found {sorted(b for b in buckets if b)}"
        )
    return str(buckets.pop())


@dataclass
class ReleaseStore:
    """Kept releases of one side in one bucket, and the side's deployed-version record."""

    bucket: str
    deployment: Deployment
    _s3: Any = field(init=False, repr=False)
    _ssm: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._s3 = client("s3", region=self.deployment.region)
        self._ssm = client("ssm", region=self.deployment.region)

    @property
    def parameter_name(self) -> str:
        return f"{self.deployment.parameter_path}{VERSION_PARAMETER}/{self.deployment.side}"

    def key(self, version: str, name: str) -> str:
        d = self.deployment
        return f"{RELEASES_PREFIX}/{d.stage}/{d.side}/{version}/{name}"

    def package_key(self, version: str, package: str) -> str:
        return self.key(version, f"{package}.zip")

    # -- the bucket ---------------------------------------------------------------------------

    def bucket_ensure(self) -> ResourceReport:
        """Zappa creates its bucket on first upload; an upgrade keeps packages before that."""
        try:
            self._s3.head_bucket(Bucket=self.bucket)
            return ResourceReport("s3 bucket", self.bucket, "unchanged")
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
                raise
        region = self.deployment.region
        extra = {} if region == "us-east-1" else {"LocationConstraint": region}
        self._s3.create_bucket(
            Bucket=self.bucket, **({"CreateBucketConfiguration": extra} if extra else {})
        )
        self._s3.put_public_access_block(
            Bucket=self.bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        return ResourceReport("s3 bucket", self.bucket, "created", ["Zappa's package bucket"])

    def _put(self, key: str, body: bytes, content_type: str) -> None:
        self._s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            ServerSideEncryption="AES256",
        )

    def _get(self, key: str) -> bytes:
        try:
            body: bytes = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise UpgradeError(
                    f"s3://{self.bucket}/{key} is missing: the release is not kept"
                ) from exc
            raise
        return body

    # -- packages and manifests ---------------------------------------------------------------

    def package_keep(self, version: str, package: str, path: Path) -> str:
        """Keep the zip at ``path`` as ``package`` of ``version``; its SHA-256 (hex)."""
        data = path.read_bytes()
        self._put(self.package_key(version, package), data, "application/zip")
        return sha256_hex(data)

    def package_verify(self, version: str, package: str, digest: str) -> None:
        """`ReleaseTamperedError` unless the kept zip still has the SHA-256 ``digest``."""
        key = self.package_key(version, package)
        found = sha256_hex(self._get(key))
        if found != digest:
            raise ReleaseTamperedError(
                f"s3://{self.bucket}/{key} has SHA-256 {found}, the manifest of {version} "
                f"recorded {digest}: refusing to deploy it"
            )

    def manifest_write(self, release: Release) -> str:
        """Keep ``release``'s manifest; its SHA-256 (hex)."""
        data = release.to_json()
        self._put(self.key(release.version, "manifest.json"), data, "application/json")
        return sha256_hex(data)

    def manifest_read(self, version: str, digest: str | None) -> Release:
        """The kept manifest of ``version``, checked against ``digest``."""
        key = self.key(version, "manifest.json")
        data = self._get(key)
        if digest is None or sha256_hex(data) != digest:
            raise ReleaseTamperedError(
                f"s3://{self.bucket}/{key} has SHA-256 {sha256_hex(data)}, the deployed-version "
                f"record expects {digest}: refusing to roll back to it"
            )
        return Release.from_json(data)

    # -- the deployed-version record ----------------------------------------------------------

    def deployed_read(self) -> DeployedVersion | None:
        try:
            value = self._ssm.get_parameter(Name=self.parameter_name)["Parameter"]["Value"]
        except self._ssm.exceptions.ParameterNotFound:
            return None
        return DeployedVersion(**json.loads(value))

    def deployed_write(self, record: DeployedVersion) -> ResourceReport:
        before = self.deployed_read()
        self._ssm.put_parameter(
            Name=self.parameter_name,
            Description=f"Ouroboros {self.deployment.side}: deployed version and the previous one",
            Value=json.dumps(asdict(record), sort_keys=True),
            Type="String",
            Overwrite=True,
        )
        was = before.version if before else "none"
        return ResourceReport(
            "ssm parameter",
            self.parameter_name,
            "updated" if before else "created",
            [f"{was} -> {record.version}"],
        )
