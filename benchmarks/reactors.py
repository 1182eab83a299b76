"""Measure the reactor pipeline and print JSON: build, verify, install, invoke, bulk assignment.

Run: ``.venv/bin/python benchmarks/reactors.py`` (starts its own local runtime in a temporary
folder: DynamoDB Local + moto; about a minute or two on 2 cores).

- build: seconds and bytes per official reactor artifact, and whether a second build is
  byte-identical;
- runtime: publish -> verified (stream + isolated import), install -> installed (stream +
  sha256 check + IAM role + Lambda function), uninstall -> function gone, all measured from the
  write to the observed state; invoking the installed S3.2 reactor in-process (first call loads
  the artifact, then warm calls) against a member account;
- bulk assignment of one reactor to 50 controls (DynamoDB Local, transactions).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from emulator.runtime import LocalRuntime  # noqa: E402
from ouroboros.aws import assume_role_session, client  # noqa: E402
from ouroboros.config import get_config, reset_config  # noqa: E402
from ouroboros.controls.configuration import control_assign_reactor_many  # noqa: E402
from ouroboros.controls.services import control_catalog_upsert  # noqa: E402
from ouroboros.models import HubReactorModel, LocalReactorModel  # noqa: E402
from ouroboros.reactors.hub import hub_artifact_key, hub_reactor_register  # noqa: E402
from ouroboros.reactors.official import official_reactors  # noqa: E402
from ouroboros.reactors.packaging import Artifact, reactor_build  # noqa: E402
from ouroboros.reactors.services import reactor_install, reactor_uninstall  # noqa: E402
from ouroboros.securityhub.catalog import (  # noqa: E402
    FSBP_STANDARD_ARN,
    FSBP_STANDARD_ID,
    FSBP_STANDARD_NAME,
    catalog_controls,
)

CATALOG = ROOT / "lambdas" / "reactors"
MEMBER = "222222222222"


def wait(probe: Callable[[], bool], timeout: float = 120) -> float:
    start = time.perf_counter()
    while not probe():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("gave up")
        time.sleep(0.02)
    return time.perf_counter() - start


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median_s": round(statistics.median(values), 3),
        "max_s": round(max(values), 3),
    }


def measure_builds(out: Path) -> tuple[dict[str, Any], dict[str, Artifact]]:
    results: dict[str, Any] = {}
    artifacts: dict[str, Artifact] = {}
    for source in sorted(p for p in CATALOG.iterdir() if (p / "reactor.py").is_file()):
        start = time.perf_counter()
        artifact = reactor_build(source=source, out_dir=out / "a")
        seconds = time.perf_counter() - start
        again = reactor_build(source=source, out_dir=out / "b")
        results[artifact.manifest["id"]] = {
            "build_s": round(seconds, 3),
            "bytes": artifact.size,
            "identical_rebuild": again.path.read_bytes() == artifact.path.read_bytes(),
        }
        artifacts[source.name] = artifact
    return results, artifacts


def publish(artifact: Artifact) -> None:
    key = hub_artifact_key(manifest=artifact.manifest, sha256=artifact.sha256)
    client("s3").put_object(
        Bucket=get_config().hub_bucket, Key=key, Body=artifact.path.read_bytes()
    )
    hub_reactor_register(
        manifest=artifact.manifest,
        sha256=artifact.sha256,
        size=artifact.size,
        artifact_key=key,
        published_by="benchmark",
    )


def _approval(reactor_id: str) -> list[str]:
    """What an admin approves for official ``reactor_id`` (its dangerous actions)."""
    versions = official_reactors()[reactor_id]
    return list(versions[max(versions)]["dangerous_actions"])


def status(reactor_id: str) -> str | None:
    try:
        return str(LocalReactorModel.get(reactor_id).status)
    except LocalReactorModel.DoesNotExist:
        return None


def function_gone(name: str) -> bool:
    lam = client("lambda")
    try:
        lam.get_function(FunctionName=name)
    except lam.exceptions.ResourceNotFoundException:
        return True
    return False


def measure_runtime(artifacts: dict[str, Artifact]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    verify = []
    for artifact in artifacts.values():
        start = time.perf_counter()
        publish(artifact)
        manifest = artifact.manifest
        wait(lambda m=manifest: HubReactorModel.get(m["id"], m["version"]).status != "pending")
        verify.append(time.perf_counter() - start)
    results["publish_to_verified"] = summary(verify)
    reactor_id, name = "s3-public-read", "ouroboros-dev-rx-s3-public-read"
    installs, uninstalls = [], []
    for _ in range(5):
        start = time.perf_counter()
        reactor_install(
            reactor_id=reactor_id, approved_actions=_approval(reactor_id), actor="benchmark"
        )
        wait(lambda: status(reactor_id) == "installed")
        installs.append(time.perf_counter() - start)
        start = time.perf_counter()
        reactor_uninstall(reactor_id=reactor_id, actor="benchmark")
        wait(lambda: function_gone(name))
        uninstalls.append(time.perf_counter() - start)
    results["install_to_installed"] = summary(installs)
    results["uninstall_to_function_gone"] = summary(uninstalls)
    reactor_install(
        reactor_id=reactor_id, approved_actions=_approval(reactor_id), actor="benchmark"
    )
    wait(lambda: status(reactor_id) == "installed")
    results["invoke_s3_2_in_member_account"] = measure_invoke(name)
    return results


def measure_invoke(name: str) -> dict[str, Any]:
    setup = assume_role_session(
        f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole", external_id=""
    )
    s3 = client("s3", session=setup)
    finding = json.loads((ROOT / "tests/events/asff_findings/asr_afsbp_s3.2.json").read_text())
    finding = json.loads(json.dumps(finding).replace("111111111111", MEMBER))
    times = []
    for index in range(6):
        bucket = f"bench-public-{index}"
        s3.create_bucket(Bucket=bucket)
        statement = {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [statement]}))
        finding["Resources"][0]["Id"] = f"arn:aws:s3:::{bucket}"
        start = time.perf_counter()
        response = client("lambda").invoke(
            FunctionName=name, Payload=json.dumps({"finding": finding}).encode()
        )
        result = json.loads(response["Payload"].read())
        times.append(time.perf_counter() - start)
        assert result["status"] == "changed", result
    return {"first_call_s": round(times[0], 3), "warm": summary(times[1:])}


def measure_bulk_assign() -> dict[str, Any]:
    control_catalog_upsert(
        controls=catalog_controls(),
        standard_id=FSBP_STANDARD_ID,
        standard_arn=FSBP_STANDARD_ARN,
        standard_name=FSBP_STANDARD_NAME,
    )
    ids = [c.control_id for c in catalog_controls()]
    times = []
    for round_number in range(3):
        chosen = ids[round_number * 50 : round_number * 50 + 50]
        start = time.perf_counter()
        control_assign_reactor_many(
            control_ids=chosen, reactor_id="s3-public-read", mode="manual", actor="benchmark"
        )
        times.append(time.perf_counter() - start)
    return {"controls": 50, **summary(times)}


def main() -> None:
    os.environ["OUROBOROS_HUB_TABLE_PREFIX"] = "hub"
    reset_config()
    with tempfile.TemporaryDirectory(prefix="ouroboros-bench-") as tmp:
        builds, artifacts = measure_builds(Path(tmp) / "build")
        start = time.perf_counter()
        with LocalRuntime(data_dir=Path(tmp) / "data", persistent=False) as runtime:
            startup = time.perf_counter() - start
            report = {
                "benchmark": "reactors",
                "cpus": os.cpu_count(),
                "dynamodb": runtime.dynamodb_backend,
                "runtime_start_s": round(startup, 2),
                "build": builds,
                **measure_runtime(artifacts),
                "bulk_assign": measure_bulk_assign(),
            }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
