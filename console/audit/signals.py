"""Audit of users and groups changed in Django admin: who added, changed or deleted them, and who
moved a user in or out of a group (the role groups are the console's access control).

Django admin writes through the models, not through a service of ours, so the audit listens to
the model signals and takes the actor, the request id and the client address from the request
being served (`console.audit.middleware.request_current`). Only changes made under Django
admin's URLs are recorded here: the other paths that change users have their own audit entries
(``user.admin_created`` by ``manage.py``, token pages), and a login's ``last_login`` update is
no change. Entries:

- ``user.add`` / ``user.change`` / ``user.delete``, target ``user`` / username: before and after
  of the user's account fields (never the password hash: ``password_changed`` says whether it
  changed). A save that changed nothing (admin saves the user when only its groups changed) is
  not an entry.
- ``user.groups``: target ``user`` / username, before and after the user's group names (from
  the user's form, or a group's members changed from the other side).
- ``group.add`` / ``group.change`` / ``group.delete`` and ``group.permissions``: target
  ``group`` / name, its name and permission codenames.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.http import HttpRequest

from console.audit.middleware import request_current
from console.audit.services import audit_record

USER_FIELDS = ("username", "email", "first_name", "last_name", "is_active", "is_staff")
_BEFORE = "_audit_before"
_GROUPS_BEFORE = "_audit_groups_before"


def _admin_request() -> HttpRequest | None:
    request = request_current()
    match = getattr(request, "resolver_match", None) if request is not None else None
    return request if match is not None and "admin" in match.namespaces else None


def _user_state(user: Any) -> dict[str, Any]:
    state = {name: getattr(user, name) for name in USER_FIELDS}
    state["is_superuser"] = user.is_superuser
    return state


def _group_state(group: Group) -> dict[str, Any]:
    return {"name": group.name, "permissions": _permissions(group)}


def _permissions(group: Group) -> list[str]:
    if group.pk is None:
        return []
    return sorted(group.permissions.values_list("codename", flat=True))


def _groups(user: Any) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True)) if user.pk else []


def _stored(model: type[Model], pk: Any) -> Any:
    return model._default_manager.filter(pk=pk).first() if pk is not None else None


def user_pre_save(sender: type[Model], instance: Any, **kwargs: Any) -> None:
    if _admin_request() is None:
        return
    stored = _stored(sender, instance.pk)
    if stored is not None:
        state = _user_state(stored)
        state["password"] = stored.password
        setattr(instance, _BEFORE, state)


def user_post_save(
    sender: type[Model], instance: Any, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    request = _admin_request()
    if request is None or (update_fields and set(update_fields) <= {"last_login"}):
        return
    before = getattr(instance, _BEFORE, None)
    setattr(instance, _BEFORE, None)
    after = _user_state(instance)
    if not created and before is not None:
        password_changed = before.pop("password") != instance.password
        if before == after and not password_changed:
            return
        if password_changed:
            after["password_changed"] = True
    audit_record(
        request=request,
        action="user.add" if created else "user.change",
        target_type="user",
        target_id=instance.get_username(),
        before=None if created else before,
        after=after,
    )


def user_post_delete(sender: type[Model], instance: Any, **kwargs: Any) -> None:
    request = _admin_request()
    if request is not None:
        audit_record(
            request=request,
            action="user.delete",
            target_type="user",
            target_id=instance.get_username(),
            before=_user_state(instance),
        )


def group_pre_save(sender: type[Model], instance: Group, **kwargs: Any) -> None:
    if _admin_request() is None:
        return
    stored = _stored(sender, instance.pk)
    if stored is not None:
        setattr(instance, _BEFORE, _group_state(stored))


def group_post_save(sender: type[Model], instance: Group, created: bool, **kwargs: Any) -> None:
    request = _admin_request()
    if request is None:
        return
    before = getattr(instance, _BEFORE, None)
    setattr(instance, _BEFORE, None)
    after = _group_state(instance)
    if not created and before == after:
        return
    audit_record(
        request=request,
        action="group.add" if created else "group.change",
        target_type="group",
        target_id=instance.name,
        before=None if created else before,
        after=after,
    )


def group_post_delete(sender: type[Model], instance: Group, **kwargs: Any) -> None:
    request = _admin_request()
    if request is not None:
        audit_record(
            request=request,
            action="group.delete",
            target_type="group",
            target_id=instance.name,
            before={"name": instance.name},
        )


def user_groups_changed(
    sender: type[Model],
    instance: Any,
    action: str,
    reverse: bool,
    pk_set: set[Any] | None,
    **kwargs: Any,
) -> None:
    """A user's groups changed: from the user (``user.groups``) or from a group (``reverse``,
    ``group.user_set``: each user of ``pk_set``, every member on clear)."""
    request = _admin_request()
    if request is None:
        return
    user_model = get_user_model()
    if action.startswith("pre_"):
        if not reverse:
            users = [instance]
        else:
            ids = pk_set if pk_set is not None else instance.user_set.values_list("pk", flat=True)
            users = list(user_model._default_manager.filter(pk__in=list(ids)))
        setattr(instance, _GROUPS_BEFORE, {user.pk: (user, _groups(user)) for user in users})
        return
    for user, before in getattr(instance, _GROUPS_BEFORE, {}).values():
        after = _groups(user)
        if before != after:
            audit_record(
                request=request,
                action="user.groups",
                target_type="user",
                target_id=user.get_username(),
                before={"groups": before},
                after={"groups": after},
            )
    setattr(instance, _GROUPS_BEFORE, {})


def group_permissions_changed(
    sender: type[Model], instance: Any, action: str, reverse: bool, **kwargs: Any
) -> None:
    request = _admin_request()
    if request is None or reverse or not isinstance(instance, Group):
        return
    if action.startswith("pre_"):
        setattr(instance, _BEFORE + "_permissions", _permissions(instance))
    elif action.startswith("post_"):
        before = getattr(instance, _BEFORE + "_permissions", [])
        after = _permissions(instance)
        if before != after:
            audit_record(
                request=request,
                action="group.permissions",
                target_type="group",
                target_id=instance.name,
                before={"permissions": before},
                after={"permissions": after},
            )


def signals_connect() -> None:
    """Connect the handlers (`console.audit.apps.AuditConfig.ready`)."""
    user_model = get_user_model()
    uid = "console.audit"
    pre_save.connect(user_pre_save, sender=user_model, dispatch_uid=f"{uid}.user_pre_save")
    post_save.connect(user_post_save, sender=user_model, dispatch_uid=f"{uid}.user_post_save")
    post_delete.connect(user_post_delete, sender=user_model, dispatch_uid=f"{uid}.user_delete")
    pre_save.connect(group_pre_save, sender=Group, dispatch_uid=f"{uid}.group_pre_save")
    post_save.connect(group_post_save, sender=Group, dispatch_uid=f"{uid}.group_post_save")
    post_delete.connect(group_post_delete, sender=Group, dispatch_uid=f"{uid}.group_delete")
    m2m_changed.connect(
        user_groups_changed, sender=user_model.groups.through, dispatch_uid=f"{uid}.groups"
    )
    m2m_changed.connect(
        group_permissions_changed, sender=Group.permissions.through, dispatch_uid=f"{uid}.perms"
    )
