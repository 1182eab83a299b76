"""Background jobs the console starts and shows: findings exports (`ExportJob`).

Django's database (PostgreSQL in production) holds the job's state, so the status page of any
console instance sees it; the exported file itself is in the export storage (S3 on AWS, the data
folder locally; see ``settings.EXPORT_STORAGE``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ExportJob(models.Model):
    """One export of a findings view to CSV or JSON, from request to file."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        JSON = "json", "JSON"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: The findings list's query string (its filters, sort and search), as the list had it.
    query = models.TextField(blank=True, default="")
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.CSV)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    rows = models.PositiveIntegerField(default=0)
    #: True when the export stopped at ``EXPORT_MAX_ROWS`` (`console.jobs.exports`).
    truncated = models.BooleanField(default=False)
    file_name = models.CharField(max_length=255, blank=True, default="")
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.id} ({self.format}, {self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
