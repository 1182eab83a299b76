"""Upgrades you can roll back: deploy a version of one side, keep its packages, go back to the
previous one (``python manage.py upgrade``; the README's "Upgrading" says how to use it).

`upgrade_run`, in order:

1. ``bootstrap`` (`deploy.bootstrap`): new tables and indexes, the roles' new grants, the state
   machine; bootstrap adds and updates, it never deletes a table or an item;
2. package each of the side's packages once (``zappa package``), keep each zip in Zappa's package
   bucket (`deploy.releases`);
3. deploy every function from its zip (``zappa update``, ``zappa deploy`` for a new one), then
   bootstrap again when a function is new (its trigger);
4. consumer: the console's Django migrations (``zappa manage console migrate``);
5. publish a Lambda version of every function (a no-op when unchanged), check that each runs the
   kept code, and record the release: the manifest, then the deployed-version parameter.

`rollback_run` reads the deployed-version parameter, checks the previous release's manifest and
packages against the SHA-256 recorded for them, and puts each function's code back from its kept
zip (UpdateFunctionCode) and its configuration back as recorded (UpdateFunctionConfiguration:
handler, runtime, memory, timeout, role, description, environment, VPC), publishes them, puts the
state machine's definition back, and records the previous version as deployed (its own previous
one becomes the next rollback's target). It needs no build, no checkout and no Zappa.

Why kept packages rather than a ``live`` alias moved back: every caller here invokes the
unqualified function, i.e. ``$LATEST``: Zappa's API Gateway integration and schedule rules, and
bootstrap's stream mappings, state machine tasks, rules and topic subscription, and the roles'
policies, the deployment check and the strict rehearsal's grants all name the unqualified ARN.
Moving all of them to an alias would touch most of the deploy package and Zappa's own wiring for
the one benefit of a faster rollback; putting the kept zip back serves the same code through the
same ARN, and Lambda still keeps the published versions for inspection.

Not rolled back (the README says so): data (tables and items are never deleted, by either way),
Django migrations (they must be additive: the previous version's code runs on the newer schema),
and what bootstrap manages besides the state machine's definition (roles, tables, indexes, rules,
alarms stay as the newer version's bootstrap left them); a function the previous release did not
have is kept (``zappa undeploy <stage>`` removes it). One upgrade or rollback at a time per side.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import ouroboros
from deploy.bootstrap import bootstrap_run
from deploy.functions import FunctionSpec, functions_for
from deploy.naming import Deployment, deployment_current, function_deployed
from deploy.releases import (
    DeployedVersion,
    FunctionRelease,
    Release,
    ReleaseStore,
    UpgradeError,
    function_configuration,
    lambda_sha256,
    release_bucket,
    release_now,
    version_check,
)
from deploy.report import ResourceReport
from deploy.retry import Sleep
from deploy.runtime_env import project_root
from deploy.zappa_cli import zappa_package, zappa_run
from ouroboros.aws import client
from ouroboros.config import Role, get_config


class Toolchain(Protocol):
    """What builds and deploys the functions (Zappa; a stand-in in tests)."""

    def package(self, package: str) -> Path:
        """Build the package ``package`` (``console`` or ``workers``); the zip's path."""

    def deploy(self, spec: FunctionSpec, zip_path: Path, *, exists: bool) -> None:
        """Deploy ``spec`` from ``zip_path`` (update it when it ``exists``)."""

    def migrate(self) -> None:
        """Apply the console's Django migrations, in the deployed console."""


@dataclass(frozen=True)
class ZappaToolchain:
    """`Toolchain` by Zappa, packaging from ``.venv-lambda`` (`deploy.zappa_cli`)."""

    build_dir: Path
    settings_path: Path | None = None
    console_stage: str = "console"

    def package(self, package: str) -> Path:
        return zappa_package(
            package, self.build_dir / f"{package}.zip", settings_path=self.settings_path
        )

    def deploy(self, spec: FunctionSpec, zip_path: Path, *, exists: bool) -> None:
        command = "update" if exists else "deploy"
        zappa_run([command, spec.key, "-z", str(zip_path)], settings_path=self.settings_path)

    def migrate(self) -> None:
        zappa_run(["manage", self.console_stage, "migrate"], settings_path=self.settings_path)


def version_default(root: Path | None = None) -> str:
    """``<ouroboros version>+g<commit>`` of the checkout (``.dirty`` with uncommitted changes)."""
    root = root or project_root()

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
            )
        except OSError:  # no git on this machine
            done = subprocess.CompletedProcess(args, 1)
        if done.returncode:
            raise UpgradeError("not a git checkout: name the version with --to <version>")
        return done.stdout.strip()

    label = f"{ouroboros.__version__}+g{git('rev-parse', '--short=12', 'HEAD')}"
    return f"{label}.dirty" if git("status", "--porcelain", "--untracked-files=no") else label


