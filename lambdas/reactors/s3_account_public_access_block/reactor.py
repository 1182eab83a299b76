"""Reactor ``s3-account-public-access-block`` (AFSBP S3.1)."""

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

SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
_PARAM = {
    "BlockPublicAcls": "block_public_acls",
    "IgnorePublicAcls": "ignore_public_acls",
    "BlockPublicPolicy": "block_public_policy",
    "RestrictPublicBuckets": "restrict_public_buckets",
}


@reactor
class S3AccountPublicAccessBlockReactor(Reactor):
    """Turn on S3 Block Public Access for the whole account.

    Sets the account-level S3 Block Public Access settings of the finding's account (S3
    Control PutPublicAccessBlock): block and ignore public ACLs, block public bucket policies,
    restrict public buckets. Each setting can be left as it is with its parameter set to false;
    a setting already on stays on. Rollback restores the previous settings, or removes the
    configuration when the account had none.
    """

    id = "s3-account-public-access-block"
    version = "1.0.0"
    control_ids = ("S3.1",)
    permissions = (
        Permission(("s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock")),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            name: {"type": "boolean", "default": True, "description": f"turn {setting} on"}
            for setting, name in _PARAM.items()
        },
    }

    def _current(self, s3control: Any, account: str) -> dict[str, bool] | None:
        try:
            config = s3control.get_public_access_block(AccountId=account)
        except s3control.exceptions.NoSuchPublicAccessBlockConfiguration:
            return None
        return {k: bool(v) for k, v in config["PublicAccessBlockConfiguration"].items()}

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        s3control = client("s3control", session=session)
        account = finding.account_id
        before = self._current(s3control, account)
        wanted = {s: bool(params[_PARAM[s]]) or bool((before or {}).get(s)) for s in SETTINGS}
        if before is not None and all(before.get(s) == wanted[s] for s in SETTINGS):
            return self.result(finding, dry_run=dry_run, changes=[], message="already blocked")
        change = Change(
            "s3:PutAccountPublicAccessBlock",
            f"arn:aws:s3:::account/{account}",
            "turn on account-level Block Public Access",
            before,
            wanted,
        )
        if not dry_run:
            s3control.put_public_access_block(
                AccountId=account, PublicAccessBlockConfiguration=wanted
            )
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"account_id": account, "previous": before},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        account = rollback_data.get("account_id")
        if account != finding.account_id or "previous" not in rollback_data:
            raise ReactorRollbackError(f"{self.id}: rollback_data is not for this account")
        previous = rollback_data["previous"]
        s3control = client("s3control", session=session)
        if previous:
            s3control.put_public_access_block(
                AccountId=account, PublicAccessBlockConfiguration=dict(previous)
            )
        else:
            s3control.delete_public_access_block(AccountId=account)
        change = Change(
            "s3:PutAccountPublicAccessBlock",
            f"arn:aws:s3:::account/{account}",
            "restore account-level Block Public Access",
            None,
            previous,
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(S3AccountPublicAccessBlockReactor)
