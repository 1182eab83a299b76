"""The local Security Hub's V2 (OCSF) findings: GetFindingsV2, BatchUpdateFindingsV2, import.

A mixin of `SecurityHubStore`, in the same SQLite file: table ``findings_v2`` keeps each OCSF
finding as imported (an OCSF finding stays OCSF, beside the ASFF ones of ``findings``), keyed by
``metadata.uid`` and unique by ``OcsfFindingIdentifier`` (`emulator.securityhub_findings_v2`).
GetFindingsV2 filters, sorts and pages as `emulator.securityhub_query_v2` says.

``findings_v2_import`` has no AWS operation (findings reach Security Hub V2 from the products
only): the HTTP server serves it on a local-only path (`emulator.securityhub_server`), for
``securityhub_import`` and the demo. ``on_findings_v2_changed`` is called after each committed
import or BatchUpdateFindingsV2 with the findings as stored; the runtime turns them into
"Findings Imported V2" events.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from emulator.securityhub_errors import FindingsV2ValidationError
from emulator.securityhub_findings_v2 import (
    CUSTOMER_FIELDS,
    identifier_of,
    modified_key,
    ocsf_finding_import,
    ocsf_finding_problem,
    ocsf_finding_update,
    ocsf_identity,
    ocsf_update_problem,
)
from emulator.securityhub_query_v2 import findings_v2_query

MAX_BATCH_V2 = 100

V2_SCHEMA = """
CREATE TABLE IF NOT EXISTS findings_v2 (
    metadata_uid TEXT PRIMARY KEY, account_uid TEXT NOT NULL, finding_uid TEXT NOT NULL,
    product_uid TEXT NOT NULL, modified_at TEXT NOT NULL, raw TEXT NOT NULL,
    customer_owned TEXT NOT NULL DEFAULT '[]', UNIQUE (account_uid, finding_uid, product_uid))
