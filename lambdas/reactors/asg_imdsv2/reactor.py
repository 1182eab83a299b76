"""Reactor ``asg-imdsv2`` (AFSBP AutoScaling.3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorError,
    ReactorInputError,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

LC_TYPE = "AwsAutoScalingLaunchConfiguration"
ASG_TYPE = "AwsAutoScalingAutoScalingGroup"
#: What DescribeLaunchConfigurations returns that CreateLaunchConfiguration does not take.
LC_READ_ONLY = ("LaunchConfigurationName", "LaunchConfigurationARN", "CreatedTime")
SUFFIX = "-imdsv2"


def _name_after(arn: str, marker: str) -> str:
    _, sep, name = arn.partition(marker)
    if not sep or not name:
        raise ReactorInputError(f"{arn!r}: expected an ARN with {marker}<name>")
    return name


def _required(options: Mapping[str, Any] | None) -> bool:
    return (options or {}).get("HttpTokens") == "required"


def groups_using(autoscaling: Any, configuration: str) -> list[str]:
    """Names of the Auto Scaling groups that launch from launch configuration ``configuration``."""
    names: list[str] = []
    for page in autoscaling.get_paginator("describe_auto_scaling_groups").paginate():
        for group in page.get("AutoScalingGroups", []):
            if group.get("LaunchConfigurationName") == configuration:
                names.append(group["AutoScalingGroupName"])
    return sorted(names)


@reactor
class AsgImdsv2Reactor(Reactor):
    """Make Auto Scaling groups launch instances that require IMDSv2.

    Launch configurations and launch template versions cannot be edited, so the reactor
    creates a copy that requires IMDSv2 (metadata HttpTokens=required, every other setting
    kept) and points the Auto Scaling groups at it. Instances already running keep their
    settings until the group replaces them (use ec2-imdsv2 for those).

    - Finding on a launch configuration (the resource AutoScaling.3 names): the copy is named
      "<name>-imdsv2" and every group using the original switches to it. The original stays
      (rollback needs it; delete it yourself once satisfied): while no group uses it, the
      reactor reports nothing to change.
    - Finding on an Auto Scaling group that uses a launch template: a new template version
      from the group's current one, with tokens required; the group then uses that version.

    Needs admin approval at install: AWS lets a caller point a group at a launch template or
    create a launch configuration only if it may launch what they describe (ec2:RunInstances,
    and iam:PassRole for an instance profile), both on the reactor-trust list of dangerous
    actions. Recommended mode: dry run first, since software on new instances that still calls
    IMDSv1 stops getting metadata. Rollback points the groups back at what they used before
    (the copy or the new version stays, unused; a group that followed $Latest gets a further
    version equal to its previous one).
    """

    id = "asg-imdsv2"
    version = "1.0.0"
    recommended_mode = "dry_run"
    control_ids = ("AutoScaling.3",)
    permissions = (
        Permission(
            (
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeLaunchConfigurations",
                "ec2:DescribeLaunchTemplateVersions",
            )
        ),
        Permission(
            ("autoscaling:UpdateAutoScalingGroup",),
            ("arn:aws:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/*",),
        ),
        Permission(
            ("autoscaling:CreateLaunchConfiguration",),
            ("arn:aws:autoscaling:*:*:launchConfiguration:*:launchConfigurationName/*",),
        ),
        Permission(("ec2:CreateLaunchTemplateVersion",), ("arn:aws:ec2:*:*:launch-template/*",)),
        # AWS checks that the caller may launch what the template/configuration describes.
        Permission(("ec2:RunInstances",)),
        Permission(("iam:PassRole",), ("arn:aws:iam::*:role/*",)),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        resource = finding.resource(LC_TYPE, ASG_TYPE)
        region = resource.region or finding.region
        autoscaling = client("autoscaling", session=session, region=region)
        if resource.type == LC_TYPE:
            name = _name_after(resource.id, "launchConfigurationName/")
            return self._configuration(finding, session, autoscaling, name, region, dry_run)
        name = _name_after(resource.id, "autoScalingGroupName/")
        return self._template(finding, session, autoscaling, name, region, dry_run)

    # -- launch configurations --------------------------------------------------------------

    def _configuration(
        self,
        finding: Finding,
        session: boto3.Session,
        autoscaling: Any,
        name: str,
        region: str,
        dry_run: bool,
    ) -> RemediationResult:
        found = autoscaling.describe_launch_configurations(LaunchConfigurationNames=[name])
        if not found["LaunchConfigurations"]:
            raise ReactorError(f"launch configuration {name} not found in {region}")
        original = found["LaunchConfigurations"][0]
        if _required(original.get("MetadataOptions")):
            return self.result(finding, dry_run=dry_run, changes=[], message="IMDSv2 required")
        groups = groups_using(autoscaling, name)
        if not groups:
            return self.result(
                finding,
                dry_run=dry_run,
                changes=[],
                message=f"no Auto Scaling group uses {name}: delete it to pass the control",
            )
        copy_name = f"{name}{SUFFIX}"
        existing = autoscaling.describe_launch_configurations(LaunchConfigurationNames=[copy_name])
        reuse = bool(existing["LaunchConfigurations"])
        if reuse and not _required(existing["LaunchConfigurations"][0].get("MetadataOptions")):
            raise ReactorError(
                f"launch configuration {copy_name} exists and does not require IMDSv2: "
                "rename or delete it"
            )
        settings = {
            k: v for k, v in original.items() if k not in LC_READ_ONLY and v not in ("", None)
        }
        settings["MetadataOptions"] = {
            **original.get("MetadataOptions", {}),
            "HttpTokens": "required",
        }
        changes = []
        if not reuse:
            changes.append(
                Change(
                    "autoscaling:CreateLaunchConfiguration",
                    copy_name,
                    f"copy {name} with IMDSv2 required",
                    None,
                    {"MetadataOptions": settings["MetadataOptions"]},
                )
            )
        changes += [
            Change(
                "autoscaling:UpdateAutoScalingGroup",
                group,
                "launch from the copy that requires IMDSv2",
                {"LaunchConfigurationName": name},
                {"LaunchConfigurationName": copy_name},
            )
            for group in groups
        ]
        if not dry_run:
            if not reuse:
                autoscaling.create_launch_configuration(
                    LaunchConfigurationName=copy_name, **settings
                )
            for group in groups:
                autoscaling.update_auto_scaling_group(
                    AutoScalingGroupName=group, LaunchConfigurationName=copy_name
                )
        return self.result(
            finding,
            dry_run=dry_run,
            changes=changes,
            rollback_data={
                "region": region,
                "groups": {group: {"LaunchConfigurationName": name} for group in groups},
            },
        )

    # -- launch templates -------------------------------------------------------------------

    def _template(
        self,
        finding: Finding,
        session: boto3.Session,
        autoscaling: Any,
        name: str,
        region: str,
        dry_run: bool,
    ) -> RemediationResult:
        groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
        if not groups["AutoScalingGroups"]:
            raise ReactorError(f"Auto Scaling group {name} not found in {region}")
        group = groups["AutoScalingGroups"][0]
        spec = group.get("LaunchTemplate")
        if group.get("LaunchConfigurationName"):
            raise ReactorError(
                f"group {name} uses launch configuration {group['LaunchConfigurationName']}: "
                "the AutoScaling.3 finding on that configuration fixes it"
            )
        if not spec:
            raise ReactorError(
                f"group {name} has no launch template of its own (mixed instances policy): "
                "not supported, require IMDSv2 in its templates"
            )
        template_id, version_spec = spec["LaunchTemplateId"], spec.get("Version") or "$Default"
        ec2 = client("ec2", session=session, region=region)
        version = ec2.describe_launch_template_versions(
            LaunchTemplateId=template_id, Versions=[version_spec]
        )["LaunchTemplateVersions"][0]
        options = version.get("LaunchTemplateData", {}).get("MetadataOptions") or {}
        if _required(options):
            return self.result(finding, dry_run=dry_run, changes=[], message="IMDSv2 required")
        number = int(version["VersionNumber"])
        wanted = {**options, "HttpTokens": "required"}
        arn = f"arn:aws:ec2:{region}:{finding.account_id}:launch-template/{template_id}"
        changes = [
            Change(
                "ec2:CreateLaunchTemplateVersion",
                arn,
                f"new version from version {number} with IMDSv2 required",
                {"MetadataOptions": options},
                {"MetadataOptions": wanted},
            ),
            Change(
                "autoscaling:UpdateAutoScalingGroup",
                name,
                "launch from the new template version",
                {"LaunchTemplateId": template_id, "Version": version_spec},
                {"LaunchTemplateId": template_id, "Version": "the new version"},
            ),
        ]
        if not dry_run:
            created = ec2.create_launch_template_version(
                LaunchTemplateId=template_id,
                SourceVersion=str(number),
                VersionDescription="IMDSv2 required (Ouroboros asg-imdsv2)",
                LaunchTemplateData={"MetadataOptions": wanted},
            )["LaunchTemplateVersion"]
            autoscaling.update_auto_scaling_group(
                AutoScalingGroupName=name,
                LaunchTemplate={
                    "LaunchTemplateId": template_id,
                    "Version": str(created["VersionNumber"]),
                },
            )
        previous = {"LaunchTemplateId": template_id, "Version": version_spec}
        return self.result(
            finding,
            dry_run=dry_run,
            changes=changes,
            rollback_data={
                "region": region,
                "groups": {name: {"LaunchTemplate": previous}},
                "source_version": number,
                "metadata_options": options,
            },
        )

    # -- rollback ---------------------------------------------------------------------------

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        groups = rollback_data.get("groups")
        if not isinstance(groups, Mapping) or not groups:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs groups")
        region = rollback_data.get("region") or finding.region
        autoscaling = client("autoscaling", session=session, region=region)
        changes = []
        for group, previous in sorted(groups.items()):
            if not isinstance(previous, Mapping) or not previous:
                raise ReactorRollbackError(f"{self.id}: no previous launch setting for {group}")
            template = previous.get("LaunchTemplate")
            if template and template.get("Version") == "$Latest":
                # The new version became $Latest: add one equal to the previous latest.
                ec2 = client("ec2", session=session, region=region)
                ec2.create_launch_template_version(
                    LaunchTemplateId=template["LaunchTemplateId"],
                    SourceVersion=str(rollback_data.get("source_version")),
                    VersionDescription="rollback of IMDSv2 required (Ouroboros asg-imdsv2)",
                    LaunchTemplateData={
                        "MetadataOptions": dict(rollback_data.get("metadata_options") or {})
                    },
                )
            autoscaling.update_auto_scaling_group(AutoScalingGroupName=group, **dict(previous))
            changes.append(
                Change(
                    "autoscaling:UpdateAutoScalingGroup",
                    group,
                    "launch from the previous configuration",
                    None,
                    dict(previous),
                )
            )
        return self.result(finding, dry_run=False, changes=changes, operation="rollback")


handler = reactor_handler(AsgImdsv2Reactor)
