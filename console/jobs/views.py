"""Findings export pages: start an export of the list's view, follow it, download the file.

- ``POST /findings/exports/`` (``query``: the list's query string, ``format``: csv or json):
  operators and up (a viewer changes nothing, not even the jobs table), CSRF-protected; starts
  the job (`console.jobs.exports.export_start`) and redirects to its page.
- ``GET /findings/exports/<id>/``: the job's status; refreshes itself until done, then links the
  file.
- ``GET /findings/exports/<id>/download/``: the file; a pre-signed S3 URL (redirect) when the
  export storage is S3, else the file itself (local data folder).

A job is seen and downloaded by the user who started it and by admins only.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from console.access.roles import has_role, role_required
from console.executions.actions import REFRESH_SECONDS
from console.jobs.exports import export_start, export_storage
from console.jobs.models import ExportJob
from ouroboros.errors import ValidationError


def _own_job(request: HttpRequest, job_id: uuid.UUID) -> ExportJob:
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None or (
        job.created_by_id != request.user.pk and not has_role(request.user, "admin")
    ):
        raise Http404("No such export")
    return job


@require_POST
@role_required("operator")
def export_create_view(request: HttpRequest) -> HttpResponse:
    try:
        job = export_start(
            request=request,
            query=request.POST.get("query", ""),
            fmt=request.POST.get("format", "csv"),
        )
    except ValidationError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("finding_list"))
    return redirect(reverse("finding_export_detail", args=[job.id]))


@require_safe
@role_required("viewer")
def export_detail_view(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    job = _own_job(request, job_id)
    context = {
        "job": job,
        "refresh_seconds": REFRESH_SECONDS,
        "list_url": f"{reverse('finding_list')}?{job.query}"
        if job.query
        else reverse("finding_list"),
    }
    return render(request, "jobs/export.html", context)


@require_safe
@role_required("viewer")
def export_download_view(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    job = _own_job(request, job_id)
    if job.status != ExportJob.Status.DONE or not job.file_name:
        raise Http404("This export has no file (yet)")
    storage = export_storage()
    if not isinstance(storage, FileSystemStorage):
        return redirect(storage.url(job.file_name))  # pre-signed: never through the Lambda
    content_type = "text/csv" if job.format == ExportJob.Format.CSV else "application/json"
    return FileResponse(
        storage.open(job.file_name, "rb"),
        as_attachment=True,
        filename=job.file_name.rsplit("/", 1)[-1],
        content_type=content_type,
    )
