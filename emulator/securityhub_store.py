"""The local Security Hub's store: standards, controls and findings in one SQLite file.

``<data dir>/securityhub.sqlite3`` (WAL mode, busy timeout, every write in one ``BEGIN
IMMEDIATE`` transaction) is safe for several threads and several processes: a batch is stored
whole or not at all. Findings keep their raw ASFF beside the columns GetFindings filters and sorts
on; standards and control definitions come from the shipped AFSBP catalog
(`emulator.securityhub_standards`).

Each public method is one Security Hub operation, named as the boto3 client method, taking the
request and returning the response in boto3's shapes, so the store can stand in for a client in
tests and the HTTP server (`emulator.securityhub_server`) is a thin adapter. Findings
rules (what import and update change) are in `emulator.securityhub_findings`, filters in
`emulator.securityhub_query`.

``on_findings_changed`` is called after each committed BatchImportFindings / BatchUpdateFindings
with the findings as stored; the runtime turns them into "Findings - Imported" events. The V2
(OCSF) findings and operations are the mixin `emulator.securityhub_store_v2`'s, the ticket
connectors and their tickets the mixin `emulator.securityhub_tickets`'s.

Off by default, a store paces GetFindings and GetFindingsV2 at AWS's rate (``pacer``, a
`emulator.securityhub_pacing.RequestPacer`) and expires its ``NextToken`` after
``token_max_age`` seconds, both on the pacer's clock (or ``clock``), which a benchmark or test
makes virtual. `findings_seed` bulk-loads findings as stored (no import rules, no events).

One store is the administrator account's aggregated view (account 123456789012, like moto's
default account): BatchImportFindings accepts findings of any account, which AWS allows only for
the finding's own account or an allow-listed partner.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from emulator.securityhub_errors import InvalidInputError
from emulator.securityhub_findings import (
    SEVERITY_LABELS,
    finding_import,
    finding_problem,
    finding_update,
    now_timestamp,
    timestamp_key,
)
from emulator.securityhub_pacing import Clock, RealClock, RequestPacer
from emulator.securityhub_query import findings_query
from emulator.securityhub_standards import STANDARDS, StandardsOperations
from emulator.securityhub_store_v2 import V2_SCHEMA, FindingsV2Operations
from emulator.securityhub_tickets import TICKETS_SCHEMA, TicketsV2Operations

logger = logging.getLogger(__name__)

STORE_FILE = "securityhub.sqlite3"
LOCAL_ACCOUNT_ID = "123456789012"
MAX_BATCH = 100
_UPDATABLE = (
    "Note",
    "Severity",
    "VerificationState",
    "Confidence",
    "Criticality",
    "Types",
    "UserDefinedFields",
    "Workflow",
    "RelatedFindings",
)
_WORKFLOW_STATUSES = {"NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (
    standards_arn TEXT PRIMARY KEY, subscribed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS control_status (
    standards_arn TEXT NOT NULL, control_id TEXT NOT NULL, status TEXT NOT NULL,
    disabled_reason TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (standards_arn, control_id));
CREATE TABLE IF NOT EXISTS findings (
    id TEXT NOT NULL, product_arn TEXT NOT NULL, aws_account_id TEXT, region TEXT,
    generator_id TEXT, record_state TEXT, compliance_status TEXT, workflow_status TEXT,
    severity_label TEXT, severity_normalized REAL, security_control_id TEXT,
    product_name TEXT, title TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    first_observed_at TEXT, last_observed_at TEXT, raw TEXT NOT NULL,
    customer_owned TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (id, product_arn));
CREATE INDEX IF NOT EXISTS findings_updated ON findings (updated_at, id, product_arn);
CREATE INDEX IF NOT EXISTS findings_created ON findings (created_at, id, product_arn);
"""


#: How long a new connection waits for another process that is switching the file to WAL.
WAL_SWITCH_SECONDS = 30.0


def _wal_enable(db: sqlite3.Connection) -> None:
    """Put the database in WAL mode, waiting out another process doing the same.

    SQLite does not call the busy handler while it changes the journal mode of a database another
    connection is opening, so two processes creating one store at once get "database is locked"
    at once (seen in CI); once the file is in WAL mode the pragma is a read and never waits.
    """
    deadline = time.monotonic() + WAL_SWITCH_SECONDS
    while True:
        try:
            if db.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal":
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.05)


