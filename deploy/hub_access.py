"""How consumers in other accounts read the Hub: its reader role, its bucket policy, its outputs.

``bootstrap --role hub`` runs `hub_access_ensure` after the tables and the artifact bucket:

- Reader role ``ouroboros-<stage>-hub-read`` (only when ``OUROBOROS_HUB_CONSUMER_ACCOUNTS``
  names consumer accounts: consumers in the Hub's own account read it with their own roles).
  Trust: those accounts, only for their Ouroboros roles (``aws:PrincipalArn`` under
  ``role/ouroboros-``), only with the Hub's ExternalId (``OUROBOROS_HUB_EXTERNAL_ID``, default
  ``OUROBOROS_EXTERNAL_ID``; required). Permissions: read the Hub's tables and their indexes
  (GetItem, BatchGetItem, Query, DescribeTable: no Scan, no write) and GetObject on the artifacts.
- Bucket policy on the artifact bucket (with the reader role): the reader may GetObject. It is
  rewritten when it drifts. (No TLS-only Deny statement: moto, which the rehearsals and the
  local runtime run on, applies a conditional Deny unconditionally and would refuse every
  object; the bucket is private and S3 clients use TLS anyway.)
- `hub_outputs`: the settings a consumer in another account needs (printed by the bootstrap
  command; ``deploy.toml``'s ``[hub]`` table takes them).
"""

from __future__ import annotations

import json
from typing import Any

from deploy.iam import READ, role_ensure
from deploy.naming import HUB_READER_ROLE_SUFFIX, Deployment
from deploy.report import ResourceReport
from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.errors import OuroborosError
from ouroboros.models import HUB_MODELS

#: The reader role's name after ``ouroboros-<stage>-`` (`Deployment.hub_reader_role`).
READER_ROLE_SUFFIX = HUB_READER_ROLE_SUFFIX

__all__ = [
    "READER_ROLE_SUFFIX",
    "HubAccessError",
    "hub_access_ensure",
    "hub_bucket_policy",
    "hub_outputs",
    "hub_reader_policy",
    "hub_reader_trust",
]


class HubAccessError(OuroborosError):
    """The Hub's reader role cannot be set up as configured (e.g. no ExternalId)."""


def hub_reader_trust(deployment: Deployment) -> dict[str, Any]:
    """Consumer accounts' Ouroboros roles may assume the reader role, with the ExternalId."""
    config = get_config()
    external_id = config.hub_external_id_value
    if not external_id:
        raise HubAccessError(
            "the Hub's reader role demands an ExternalId: set OUROBOROS_HUB_EXTERNAL_ID (or "
            "OUROBOROS_EXTERNAL_ID) here and in every consumer"
        )
    accounts = config.hub_consumer_accounts
    roots: str | list[str] = [f"arn:aws:iam::{account}:root" for account in accounts]
    patterns: str | list[str] = [f"arn:aws:iam::{account}:role/ouroboros-*" for account in accounts]
    if len(accounts) == 1:  # IAM stores a one-element list as its element: compare alike
        roots, patterns = roots[0], patterns[0]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": roots},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"sts:ExternalId": external_id},
                    "ArnLike": {"aws:PrincipalArn": patterns},
                },
            }
        ],
    }


def hub_reader_policy(deployment: Deployment) -> dict[str, Any]:
    """Read the Hub's tables (and indexes) and get its artifacts; nothing else."""
    tables = []
    for model in HUB_MODELS:
        arn = deployment.table_arn(model.short_name, "hub")
        tables += [arn, f"{arn}/index/*"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": READ, "Resource": tables},
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [f"arn:aws:s3:::{deployment.hub_bucket}/*"],
            },
        ],
    }


def hub_bucket_policy(deployment: Deployment) -> dict[str, Any]:
    """The reader role may get artifacts."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "HubReader",
                "Effect": "Allow",
                "Principal": {"AWS": deployment.role_arn(deployment.hub_reader_role)},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{deployment.hub_bucket}/*",
            }
        ],
    }


def _bucket_policy_ensure(deployment: Deployment, policy: dict[str, Any]) -> ResourceReport:
    s3 = client("s3", region=deployment.region)
    name = deployment.hub_bucket
    try:
        current = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchBucketPolicy":
            raise
        current = None
    if current == policy:
        return ResourceReport("s3 bucket policy", name, "unchanged")
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    if current is None:
        return ResourceReport("s3 bucket policy", name, "created")
    return ResourceReport("s3 bucket policy", name, "updated", ["statements"])


def hub_access_ensure(deployment: Deployment) -> list[ResourceReport]:
    """The reader role, then the bucket policy that names it (S3 refuses a policy naming a role
    that does not exist yet); nothing when no consumer account is configured."""
    if not get_config().hub_consumer_accounts:
        return []
    return [
        role_ensure(
            deployment.hub_reader_role,
            service="",
            trust=hub_reader_trust(deployment),
            policy=hub_reader_policy(deployment),
            deployment=deployment,
            description="Ouroboros Hub: consumers in other accounts read the catalog",
        ),
        _bucket_policy_ensure(deployment, hub_bucket_policy(deployment)),
    ]


def hub_outputs(deployment: Deployment) -> dict[str, str]:
    """The settings a consumer in another account needs to read this Hub (its environment
    variables; the role only when consumer accounts are configured)."""
    config = get_config()
    outputs = {
        "OUROBOROS_HUB_ROLE_ARN": deployment.role_arn(deployment.hub_reader_role),
        "OUROBOROS_HUB_BUCKET": deployment.hub_bucket,
        "OUROBOROS_HUB_TABLE_PREFIX": config.hub_table_prefix,
        "OUROBOROS_HUB_STAGE": config.hub_stage or config.stage,
        "OUROBOROS_HUB_REGION": deployment.region,
    }
    if not config.hub_consumer_accounts:
        del outputs["OUROBOROS_HUB_ROLE_ARN"]
    return outputs
