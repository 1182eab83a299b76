"""Reactor ``ssm-document-private`` (AFSBP SSM.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

#: The account id that shares a document with everyone.
PUBLIC = "all"


def _region(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


def public_version(permission: Mapping[str, Any]) -> str | None:
    """The document version shared with everyone (``$DEFAULT``...), or None when not public."""
    for info in permission.get("AccountSharingInfoList") or []:
        if str(info.get("AccountId", "")).lower() == PUBLIC:
            return str(info.get("SharedDocumentVersion") or "$DEFAULT")
    if any(str(a).lower() == PUBLIC for a in permission.get("AccountIds") or []):
        return "$DEFAULT"
    return None


@reactor
class SsmDocumentPrivateReactor(Reactor):
    """Stop sharing a Systems Manager document with everyone.

    Removes the "All" share from the document's permissions, so only its owner can see and run
    it (SSM shares a document either with everyone or with listed accounts, never both).
    Accounts that used the public document lose access: share it with them by id afterwards.
    Rollback shares the document publicly again, with the version shared before. Installing
    needs admin approval: ssm:ModifyDocumentPermission changes who may run a document, and is
    on the reactor-trust deny list.
    """

    id = "ssm-document-private"
    version = "1.0.0"
    control_ids = ("SSM.4",)
    permissions = (
        Permission(
            ("ssm:DescribeDocumentPermission", "ssm:ModifyDocumentPermission"),
            ("arn:aws:ssm:*:*:document/*",),
        ),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        resource = finding.resource("AwsSsmDocument", "Other")
        name = resource.name
        region = _region(resource.id, finding.region)
        ssm = client("ssm", session=session, region=region)
        permission = ssm.describe_document_permission(Name=name, PermissionType="Share")
        version = public_version(permission)
        if version is None:
            return self.result(finding, dry_run=dry_run, changes=[], message="not public")
        change = Change(
            "ssm:ModifyDocumentPermission",
            resource.id,
            f"stop sharing document {name} with everyone",
            PUBLIC,
            None,
        )
        if not dry_run:
            ssm.modify_document_permission(
                Name=name, PermissionType="Share", AccountIdsToRemove=[PUBLIC]
            )
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"name": name, "region": region, "version": version},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        name, region = rollback_data.get("name"), rollback_data.get("region")
        if not name or not region:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs name and region")
        ssm = client("ssm", session=session, region=region)
        ssm.modify_document_permission(
            Name=name,
            PermissionType="Share",
            AccountIdsToAdd=[PUBLIC],
            SharedDocumentVersion=rollback_data.get("version") or "$DEFAULT",
        )
        change = Change(
            "ssm:ModifyDocumentPermission",
            finding.resource("AwsSsmDocument", "Other").id,
            f"share document {name} with everyone again",
            None,
            PUBLIC,
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(SsmDocumentPrivateReactor)