class SecurityHubStore(StandardsOperations, FindingsV2Operations, TicketsV2Operations):
    """The local Security Hub's data and operations (see the module docstring)."""

    def __init__(
        self,
        path: Path,
        *,
        region: str = "us-east-1",
        account_id: str = LOCAL_ACCOUNT_ID,
        on_findings_changed: Callable[[list[dict[str, Any]]], None] | None = None,
        on_findings_v2_changed: Callable[[list[dict[str, Any]]], None] | None = None,
        enable_default_standards: bool = True,
        pacer: RequestPacer | None = None,
        token_max_age: float | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.path = path
        self.pacer = pacer
        self.token_max_age = token_max_age
        self.clock: Clock = clock or (pacer.clock if pacer is not None else RealClock())
        self.region = region
        self.account_id = account_id
        self.on_findings_changed = on_findings_changed
        self.on_findings_v2_changed = on_findings_v2_changed
        #: Where clients reach this store (the HTTP server sets it): the tickets' local URLs.
        self.public_url = ""
        self._pool: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._write() as db:
            self._init(db, enable_default_standards)

    # -- connections ------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA busy_timeout = 30000")
        _wal_enable(db)
        db.execute("PRAGMA synchronous = NORMAL")
        with self._lock:
            self._all.append(db)
        return db

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            db = self._pool.get_nowait()
        except queue.Empty:
            db = self._open()
        try:
            yield db
        finally:
            self._pool.put(db)

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as db:
            yield db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        """Close every connection (the store can be opened again by a new instance)."""
        with self._lock:
            for db in self._all:
                db.close()
            self._all.clear()
        self._pool = queue.LifoQueue()

    def _init(self, db: sqlite3.Connection, enable_default_standards: bool) -> None:
        for statement in (_SCHEMA + ";" + V2_SCHEMA + ";" + TICKETS_SCHEMA).split(";"):
            if statement.strip():
                db.execute(statement)
        fresh = db.execute("SELECT 1 FROM meta WHERE key = 'subscribed_at'").fetchone() is None
        if fresh:
            now = now_timestamp()
            db.execute("INSERT INTO meta VALUES ('subscribed_at', ?)", (now,))
            if enable_default_standards:
                for arn in STANDARDS:
                    db.execute("INSERT OR IGNORE INTO subscriptions VALUES (?, ?)", (arn, now))

    # -- findings ---------------------------------------------------------------------------

    def batch_import_findings(self, request: dict[str, Any]) -> dict[str, Any]:
        """BatchImportFindings: create or update each finding (see securityhub_findings)."""
        findings = request.get("Findings")
        if not isinstance(findings, list) or not 1 <= len(findings) <= MAX_BATCH:
            raise InvalidInputError(f"Findings must hold 1 to {MAX_BATCH} findings")
        now = now_timestamp()
        failed: list[dict[str, Any]] = []
        stored: list[dict[str, Any]] = []
        with self._write() as db:
            for incoming in findings:
                problem = finding_problem(incoming)
                if problem is not None:
                    finding_id = incoming.get("Id") if isinstance(incoming, dict) else None
                    failed.append(
                        {
                            "Id": str(finding_id or "(no Id)"),
                            "ErrorCode": "InvalidInput",
                            "ErrorMessage": problem,
                        }
                    )
                    continue
                existing, owned = self._load(db, incoming["Id"], incoming["ProductArn"])
                finding = finding_import(incoming, existing, owned, region=self.region, now=now)
                self._save(db, finding, owned)
                stored.append(finding)
        self._changed(stored)
        return {"FailedCount": len(failed), "SuccessCount": len(stored), "FailedFindings": failed}

    def batch_update_findings(self, request: dict[str, Any]) -> dict[str, Any]:
        """BatchUpdateFindings: change the customer's fields; ``UpdatedAt`` stays (as on AWS)."""
        identifiers = request.get("FindingIdentifiers")
        if not isinstance(identifiers, list) or not 1 <= len(identifiers) <= MAX_BATCH:
            raise InvalidInputError(f"FindingIdentifiers must hold 1 to {MAX_BATCH} findings")
        if any(
            not isinstance(i, dict) or not i.get("Id") or not i.get("ProductArn")
            for i in identifiers
        ):
            raise InvalidInputError("every FindingIdentifier needs Id and ProductArn")
        update = {name: request[name] for name in _UPDATABLE if name in request}
        _check_update(update)
        now = now_timestamp()
        processed: list[dict[str, str]] = []
        unprocessed: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        with self._write() as db:
            for identifier in identifiers:
                existing, owned = self._load(db, identifier["Id"], identifier["ProductArn"])
                if existing is None:
                    unprocessed.append(
                        {
                            "FindingIdentifier": identifier,
                            "ErrorCode": "FindingNotFound",
                            "ErrorMessage": "Finding Not Found",
                        }
                    )
                    continue
                finding, newly_owned = finding_update(existing, update, now=now)
                self._save(db, finding, owned | newly_owned)
                processed.append({"Id": identifier["Id"], "ProductArn": identifier["ProductArn"]})
                changed.append(finding)
        self._changed(changed)
        return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}

    def _paced(self, operation: str) -> float:
        """Wait for ``operation``'s turn (if paced); the clock's time then."""
        if self.pacer is not None:
            self.pacer.wait(operation)
        return self.clock.now()

    def findings_seed(self, findings: Iterable[dict[str, Any]], *, chunk: int = 5000) -> int:
        """Store ``findings`` as they are (complete ASFF, e.g. generated by a benchmark), in
        transactions of ``chunk``: no import rules, no events. Returns how many were stored."""
        stored = 0
        batch: list[dict[str, Any]] = []
        for finding in findings:
            batch.append(finding)
            if len(batch) >= chunk:
                stored += self._seed(batch)
                batch = []
        return stored + (self._seed(batch) if batch else 0)

    def _seed(self, findings: list[dict[str, Any]]) -> int:
        with self._write() as db:
            for finding in findings:
                self._save(db, finding, set())
        return len(findings)

    def get_findings(self, request: dict[str, Any]) -> dict[str, Any]:
        """GetFindings with the filters, sort and paging of `securityhub_query`."""
        clock = self._paced("GetFindings")
        query = findings_query(request, clock=clock, token_max_age=self.token_max_age)
        sql, params = query.sql()
        with self._read() as db:
            try:
                rows = db.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                raise InvalidInputError(f"filter cannot be evaluated: {exc}") from exc
        response: dict[str, Any] = {"Findings": [json.loads(row[0]) for row in rows[: query.limit]]}
        if len(rows) > query.limit:
            response["NextToken"] = query.token(rows[query.limit - 1])
        return response

    def _load(
        self, db: sqlite3.Connection, finding_id: str, product_arn: str
    ) -> tuple[dict[str, Any] | None, set[str]]:
        row = db.execute(
            "SELECT raw, customer_owned FROM findings WHERE id = ? AND product_arn = ?",
            (finding_id, product_arn),
        ).fetchone()
        if row is None:
            return None, set()
        return json.loads(row[0]), set(json.loads(row[1]))

    def _save(self, db: sqlite3.Connection, finding: dict[str, Any], owned: set[str]) -> None:
        severity = finding.get("Severity") or {}
        compliance = finding.get("Compliance") or {}
        db.execute(
            "INSERT OR REPLACE INTO findings (id, product_arn, aws_account_id, region, "
            "generator_id, record_state, compliance_status, workflow_status, severity_label, "
            "severity_normalized, security_control_id, product_name, title, created_at, "
            "updated_at, first_observed_at, last_observed_at, raw, customer_owned) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                finding["Id"],
                finding["ProductArn"],
                finding.get("AwsAccountId"),
                finding.get("Region"),
                finding.get("GeneratorId"),
                finding.get("RecordState"),
                compliance.get("Status"),
                (finding.get("Workflow") or {}).get("Status"),
                severity.get("Label"),
                severity.get("Normalized"),
                compliance.get("SecurityControlId"),
                finding.get("ProductName"),
                finding.get("Title"),
                timestamp_key(finding["CreatedAt"]),
                timestamp_key(finding["UpdatedAt"]),
                _optional_key(finding.get("FirstObservedAt")),
                _optional_key(finding.get("LastObservedAt")),
                json.dumps(finding, separators=(",", ":")),
                json.dumps(sorted(owned)),
            ),
        )

    def _changed(self, findings: list[dict[str, Any]]) -> None:
        _notify(self.on_findings_changed, findings)

    def _changed_v2(self, findings: list[dict[str, Any]]) -> None:
        _notify(self.on_findings_v2_changed, findings)


