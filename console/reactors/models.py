"""The console's audit trail of changes people make (kept small: the API issue extends it).

Security data lives in DynamoDB; who changed what through the console is Django's own data,
next to users and groups, in the relational database.
"""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    """One change made by one person: installing a reactor, assigning it to controls..."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=255, help_text="what was changed, e.g. a reactor id")
    count = models.PositiveIntegerField(default=1, help_text="how many items changed")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target}"
