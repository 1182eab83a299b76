"""The reactors' view of the one audit trail (`console.audit.models.AuditEntry`).

Every write is recorded by `console.audit.services.audit_record` in ``AuditEntry``; this proxy
only gives the admin a "Reactor changes" list under Reactors (reactor installs, upgrades,
uninstalls, Hub publications, bulk assignments), next to the bulk assignment page it links to.
"""

from __future__ import annotations

from console.audit.models import AuditEntry

#: Target types the reactor pages write (see `console.reactors.services`).
REACTOR_TARGET_TYPES = ("reactor", "hub_reactor")


class AuditEvent(AuditEntry):
    """Audit entries about reactors (a proxy: the rows are the audit trail's)."""

    class Meta:
        proxy = True
        verbose_name = "reactor change"
        verbose_name_plural = "reactor changes"
