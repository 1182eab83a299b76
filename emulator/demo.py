"""Demo data for the local runtime: two member accounts and the control catalog.

At every start (moto forgets its state) the seed creates, in each member account, the remediation
role Ouroboros assumes (trusting the consumer account, requiring the ExternalId; its policy the
union of the installed, approved reactors' permissions, `demo_member_roles_sync`) and a few
resources in a state Security Hub would flag: a bucket whose policy allows public reads (AFSBP
S3.2), a bucket without TLS enforcement (S3.5), and in the first member account an SQS queue
without encryption (SQS.1, the demo's Security Hub V2 / OCSF finding). On first start it also
loads the control catalog into ``security_controls`` (consumer) and the Hub's control catalog;
later starts leave DynamoDB alone, so what users configured stays. Where the runtime serves the
local Security Hub, its first start also imports demo findings there, ASFF and one OCSF
(`emulator.demo_securityhub`), and the demo opens one ticket for the OCSF finding through the
local ticket connector (`demo_ticket_open`).

Accounts are fixed so that the real sample findings under ``tests/events`` (account 111111111111)
land in a member account: consumer (the administrator account) 123456789012, the moto default;
members 111111111111 and 222222222222.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from deploy.member_role import installed_manifests, member_role_policy_apply
from ouroboros.aggregates import aggregate_read
from ouroboros.aws import assume_role_session, client
from ouroboros.config import get_config
from ouroboros.controls.services import control_catalog_upsert
from ouroboros.models import HubControlModel
from ouroboros.securityhub.catalog import (
    FSBP_STANDARD_ARN,
    FSBP_STANDARD_ID,
    FSBP_STANDARD_NAME,
    catalog_controls,
)

logger = logging.getLogger(__name__)

CONSUMER_ACCOUNT = "123456789012"
MEMBER_ACCOUNTS = ("111111111111", "222222222222")
#: The role moto lets us assume to create things in a member account (as Organizations does).
BOOTSTRAP_ROLE_NAME = "OrganizationAccountAccessRole"


@dataclass
class DemoReport:
    """What the seed created."""

    accounts: list[str] = field(default_factory=list)
    buckets: list[str] = field(default_factory=list)
    controls_created: int = 0
    hub_controls_created: int = 0
    findings_imported: int = 0
    queues: list[str] = field(default_factory=list)
    #: OCSF findings imported into the local Security Hub V2 (`demo_securityhub_v2_seed`).
    ocsf_findings_imported: int = 0
    #: The demo's ticket in the local connector (`demo_ticket_open`), None without one.
    ticket_id: str | None = None


def public_bucket_name(account_id: str) -> str:
    """The demo bucket with a public-read policy in ``account_id``."""
    return f"ouroboros-demo-public-{account_id}"


def _member_role_trust(external_id: str) -> str:
    condition = {"StringEquals": {"sts:ExternalId": external_id}} if external_id else {}
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{CONSUMER_ACCOUNT}:root"},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def demo_member_account(account_id: str, *, public: bool = True) -> list[str]:
    """Create the member role and the demo resources in ``account_id``; return bucket names.

    ``public`` False re-creates the public bucket as the S3.2 reactor left it (no public
    statement): a restart after the demo's remediation loop (`emulator.demo_remediation`).
    """
    config = get_config()
    session = assume_role_session(
        f"arn:aws:iam::{account_id}:role/{BOOTSTRAP_ROLE_NAME}",
        external_id="",
        session_name="ouroboros-demo-seed",
    )
    iam = client("iam", session=session)
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(
            RoleName=config.member_role_name,
            AssumeRolePolicyDocument=_member_role_trust(config.external_id),
            Description="Ouroboros remediation role (local demo)",
        )
    member_role_policy_apply(
        iam, role_name=config.member_role_name, manifests=installed_manifests()
    )
    s3 = client("s3", session=session)
    bucket_public = public_bucket_name(account_id)
    no_tls = f"ouroboros-demo-notls-{account_id}"
    for bucket in (bucket_public, no_tls):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(
        Bucket=bucket_public,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    *(
                        [
                            {
                                "Sid": "PublicRead",
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "s3:GetObject",
                                "Resource": f"arn:aws:s3:::{bucket_public}/*",
                            }
                        ]
                        if public
                        else []
                    ),
                    {
                        "Sid": "AdminAccess",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                        "Action": "s3:*",
                        "Resource": [
                            f"arn:aws:s3:::{bucket_public}",
                            f"arn:aws:s3:::{bucket_public}/*",
                        ],
                    },
                ],
            }
        ),
    )
    return [bucket_public, no_tls]


def demo_member_queue(account_id: str, *, encrypted: bool = False) -> str:
    """Create the demo's SQS queue in ``account_id``, without encryption unless ``encrypted``
    (a restart after the SQS.1 reactor fixed it); its name."""
    from emulator.demo_securityhub import DEMO_QUEUE

    session = assume_role_session(
        f"arn:aws:iam::{account_id}:role/{BOOTSTRAP_ROLE_NAME}",
        external_id="",
        session_name="ouroboros-demo-seed",
    )
    sqs = client("sqs", session=session)
    sqs.create_queue(
        QueueName=DEMO_QUEUE,
        Attributes={"SqsManagedSseEnabled": "true" if encrypted else "false"},
    )
    return DEMO_QUEUE


def _member_iam(account_id: str) -> Any:
    session = assume_role_session(
        f"arn:aws:iam::{account_id}:role/{BOOTSTRAP_ROLE_NAME}",
        external_id="",
        session_name="ouroboros-demo-seed",
    )
    return client("iam", session=session)


def demo_member_roles_sync() -> None:
    """Give each demo member account's remediation role exactly the union of the installed,
    approved reactors' permissions (`deploy.member_role`): the local runtime runs it after every
    installer run, as a StackSet update would on AWS."""
    manifests = installed_manifests()
    role_name = get_config().member_role_name
    for account_id in MEMBER_ACCOUNTS:
        member_role_policy_apply(_member_iam(account_id), role_name=role_name, manifests=manifests)


def demo_ticket_open(*, account: str) -> str | None:
    """Open the demo's ticket, once: the OCSF SQS.1 finding of ``account`` through the local
    Security Hub's own connector (``OUROBOROS_TICKET_CONNECTOR_ID``, `emulator.securityhub_tickets`)
    with ``CreateTicketV2``; its ClientToken comes from the finding's ``metadata.uid``, so every
    later start answers the same ticket. None where the runtime serves no local Security Hub."""
    from emulator.endpoints import endpoints_read

    endpoints = endpoints_read()
    connector_id = get_config().ticket_connector_id
    if not connector_id or endpoints is None or not endpoints.securityhub:
        logger.info("no local ticket connector in this runtime: demo ticket skipped")
        return None
    securityhub = client("securityhub")
    strings = [
        {"FieldName": "compliance.control", "Filter": {"Value": "SQS.1", "Comparison": "EQUALS"}},
        {"FieldName": "cloud.account.uid", "Filter": {"Value": account, "Comparison": "EQUALS"}},
    ]
    filters = {"CompositeFilters": [{"Operator": "AND", "StringFilters": strings}]}
    findings = securityhub.get_findings_v2(Filters=filters, MaxResults=1)["Findings"]
    if not findings:
        return None
    metadata_uid = findings[0]["metadata"]["uid"]
    token = "ouroboros-demo-" + hashlib.sha256(metadata_uid.encode()).hexdigest()[:40]
    response = securityhub.create_ticket_v2(
        ConnectorId=connector_id, FindingMetadataUid=metadata_uid, ClientToken=token
    )
    return str(response["TicketId"])


def demo_seed() -> DemoReport:
    """Seed the running local runtime (this process must point at it)."""
    report = DemoReport()
    from emulator.demo_remediation import demo_bucket_fixed

    for account_id in MEMBER_ACCOUNTS:
        fixed = demo_bucket_fixed(account_id=account_id, bucket=public_bucket_name(account_id))
        report.buckets += demo_member_account(account_id, public=not fixed)
        report.accounts.append(account_id)
    if aggregate_read("controls").get("total", 0) == 0:
        report.controls_created = control_catalog_upsert(
            controls=catalog_controls(),
            standard_id=FSBP_STANDARD_ID,
            standard_arn=FSBP_STANDARD_ARN,
            standard_name=FSBP_STANDARD_NAME,
        )
    if HubControlModel.kind_index.count("CONTROL", limit=1) == 0:
        with HubControlModel.batch_write() as batch:
            for control in catalog_controls():
                batch.save(
                    HubControlModel(
                        control.control_id,
                        title=control.title,
                        description=control.description,
                        severity=control.severity,
                        service=control.service,
                        resource_type=control.resource_type,
                    )
                )
                report.hub_controls_created += 1
    from emulator.demo_securityhub import (
        OCSF_DEMO_ACCOUNT,
        demo_queue_fixed,
        demo_securityhub_seed,
        demo_securityhub_v2_seed,
    )

    fixed = demo_queue_fixed(account_id=OCSF_DEMO_ACCOUNT)
    report.queues.append(demo_member_queue(OCSF_DEMO_ACCOUNT, encrypted=fixed))
    report.findings_imported = demo_securityhub_seed(accounts=MEMBER_ACCOUNTS)
    report.ocsf_findings_imported = demo_securityhub_v2_seed(
        account=OCSF_DEMO_ACCOUNT, region=get_config().region
    )
    report.ticket_id = demo_ticket_open(account=OCSF_DEMO_ACCOUNT)
    logger.info("demo seed: %s", report)
    return report