def _wait_updated(name: str, deployment: Deployment) -> None:
    client("lambda", region=deployment.region).get_waiter("function_updated_v2").wait(
        FunctionName=name
    )


def _function_release(
    spec: FunctionSpec, deployment: Deployment, digest: str, version: str
) -> FunctionRelease:
    """Publish ``spec``'s function and describe it; `UpgradeError` unless it runs ``digest``."""
    name = spec.lambda_name(deployment.stage)
    _wait_updated(name, deployment)
    published = client("lambda", region=deployment.region).publish_version(FunctionName=name)
    if published["CodeSha256"] != lambda_sha256(digest):
        raise UpgradeError(
            f"{name} runs code {published['CodeSha256']}, not the {spec.package} package kept "
            f"for {version} ({lambda_sha256(digest)}): deploy again"
        )
    return FunctionRelease(
        key=spec.key,
        name=name,
        package=spec.package,
        code_sha256=published["CodeSha256"],
        lambda_version=published["Version"],
        configuration=function_configuration(published),
    )


def _state_machine_definition(deployment: Deployment) -> str | None:
    if deployment.side != "consumer":
        return None
    sfn = client("stepfunctions", region=deployment.region)
    try:
        described = sfn.describe_state_machine(stateMachineArn=deployment.state_machine_arn)
    except sfn.exceptions.StateMachineDoesNotExist:
        return None
    definition: str = described["definition"]
    return definition


def _reports_merge(
    first: list[ResourceReport], again: list[ResourceReport]
) -> list[ResourceReport]:
    """``first``, with what was ``pending`` there replaced by its report in ``again``."""
    later = {(r.kind, r.name): r for r in again}
    merged = [later.get((r.kind, r.name), r) if r.action == "pending" else r for r in first]
    seen = {(r.kind, r.name) for r in first}
    return merged + [r for r in again if (r.kind, r.name) not in seen]


def _deploy_functions(
    specs: tuple[FunctionSpec, ...],
    zips: dict[str, Path],
    deployment: Deployment,
    toolchain: Toolchain,
    version: str,
) -> list[ResourceReport]:
    reports = []
    for spec in specs:
        exists = function_deployed(deployment.function_arn(spec), deployment)
        toolchain.deploy(spec, zips[spec.package], exists=exists)
        name = spec.lambda_name(deployment.stage)
        reports.append(
            ResourceReport("lambda function", name, "updated" if exists else "created", [version])
        )
    return reports


def _packages_keep(
    specs: tuple[FunctionSpec, ...], toolchain: Toolchain, store: ReleaseStore, version: str
) -> tuple[dict[str, Path], dict[str, str]]:
    """Build each package of ``specs`` once and keep it; the zips and their SHA-256 (hex)."""
    zips: dict[str, Path] = {}
    digests: dict[str, str] = {}
    for package in dict.fromkeys(spec.package for spec in specs):
        zips[package] = toolchain.package(package)
        digests[package] = store.package_keep(version, package, zips[package])
    return zips, digests


def upgrade_run(
    side: Role,
    *,
    version: str,
    toolchain: Toolchain,
    region: str | None = None,
    include_planned: bool = False,
    settings_path: Path | None = None,
    sleep: Sleep = time.sleep,
) -> list[ResourceReport]:
    """Deploy this checkout's code as ``version`` of ``side`` and keep it (module docstring)."""
    version_check(version)
    settings = settings_path or project_root() / "zappa_settings.json"
    deployment = deployment_current(side, region=region or get_config().region)
    specs = functions_for(side, include_planned=include_planned)
    store = ReleaseStore(release_bucket(settings, specs), deployment)
    current = store.deployed_read()
    if current is not None and current.version == version:
        raise UpgradeError(
            f"{version} is already the deployed {side} version: name the new code with another "
            "--to (or roll back with --rollback)"
        )

    def bootstrap() -> list[ResourceReport]:
        return bootstrap_run(
            side,
            region=deployment.region,
            include_planned=include_planned,
            settings_path=settings,
            sleep=sleep,
        )

    reports = [*bootstrap(), store.bucket_ensure()]
    zips, digests = _packages_keep(specs, toolchain, store, version)
    deployed = _deploy_functions(specs, zips, deployment, toolchain, version)
    if any(r.action == "created" for r in deployed):  # their triggers were pending
        reports = _reports_merge(reports, bootstrap())
    reports += deployed
    if any(spec.package == "console" for spec in specs):
        toolchain.migrate()
        reports.append(ResourceReport("django migrations", "console", "updated", ["migrate"]))
    release = Release(
        version=version,
        side=side,
        stage=deployment.stage,
        deployed_at=release_now(),
        previous=current.version if current else None,
        previous_manifest_sha256=current.manifest_sha256 if current else None,
        packages=digests,
        functions=tuple(
            _function_release(spec, deployment, digests[spec.package], version) for spec in specs
        ),
        state_machine_definition=_state_machine_definition(deployment),
    )
    manifest = store.manifest_write(release)
    record = DeployedVersion(version, manifest, release.previous, release.previous_manifest_sha256)
    reports.append(store.deployed_write(record))
    return reports