"""
_IDENTIFIER_KEYS = ("CloudAccountUid", "FindingInfoUid", "MetadataProductUid")


class _Database(Protocol):
    on_findings_v2_changed: Callable[[list[dict[str, Any]]], None] | None
    token_max_age: float | None

    def _paced(self, operation: str) -> float: ...

    def _read(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def _changed_v2(self, findings: list[dict[str, Any]]) -> None: ...


_Loaded = tuple[dict[str, Any], set[str]]


def _load_by_identity(db: sqlite3.Connection, identity: tuple[str, str, str]) -> _Loaded | None:
    row = db.execute(
        "SELECT raw, customer_owned FROM findings_v2 "
        "WHERE account_uid = ? AND finding_uid = ? AND product_uid = ?",
        identity,
    ).fetchone()
    return None if row is None else (json.loads(row[0]), set(json.loads(row[1])))


def _load_by_uid(db: sqlite3.Connection, metadata_uid: str) -> _Loaded | None:
    row = db.execute(
        "SELECT raw, customer_owned FROM findings_v2 WHERE metadata_uid = ?", (metadata_uid,)
    ).fetchone()
    return None if row is None else (json.loads(row[0]), set(json.loads(row[1])))


def _save(db: sqlite3.Connection, finding: dict[str, Any], owned: set[str]) -> None:
    # REPLACE also drops the row of the same identity stored under an older metadata.uid
    db.execute(
        "INSERT OR REPLACE INTO findings_v2 (metadata_uid, account_uid, finding_uid, "
        "product_uid, modified_at, raw, customer_owned) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            finding["metadata"]["uid"],
            *ocsf_identity(finding),
            modified_key(finding),
            json.dumps(finding, separators=(",", ":")),
            json.dumps(sorted(owned)),
        ),
    )


def _uid_taken(db: sqlite3.Connection, metadata_uid: str, identity: tuple[str, str, str]) -> bool:
    row = db.execute(
        "SELECT account_uid, finding_uid, product_uid FROM findings_v2 WHERE metadata_uid = ?",
        (metadata_uid,),
    ).fetchone()
    return row is not None and tuple(row) != identity


def _refused(finding: Any, message: str) -> dict[str, Any]:
    uid = finding.get("finding_info", {}) if isinstance(finding, dict) else {}
    shown = uid.get("uid") if isinstance(uid, dict) else None
    return {
        "Id": str(shown or "(no finding_info.uid)"),
        "ErrorCode": "InvalidInput",
        "ErrorMessage": message,
    }


class FindingsV2Operations:
    """Mixin of `SecurityHubStore`: the V2 (OCSF) findings operations."""

    def findings_v2_import(self: _Database, request: dict[str, Any]) -> dict[str, Any]:
        """Local only: create or update each OCSF finding of ``request["Findings"]``.

        Answers like BatchImportFindings (``SuccessCount``, ``FailedCount``, ``FailedFindings``
        with ``Id`` = ``finding_info.uid``); a finding that cannot be stored fails alone.
        """
        findings = request.get("Findings")
        if not isinstance(findings, list) or not 1 <= len(findings) <= MAX_BATCH_V2:
            raise FindingsV2ValidationError(f"Findings must hold 1 to {MAX_BATCH_V2} findings")
        failed: list[dict[str, Any]] = []
        stored: list[dict[str, Any]] = []
        with self._write() as db:
            for incoming in findings:
                problem = ocsf_finding_problem(incoming)
                if problem is not None:
                    failed.append(_refused(incoming, problem))
                    continue
                identity = ocsf_identity(incoming)
                existing, owned = _load_by_identity(db, identity) or (None, set())
                finding, owned = ocsf_finding_import(incoming, existing, owned)
                if _uid_taken(db, finding["metadata"]["uid"], identity):
                    failed.append(
                        _refused(incoming, "metadata.uid belongs to another finding already")
                    )
                    continue
                _save(db, finding, owned)
                stored.append(finding)
        self._changed_v2(stored)
        return {"FailedCount": len(failed), "SuccessCount": len(stored), "FailedFindings": failed}

    def get_findings_v2(self: _Database, request: dict[str, Any]) -> dict[str, Any]:
        """GetFindingsV2 with the filters, sort and paging of `securityhub_query_v2`."""
        clock = self._paced("GetFindingsV2")
        query = findings_v2_query(request, clock=clock, token_max_age=self.token_max_age)
        with self._read() as db:
            rows = db.execute("SELECT metadata_uid, raw FROM findings_v2").fetchall()
        return query.page([(uid, json.loads(raw)) for uid, raw in rows])

    def batch_update_findings_v2(self: _Database, request: dict[str, Any]) -> dict[str, Any]:
        """BatchUpdateFindingsV2 by ``MetadataUids`` or ``FindingIdentifiers`` (not both)."""
        targets = _targets(request)
        update = {name: request[name] for name in CUSTOMER_FIELDS if name in request}
        problem = ocsf_update_problem(update)
        if problem is not None:
            raise FindingsV2ValidationError(problem)
        processed: list[dict[str, Any]] = []
        unprocessed: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        with self._write() as db:
            for given in targets:
                if "MetadataUid" in given:
                    loaded = _load_by_uid(db, given["MetadataUid"])
                else:
                    identifier = given["FindingIdentifier"]
                    identity = (
                        identifier["CloudAccountUid"],
                        identifier["FindingInfoUid"],
                        identifier["MetadataProductUid"],
                    )
                    loaded = _load_by_identity(db, identity)
                if loaded is None:
                    unprocessed.append(
                        {
                            **given,
                            "ErrorCode": "ResourceNotFoundException",
                            "ErrorMessage": "Finding not found",
                        }
                    )
                    continue
                existing, owned = loaded
                finding = ocsf_finding_update(existing, update)
                _save(db, finding, owned | set(update))
                processed.append(
                    {
                        "FindingIdentifier": identifier_of(finding),
                        "MetadataUid": finding["metadata"]["uid"],
                    }
                )
                changed.append(finding)
        self._changed_v2(changed)
        return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}


def _targets(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings a BatchUpdateFindingsV2 names, each as its UnprocessedFindings key."""
    uids = request.get("MetadataUids") or []
    identifiers = request.get("FindingIdentifiers") or []
    if uids and identifiers:
        raise FindingsV2ValidationError("give MetadataUids or FindingIdentifiers, not both")
    if not uids and not identifiers:
        raise FindingsV2ValidationError("give MetadataUids or FindingIdentifiers")
    if len(uids) > MAX_BATCH_V2 or len(identifiers) > MAX_BATCH_V2:
        raise FindingsV2ValidationError(f"at most {MAX_BATCH_V2} findings per call")
    if uids:
        if not all(isinstance(uid, str) and uid.strip() for uid in uids):
            raise FindingsV2ValidationError("every MetadataUid is a non-blank string")
        return [{"MetadataUid": uid} for uid in uids]
    for identifier in identifiers:
        if not isinstance(identifier, dict) or not all(
            isinstance(identifier.get(key), str) and identifier[key] for key in _IDENTIFIER_KEYS
        ):
            raise FindingsV2ValidationError(
                "every FindingIdentifier needs " + ", ".join(_IDENTIFIER_KEYS)
            )
    return [{"FindingIdentifier": {key: i[key] for key in _IDENTIFIER_KEYS}} for i in identifiers]
