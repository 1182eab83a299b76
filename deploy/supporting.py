"""The resources around the functions: notification topic and its subscriber, the console's
secret key parameter, and the Hub's artifact bucket.

- Topic ``ouroboros-<stage>-notifications``: Send Notification publishes there; the subscriber
  function is subscribed and may be invoked by this topic only.
- Parameter ``/ouroboros/<stage>/django-secret-key`` (SecureString): created once with a random
  value and never overwritten or printed (rotating it is deleting it and running bootstrap).
- Hub bucket ``ouroboros-<stage>-hub-artifacts-<account>``: private (all public access blocked),
  versioned, encrypted at rest (SSE-S3).
- Export bucket ``ouroboros-<stage>-exports-<account>`` (consumer, with the console): the
  findings exports (`console.jobs.exports`, under ``exports/``). Private and encrypted like the
  Hub's, not versioned (an export is a disposable copy), with a lifecycle rule deleting exports
  `EXPORT_DAYS` days after they were written (and incomplete multipart uploads after a day). No
  TLS-only bucket policy, as for the Hub's bucket (`deploy.hub_access`): moto, which the
  rehearsals and the local runtime run on, applies a conditional Deny unconditionally; the
  bucket is private and S3 clients use TLS anyway. The console may only put and get
  objects under ``exports/`` (grant ``exports_write``, `deploy.iam`); the ``deploy.toml`` key
  ``export_bucket`` delivers the name to it.
"""

from __future__ import annotations

import secrets
from typing import Any

from deploy.functions import FunctionSpec
from deploy.naming import Deployment, function_deployed
from deploy.report import ResourceReport
from deploy.workflow import permission_ensure
from ouroboros.aws import client
from reactor_sdk.quiet import secret_call

SECRET_KEY_PARAMETER = "django-secret-key"  # noqa: S105 - a parameter name, not a secret
#: Exports are deleted this many days after they were written (a download link lives 5 minutes).
EXPORT_DAYS = 7
EXPORT_PREFIX = "exports/"
PUBLIC_ACCESS_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
SSE_S3 = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}


def topic_ensure(deployment: Deployment) -> ResourceReport:
    """The notification topic (CreateTopic is idempotent; we look first to report honestly)."""
    sns = client("sns", region=deployment.region)
    try:
        sns.get_topic_attributes(TopicArn=deployment.topic_arn)
    except sns.exceptions.NotFoundException:
        sns.create_topic(
            Name=deployment.topic_name,
            Tags=[
                {"Key": "project", "Value": "ouroboros"},
                {"Key": "stage", "Value": deployment.stage},
            ],
        )
        return ResourceReport("sns topic", deployment.topic_name, "created")
    return ResourceReport("sns topic", deployment.topic_name, "unchanged")


def _subscriptions(deployment: Deployment) -> list[dict[str, Any]]:
    sns = client("sns", region=deployment.region)
    pages = sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=deployment.topic_arn)
    return [s for page in pages for s in page["Subscriptions"]]


def subscription_ensure(spec: FunctionSpec, deployment: Deployment) -> ResourceReport:
    """Subscribe ``spec`` to the topic and let only the topic invoke it."""
    function = deployment.function_arn(spec)
    name = f"{deployment.topic_name} -> {spec.lambda_name(deployment.stage)}"
    if not function_deployed(function, deployment):
        return ResourceReport("sns subscription", name, "pending", ["function not deployed yet"])
    details = []
    if permission_ensure(spec, deployment, "sns.amazonaws.com", deployment.topic_arn, "sns-topic"):
        details.append("invoke permission")
    found = [
        s
        for s in _subscriptions(deployment)
        if s["Protocol"] == "lambda" and s["Endpoint"] == function
    ]
    if found:
        return ResourceReport(
            "sns subscription", name, "updated" if details else "unchanged", details
        )
    client("sns", region=deployment.region).subscribe(
        TopicArn=deployment.topic_arn, Protocol="lambda", Endpoint=function
    )
    return ResourceReport("sns subscription", name, "created")


def subscription_problems(spec: FunctionSpec, deployment: Deployment) -> list[str]:
    function = deployment.function_arn(spec)
    if any(s["Endpoint"] == function for s in _subscriptions(deployment)):
        return []
    return [f"{spec.key}: not subscribed to {deployment.topic_name}"]


def secret_key_ensure(deployment: Deployment) -> ResourceReport:
    """The console's Django secret key in SSM (created once, random, never shown)."""
    ssm = client("ssm", region=deployment.region)
    name = f"{deployment.parameter_path}{SECRET_KEY_PARAMETER}"
    try:
        ssm.get_parameter(Name=name)
    except ssm.exceptions.ParameterNotFound:
        with secret_call():  # botocore would log the value it sends at DEBUG
            ssm.put_parameter(
                Name=name,
                Value=secrets.token_urlsafe(50),
                Type="SecureString",
                Description="Ouroboros console: Django SECRET_KEY",
            )
        return ResourceReport("ssm parameter", name, "created")
    return ResourceReport("ssm parameter", name, "unchanged")


