"""The resources around the functions: notification topic and its subscriber, the console's
secret key parameter, and the Hub's artifact bucket.

- Topic ``ouroboros-<stage>-notifications``: Send Notification publishes there; the subscriber
  function is subscribed and may be invoked by this topic only.
- Parameter ``/ouroboros/<stage>/django-secret-key`` (SecureString): created once with a random
  value and never overwritten or printed (rotating it is deleting it and running bootstrap).
- Hub bucket ``ouroboros-<stage>-hub-artifacts-<account>``: private (all public access blocked),
  versioned, encrypted at rest (SSE-S3).
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


def hub_bucket_ensure(deployment: Deployment) -> ResourceReport:
    """The Hub's artifact bucket: private, versioned, encrypted."""
    s3 = client("s3", region=deployment.region)
    name = deployment.hub_bucket
    created = False
    try:
        s3.head_bucket(Bucket=name)
    except s3.exceptions.ClientError:
        kwargs: dict[str, Any] = {"Bucket": name}
        if deployment.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": deployment.region}
        s3.create_bucket(**kwargs)
        created = True
    drift = []
    block = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    try:
        current = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    except s3.exceptions.ClientError:
        current = {}
    if current != block:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
        drift.append("public access block")
    if s3.get_bucket_versioning(Bucket=name).get("Status") != "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        drift.append("versioning")
    try:
        rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    except s3.exceptions.ClientError:
        rules = []
    if not rules:
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        drift.append("encryption")
    if created:
        return ResourceReport("s3 bucket", name, "created")
    return ResourceReport("s3 bucket", name, "updated" if drift else "unchanged", drift)
