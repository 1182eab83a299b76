"""A reactor artifact remediates on its own: ``python -I -S`` with only the zip and boto3.

This is how Lambda runs it: the Lambda python3.12 runtime provides boto3 and botocore, the rest
must be inside the zip. The subprocess sees no site-packages and no project folder, so an
artifact that needed anything of Ouroboros outside the SDK package would fail to import here.
AWS is moto's real HTTP server on 127.0.0.1; the reactor assumes the member role in the finding's
account, as deployed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from emulator.moto_server import MotoServer, moto_server_start
from ouroboros.reactors.isolation import lambda_runtime_dir
from tests.reactor_support import BUCKET, MEMBER, OWNER, PUBLIC, built_artifact, member_finding

pytestmark = pytest.mark.functional

_SCRIPT = r"""
import json, sys
zip_path, runtime_dir, event = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path[:] = [zip_path, runtime_dir] + [p for p in sys.path if "site-packages" not in p]
from s3_public_read.reactor import handler
import reactor_sdk
try:
    import ouroboros  # must not be importable: the artifact carries only the SDK
    seen = ouroboros.__file__
except ImportError:
    seen = None
print(json.dumps({"result": handler(event, None), "sdk": reactor_sdk.__file__, "core": seen}))
"""


@pytest.fixture
def moto_http() -> Iterator[MotoServer]:
    server = moto_server_start()
    yield server
    server.stop()


def _env(server: MotoServer) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "AWS_ENDPOINT_URL": server.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "OUROBOROS_EXTERNAL_ID": "isolated-external-id",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _member_s3(server: MotoServer) -> Any:
    sts = boto3.client(
        "sts",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole",
        RoleSessionName="test-setup",
    )["Credentials"]
    return boto3.client(
        "s3",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def _run_alone(zip_path: Path, server: MotoServer, event: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _SCRIPT,
            str(zip_path),
            str(lambda_runtime_dir()),
            json.dumps(event),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(server),
        cwd=zip_path.parent,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_a_reactor_remediates_from_its_zip_alone(moto_http: MotoServer) -> None:
    artifact = built_artifact("s3_public_read")
    s3 = _member_s3(moto_http)
    s3.create_bucket(Bucket=BUCKET)
    policy = {"Version": "2012-10-17", "Statement": [PUBLIC, OWNER]}
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    finding = member_finding(
        "asff_findings/asr_afsbp_s3.2.json", resource_id=f"arn:aws:s3:::{BUCKET}"
    )

    out = _run_alone(artifact.path, moto_http, {"finding": finding, "params": {}})

    assert out["sdk"].startswith(str(artifact.path))  # the SDK came from inside the zip
    assert out["core"] is None  # and nothing else of Ouroboros was reachable
    result = out["result"]
    assert (result["status"], result["account_id"]) == ("changed", MEMBER)
    statements = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == [OWNER["Sid"]]
