"""Load findings from files into the running local runtime's Security Hub.

What ``python manage.py securityhub_import FILE...`` does. Each file is read by the reader of its
format (`emulator.finding_readers`: a finding, a list of findings, a GetFindings response, an
EventBridge event of any detail-type carrying ``detail.findings``, a list of such events; other
formats register their own reader).

OCSF findings (the new Security Hub's, `emulator.finding_readers.OcsfReader`: a finding, a list,
a GetFindingsV2 response, "Findings Imported V2" events; a file may mix them with ASFF ones, the
format is decided per finding) go in through the local Security Hub's local-only V2 import
(``LOCAL_IMPORT_V2_PATH``: AWS has no API to import OCSF findings, only its products write
them), which emits one "Findings Imported V2" event per finding. An OCSF finding is checked for
what the local Security Hub needs to store it (`ocsf_finding_problem`: ``finding_info.uid``,
``metadata.product.uid``, ``cloud.account.uid``, ``class_uid``) and for what Ouroboros needs to
read it (`ouroboros.securityhub.ocsf.ocsf_parse`); unless ``keep_timestamps`` is set, its
``finding_info.modified_time(_dt)`` and ``time(_dt)`` (and ``last_seen_time(_dt)``) become now.

Each file is validated whole, then written whole, or refused whole with the reason; the other
files are written all the same, and the report says which files were written and which were not,
and why (`ImportReport`). Checking a finding, in order:

1. `asff_finding_conform`: fit it to BatchImportFindings' input shape. Keys outside the shape
   (``approximateArrivalTimestamp``, ``updatedAt`` in Custom Action events) and ``null`` values
   are dropped, with one notice per file naming them; values in another JSON type that the shape
   takes without loss are converted (``"Normalized": "40"`` to ``40``, an ``AwsAccountId`` given
   as a number to text), with one notice per file; any other mismatch refuses the finding;
2. its Id holds no control characters (`finding_id_problem`);
3. what Security Hub checks on import: required fields and timestamps (`finding_problem`) and the
   limits AWS enforces (`emulator.request_limits`: an Id of at most 512 characters, a 12-digit
   AwsAccountId, 240 KB...).

A refusal names the file, the finding's position there (1-based), its Id and each field at fault
(`finding_refusal`). Accepted files go in through the local Security Hub's BatchImportFindings
(plain boto3) in batches that fit AWS's 100 findings and 6 MB per call, so the local runtime emits
one "Security Hub Findings - Imported" event per finding on its event bus, as Security Hub does.
A finding the Security Hub itself refuses then is listed in `ImportReport.failed`.

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
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from emulator.asff_input import asff_finding_conform, finding_id_problem
from emulator.endpoints import endpoints_read
from emulator.finding_readers import findings_read
from emulator.request_limits import request_problems
from emulator.request_limits_table import (
    BATCH_IMPORT_MAX_BYTES,
    BATCH_IMPORT_MAX_FINDINGS,
    json_size,
)
from emulator.securityhub_findings import finding_problem, now_timestamp, timestamp_key
from emulator.securityhub_findings_v2 import ocsf_finding_problem
from emulator.securityhub_server import LOCAL_IMPORT_V2_PATH
from ouroboros.aws import client
from ouroboros.errors import OuroborosError, ValidationError
from ouroboros.securityhub.ocsf import OcsfValidationError, is_ocsf_finding, ocsf_parse

BATCH = BATCH_IMPORT_MAX_FINDINGS
_IN_REQUEST = "Findings[0]"
_INDEX = re.compile(r"\[\d+\]")


class LocalRuntimeRequiredError(OuroborosError):
    """The command only works against the local runtime, which is not running or not used here."""

    status_code = 409


@dataclass(frozen=True)
class FileRefusal:
    """A file nothing of which was written, and why (one line per reason)."""

    path: Path
    reasons: list[str]


@dataclass
class CheckedFile:
    """One file read and validated: its findings ready to import, or why it is refused."""

    path: Path
    findings: list[dict[str, Any]] = field(default_factory=list)
    #: Its OCSF findings (Security Hub V2), imported through the local-only V2 import.
    ocsf_findings: list[dict[str, Any]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    refusal: FileRefusal | None = None


@dataclass
class ImportReport:
    """What an import did: files written (with their finding count), refused, and notices."""

    files: int = 0
    imported: int = 0
    written: dict[Path, int] = field(default_factory=dict)
    refused: list[FileRefusal] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    #: Findings the local Security Hub refused after they passed the checks (FailedFindings).
    failed: list[dict[str, Any]] = field(default_factory=list)
    endpoint: str = ""


def asff_findings_load(path: Path) -> list[Any]:
    """The findings in one file, as read (`ValidationError` naming the file otherwise)."""
    return findings_read(path).findings


def findings_file_check(
    path: Path, *, now: str | None = None, keep_timestamps: bool = False
) -> CheckedFile:
    """Read and validate ``path`` whole (see the module docstring); never raises for its content."""
    checked = CheckedFile(path=path)
    try:
        read = findings_read(path)
    except ValidationError as exc:
        checked.refusal = FileRefusal(path, [str(exc)])
        return checked
    dropped: dict[str, None] = {}
    coerced: list[str] = []
    reasons: list[str] = []
    for number, raw in enumerate(read.findings, start=1):
        if is_ocsf_finding(raw):
            ocsf_refusal = ocsf_finding_refusal(path, number, raw)
            if ocsf_refusal is not None:
                reasons.append(ocsf_refusal["ErrorMessage"])
            else:
                checked.ocsf_findings.append(
                    raw if keep_timestamps else ocsf_finding_restamped(raw, now or now_timestamp())
                )
            continue
        conformed = asff_finding_conform(raw)
        dropped.update(dict.fromkeys(_INDEX.sub("[]", key) for key in conformed.dropped))
        coerced += [f"finding {number} {change}" for change in conformed.coerced]
        finding = conformed.finding
        if not keep_timestamps and isinstance(finding, dict):
            finding["UpdatedAt"] = now or now_timestamp()
            if "LastObservedAt" in finding:
                finding["LastObservedAt"] = finding["UpdatedAt"]
        refusal = finding_refusal(path, number, finding, conformed.problems)
        if refusal is None:
            checked.findings.append(finding)
        else:
            reasons.append(refusal["ErrorMessage"])
    if dropped:
        checked.notices.append(
            f"{path}: dropped what BatchImportFindings does not take: {', '.join(dropped)}"
        )
    if coerced:
        checked.notices.append(f"{path}: converted to the ASFF type: {'; '.join(coerced)}")
    if reasons:
        total = len(read.findings)
        reasons.insert(0, f"{path}: {len(reasons)} of {total} findings refused, file not written")
        checked.refusal = FileRefusal(path, reasons)
        checked.findings = []
        checked.ocsf_findings = []
    return checked


def ocsf_finding_refusal(path: Path, number: int, finding: Any) -> dict[str, Any] | None:
    """Why OCSF finding ``number`` of ``path`` cannot be imported, as a FailedFindings entry."""
    problems = []
    problem = ocsf_finding_problem(finding)
    if problem is not None:
        problems.append(problem)
    else:
        try:
            ocsf_parse(finding)
        except OcsfValidationError as exc:
            problems.append(f"Ouroboros cannot read it: {exc}")
    if not problems:
        return None
    info = finding.get("finding_info") if isinstance(finding, dict) else None
    uid = info.get("uid") if isinstance(info, dict) else None
    shown = ascii(uid)[1:-1] if isinstance(uid, str) else "(no finding_info.uid)"
    shown = shown if len(shown) <= 100 else shown[:97] + "..."
    return {
        "Id": str(uid or "(no finding_info.uid)"),
        "ErrorCode": "InvalidInput",
        "ErrorMessage": f"{path}: OCSF finding {number} ({shown}) refused: " + "; ".join(problems),
    }


def ocsf_finding_restamped(finding: dict[str, Any], now: str) -> dict[str, Any]:
    """A copy of ``finding`` as if Security Hub had just seen it again (times set to ``now``)."""
    restamped = json.loads(json.dumps(finding))
    moment = datetime.fromisoformat(timestamp_key(now).replace("Z", "+00:00")).astimezone(UTC)
    epoch_ms = int(moment.timestamp() * 1000)
    info = restamped.setdefault("finding_info", {})
    info["modified_time_dt"], info["modified_time"] = now, epoch_ms
    if "last_seen_time_dt" in info or "last_seen_time" in info:
        info["last_seen_time_dt"], info["last_seen_time"] = now, epoch_ms
    restamped["time_dt"], restamped["time"] = now, epoch_ms
    return restamped


def ocsf_findings_import(endpoint: str, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """Import OCSF findings (at most 100) through the local-only V2 import of ``endpoint``.

    Answers like BatchImportFindings; `LocalRuntimeRequiredError` when the local Security Hub
    cannot be reached or refuses the request whole.
    """
    request = urllib.request.Request(  # noqa: S310 - the local runtime's own http endpoint
        endpoint.rstrip("/") + LOCAL_IMPORT_V2_PATH,
        data=json.dumps({"Findings": findings}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        raise LocalRuntimeRequiredError(
            f"the local Security Hub refused the OCSF import: {exc.code} {detail}"
        ) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise LocalRuntimeRequiredError(f"the local Security Hub cannot be reached: {exc}") from exc
    return answer


def finding_refusal(
    path: Path, number: int, finding: Any, problems: list[str] | None = None
) -> dict[str, Any] | None:
    """Why Security Hub would refuse finding ``number`` of ``path``, as a FailedFindings entry.

    ``problems`` are those found before (`asff_finding_conform`'s); the rest are checked here.
    """
    mistyped = list(problems or [])
    problems = list(mistyped)
    finding_id = finding.get("Id") if isinstance(finding, dict) else None
    id_problem = finding_id_problem(finding_id)
    if id_problem is not None:
        problems.append(id_problem)
    problem = finding_problem(finding)
    if problem is not None:
        problems.append(problem)
    if not mistyped:  # botocore's validator would name the same mistyped fields again
        for found in request_problems(
            "securityhub", "BatchImportFindings", {"Findings": [finding]}
        ):
            problems.append(found.removeprefix(_IN_REQUEST).lstrip("."))
    if not problems:
        return None
    shown = ascii(finding_id)[1:-1] if isinstance(finding_id, str) else "(no Id)"
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
    """Import the findings of ``paths`` into the local Security Hub (see the module docstring)."""
    endpoint = local_securityhub_endpoint()
    report = ImportReport(files=len(paths), endpoint=endpoint)
    now = now_timestamp()
    checked = [findings_file_check(p, now=now, keep_timestamps=keep_timestamps) for p in paths]
    securityhub = client("securityhub")
    for each in checked:
        report.notices += each.notices
        if each.refusal is not None:
            report.refused.append(each.refusal)
            continue
        written = 0
        try:
            for batch in findings_batches(each.findings):
                response = securityhub.batch_import_findings(Findings=batch)
                written += response["SuccessCount"]
                report.failed += response.get("FailedFindings") or []
            for batch in findings_batches(each.ocsf_findings):
                response = ocsf_findings_import(endpoint, batch)
                written += response["SuccessCount"]
                report.failed += response.get("FailedFindings") or []
        except (BotoCoreError, ClientError, LocalRuntimeRequiredError) as exc:
            reason = (
                f"{each.path}: the local Security Hub refused it after {written} findings: {exc}"
            )
            report.refused.append(FileRefusal(each.path, [reason]))
        report.imported += written
        if written:
            report.written[each.path] = written
    return report
