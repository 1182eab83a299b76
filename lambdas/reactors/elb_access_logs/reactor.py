"""Reactor ``elb-access-logs`` (AFSBP ELB.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError

from reactor_sdk import (
    Change,
    Finding,
    FindingResource,
    Permission,
    Reactor,
    ReactorError,
    ReactorParamsError,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

ACTION = "elasticloadbalancing:ModifyLoadBalancerAttributes"
ALB, CLB = "AwsElbv2LoadBalancer", "AwsElbLoadBalancer"
#: The access-log attributes of an Application Load Balancer.
ALB_KEYS = ("access_logs.s3.enabled", "access_logs.s3.bucket", "access_logs.s3.prefix")


def _modify(call: Any, name: str, **kwargs: Any) -> None:
    try:
        call(**kwargs)
    except ClientError as exc:
        # AWS refuses a bucket in another region or whose policy does not let ELB write.
        raise ReactorError(f"cannot set the access logs of {name}: {exc}") from exc


def alb_access_logs(elbv2: Any, arn: str) -> dict[str, str]:
    """The access-log attributes of an ALB (missing ones as AWS's defaults)."""
    found = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    values = {a["Key"]: a.get("Value", "") for a in found}
    defaults = {"access_logs.s3.enabled": "false"}
    return {key: str(values.get(key, defaults.get(key, ""))) for key in ALB_KEYS}


def clb_access_log(elb: Any, name: str) -> dict[str, Any]:
    """The ``AccessLog`` attribute of a Classic Load Balancer."""
    found = elb.describe_load_balancer_attributes(LoadBalancerName=name)
    return dict(found["LoadBalancerAttributes"].get("AccessLog") or {"Enabled": False})


@reactor
class ElbAccessLogsReactor(Reactor):
    """Turn on access logging of an Application or Classic Load Balancer.

    Sends the load balancer's access logs to the S3 bucket named by the "bucket" parameter
    (under "prefix"; a Classic Load Balancer publishes every "emit_interval" minutes). There is
    no default bucket: the reactor refuses to run until the control's parameters name one. The
    bucket must be in the load balancer's region and its policy must let Elastic Load Balancing
    write (see "Enable access logs" in the ELB guide); AWS refuses otherwise and the reactor
    reports why. Traffic is not affected. Nothing changes when logging is already on. Rollback
    restores the previous logging settings.
    """

    id = "elb-access-logs"
    version = "1.0.0"
    control_ids = ("ELB.5",)
    permissions = (
        Permission(("elasticloadbalancing:DescribeLoadBalancerAttributes",)),
        Permission(
            ("elasticloadbalancing:ModifyLoadBalancerAttributes",),
            ("arn:aws:elasticloadbalancing:*:*:loadbalancer/*",),
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "bucket": {
                "type": "string",
                "maxLength": 63,
                "pattern": "^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
                "default": "",
                "description": "S3 bucket that receives the access logs (required)",
            },
            "prefix": {
                "type": "string",
                "maxLength": 200,
                "default": "",
                "description": "key prefix of the logs in the bucket (empty: none)",
            },
            "emit_interval": {
                "type": "integer",
                "enum": [5, 60],
                "default": 60,
                "description": "minutes between log files (Classic Load Balancers only)",
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
        bucket = str(params.get("bucket") or "")
        if not bucket:
            raise ReactorParamsError(
                "elb-access-logs: set the 'bucket' parameter (the S3 bucket for access logs)"
            )
        resource = finding.resource(ALB, CLB)
        region = resource.region or finding.region
        if resource.type == ALB:
            return self._alb(finding, session, resource, region, params, dry_run)
        return self._clb(finding, session, resource, region, params, dry_run)

    def _alb(
        self,
        finding: Finding,
        session: boto3.Session,
        resource: FindingResource,
        region: str,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        elbv2 = client("elbv2", session=session, region=region)
        previous = alb_access_logs(elbv2, resource.id)
        if previous["access_logs.s3.enabled"].lower() == "true":
            return self.result(finding, dry_run=dry_run, changes=[], message="logging is on")
        wanted = dict(zip(ALB_KEYS, ("true", params["bucket"], params["prefix"]), strict=True))
        change = Change(ACTION, resource.id, "turn on access logs", previous, wanted)
        if not dry_run:
            _modify(
                elbv2.modify_load_balancer_attributes,
                resource.id,
                LoadBalancerArn=resource.id,
                Attributes=[{"Key": k, "Value": v} for k, v in wanted.items()],
            )
        rollback_data = {"type": ALB, "load_balancer": resource.id, "region": region}
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={**rollback_data, "previous": previous},
        )

    def _clb(
        self,
        finding: Finding,
        session: boto3.Session,
        resource: FindingResource,
        region: str,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        elb = client("elb", session=session, region=region)
        previous = clb_access_log(elb, resource.name)
        if previous.get("Enabled"):
            return self.result(finding, dry_run=dry_run, changes=[], message="logging is on")
        wanted = {
            "Enabled": True,
            "S3BucketName": params["bucket"],
            "S3BucketPrefix": params["prefix"],
            "EmitInterval": params["emit_interval"],
        }
        change = Change(ACTION, resource.id, "turn on access logs", previous, wanted)
        if not dry_run:
            _modify(
                elb.modify_load_balancer_attributes,
                resource.name,
                LoadBalancerName=resource.name,
                LoadBalancerAttributes={"AccessLog": wanted},
            )
        rollback_data = {"type": CLB, "load_balancer": resource.name, "region": region}
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={**rollback_data, "previous": previous},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        kind, name = rollback_data.get("type"), rollback_data.get("load_balancer")
        previous = rollback_data.get("previous")
        if kind not in (ALB, CLB) or not name or not isinstance(previous, Mapping):
            raise ReactorRollbackError(
                f"{self.id}: rollback_data needs type, load_balancer and previous"
            )
        region = rollback_data.get("region") or finding.region
        if kind == ALB:
            elbv2 = client("elbv2", session=session, region=region)
            _modify(
                elbv2.modify_load_balancer_attributes,
                name,
                LoadBalancerArn=name,
                Attributes=[{"Key": k, "Value": str(v)} for k, v in previous.items()],
            )
        else:
            elb = client("elb", session=session, region=region)
            _modify(
                elb.modify_load_balancer_attributes,
                name,
                LoadBalancerName=name,
                LoadBalancerAttributes={"AccessLog": dict(previous)},
            )
        change = Change(ACTION, name, "restore the access-log settings", None, dict(previous))
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(ElbAccessLogsReactor)
