"""Load ASFF findings from files into the running local runtime's Security Hub.

What ``python manage.py securityhub_import FILE...`` does. A file may hold a single finding, a
list of findings, a GetFindings response (``{"Findings": [...]}``), an EventBridge event
(``detail.findings``) or a list of such events. Every file is read before anything is written,
so a file that is not JSON or holds no findings stops the import and nothing is written.

Each finding is then checked as Security Hub checks it on import: its required fields and
timestamps (`finding_problem`) and the limits AWS enforces (`emulator.request_limits`: an Id of at
most 512 characters, a 12-digit AwsAccountId, 240 KB...). A finding that fails is refused with a
message naming its file, its position there and its Id (`ImportReport.failed`); the good ones are
still written. They go in through the local Security Hub's BatchImportFindings (plain boto3) in
batches that fit AWS's 100 findings and 6 MB per call, so the local runtime emits one "Security Hub
Findings - Imported" event per finding on its event bus, as Security Hub does.

Unless ``keep_timestamps`` is set, ``UpdatedAt`` (and ``LastObservedAt``) are set to now, as if
Security Hub had just seen the finding again: samples from 2021 would otherwise sit below every
collector's UpdatedAt watermark.

It refuses (`LocalRuntimeRequiredError`) unless this process points at a running local runtime
that serves Security Hub: loading samples into a real account's Security Hub by mistake is not
something to allow from a debugging command.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.endpoints import endpoints_read
from emulator.request_limits import request_problems
from emulator.request_limits_table import (
    BATCH_IMPORT_MAX_BYTES,
    BATCH_IMPORT_MAX_FINDINGS,
    json_size,
)
from emulator.securityhub_findings import finding_problem, now_timestamp
from ouroboros.aws import client
from ouroboros.errors import OuroborosError, ValidationError

BATCH = BATCH_IMPORT_MAX_FINDINGS
_IN_REQUEST = "Findings[0]"


class LocalRuntimeRequiredError(OuroborosError):
    """The command only works against the local runtime, which is not running or not used here."""

    status_code = 409


@dataclass
class ImportReport:
    """What an import did."""

    files: int = 0
    imported: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    endpoint: str = ""


def asff_findings_load(path: Path) -> list[dict[str, Any]]:
    """The findings in one file (any of the shapes in the module docstring)."""
    try:
        document = json.loads(path.read_text())
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ValidationError(f"{path}: not JSON: {exc}") from exc
    findings = _findings_in(document)
    if findings is None:
        raise ValidationError(
            f"{path}: not a finding, a list of findings, a GetFindings response or an "
            "EventBridge event with detail.findings"
        )
    if not findings:
        raise ValidationError(f"{path}: holds no findings")
    return findings


def finding_refusal(path: Path, number: int, finding: Any) -> dict[str, Any] | None:
    """Why Security Hub would refuse finding ``number`` of ``path``, as a FailedFindings entry."""
    problems = []
    problem = finding_problem(finding)
    if problem is not None:
        problems.append(problem)
    for found in request_problems("securityhub", "BatchImportFindings", {"Findings": [finding]}):
        problems.append(found.removeprefix(_IN_REQUEST).lstrip("."))
    if not problems:
        return None
    finding_id = finding.get("Id") if isinstance(finding, dict) else None
    shown = str(finding_id or "(no Id)")
    shown = shown if len(shown) <= 100 else shown[:97] + "..."
    return {
        "Id": str(finding_id or "(no Id)"),
        "ErrorCode": "InvalidInput",
        "ErrorMessage": f"{path}: finding {number} ({shown}) refused: " + "; ".join(problems),
    }


def findings_batches(findings: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """``findings`` in BatchImportFindings calls of at most 100 findings and 6 MB each."""
    batches: list[list[dict[str, Any]]] = []
    size = 0
    envelope = json_size({"Findings": []})
    for finding in findings:
        extra = json_size(finding) + 1  # and its comma
        full = batches and (
            len(batches[-1]) >= BATCH or size + extra > BATCH_IMPORT_MAX_BYTES - envelope
        )
        if not batches or full:
            batches.append([])
            size = 0
        batches[-1].append(finding)
        size += extra
    return batches


def _findings_in(document: Any) -> list[dict[str, Any]] | None:
    if isinstance(document, list):
        found: list[dict[str, Any]] = []
        for item in document:
            inner = _findings_in(item)
            if inner is None:
                return None
            found += inner
        return found
    if not isinstance(document, dict):
        return None
    if isinstance(document.get("Findings"), list):
        return list(document["Findings"])
    detail = document.get("detail")
    if isinstance(detail, dict) and isinstance(detail.get("findings"), list):
        return list(detail["findings"])
    if "SchemaVersion" in document or ("Id" in document and "ProductArn" in document):
        return [document]
    return None


def local_securityhub_endpoint() -> str:
    """The local Security Hub this process uses; raises `LocalRuntimeRequiredError` otherwise."""
    endpoints = endpoints_read()
    if endpoints is None:
        raise LocalRuntimeRequiredError(
            "no local runtime is running for this data folder: start it with `make run` "
            "(this command only loads findings into the local Security Hub)"
        )
    if not endpoints.securityhub:
        raise LocalRuntimeRequiredError(
            "the running local runtime serves no Security Hub (started without its extension)"
        )
    if os.environ.get("AWS_ENDPOINT_URL_SECURITYHUB") != endpoints.securityhub:
        raise LocalRuntimeRequiredError(
            "this process does not point at the local runtime's Security Hub "
            f"({endpoints.securityhub}); unset AWS_ENDPOINT_URL* or point them there"
        )
    return endpoints.securityhub


def securityhub_import_files(*, paths: list[Path], keep_timestamps: bool = False) -> ImportReport:
    """Import every finding of ``paths`` into the local Security Hub (see the module docstring)."""
    endpoint = local_securityhub_endpoint()
    loaded = [(path, asff_findings_load(path)) for path in paths]
    report = ImportReport(files=len(paths), endpoint=endpoint)
    now = now_timestamp()
    accepted: list[dict[str, Any]] = []
    for path, findings in loaded:
        for number, finding in enumerate(findings, start=1):
            if not keep_timestamps and isinstance(finding, dict):
                finding["UpdatedAt"] = now
                if "LastObservedAt" in finding:
                    finding["LastObservedAt"] = now
            refusal = finding_refusal(path, number, finding)
            if refusal is None:
                accepted.append(finding)
            else:
                report.failed.append(refusal)
    securityhub = client("securityhub")
    for batch in findings_batches(accepted):
        response = securityhub.batch_import_findings(Findings=batch)
        report.imported += response["SuccessCount"]
        report.failed += response.get("FailedFindings") or []
    return report
