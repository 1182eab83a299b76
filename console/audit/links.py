"""Where an audit entry's target lives in the console: the page the audit trail links it to.

`TARGET_PAGES` maps each target type that has a page to the function building its URL;
`PAGELESS_TARGET_TYPES` names, with the reason, each target type that has none (its entries show
the target as text). A meta-test walks every ``audit_record(target_type=...)`` of the code base
and fails on a type in neither table, so a new kind of target needs a decision.

Users and groups are audited by name while their admin change pages are by primary key:
`audit_target_links` looks the names of one page up in one query per model, and a user or group
deleted since has no page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Model
from django.urls import NoReverseMatch, reverse

from console.audit.models import AuditEntry
from console.findings.bulk import AUDIT_ACTION as FINDING_BULK_ACTION


@dataclass(frozen=True)
class AuditTarget:
    """What a link needs from one entry; ``admin_pk`` is the primary key of the user or group
    the entry names (None for other types, or when it no longer exists)."""

    entry_id: int
    action: str
    target_type: str
    target_id: str
    admin_pk: int | None = None


def _control(target: AuditTarget) -> str:
    return reverse("control_detail", kwargs={"control_id": target.target_id})


def _finding(target: AuditTarget) -> str:
    if target.action == FINDING_BULK_ACTION:  # one entry for many findings: its summary page
        return reverse("finding_bulk_summary", kwargs={"entry_id": target.entry_id})
    return f"{reverse('finding_detail')}?{urlencode({'id': target.target_id})}"


def _reactor(target: AuditTarget) -> str:
    return reverse("reactors:detail", kwargs={"reactor_id": target.target_id})


def _hub_reactor(target: AuditTarget) -> str:
    # ``hub.publish`` names "<reactor id> <version>".
    reactor_id, _, version = target.target_id.partition(" ")
    url = reverse("reactors:detail", kwargs={"reactor_id": reactor_id})
    return f"{url}?{urlencode({'version': version})}" if version else url


def _execution(target: AuditTarget) -> str:
    return reverse("execution_detail", kwargs={"execution_id": target.target_id})


def _export(target: AuditTarget) -> str:
    return reverse("finding_export_detail", kwargs={"job_id": target.target_id})


def _admin_change(model: type[Model]) -> Callable[[AuditTarget], str | None]:
    def link(target: AuditTarget) -> str | None:
        if target.admin_pk is None:
            return None
        opts = model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[target.admin_pk])

    return link


def _api_token(target: AuditTarget) -> str:
    return reverse("admin:tokens_apitoken_change", args=[target.target_id])


#: Target type -> its page. Admin change pages (users, groups, tokens) are for admins, as is the
#: audit trail that links them.
TARGET_PAGES: Mapping[str, Callable[[AuditTarget], str | None]] = {
    "control": _control,
    "finding": _finding,
    "reactor": _reactor,
    "hub_reactor": _hub_reactor,
    "execution": _execution,
    "export": _export,
    "api_token": _api_token,
    "user": _admin_change(get_user_model()),
    "group": _admin_change(Group),
}

#: Target type -> why it has no page (shown as text). Empty today: every audited kind has one.
PAGELESS_TARGET_TYPES: Mapping[str, str] = {}

#: Target types audited by name whose page needs the primary key, and the field named.
_BY_NAME: Mapping[str, tuple[type[Model], str]] = {
    "user": (get_user_model(), get_user_model().USERNAME_FIELD),
    "group": (Group, "name"),
}


def audit_target_url(target: AuditTarget) -> str | None:
    """The console page of ``target``, or None when it has none (unknown or page-less type, a
    deleted user or group, an id no route accepts)."""
    link = TARGET_PAGES.get(target.target_type)
    if link is None:
        return None
    try:
        return link(target)
    except NoReverseMatch:
        return None


def audit_target_links(entries: Iterable[AuditEntry]) -> list[tuple[AuditEntry, str | None]]:
    """Each entry with the URL of its target's page (`audit_target_url`); one query per model
    audited by name, none when the entries name no user or group."""
    entries = list(entries)
    pks: dict[tuple[str, str], int] = {}
    for target_type, (model, field) in _BY_NAME.items():
        names = {e.target_id for e in entries if e.target_type == target_type}
        if names:
            rows = model._default_manager.filter(**{f"{field}__in": names}).values_list(field, "pk")
            pks.update({(target_type, str(name)): pk for name, pk in rows})
    return [
        (
            entry,
            audit_target_url(
                AuditTarget(
                    entry_id=entry.pk,
                    action=entry.action,
                    target_type=entry.target_type,
                    target_id=entry.target_id,
                    admin_pk=pks.get((entry.target_type, entry.target_id)),
                )
            ),
        )
        for entry in entries
    ]
