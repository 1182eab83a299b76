"""The console's export bucket (issue 21's exports on AWS): bootstrap creates it private,
encrypted and expiring; the check finds drift, bootstrap repairs it; teardown empties and
deletes it; the console's role may put and get exports there and nothing else; the Zappa settings
deliver its name, and bootstrap refuses a name that is not the one it creates."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.bootstrap import BootstrapError, settings_agree
from deploy.config_file import DeployConfig
from deploy.functions import function_get
from deploy.iam import function_policy
from deploy.naming import deployment_current
from deploy.supporting import (
    EXPORT_DAYS,
    export_bucket_delete,
    export_bucket_ensure,
    export_bucket_problems,
)
from deploy.zappa_settings import zappa_settings_build, zappa_settings_write
from emulator.iam_evaluator import Request, evaluate
from ouroboros.aws import client

pytestmark = pytest.mark.functional


def test_bootstrap_creates_a_private_expiring_bucket_and_repairs_drift(
    moto_aws: None,
) -> None:
    deployment = deployment_current("consumer")
    name = deployment.export_bucket
    s3 = client("s3")
    assert export_bucket_problems(deployment) == [f"export bucket {name} missing"]

    created = export_bucket_ensure(deployment)
    again = export_bucket_ensure(deployment)

    assert name == "ouroboros-dev-exports-123456789012"
    assert (created.action, again.action) == ("created", "unchanged")
    assert name in created.details[0], "bootstrap prints the name for deploy.toml"
    assert export_bucket_problems(deployment) == []
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    [rule] = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    assert rule["Expiration"] == {"Days": EXPORT_DAYS} and rule["Filter"] == {"Prefix": "exports/"}

    s3.delete_bucket_lifecycle(Bucket=name)
    s3.delete_public_access_block(Bucket=name)
    assert export_bucket_problems(deployment) == [
        f"export bucket {name}: public access not blocked",
        f"export bucket {name}: exports do not expire after {EXPORT_DAYS} days",
    ]
    repaired = export_bucket_ensure(deployment)
    assert (repaired.action, repaired.details) == ("updated", ["public access block", "lifecycle"])
    assert export_bucket_problems(deployment) == []


def test_teardown_empties_and_deletes_the_bucket(moto_aws: None) -> None:
    deployment = deployment_current("consumer")
    export_bucket_ensure(deployment)
    client("s3").put_object(Bucket=deployment.export_bucket, Key="exports/a.csv", Body=b"x")

    assert export_bucket_delete(deployment).action == "deleted"
    assert export_bucket_delete(deployment).action == "absent"
    assert deployment.export_bucket not in [
        b["Name"] for b in client("s3").list_buckets()["Buckets"]
    ]


def test_the_console_may_put_and_get_exports_there_and_nothing_else(moto_aws: None) -> None:
    deployment = deployment_current("consumer")
    policy = function_policy(function_get("console"), deployment)
    bucket = f"arn:aws:s3:::{deployment.export_bucket}"

    def allowed(action: str, resource: str) -> bool:
        return evaluate(Request(action, resource, {}), [policy]).allowed

    assert allowed("s3:PutObject", f"{bucket}/exports/findings.csv")
    assert allowed("s3:GetObject", f"{bucket}/exports/findings.csv")
    assert not allowed("s3:GetObject", f"{bucket}/other/findings.csv")
    assert not allowed("s3:DeleteObject", f"{bucket}/exports/findings.csv")
    assert not allowed("s3:ListBucket", bucket)
    assert not allowed("s3:PutObject", f"arn:aws:s3:::{deployment.hub_bucket}/exports/x.csv")


def test_zappa_settings_deliver_the_bucket_and_bootstrap_refuses_another(
    moto_aws: None, tmp_path: Path
) -> None:
    deployment = deployment_current("consumer")
    mine = DeployConfig(stage="dev", export_bucket=deployment.export_bucket)
    settings = zappa_settings_build(config=mine)
    env = settings["console"]["aws_environment_variables"]
    assert env["OUROBOROS_EXPORT_BUCKET"] == deployment.export_bucket
    assert (
        "OUROBOROS_EXPORT_BUCKET" not in settings["collect_findings"]["aws_environment_variables"]
    )
    settings_agree(zappa_settings_write(settings, tmp_path / "mine.json"), deployment)

    other = DeployConfig(stage="dev", export_bucket="ouroboros-dev-exports-111122223333")
    path = zappa_settings_write(zappa_settings_build(config=other), tmp_path / "other.json")
    with pytest.raises(
        BootstrapError, match='export_bucket = "ouroboros-dev-exports-123456789012"'
    ):
        settings_agree(path, deployment)