def _function_restore(
    function: FunctionRelease, release: Release, store: ReleaseStore
) -> ResourceReport:
    """Put ``function``'s code and configuration of ``release`` back; publish it."""
    deployment = store.deployment
    lam = client("lambda", region=deployment.region)
    try:
        live = lam.get_function_configuration(FunctionName=function.name)
    except lam.exceptions.ResourceNotFoundException:
        return ResourceReport(
            "lambda function", function.name, "absent", ["deleted: zappa deploy recreates it"]
        )
    changed = []
    if live["CodeSha256"] != function.code_sha256:
        lam.update_function_code(
            FunctionName=function.name,
            S3Bucket=store.bucket,
            S3Key=store.package_key(release.version, function.package),
        )
        _wait_updated(function.name, deployment)
        changed.append("code")
    if function_configuration(live) != function.configuration:
        lam.update_function_configuration(FunctionName=function.name, **function.configuration)
        _wait_updated(function.name, deployment)
        changed.append("configuration")
    published = lam.publish_version(FunctionName=function.name)
    if published["CodeSha256"] != function.code_sha256:
        raise UpgradeError(
            f"{function.name} runs {published['CodeSha256']} after the rollback, not "
            f"{function.code_sha256} of {release.version}"
        )
    details = [f"{' and '.join(changed)} of {release.version}"] if changed else []
    details.append(f"Lambda version {published['Version']}")
    return ResourceReport(
        "lambda function", function.name, "updated" if changed else "unchanged", details
    )


def _state_machine_restore(release: Release, deployment: Deployment) -> list[ResourceReport]:
    definition = release.state_machine_definition
    if definition is None or _state_machine_definition(deployment) in (None, definition):
        return []
    client("stepfunctions", region=deployment.region).update_state_machine(
        stateMachineArn=deployment.state_machine_arn, definition=definition
    )
    return [
        ResourceReport(
            "state machine",
            deployment.state_machine_name,
            "updated",
            [f"definition of {release.version}"],
        )
    ]


def rollback_run(
    side: Role,
    *,
    region: str | None = None,
    include_planned: bool = False,
    settings_path: Path | None = None,
) -> list[ResourceReport]:
    """Put the previous version of ``side`` back (module docstring); one report per resource."""
    settings_path = settings_path or project_root() / "zappa_settings.json"
    deployment = deployment_current(side, region=region or get_config().region)
    specs = functions_for(side, include_planned=include_planned)
    store = ReleaseStore(release_bucket(settings_path, specs), deployment)
    current = store.deployed_read()
    if current is None:
        raise UpgradeError(
            f"no deployed {side} version recorded ({store.parameter_name}): nothing to roll "
            "back to (deploy with python manage.py upgrade)"
        )
    if current.previous is None:
        raise UpgradeError(
            f"{current.version} is the first {side} version recorded: there is no previous "
            "version to roll back to"
        )
    previous = store.manifest_read(current.previous, current.previous_manifest_sha256)
    for package, digest in previous.packages.items():  # every link checked before any change
        store.package_verify(previous.version, package, digest)
    reports = [_function_restore(function, previous, store) for function in previous.functions]
    restored = {function.key for function in previous.functions}
    for spec in specs:
        if spec.key not in restored and function_deployed(
            deployment.function_arn(spec), deployment
        ):
            reports.append(
                ResourceReport(
                    "lambda function",
                    spec.lambda_name(deployment.stage),
                    "kept",
                    [f"not in {previous.version}: zappa undeploy {spec.key} removes it"],
                )
            )
    reports += _state_machine_restore(previous, deployment)
    record = DeployedVersion(
        previous.version,
        current.previous_manifest_sha256 or "",
        previous.previous,
        previous.previous_manifest_sha256,
    )
    reports.append(store.deployed_write(record))
    return reports


def deployed_version(
    side: Role, *, region: str | None = None, settings_path: Path | None = None
) -> dict[str, Any]:
    """The deployed-version record of ``side`` (``{}`` when none), for ``upgrade --status``."""
    settings_path = settings_path or project_root() / "zappa_settings.json"
    deployment = deployment_current(side, region=region or get_config().region)
    store = ReleaseStore(release_bucket(settings_path, functions_for(side)), deployment)
    record = store.deployed_read()
    return {} if record is None else {"parameter": store.parameter_name, **asdict(record)}