def _notify(
    callback: Callable[[list[dict[str, Any]]], None] | None, findings: list[dict[str, Any]]
) -> None:
    if not findings or callback is None:
        return
    try:
        callback(findings)
    except Exception:  # an event that cannot be sent never undoes a committed write
        logger.exception("publishing %d changed findings failed", len(findings))


def _optional_key(value: Any) -> str | None:
    return timestamp_key(value) if value else None


def _check_update(update: dict[str, Any]) -> None:
    if not update:
        raise InvalidInputError("BatchUpdateFindings needs at least one field to update")
    workflow = update.get("Workflow")
    if workflow is not None and workflow.get("Status") not in _WORKFLOW_STATUSES:
        raise InvalidInputError(f"Workflow.Status must be one of {sorted(_WORKFLOW_STATUSES)}")
    note = update.get("Note")
    if note is not None and not (note.get("Text") and note.get("UpdatedBy")):
        raise InvalidInputError("Note needs Text and UpdatedBy")
    for name in ("Confidence", "Criticality"):
        if name in update and not (isinstance(update[name], int) and 0 <= update[name] <= 100):
            raise InvalidInputError(f"{name} must be 0..100")
    severity = update.get("Severity")
    if severity is not None and not any(k in severity for k in ("Label", "Normalized", "Product")):
        raise InvalidInputError("Severity needs Label, Normalized or Product")
    if severity is not None and severity.get("Label") not in (None, *SEVERITY_LABELS):
        raise InvalidInputError(f"Severity.Label must be one of {', '.join(SEVERITY_LABELS)}")
