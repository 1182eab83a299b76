"""Reactor ``account-security-contact`` (AFSBP Account.1)."""

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
    ReactorParamsError,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

CONTACT_TYPE = "SECURITY"
#: The Account Management API is global; its endpoint lives in us-east-1.
ACCOUNT_REGION = "us-east-1"
#: Parameter -> the field of the alternate contact it fills.
FIELDS = {"name": "Name", "title": "Title", "email": "EmailAddress", "phone": "PhoneNumber"}


def security_contact(account: Any) -> dict[str, str] | None:
    """The account's security contact (Name, Title, EmailAddress, PhoneNumber), or None."""
    try:
        found = account.get_alternate_contact(AlternateContactType=CONTACT_TYPE)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise ReactorError(f"cannot read the security contact: {exc}") from exc
    contact = found["AlternateContact"]
    return {field: contact.get(field, "") for field in FIELDS.values()}


def _put(account: Any, contact: Mapping[str, str]) -> None:
    try:
        account.put_alternate_contact(AlternateContactType=CONTACT_TYPE, **contact)
    except ClientError as exc:
        raise ReactorError(f"cannot set the security contact: {exc}") from exc


@reactor
class AccountSecurityContactReactor(Reactor):
    """Register the security contact of an AWS account.

    Sets the account's SECURITY alternate contact, whom AWS notifies about security issues
    in the account, from the "name", "title", "email" and "phone" parameters. They have no
    defaults: the reactor refuses to run, naming the missing ones, until the control's
    parameters give all four. An account that already has a security contact is left as it is.
    Rollback deletes the contact the reactor added, unless it changed since.
    """

    id = "account-security-contact"
    version = "1.0.0"
    control_ids = ("Account.1",)
    permissions = (
        Permission(
            (
                "account:GetAlternateContact",
                "account:PutAlternateContact",
                "account:DeleteAlternateContact",
            ),
            # The calls name no AccountId: they act on the member account itself.
            ("arn:aws:account::*:account",),
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {
                "type": "string",
                "maxLength": 64,
                "default": "",
                "description": "name of the security contact (person or team; required)",
            },
            "title": {
                "type": "string",
                "maxLength": 50,
                "default": "",
                "description": "title or role of the contact (required)",
            },
            "email": {
                "type": "string",
                "maxLength": 254,
                "pattern": "^$|^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
                "default": "",
                "description": "e-mail address AWS writes to about security issues (required)",
            },
            "phone": {
                "type": "string",
                "maxLength": 25,
                "pattern": "^$|^[\\s0-9()+-]+$",
                "default": "",
                "description": "phone number, e.g. +1 206 555 0100 (required)",
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
        missing = [name for name in FIELDS if not str(params.get(name) or "").strip()]
        if missing:
            raise ReactorParamsError(
                f"{self.id}: set the parameters {', '.join(missing)} (the security contact "
                "has no defaults)"
            )
        resource = finding.resource("AwsAccount")
        account = client("account", session=session, region=ACCOUNT_REGION)
        if security_contact(account) is not None:
            return self.result(
                finding, dry_run=dry_run, changes=[], message="a security contact is set"
            )
        contact = {field: str(params[name]).strip() for name, field in FIELDS.items()}
        change = Change(
            "account:PutAlternateContact",
            resource.id,
            "set the SECURITY alternate contact",
            None,
            contact,
        )
        if not dry_run:
            _put(account, contact)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"previous": None, "set": contact},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        applied, previous = rollback_data.get("set"), rollback_data.get("previous")
        if not isinstance(applied, Mapping) or not (
            previous is None or isinstance(previous, Mapping)
        ):
            raise ReactorRollbackError(f"{self.id}: rollback_data needs set and previous")
        account = client("account", session=session, region=ACCOUNT_REGION)
        if security_contact(account) != dict(applied):
            raise ReactorRollbackError(
                f"{self.id}: the security contact changed after the remediation: left as it is"
            )
        if previous is None:
            account.delete_alternate_contact(AlternateContactType=CONTACT_TYPE)
            action = "account:DeleteAlternateContact"
        else:
            _put(account, previous)
            action = "account:PutAlternateContact"
        change = Change(
            action, finding.account_id, "restore the security contact", applied, previous
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(AccountSecurityContactReactor)
