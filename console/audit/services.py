"""`audit_record`: the one way to write to the audit trail. Every write in Ouroboros calls it.

Call it after the write succeeded, with the request when there is one (the actor, the API token,
the request id and the client address are taken from it)::

    audit_record(request=request, action="control.configure", target_type="control",
                 target_id=control_id, before=old, after=new)

``before`` / ``after`` are stored as JSON: sets become sorted lists, dataclasses dicts, dates ISO
strings, anything else its ``str()``. Values under secret-looking keys (``secret``, ``token``,
``password``, ``webhook_url``...) are replaced by ``"[redacted]"``, so a careless caller cannot
put a secret in the trail.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest

from console.audit.models import AuditEntry

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(
    r"^(secret|token|password|digest|api_key|webhook_url|webhook)$|_(secret|password|webhook_url)$",
    re.IGNORECASE,
)


class _AuditEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, set | frozenset):
            return sorted(o, key=str)
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def _redact(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if _SECRET_KEY.search(str(k)) else _redact(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _snapshot(value: Any) -> Any:
    if value is None:
        return None
    return _redact(json.loads(json.dumps(value, cls=_AuditEncoder)))


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client wants it to be.
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: str,
    target_type: str,
    target_id: str,
    before: Any = None,
    after: Any = None,
    request: HttpRequest | None = None,
    actor: Any = None,
    token: Any = None,
    via: str | None = None,
    actor_name: str | None = None,
) -> AuditEntry:
    """Append one entry to the audit trail and return it.

    ``request`` gives the actor (its authenticated user), the token (``request.auth`` when the
    API authenticated with a token), the request id and the client address; ``actor`` /
    ``token`` override it; ``actor_name`` names an actor that is no user (e.g. ``manage.py``).
    ``via`` defaults to ``api`` for requests under /api/, ``console`` for other requests and
    ``cli`` without a request.
    """
    if request is not None:
        user = getattr(request, "user", None)
        if actor is None and getattr(user, "is_authenticated", False):
            actor = user
        if token is None:
            token = getattr(request, "auth", None)
        if via is None:
            api = request.path.startswith("/api/")
            via = str(AuditEntry.Via.API if api else AuditEntry.Via.CONSOLE)
    if not (token is not None and hasattr(token, "name") and hasattr(token, "pk")):
        token = None
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=(actor_name or (actor.get_username() if actor is not None else ""))[:150],
        token_id=token.pk if token else None,
        token_name=token.name if token else "",
        via=via or AuditEntry.Via.CLI,
        action=action[:64],
        target_type=target_type[:32],
        target_id=str(target_id)[:512],
        before=_snapshot(before),
        after=_snapshot(after),
        request_id=getattr(request, "request_id", "") if request is not None else "",
        ip=_client_ip(request) if request is not None else None,
    )


def audit_recorder(*, actor_name: str) -> Callable[..., AuditEntry]:
    """`audit_record` for what a process does on its own, with no request and no user (the local
    runtime's demo installing and assigning its reactor, actor ``demo``): pass it the same
    keywords (``action``, ``target_type``, ``target_id``, ``before``, ``after``)."""

    def record(**fields: Any) -> AuditEntry:
        return audit_record(actor_name=actor_name, via=str(AuditEntry.Via.CLI), **fields)

    return record
