"""Reactor coverage: which controls a reactor fixes, whether it is installed here, in which mode.

For every control id in the union of the shipped catalog (`ouroboros.securityhub.catalog`), the
list of control ids AWS Automated Security Response remediates (``data/asr_controls.json``, a copy
of the roadmap's table with its source) and the controls the Hub's reactors declare:

- ``hub_reactors``: the reactors whose latest verified Hub version declares the control;
- ``installed_reactors``: the reactors installed in this account (status ``installed``) whose
  installed version declares the control;
- ``reactor`` / ``mode``: the reactor the control is configured with and its mode (``off`` when
  nobody configured it).

`coverage_compute` is the pure aggregate (tests feed it plain data); `reactor_coverage` is the
selector that reads the Hub, the installed reactors and the controls' configuration. Totals are
per severity (CRITICAL first), and ASR's share is how many of its ids a Hub reactor fixes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ouroboros.controls.selectors import control_list
from ouroboros.models import ControlModel, HubReactorModel
from ouroboros.reactors.catalog import LATEST
from ouroboros.reactors.services import reactor_installed_list
from ouroboros.securityhub.catalog import CatalogControl, catalog_controls

ASR_DATA_FILE = Path(__file__).resolve().parent / "data" / "asr_controls.json"
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")
UNKNOWN_SEVERITY = "UNKNOWN"


@dataclass(frozen=True)
class AsrControl:
    """A control id ASR remediates, with its severity and what ASR's runbook does."""

    control_id: str
    severity: str
    action: str


@cache
def _asr_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(ASR_DATA_FILE.read_text())
    return document


def asr_controls() -> tuple[AsrControl, ...]:
    """Every control id ASR remediates (``data/asr_controls.json``)."""
    return tuple(
        AsrControl(item["control_id"], item["severity"].upper(), item["action"])
        for item in _asr_document()["controls"]
    )


def asr_source() -> dict[str, Any]:
    """Where the ASR list was copied from (the data file's ``source``)."""
    return dict(_asr_document()["source"])


@dataclass(frozen=True)
class ControlCoverage:
    """One control: its severity, whether ASR fixes it, and the reactors that do here."""

    control_id: str
    severity: str
    title: str
    asr: bool
    hub_reactors: tuple[str, ...] = ()
    installed_reactors: tuple[str, ...] = ()
    reactor: str | None = None
    mode: str = "off"

    @property
    def has_reactor(self) -> bool:
        """A reactor in the Hub (or installed here) fixes this control."""
        return bool(self.hub_reactors or self.installed_reactors)

    @property
    def installed(self) -> bool:
        """A reactor that fixes this control is installed here."""
        return bool(self.installed_reactors)


@dataclass
class SeverityTotals:
    """Counts of one severity (or of all)."""

    controls: int = 0
    with_reactor: int = 0
    installed: int = 0
    configured: int = 0

    def add(self, control: ControlCoverage) -> None:
        self.controls += 1
        self.with_reactor += control.has_reactor
        self.installed += control.installed
        self.configured += control.mode != "off"


@dataclass
class CoverageReport:
    """The per-control rows, totals by severity and overall, and ASR's share."""

    controls: list[ControlCoverage]
    by_severity: dict[str, SeverityTotals] = field(default_factory=dict)
    total: SeverityTotals = field(default_factory=SeverityTotals)
    asr_total: int = 0
    asr_covered: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-able data (``reactor_coverage --json``)."""
        return {
            "controls": [
                {**asdict(c), "has_reactor": c.has_reactor, "installed": c.installed}
                for c in self.controls
            ],
            "by_severity": {k: asdict(v) for k, v in self.by_severity.items()},
            "total": asdict(self.total),
            "asr": {"total": self.asr_total, "covered": self.asr_covered, "source": asr_source()},
        }


def _natural(control_id: str) -> tuple[str, int, str]:
    service, _, number = control_id.partition(".")
    return (service.lower(), int(number) if number.isdigit() else 0, number)


def _severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def coverage_compute(
    *,
    catalog: Iterable[CatalogControl],
    asr: Iterable[AsrControl],
    hub: Mapping[str, Iterable[str]],
    installed: Mapping[str, Iterable[str]],
    configured: Mapping[str, tuple[str | None, str | None]],
) -> CoverageReport:
    """The coverage of the controls of ``catalog``, ``asr`` and the Hub together.

    ``hub``: reactor id -> the control ids its latest verified version declares; ``installed``:
    the same for the versions installed here; ``configured``: control id -> (reactor id, mode)
    as set.
    Control ids match case-insensitively; the catalog's spelling and severity win over ASR's.
    """
    rows: dict[str, dict[str, Any]] = {}

    def row(control_id: str, severity: str, title: str) -> dict[str, Any]:
        key = control_id.lower()
        if key not in rows:
            rows[key] = {"control_id": control_id, "severity": severity, "title": title}
        return rows[key]

    for entry in catalog:
        row(entry.control_id, entry.severity.upper(), entry.title)
    asr_ids = set()
    for item in asr:
        asr_ids.add(item.control_id.lower())
        row(item.control_id, item.severity, "")
    fixers: dict[str, set[str]] = {}
    here: dict[str, set[str]] = {}
    for source, found in ((hub, fixers), (installed, here)):
        for reactor_id, control_ids in source.items():
            for control_id in control_ids:
                row(control_id, UNKNOWN_SEVERITY, "")
                found.setdefault(control_id.lower(), set()).add(reactor_id)
    configured_lower = {k.lower(): v for k, v in configured.items()}
    controls = []
    for key, data in rows.items():
        reactor, mode = configured_lower.get(key, (None, None))
        controls.append(
            ControlCoverage(
                control_id=data["control_id"],
                severity=data["severity"],
                title=data["title"],
                asr=key in asr_ids,
                hub_reactors=tuple(sorted(fixers.get(key, ()))),
                installed_reactors=tuple(sorted(here.get(key, ()))),
                reactor=reactor,
                mode=mode or "off",
            )
        )
    controls.sort(key=lambda c: (_severity_rank(c.severity), _natural(c.control_id)))
    report = CoverageReport(controls=controls)
    for control in controls:
        report.by_severity.setdefault(control.severity, SeverityTotals()).add(control)
        report.total.add(control)
        if control.asr:
            report.asr_total += 1
            report.asr_covered += control.has_reactor
    report.by_severity = dict(
        sorted(report.by_severity.items(), key=lambda item: _severity_rank(item[0]))
    )
    return report


def reactor_coverage(*, controls: Iterable[ControlModel] | None = None) -> CoverageReport:
    """The coverage as this deployment sees it: Hub, installed reactors, controls' settings
    (``controls``: every control item, when the caller has read them already)."""
    hub = {
        item.reactor_id: list(item.control_ids or [])
        for item in HubReactorModel.catalog_index.query(LATEST)
        if item.status == "verified"
    }
    installed = {
        r.reactor_id: list(
            (r.manifest.as_dict() if r.manifest is not None else {}).get("control_ids") or []
        )
        for r in reactor_installed_list()
        if r.status == "installed"
    }
    items = control_list().items if controls is None else controls
    configured = {c.control_id: (c.reactor_id, c.mode) for c in items}
    return coverage_compute(
        catalog=catalog_controls(),
        asr=asr_controls(),
        hub=hub,
        installed=installed,
        configured=configured,
    )
