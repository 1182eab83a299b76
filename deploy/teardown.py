"""``teardown``: remove what bootstrap created for one side (functions are Zappa's: undeploy them).

Order: alarms and dashboard (`deploy.alarms`), triggers (stream mappings, subscription, rules),
custom action, state machine, the installed reactors (each function and role the installer
created: named ``ouroboros-<stage>-rx-*`` and tagged with its reactor id; a same-named one
without the tag is ``kept``), roles and the boundary policy, topic, queue, parameter, the export
bucket (emptied first: exports are disposable copies of findings, which expire anyway). Tables
have deletion protection and are ``kept`` unless ``delete_tables``; the Hub bucket is ``kept``
unless ``delete_bucket`` (emptied first).
"""

from __future__ import annotations

import json

from deploy import iam, supporting, workflow
from deploy.alarms import alarms_delete
from deploy.functions import functions_for
from deploy.naming import Deployment, deployment_current
from deploy.report import ResourceReport
from ouroboros.aws import client
from ouroboros.config import Role, get_config
from ouroboros.models import CONSUMER_MODELS, HUB_MODELS, bind_models
from ouroboros.reactors.names import REACTOR_TAG


def _ignore_missing(kind: str, name: str, call: object, **kwargs: object) -> ResourceReport:
    try:
        call(**kwargs)  # type: ignore[operator]
    except Exception as exc:
        if (
            "NotFound" in type(exc).__name__
            or "NoSuchEntity" in type(exc).__name__
            or ("DoesNotExist" in type(exc).__name__)
        ):
            return ResourceReport(kind, name, "absent")
        raise
    return ResourceReport(kind, name, "deleted")


def _role_delete(name: str, deployment: Deployment) -> ResourceReport:
    iam_client = client("iam", region=deployment.region)
    try:
        for policy in iam_client.list_role_policies(RoleName=name)["PolicyNames"]:
            iam_client.delete_role_policy(RoleName=name, PolicyName=policy)
        for policy in iam_client.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam_client.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    except iam_client.exceptions.NoSuchEntityException:
        return ResourceReport("iam role", name, "absent")
    return _ignore_missing("iam role", name, iam_client.delete_role, RoleName=name)


def _reactors(deployment: Deployment) -> list[ResourceReport]:
    """Delete the functions and roles the installer created for installed reactors."""
    prefix = deployment.reactor_function_prefix
    lam = client("lambda", region=deployment.region)
    iam_client = client("iam", region=deployment.region)
    reports = []
    names = [
        f["FunctionName"]
        for page in lam.get_paginator("list_functions").paginate()
        for f in page["Functions"]
        if f["FunctionName"].startswith(prefix)
    ]
    for name in sorted(names):
        arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        if REACTOR_TAG not in (lam.list_tags(Resource=arn).get("Tags") or {}):
            reports.append(ResourceReport("reactor function", name, "kept", ["not tagged"]))
            continue
        reports.append(
            _ignore_missing("reactor function", name, lam.delete_function, FunctionName=name)
        )
    roles = [
        r
        for page in iam_client.get_paginator("list_roles").paginate()
        for r in page["Roles"]
        if r["RoleName"].startswith(prefix)
    ]
    for role in sorted(roles, key=lambda r: r["RoleName"]):
        name = role["RoleName"]
        tags = iam_client.list_role_tags(RoleName=name)["Tags"]
        if not any(t["Key"] == REACTOR_TAG for t in tags):
            reports.append(ResourceReport("reactor role", name, "kept", ["not tagged"]))
            continue
        report = _role_delete(name, deployment)
        reports.append(ResourceReport("reactor role", name, report.action))
    return reports


def _tables(deployment: Deployment, delete: bool) -> list[ResourceReport]:
    bind_models()
    ddb = client("dynamodb", region=deployment.region)
    reports = []
    for model in HUB_MODELS if deployment.side == "hub" else CONSUMER_MODELS:
        name = model.Meta.table_name
        if not delete:
            reports.append(ResourceReport("dynamodb table", name, "kept", ["--delete-tables"]))
            continue
        try:
            ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
            ddb.get_waiter("table_exists").wait(TableName=name)
        except ddb.exceptions.ResourceNotFoundException:
            reports.append(ResourceReport("dynamodb table", name, "absent"))
            continue
        reports.append(_ignore_missing("dynamodb table", name, ddb.delete_table, TableName=name))
    return reports


def _bucket(deployment: Deployment, delete: bool) -> ResourceReport:
    name = deployment.hub_bucket
    if not delete:
        return ResourceReport("s3 bucket", name, "kept", ["--delete-bucket"])
    s3 = client("s3", region=deployment.region)
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            doomed = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                s3.delete_objects(Bucket=name, Delete={"Objects": doomed})
    except s3.exceptions.NoSuchBucket:
        return ResourceReport("s3 bucket", name, "absent")
    return _ignore_missing("s3 bucket", name, s3.delete_bucket, Bucket=name)


