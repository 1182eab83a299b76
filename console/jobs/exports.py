"""Findings exports: CSV or JSON of a findings view, written by a job, linked when done.

A Lambda response is at most 6 MB and 29 s, so an export is never streamed in the request:
`export_start` validates the view (the findings list's own form), records an `ExportJob`, audits
it and hands it to a runner (``settings.EXPORT_RUNNER``):

- ``lambda``: an asynchronous invocation of the console function (Zappa's task runner,
  ``lambda:InvokeFunction`` on itself, which the console role already has);
- ``thread``: a thread of this process (the local runtime);
- ``inline``: in the calling request (tests).

`export_run` pages through the same index-backed selector as the list (`finding_list`: Queries
only, never a Scan), at most `EXPORT_MAX_ROWS` rows (then ``truncated``), and saves the file in
the export storage (``settings.EXPORT_STORAGE``: S3 on AWS, downloaded by pre-signed URL; else
the data folder's ``exports/``). The status page refreshes until the job is done, then links it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import close_old_connections
from django.http import HttpRequest, QueryDict

from console.audit.services import audit_record
from console.findings.forms import FindingFilterForm
from console.jobs.models import ExportJob
from ouroboros.config import get_config
from ouroboros.errors import OuroborosError, ValidationError
from ouroboros.findings.plan import LIST_ATTRIBUTES, MAX_LIMIT
from ouroboros.findings.selectors import BATCH_READ_BUDGET_FACTOR, finding_list

logger = logging.getLogger(__name__)

EXPORT_MAX_ROWS = 100_000
#: What the list's URL may carry that is not part of the view (paging, grouping, page size).
_NOT_THE_VIEW = ("cursor", "trail", "group", "size")


def export_storage() -> Storage:
    """The storage exports are written to and read from (module docstring)."""
    if settings.EXPORT_STORAGE:
        return storages.create_storage(settings.EXPORT_STORAGE)
    return FileSystemStorage(location=get_config().data_dir / "exports")


def _view_query(query: str) -> QueryDict:
    params = QueryDict(query, mutable=True)
    for name in _NOT_THE_VIEW:
        params.pop(name, None)
    return params


def _form(query: str) -> FindingFilterForm:
    form = FindingFilterForm(_view_query(query))
    if not form.is_valid():
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        raise ValidationError(f"This view cannot be exported: {problems}")
    return form


def export_start(*, request: HttpRequest, query: str, fmt: str) -> ExportJob:
    """Record, audit and start the export of the findings view ``query`` as ``fmt``.

    Raises `ValidationError` for an unknown format, a view the findings list would refuse, or
    exports on Lambda without an export bucket.
    """
    if settings.EXPORT_RUNNER == "lambda" and not settings.EXPORT_STORAGE:
        # A Lambda's own disk is gone with it and not shared: the file must go to S3.
        raise ValidationError("Exports need an S3 bucket here: set OUROBOROS_EXPORT_BUCKET")
    if fmt not in ExportJob.Format.values:
        raise ValidationError(f"Format must be one of {', '.join(ExportJob.Format.values)}")
    view = _view_query(query)
    _form(view.urlencode())
    user = request.user if request.user.is_authenticated else None
    job = ExportJob.objects.create(created_by=user, query=view.urlencode(), format=fmt)
    audit_record(
        request=request,
        action="findings.export",
        target_type="export",
        target_id=str(job.id),
        after={"query": job.query, "format": fmt},
    )
    export_dispatch(job)
    return job


def export_dispatch(job: ExportJob) -> None:
    """Hand ``job`` to the configured runner (module docstring)."""
    runner = settings.EXPORT_RUNNER
    if runner == "inline":
        export_run(job_id=str(job.id))
    elif runner == "lambda":
        from zappa.asynchronous import run  # only on Lambda: Zappa's asynchronous task runner

        run(export_run, kwargs={"job_id": str(job.id)})
    else:
        threading.Thread(
            target=_run_in_thread, kwargs={"job_id": str(job.id)}, name=f"export-{job.id}"
        ).start()


def _run_in_thread(*, job_id: str) -> None:
    try:
        export_run(job_id=job_id)
    finally:
        close_old_connections()


def _rows(job: ExportJob) -> Iterator[dict[str, Any]]:
    form = _form(job.query)
    cursor: str | None = None
    while True:
        page = finding_list(
            filters=form.filters(),
            sort=form.sort_order(),
            cursor=cursor,
            limit=MAX_LIMIT,
            read_budget_factor=BATCH_READ_BUDGET_FACTOR,
        )
        for item in page.items:
            yield {name: getattr(item, name, None) for name in LIST_ATTRIBUTES}
        cursor = page.next_cursor
        if not cursor:
            return


def _render(job: ExportJob) -> tuple[bytes, int, bool]:
    rows: list[dict[str, Any]] = []
    truncated = False
    for row in _rows(job):
        if len(rows) == EXPORT_MAX_ROWS:
            truncated = True
            break
        rows.append(row)
    if job.format == ExportJob.Format.JSON:
        body = json.dumps({"query": job.query, "truncated": truncated, "findings": rows})
        return body.encode(), len(rows), truncated
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=LIST_ATTRIBUTES, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue().encode(), len(rows), truncated


def _cell(value: Any) -> Any:
    """A CSV cell; text a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_run(*, job_id: str) -> None:
    """Run the export ``job_id``: read its view page by page, write the file, record the result."""
    job = ExportJob.objects.get(pk=job_id)
    if job.status != ExportJob.Status.PENDING:
        return  # a retried invocation of a job that already ran
    job.status = ExportJob.Status.RUNNING
    job.save(update_fields=["status"])
    try:
        body, job.rows, job.truncated = _render(job)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        name = f"findings-{stamp}-{job.id.hex[:8]}.{job.format}"
        job.file_name = export_storage().save(name, ContentFile(body))
        job.status = ExportJob.Status.DONE
    except OuroborosError as exc:
        job.status, job.error = ExportJob.Status.FAILED, str(exc)
    except Exception:
        logger.exception("export %s failed", job_id)
        job.status, job.error = ExportJob.Status.FAILED, "The export failed; see the logs."
    job.finished_at = datetime.now(UTC)
    job.save()


def export_list_query(job: ExportJob) -> str:
    """The findings list URL query of ``job``'s view (to link back to it)."""
    return urlencode(list(QueryDict(job.query).lists()), doseq=True)
