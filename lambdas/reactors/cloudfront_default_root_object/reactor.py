"""Reactor ``cloudfront-default-root-object`` (AFSBP CloudFront.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorError,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

ACTION = "cloudfront:UpdateDistribution"
#: CloudFront is a global service; its API lives in us-east-1.
CLOUDFRONT_REGION = "us-east-1"


def _config(cloudfront: Any, distribution: str) -> tuple[dict[str, Any], str]:
    """The distribution's configuration and its ETag (the IfMatch of the next update)."""
    try:
        found = cloudfront.get_distribution_config(Id=distribution)
    except ClientError as exc:
        raise ReactorError(f"cannot read distribution {distribution}: {exc}") from exc
    return found["DistributionConfig"], found["ETag"]


def _update(cloudfront: Any, distribution: str, config: dict[str, Any], etag: str) -> None:
    try:
        cloudfront.update_distribution(Id=distribution, IfMatch=etag, DistributionConfig=config)
    except ClientError as exc:
        # PreconditionFailed: someone changed the distribution between our read and write.
        raise ReactorError(f"cannot update distribution {distribution}: {exc}") from exc


def root_origin_is_custom(config: Mapping[str, Any]) -> bool:
    """Whether the default cache behaviour (which serves "/") goes to a custom origin."""
    target = (config.get("DefaultCacheBehavior") or {}).get("TargetOriginId")
    origins = (config.get("Origins") or {}).get("Items") or []
    origin: Mapping[str, Any] = next((o for o in origins if o.get("Id") == target), {})
    return "CustomOriginConfig" in origin and "S3OriginConfig" not in origin


@reactor
class CloudFrontDefaultRootObjectReactor(Reactor):
    """Set a default root object on a CloudFront distribution.

    Sets the distribution's DefaultRootObject to the "root_object" parameter (index.html by
    default), so a request for "/" returns that object instead of the origin's listing or
    error. The update uses the configuration's ETag (IfMatch): if someone changes the
    distribution meanwhile, nothing is written and the reactor reports it. Safety: when the
    default cache behaviour goes to a custom origin (an application or website server that
    answers "/" itself), rewriting "/" could break the site, so the reactor refuses unless
    "allow_custom_origin" is true. Rollback restores the previous value (usually empty) unless
    someone changed it after the remediation.
    """

    id = "cloudfront-default-root-object"
    version = "1.0.0"
    control_ids = ("CloudFront.1",)
    permissions = (
        Permission(
            ("cloudfront:GetDistributionConfig", "cloudfront:UpdateDistribution"),
            ("arn:aws:cloudfront::*:distribution/*",),
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "root_object": {
                "type": "string",
                "minLength": 1,
                "maxLength": 255,
                "pattern": "^[^/].*$",
                "default": "index.html",
                "description": "object returned for '/' (no leading slash)",
            },
            "allow_custom_origin": {
                "type": "boolean",
                "default": False,
                "description": "also set it when '/' is served by a custom origin",
            },
        },
    }

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        resource = finding.resource("AwsCloudFrontDistribution")
        distribution = resource.name
        cloudfront = client("cloudfront", session=session, region=CLOUDFRONT_REGION)
        config, etag = _config(cloudfront, distribution)
        previous = config.get("DefaultRootObject") or ""
        if previous:
            return self.result(
                finding, dry_run=dry_run, changes=[], message=f"default root object {previous}"
            )
        if root_origin_is_custom(config) and not params["allow_custom_origin"]:
            raise ReactorError(
                f"distribution {distribution} serves '/' from a custom origin: a default root "
                "object would rewrite '/' and could break the site (set allow_custom_origin to "
                "true to do it anyway)"
            )
        root = params["root_object"]
        change = Change(
            ACTION,
            resource.id,
            f"set the default root object to {root}",
            {"DefaultRootObject": previous},
            {"DefaultRootObject": root},
        )
        if not dry_run:
            _update(cloudfront, distribution, {**config, "DefaultRootObject": root}, etag)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"distribution": distribution, "previous": previous, "set": root},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        distribution = rollback_data.get("distribution")
        previous, applied = rollback_data.get("previous"), rollback_data.get("set")
        if not distribution or not isinstance(previous, str) or not applied:
            raise ReactorRollbackError(
                f"{self.id}: rollback_data needs distribution, previous and set"
            )
        cloudfront = client("cloudfront", session=session, region=CLOUDFRONT_REGION)
        config, etag = _config(cloudfront, str(distribution))
        current = config.get("DefaultRootObject") or ""
        if current != applied:
            raise ReactorRollbackError(
                f"{self.id}: distribution {distribution} now has default root object "
                f"{current!r}, not {applied!r} as set: changed since, left as it is"
            )
        _update(cloudfront, str(distribution), {**config, "DefaultRootObject": previous}, etag)
        change = Change(
            ACTION,
            str(distribution),
            "restore the default root object",
            {"DefaultRootObject": current},
            {"DefaultRootObject": previous},
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(CloudFrontDefaultRootObjectReactor)
