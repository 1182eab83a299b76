"""Exemptions of a control: the rules under which its reactor must not run, and their validation.

An exemption names at least one of an account (12 digits), a resource pattern (shell-style, as
`fnmatch` reads it, matched against the finding's resource ids) and a tag (``key=value`` on one
of the finding's resources); it may expire, and it always says why (``reason``). A new exemption
must expire in the future; one already stored is kept as it is (an expired one stays visible,
marked expired, until someone removes it). Matching findings against exemptions is the workflow's
job (`ouroboros.models.controls.Exemption` documents the rule).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from ouroboros.errors import ValidationError
from ouroboros.models.controls import Exemption

MAX_EXEMPTIONS = 100
_TAG = re.compile(r"^([^=\s][^=]{0,127})=(.{0,256})$")


@dataclass(frozen=True)
class ExemptionInput:
    """An exemption as a person enters it (strings from a form or an API body)."""

    account: str = ""
    resource_pattern: str = ""
    tag: str = ""
    expires_at: datetime | None = None
    reason: str = ""


def exemption_expired(exemption: Exemption, *, now: datetime | None = None) -> bool:
    """Whether ``exemption`` has an expiry that has passed."""
    now = now or datetime.now(UTC)
    return exemption.expires_at is not None and exemption.expires_at <= now


def exemption_build(entry: ExemptionInput, *, actor: str, now: datetime | None = None) -> Exemption:
    """A validated `Exemption` from ``entry``; `ValidationError` naming every problem."""
    now = now or datetime.now(UTC)
    problems: list[str] = []
    account = entry.account.strip()
    pattern = entry.resource_pattern.strip()
    tag = entry.tag.strip()
    reason = entry.reason.strip()
    if account and not (account.isdigit() and len(account) == 12):
        problems.append("account must be a 12-digit AWS account id")
    if pattern and (len(pattern) > 512 or any(c.isspace() or ord(c) < 32 for c in pattern)):
        problems.append("resource pattern must be at most 512 characters without spaces")
    if tag and not _TAG.match(tag):
        problems.append("tag must look like key=value")
    if not (account or pattern or tag):
        problems.append("name at least one of account, resource pattern or tag")
    expires_at = entry.expires_at
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at <= now:
            problems.append("expiry must be in the future")
    if not reason:
        problems.append("a reason is required")
    elif len(reason) > 1000:
        problems.append("reason must be at most 1000 characters")
    if problems:
        raise ValidationError("Exemption not valid: " + "; ".join(problems) + ".")
    return Exemption(
        exemption_id=uuid.uuid4().hex[:12],
        account=account or None,
        resource_pattern=pattern or None,
        tag=tag or None,
        expires_at=expires_at,
        reason=reason,
        created_by=actor,
        created_at=now,
    )
