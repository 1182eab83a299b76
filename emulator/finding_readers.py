"""The readers of finding files, one per format, and the registry that picks one per file.

``securityhub_import`` reads every file through `findings_read`, which parses the JSON once and
asks each registered reader, in order, whether the document is in its format
(`FindingReader.claims`); the first that claims it returns the findings (`FindingReader.read`).
A file no reader claims is refused with the shapes the readers know.

The ASFF reader (`AsffReader`, registered here) takes files as AWS and its peers produce them:

- one finding (an object with ``SchemaVersion``, or with ``Id`` and ``ProductArn``);
- a list of findings, or of any of these shapes;
- a GetFindings response (``{"Findings": [...]}``, e.g. ``aws securityhub get-findings``);
- an EventBridge event of any detail-type that carries ``detail.findings`` ("Security Hub Findings
  - Imported", "- Custom Action", a recorded event), or a list of such events.

The OCSF reader (`OcsfReader`, registered after it, so asked first) takes the findings of the new
Security Hub (V2) in the same shapes: one OCSF finding, a list, a GetFindingsV2 response, a
"Findings Imported V2" event or a list of events. It claims a document holding at least one OCSF
finding, and ASFF findings may be mixed in (a list of a V1 and a V2 event, say): the format is
decided per finding (`ouroboros.securityhub.ocsf.is_ocsf_finding`), by whoever imports them.
Another format registers its reader with `finding_reader_register`; readers registered later are
asked first, so a more specific format can claim a file before the generic ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ouroboros.errors import ValidationError
from ouroboros.securityhub.ocsf import is_ocsf_finding


class FindingReader(Protocol):
    """A format of finding files: says whether a JSON document is one, and reads its findings."""

    #: Shown in refusals and summaries ("ASFF", "OCSF").
    name: str
    #: The shapes it reads, for the message that refuses an unknown file.
    shapes: str

    def claims(self, document: Any) -> bool: ...

    def read(self, document: Any) -> list[Any]: ...


@dataclass(frozen=True)
class FindingsFile:
    """The findings of one file, as its reader returned them (not yet validated)."""

    path: Path
    format: str
    findings: list[Any]


_readers: list[FindingReader] = []


def finding_reader_register(reader: FindingReader) -> FindingReader:
    """Add ``reader`` (asked before the ones registered earlier); registering twice is harmless."""
    if not any(existing.name == reader.name for existing in _readers):
        _readers.insert(0, reader)
    return reader


def finding_readers() -> list[FindingReader]:
    """The registered readers, in the order they are asked."""
    return list(_readers)


def findings_read(path: Path) -> FindingsFile:
    """The findings of ``path``; `ValidationError` naming the file and the reason otherwise."""
    try:
        document = json.loads(path.read_bytes())
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:  # also UnicodeDecodeError
        raise ValidationError(f"{path}: not JSON: {exc}") from exc
    for reader in _readers:
        if reader.claims(document):
            findings = reader.read(document)
            if not findings:
                raise ValidationError(f"{path}: holds no findings")
            return FindingsFile(path=path, format=reader.name, findings=findings)
    known = "; ".join(f"{reader.name}: {reader.shapes}" for reader in reversed(_readers))
    raise ValidationError(f"{path}: not a findings file (known shapes: {known})")


class AsffReader:
    """ASFF findings, alone, in lists, in GetFindings responses and in EventBridge events."""

    name = "ASFF"
    shapes = (
        "a finding, a list of findings, a GetFindings response or an EventBridge event "
        "with detail.findings"
    )

    def claims(self, document: Any) -> bool:
        return _asff_findings_in(document) is not None

    def read(self, document: Any) -> list[Any]:
        return _asff_findings_in(document) or []


def _asff_findings_in(document: Any) -> list[Any] | None:
    """The findings of ``document``, or None when it is not one of the ASFF shapes."""
    if isinstance(document, list):
        found: list[Any] = []
        for item in document:
            inner = _asff_findings_in(item)
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


finding_reader_register(AsffReader())


class OcsfReader:
    """OCSF findings (Security Hub V2), alone, in lists, GetFindingsV2 responses and events."""

    name = "OCSF"
    shapes = (
        "an OCSF finding, a list of them, a GetFindingsV2 response or a "
        '"Findings Imported V2" event (ASFF findings may be mixed in)'
    )

    def claims(self, document: Any) -> bool:
        found = _any_findings_in(document)
        return found is not None and any(is_ocsf_finding(f) for f in found)

    def read(self, document: Any) -> list[Any]:
        return _any_findings_in(document) or []


def _any_findings_in(document: Any) -> list[Any] | None:
    """The OCSF and ASFF findings of ``document``, or None when it is none of their shapes."""
    if isinstance(document, list):
        found: list[Any] = []
        for item in document:
            inner = _any_findings_in(item)
            if inner is None:
                return None
            found += inner
        return found
    if is_ocsf_finding(document):
        return [document]
    return _asff_findings_in(document)


finding_reader_register(OcsfReader())
