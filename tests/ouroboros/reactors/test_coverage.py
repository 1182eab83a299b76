"""Reactor coverage: the aggregate over catalog, ASR's list, the Hub, installs and settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ouroboros.models import ControlModel, HubReactorModel, LocalReactorModel
from ouroboros.reactors.catalog import LATEST
from ouroboros.reactors.coverage import (
    ASR_DATA_FILE,
    AsrControl,
    asr_controls,
    coverage_compute,
    reactor_coverage,
)
from ouroboros.securityhub.catalog import CatalogControl

ROADMAP = Path(__file__).resolve().parents[4] / "shared" / "reactor_roadmap.md"


def _control(control_id: str, severity: str) -> CatalogControl:
    return CatalogControl(control_id, f"title of {control_id}", "", severity, "S", None)


def test_the_asr_list_is_the_roadmaps_107_ids_with_its_source() -> None:
    controls = asr_controls()
    assert len(controls) == len({c.control_id for c in controls}) == 107
    by_id = {c.control_id: c for c in controls}
    assert by_id["SSM.7"].severity == "CRITICAL" and by_id["IAM.16"].severity == "LOW"
    assert all(c.severity in ("CRITICAL", "HIGH", "MEDIUM", "LOW") for c in controls)
    document = json.loads(ASR_DATA_FILE.read_text())
    assert "aws-solutions/automated-security-response-on-aws" in json.dumps(document["source"])
    if ROADMAP.is_file():  # the copy still matches its source
        listed = {
            line.split("|")[1].strip()
            for line in ROADMAP.read_text().split("## The next 40")[0].splitlines()
            if line.startswith("| ") and "." in line.split("|")[1]
        }
        assert listed == set(by_id)


def test_each_control_says_hub_installed_and_mode_and_totals_add_up() -> None:
    report = coverage_compute(
        catalog=[_control("S3.2", "CRITICAL"), _control("KMS.4", "MEDIUM")],
        asr=[AsrControl("S3.2", "CRITICAL", "x"), AsrControl("IAM.11", "MEDIUM", "y")],
        hub={"s3-public-read": ["S3.2"], "iam-password-policy": ["iam.11", "IAM.7"]},
        installed={"s3-public-read": ["S3.2"]},
        configured={"S3.2": ("s3-public-read", "dry_run"), "KMS.4": (None, None)},
    )
    rows = {c.control_id: c for c in report.controls}
    assert [c.control_id for c in report.controls] == ["S3.2", "IAM.11", "KMS.4", "IAM.7"]
    s3 = rows["S3.2"]
    assert (s3.hub_reactors, s3.installed_reactors, s3.mode, s3.reactor, s3.asr) == (
        ("s3-public-read",),
        ("s3-public-read",),
        "dry_run",
        "s3-public-read",
        True,
    )
    # A Hub reactor's control outside the catalog and ASR's list still counts, severity unknown.
    assert rows["IAM.7"].severity == "UNKNOWN" and rows["IAM.7"].has_reactor
    assert rows["IAM.11"].has_reactor and not rows["IAM.11"].installed  # case-insensitive
    assert rows["KMS.4"].mode == "off" and not rows["KMS.4"].has_reactor
    assert list(report.by_severity) == ["CRITICAL", "MEDIUM", "UNKNOWN"]
    medium = report.by_severity["MEDIUM"]
    assert (medium.controls, medium.with_reactor, medium.installed, medium.configured) == (
        2,
        1,
        0,
        0,
    )
    assert (report.total.controls, report.total.with_reactor, report.total.installed) == (4, 3, 1)
    assert (report.asr_total, report.asr_covered) == (2, 2)


@pytest.mark.functional
def test_the_selector_reads_hub_installs_and_settings(moto_aws: None) -> None:
    def hub(reactor_id: str, controls: list[str], status: str) -> None:
        HubReactorModel(
            reactor_id,
            "1.0.0",
            control_ids=controls,
            artifact_key="k",
            sha256="0" * 64,
            status=status,
            latest=LATEST,
        ).save()

    hub("iam-password-policy", ["IAM.7", "IAM.11"], "verified")
    hub("kms-key-rotation", ["KMS.4"], "rejected")  # not a reactor anyone can install
    LocalReactorModel(
        "iam-password-policy",
        version="1.0.0",
        sha256="0" * 64,
        status="installed",
        manifest={"control_ids": ["IAM.7"]},
    ).save()
    ControlModel("IAM.7", title="t", reactor_id="iam-password-policy", mode="auto").save()

    report = reactor_coverage()
    rows = {c.control_id: c for c in report.controls}
    assert rows["IAM.7"].installed_reactors == ("iam-password-policy",)
    assert (rows["IAM.7"].mode, rows["IAM.7"].reactor) == ("auto", "iam-password-policy")
    assert rows["IAM.11"].hub_reactors == ("iam-password-policy",)
    assert rows["IAM.11"].asr and not rows["IAM.11"].installed
    assert not rows["KMS.4"].has_reactor
    assert report.asr_total == 107 and report.asr_covered == 2  # IAM.7 and IAM.11
