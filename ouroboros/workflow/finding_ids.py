"""Findings named by id, read from the findings table: what a bulk run passes instead of findings.

A Step Functions Standard execution's input is at most 256 KiB, so a bulk run
(`ouroboros.findings.bulk`) starts the state machine with finding ids (at most
`IDS_PER_EXECUTION`), and Parse reads the findings they name from ``security_findings``, one
BatchGetItem per 100 ids: each as its ASFF-shaped document (`finding_raw`: the raw ASFF the
collectors and the "Findings - Imported" events stored, or the conversion of the OCSF a V2
collection or a "Findings Imported V2" event stored), so a finding seen only in Security Hub V2
runs like any other.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from ouroboros.errors import ValidationError
from ouroboros.findings.items import finding_raw
from ouroboros.models import FindingModel

logger = logging.getLogger(__name__)

#: Finding ids one execution carries (and BatchGetItem's 100 keys per call).
IDS_PER_EXECUTION = 100


def findings_stored(finding_ids: Iterable[str]) -> dict[str, FindingModel]:
    """The stored findings among ``finding_ids``, by id (an id not stored is absent)."""
    wanted = list(dict.fromkeys(i for i in finding_ids if i))
    return {f.finding_id: f for f in FindingModel.batch_get(wanted)} if wanted else {}


def finding_raw_decode(finding: FindingModel) -> dict[str, Any] | None:
    """The ASFF-shaped document of a stored finding (`finding_raw`, either format), or None when
    it has none or it is unreadable (corrupt, or an OCSF document that does not convert)."""
    try:
        data = finding_raw(finding)
    except (zlib.error, ValueError, ValidationError):
        return None
    return data if isinstance(data, dict) else None


def findings_by_ids(finding_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The ASFF-shaped document of each finding ``finding_ids`` names, in their order.

    An id that names no stored finding (removed since the run started) or one without a readable
    document is logged and left out; more than `IDS_PER_EXECUTION` ids is refused (ValueError),
    since a bulk run never sends more.
    """
    if len(finding_ids) > IDS_PER_EXECUTION:
        raise ValueError(f"at most {IDS_PER_EXECUTION} finding ids per run")
    stored = findings_stored(str(i) for i in finding_ids)
    raws = []
    for finding_id in dict.fromkeys(str(i) for i in finding_ids):
        finding = stored.get(finding_id)
        raw = finding_raw_decode(finding) if finding else None
        if raw is None:
            logger.warning("finding %r named by a run is not stored: left out", finding_id[:200])
            continue
        raws.append(raw)
    return raws
