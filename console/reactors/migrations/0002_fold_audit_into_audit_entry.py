"""Fold the reactors' own audit table into the one audit trail (``audit.AuditEntry``).

Existing ``AuditEvent`` rows are copied (actor, action, target, time; ``count`` and ``detail``
become ``after``), the table is dropped, and ``AuditEvent`` becomes a proxy of ``AuditEntry``.
"""

from typing import Any

from django.db import migrations

_TARGET_TYPES = {
    "reactor": "reactor",
    "hub": "hub_reactor",
    "controls": "reactor",
    "finding": "finding",
    "execution": "execution",
}


def copy_events(apps: Any, schema_editor: Any) -> None:
    event_model = apps.get_model("reactors", "AuditEvent")
    entry_model = apps.get_model("audit", "AuditEntry")
    for event in event_model.objects.order_by("id").iterator():
        prefix = event.action.split(".", 1)[0]
        entry_model.objects.create(
            at=event.at,
            actor_name=event.actor[:150],
            via="cli" if event.action == "hub.publish" else "console",
            action=event.action[:64],
            target_type=_TARGET_TYPES.get(prefix, prefix)[:32],
            target_id=event.target,
            after={**(event.detail or {}), "count": event.count},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("reactors", "0001_audit_event"),
    ]

    operations = [
        migrations.RunPython(copy_events, migrations.RunPython.noop),
        migrations.DeleteModel(name="AuditEvent"),
        migrations.CreateModel(
            name="AuditEvent",
            fields=[],
            options={
                "verbose_name": "reactor change",
                "verbose_name_plural": "reactor changes",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("audit.auditentry",),
        ),
    ]