def _bucket_create(name: str, deployment: Deployment) -> bool:
    """Create the bucket ``name`` unless it exists; whether it was created."""
    s3 = client("s3", region=deployment.region)
    try:
        s3.head_bucket(Bucket=name)
    except s3.exceptions.ClientError:
        kwargs: dict[str, Any] = {"Bucket": name}
        if deployment.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": deployment.region}
        s3.create_bucket(**kwargs)
        return True
    return False


def _public_access_block(name: str, deployment: Deployment) -> dict[str, Any]:
    s3 = client("s3", region=deployment.region)
    try:
        block: dict[str, Any] = s3.get_public_access_block(Bucket=name)[
            "PublicAccessBlockConfiguration"
        ]
    except s3.exceptions.ClientError:
        return {}
    return block


def _encryption_rules(name: str, deployment: Deployment) -> list[dict[str, Any]]:
    s3 = client("s3", region=deployment.region)
    try:
        rules: list[dict[str, Any]] = s3.get_bucket_encryption(Bucket=name)[
            "ServerSideEncryptionConfiguration"
        ]["Rules"]
    except s3.exceptions.ClientError:
        return []
    return rules


def _private_and_encrypted(name: str, deployment: Deployment) -> list[str]:
    """Block all public access and encrypt at rest (SSE-S3); what had to change."""
    s3 = client("s3", region=deployment.region)
    drift = []
    if _public_access_block(name, deployment) != PUBLIC_ACCESS_BLOCKED:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCKED
        )
        drift.append("public access block")
    if not _encryption_rules(name, deployment):
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=SSE_S3)
        drift.append("encryption")
    return drift


def hub_bucket_ensure(deployment: Deployment) -> ResourceReport:
    """The Hub's artifact bucket: private, versioned, encrypted."""
    s3 = client("s3", region=deployment.region)
    name = deployment.hub_bucket
    created = _bucket_create(name, deployment)
    drift = _private_and_encrypted(name, deployment)
    if s3.get_bucket_versioning(Bucket=name).get("Status") != "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        drift.append("versioning")
    if created:
        return ResourceReport("s3 bucket", name, "created")
    return ResourceReport("s3 bucket", name, "updated" if drift else "unchanged", drift)


def export_lifecycle() -> dict[str, Any]:
    """The export bucket's lifecycle: exports expire after `EXPORT_DAYS` days."""
    return {
        "Rules": [
            {
                "ID": "exports-expire",
                "Filter": {"Prefix": EXPORT_PREFIX},
                "Status": "Enabled",
                "Expiration": {"Days": EXPORT_DAYS},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            }
        ]
    }


def _lifecycle_rules(name: str, deployment: Deployment) -> list[dict[str, Any]]:
    s3 = client("s3", region=deployment.region)
    try:
        rules: list[dict[str, Any]] = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    except s3.exceptions.ClientError:
        return []
    return rules


def _lifecycle_current(name: str, deployment: Deployment) -> bool:
    wanted = export_lifecycle()["Rules"][0]
    return any(
        rule.get("ID") == wanted["ID"]
        and rule.get("Status") == "Enabled"
        and rule.get("Expiration") == wanted["Expiration"]
        for rule in _lifecycle_rules(name, deployment)
    )


def export_bucket_ensure(deployment: Deployment) -> ResourceReport:
    """The console's bucket of findings exports (module docstring); its name is reported, for
    ``deploy.toml``'s ``export_bucket``."""
    s3 = client("s3", region=deployment.region)
    name = deployment.export_bucket
    created = _bucket_create(name, deployment)
    drift = _private_and_encrypted(name, deployment)
    if not _lifecycle_current(name, deployment):
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration=export_lifecycle()
        )
        drift.append("lifecycle")
    note = [f'deploy.toml: export_bucket = "{name}"']
    if created:
        return ResourceReport("s3 bucket", name, "created", note)
    return ResourceReport("s3 bucket", name, "updated" if drift else "unchanged", drift)


def export_bucket_problems(deployment: Deployment) -> list[str]:
    """What is missing or not as designed in the export bucket (empty: all good)."""
    s3 = client("s3", region=deployment.region)
    name = deployment.export_bucket
    try:
        s3.head_bucket(Bucket=name)
    except s3.exceptions.ClientError:
        return [f"export bucket {name} missing"]
    problems = []
    if _public_access_block(name, deployment) != PUBLIC_ACCESS_BLOCKED:
        problems.append(f"export bucket {name}: public access not blocked")
    if not _encryption_rules(name, deployment):
        problems.append(f"export bucket {name}: not encrypted at rest")
    if not _lifecycle_current(name, deployment):
        problems.append(f"export bucket {name}: exports do not expire after {EXPORT_DAYS} days")
    return problems


def export_bucket_delete(deployment: Deployment) -> ResourceReport:
    """Empty and delete the export bucket (exports are disposable copies of the findings)."""
    s3 = client("s3", region=deployment.region)
    name = deployment.export_bucket
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            doomed = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if doomed:
                s3.delete_objects(Bucket=name, Delete={"Objects": doomed})
        s3.delete_bucket(Bucket=name)
    except s3.exceptions.NoSuchBucket:
        return ResourceReport("s3 bucket", name, "absent")
    return ResourceReport("s3 bucket", name, "deleted")
