"""The production administrator, ensured from a password kept in SSM Parameter Store.

``python manage.py admin_ensure --password-parameter NAME`` (run on Lambda with
``zappa manage console "admin_ensure ..."``) calls `admin_ensure`: it creates the superuser, or
brings an existing one back to an active superuser in the ``admin`` group with the parameter's
password (rotating the password is changing the parameter and running the command again). The
password is read from the parameter only, checked against the password validators, and never
printed, logged or stored in the audit trail; a run that changes nothing writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from console.audit.services import audit_record
from ouroboros.aws.parameters import parameter_get
from ouroboros.errors import OuroborosError

AUDIT_ACTOR = "manage.py admin_ensure"


class AdminPasswordError(OuroborosError):
    """The parameter's password is unusable (the message never holds the password)."""


@dataclass(frozen=True)
class AdminEnsured:
    username: str
    action: Literal["created", "updated", "unchanged"]
    changes: tuple[str, ...] = ()


def admin_password_read(parameter: str) -> str:
    """The password in the SSM parameter ``parameter``, validated (errors name the parameter)."""
    # Uncached: on a warm Lambda, a rotated password must be read again, not remembered.
    password = parameter_get.__wrapped__(parameter)
    try:
        validate_password(password)
    except ValidationError as exc:
        raise AdminPasswordError(
            f"the password in {parameter} is refused: {' '.join(exc.messages)}"
        ) from None
    return password


def admin_ensure(*, username: str, email: str, password: str) -> AdminEnsured:
    """Create or repair the superuser ``username`` with ``password``; audited when it changed."""
    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.filter(username=username).first()
        admin_group, _ = Group.objects.get_or_create(name="admin")
        if user is None:
            user = user_model.objects.create_superuser(
                username=username, email=email, password=password
            )
            user.groups.add(admin_group)
            result = AdminEnsured(username, "created")
        else:
            changes = []
            if not user.check_password(password):
                user.set_password(password)
                changes.append("password")
            for flag in ("is_superuser", "is_staff", "is_active"):
                if not getattr(user, flag):
                    setattr(user, flag, True)
                    changes.append(flag)
            if email and user.email != email:
                user.email = email
                changes.append("email")
            if changes:
                user.save()
            if not user.groups.filter(pk=admin_group.pk).exists():
                user.groups.add(admin_group)
                changes.append("admin group")
            result = AdminEnsured(username, "updated" if changes else "unchanged", tuple(changes))
        if result.action != "unchanged":
            audit_record(
                action=f"user.admin_{result.action}",
                target_type="user",
                target_id=username,
                after={"changed": list(result.changes) or ["created"]},
                actor_name=AUDIT_ACTOR,
            )
    return result