def _hub_access(deployment: Deployment) -> list[ResourceReport]:
    """The bucket policy naming the reader role, then the role (`deploy.hub_access`)."""
    s3 = client("s3", region=deployment.region)
    name = deployment.hub_bucket
    try:
        s3.get_bucket_policy(Bucket=name)
        s3.delete_bucket_policy(Bucket=name)
        policy = ResourceReport("s3 bucket policy", name, "deleted")
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("NoSuchBucketPolicy", "NoSuchBucket"):
            raise
        policy = ResourceReport("s3 bucket policy", name, "absent")
    return [policy, _role_delete(deployment.hub_reader_role, deployment)]


def teardown_run(
    side: Role,
    *,
    region: str | None = None,
    delete_tables: bool = False,
    delete_bucket: bool = False,
) -> list[ResourceReport]:
    """Remove the side's bootstrap resources (planned functions included); one report each."""
    d = deployment_current(side, region=region or get_config().region)
    specs = functions_for(side, include_planned=True)
    lam, events = client("lambda", region=d.region), client("events", region=d.region)
    reports: list[ResourceReport] = alarms_delete(d)
    for spec in specs:
        mappings = lam.list_event_source_mappings(FunctionName=d.function_arn(spec))
        for mapping in mappings["EventSourceMappings"]:
            lam.delete_event_source_mapping(UUID=mapping["UUID"])
            reports.append(ResourceReport("stream mapping", spec.key, "deleted"))
    rules = [
        d.rule_name(f"{s.key}-trigger".replace("_", "-")) for s in specs if s.trigger == "rule"
    ]
    if side == "consumer":
        raw = json.loads((workflow.statemachine_dir() / workflow.RULES_FILE).read_text())
        rules += [d.rule_name(rule["Name"]) for rule in raw.values()]
        for rule in raw.values():
            if "ActionTargetId" in rule:
                action_id = rule["ActionTargetId"]
                arn = f"arn:aws:securityhub:{d.region}:{d.account}:action/custom/{action_id}"
                hub = client("securityhub", region=d.region)
                reports.append(
                    _ignore_missing(
                        "custom action",
                        rule["ActionTargetId"],
                        hub.delete_action_target,
                        ActionTargetArn=arn,
                    )
                )
    for name in rules:
        try:
            targets = events.list_targets_by_rule(Rule=name)["Targets"]
        except events.exceptions.ResourceNotFoundException:
            reports.append(ResourceReport("eventbridge rule", name, "absent"))
            continue
        if targets:
            events.remove_targets(Rule=name, Ids=[t["Id"] for t in targets])
        reports.append(_ignore_missing("eventbridge rule", name, events.delete_rule, Name=name))
    if side == "consumer":
        sfn = client("stepfunctions", region=d.region)
        # DeleteStateMachine succeeds on an unknown ARN: ask first, so a second run says absent.
        exists = _ignore_missing(
            "state machine",
            d.state_machine_name,
            sfn.describe_state_machine,
            stateMachineArn=d.state_machine_arn,
        )
        if exists.action == "absent":
            reports.append(exists)
        else:
            reports.append(
                _ignore_missing(
                    "state machine",
                    d.state_machine_name,
                    sfn.delete_state_machine,
                    stateMachineArn=d.state_machine_arn,
                )
            )
        for role in (d.state_machine_role, d.events_role):
            reports.append(_role_delete(role, d))
        reports += _reactors(d)  # before the boundary policy their roles carry
    for spec in specs:
        reports.append(_role_delete(spec.role_name(d.stage), d))
    iam_client = client("iam", region=d.region)
    if any("reactor_manage" in s.grants for s in specs):
        arn = iam.boundary_arn(d)
        try:
            for version in iam_client.list_policy_versions(PolicyArn=arn)["Versions"]:
                if not version["IsDefaultVersion"]:
                    iam_client.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
        except iam_client.exceptions.NoSuchEntityException:
            pass
        reports.append(
            _ignore_missing(
                "iam policy", iam.boundary_name(d), iam_client.delete_policy, PolicyArn=arn
            )
        )
    if side == "consumer":
        sns, ssm = client("sns", region=d.region), client("ssm", region=d.region)
        reports.append(
            _ignore_missing("sns topic", d.topic_name, sns.delete_topic, TopicArn=d.topic_arn)
        )
        parameter = f"{d.parameter_path}{supporting.SECRET_KEY_PARAMETER}"
        reports.append(
            _ignore_missing("ssm parameter", parameter, ssm.delete_parameter, Name=parameter)
        )
        reports.append(supporting.export_bucket_delete(d))
    else:
        reports += _hub_access(d)
        reports.append(_bucket(d, delete_bucket))
    sqs = client("sqs", region=d.region)
    try:
        url = sqs.get_queue_url(QueueName=d.failure_queue_name)["QueueUrl"]
        sqs.delete_queue(QueueUrl=url)
        reports.append(ResourceReport("sqs queue", d.failure_queue_name, "deleted"))
    except sqs.exceptions.QueueDoesNotExist:
        reports.append(ResourceReport("sqs queue", d.failure_queue_name, "absent"))
    return reports + _tables(d, delete_tables)
