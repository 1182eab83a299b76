"""Write-back to Security Hub: NOTIFIED when a reactor starts, RESOLVED with a note when it fixed.

A finding is written back through the API of each format it was seen in (`writeback_formats`):
``BatchUpdateFindings`` (``Workflow.Status``, ``Note``) for ASFF, ``BatchUpdateFindingsV2``
(``StatusId``, ``Comment``; by ``MetadataUids`` when the finding's ``metadata.uid`` is known, else
by its ``FindingIdentifiers`` bridge) for OCSF. What it was seen in is the finding's own format,
the OCSF identity a "Findings Imported V2" event handed over (`ouroboros.workflow.contracts`), and
the formats the stored item records. ``OUROBOROS_SECURITYHUB_V2`` narrows a finding seen in both:
``off`` writes ASFF only, ``only`` OCSF only, ``on`` both (AWS's ASR writes both too). IAM
authorizes V2 updates as ``securityhub:BatchUpdateFindings``, so no grant changes.

Every update goes to this deployment's own region (the home region of Security Hub's cross-region
aggregation, where the consumer reads findings and receives their events), whatever the finding's
``Region``: Security Hub replicates updates made in the home region back to the linked region the
finding came from ("Understanding cross-Region aggregation", Security Hub user guide), so the
consumer needs no Security Hub endpoint or grant in any other region.

Each update makes Security Hub emit a new event ("Findings - Imported", "Findings Imported V2").
The rule only matches Workflow NEW / ``status_id`` 1 and Parse skips non-NEW findings on events,
so the write-back never loops.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.models import FindingModel
from ouroboros.securityhub.asff import FORMAT_ASFF, FORMAT_OCSF, NormalizedFinding
from ouroboros.securityhub.ocsf import OCSF_STATUS_IDS, OcsfIdentity, ocsf_identifier

logger = logging.getLogger(__name__)

NOTE_AUTHOR = "ouroboros"
#: What the write-back reads of the stored item.
_STORED = ["formats", "metadata_uid", "ocsf_product_uid"]
#: ASFF ``Note.Text`` and V2 ``Comment`` both take at most 512 characters.
NOTE_MAX = 512


@dataclass(frozen=True)
class WritebackTarget:
    """Where a finding's workflow status is written: the formats, and its V2 handle."""

    formats: tuple[str, ...]
    #: ``metadata.uid`` (``MetadataUids``); None: the ``FindingIdentifiers`` bridge is used.
    metadata_uid: str | None = None
    #: ``OcsfFindingIdentifier`` (``CloudAccountUid``, ``FindingInfoUid``,
    #: ``MetadataProductUid``).
    identifier: Mapping[str, str] | None = None


def ocsf_identity_of(value: Any) -> OcsfIdentity | None:
    """The `OcsfIdentity` a dispatch item carries (``asdict`` of one), or None when it carries
    none or something else (a write-back then falls back to the stored item and the bridge)."""
    if not isinstance(value, Mapping):
        return None
    names = {f.name for f in fields(OcsfIdentity)}
    if not names <= set(value) or not value.get("finding_uid") or not value.get("product_uid"):
        return None
    try:
        return OcsfIdentity(**{name: value[name] for name in names})
    except TypeError:
        return None


def ocsf_identity_dump(finding: NormalizedFinding) -> dict[str, Any] | None:
    """What a dispatch item carries of ``finding``'s V2 identity (JSON), None for ASFF."""
    return asdict(finding.ocsf) if finding.ocsf is not None else None


def _stored(finding_id: str) -> tuple[set[str], str | None, str | None]:
    """(formats, metadata uid, V2 product uid) the stored item records; nothing when there is
    none (an item older than OCSF support records no formats: ASFF)."""
    try:
        item = FindingModel.get(finding_id, attributes_to_get=_STORED)
    except FindingModel.DoesNotExist:
        return set(), None, None
    except (PynamoDBException, ClientError, BotoCoreError) as exc:  # never fail a remediation
        logger.warning("finding %s: stored formats not read: %s", finding_id, exc)
        return set(), None, None
    formats = {str(f) for f in item.formats or ()} or {FORMAT_ASFF}
    return formats, item.metadata_uid or None, item.ocsf_product_uid or None


def writeback_formats(seen: set[str], mode: str) -> tuple[str, ...]:
    """The formats to write for a finding ``seen`` in those, under ``OUROBOROS_SECURITYHUB_V2``
    = ``mode``: a format the setting turns off is skipped unless it is the only one seen."""
    if mode == "off" and FORMAT_ASFF in seen:
        seen = {FORMAT_ASFF}
    elif mode == "only" and FORMAT_OCSF in seen:
        seen = {FORMAT_OCSF}
    return tuple(f for f in (FORMAT_ASFF, FORMAT_OCSF) if f in seen)


def writeback_target(finding: NormalizedFinding) -> WritebackTarget:
    """Where ``finding`` is written back (see the module docstring)."""
    formats, metadata_uid, product_uid = _stored(finding.finding_id)
    formats.add(finding.source_format)
    identifier = dict(ocsf_identifier(finding))
    if finding.ocsf is not None:
        metadata_uid = finding.ocsf.metadata_uid or metadata_uid
    elif product_uid:
        identifier["MetadataProductUid"] = product_uid
    return WritebackTarget(
        formats=writeback_formats(formats, get_config().securityhub_v2),
        metadata_uid=metadata_uid,
        identifier=identifier,
    )


def _asff_request(finding: NormalizedFinding, status: str, note: str | None) -> dict[str, Any]:
    request: dict[str, Any] = {
        "FindingIdentifiers": [{"Id": finding.finding_id, "ProductArn": finding.product_arn}],
        "Workflow": {"Status": status},
    }
    if note:
        request["Note"] = {"Text": note[:NOTE_MAX], "UpdatedBy": NOTE_AUTHOR}
    return request


def _v2_request(target: WritebackTarget, status: str, note: str | None) -> dict[str, Any]:
    request: dict[str, Any] = {"StatusId": OCSF_STATUS_IDS[status]}
    if target.metadata_uid:
        request["MetadataUids"] = [target.metadata_uid]
    else:
        request["FindingIdentifiers"] = [dict(target.identifier or {})]
    if note:
        request["Comment"] = note[:NOTE_MAX]
    return request


def _send(finding: NormalizedFinding, operation: str, request: dict[str, Any]) -> bool:
    status = request.get("Workflow", {}).get("Status") or request.get("StatusId")
    try:
        call = getattr(client("securityhub"), operation)  # the home region (module docstring)
        response = call(**request)
    except (ClientError, BotoCoreError) as exc:
        logger.warning(
            "finding %s: %s %s not written: %s", finding.finding_id, operation, status, exc
        )
        return False
    unprocessed = response.get("UnprocessedFindings") or []
    if unprocessed:
        logger.warning(
            "finding %s: %s %s unprocessed: %s", finding.finding_id, operation, status, unprocessed
        )
    return not unprocessed


def finding_workflow_update(
    *, finding: NormalizedFinding, status: str, note: str | None = None
) -> bool:
    """Set the finding's workflow status (and note) through each API it is seen in; False
    (logged) when Security Hub refused any of them.

    A failed write-back never undoes or fails a remediation: the execution record is the truth.
    """
    target = writeback_target(finding)
    written = True
    if FORMAT_ASFF in target.formats:
        written &= _send(finding, "batch_update_findings", _asff_request(finding, status, note))
    if FORMAT_OCSF in target.formats:
        written &= _send(finding, "batch_update_findings_v2", _v2_request(target, status, note))
    return written
