"""Dry runs and skips are recorded as what they are: a skipped manual dry run is a dry run, and a
dry run never becomes the finding's "last remediation" (it changed nothing)."""

from __future__ import annotations

import pytest

from ouroboros.executions.services import execution_record
from ouroboros.models import ControlModel, ExecutionModel, FindingModel
from ouroboros.securityhub.asff import asff_parse
from ouroboros.workflow.parse import event_parse
from tests.findings_factory import finding_from_asff
from tests.ouroboros.workflow.test_rollback import failed_finding

pytestmark = pytest.mark.functional


def test_a_skipped_manual_dry_run_is_recorded_as_a_dry_run(moto_aws: None) -> None:
    ControlModel("S3.2", title="S3.2").save()  # no reactor: the run is skipped
    finding = failed_finding()
    manual = {"trigger": "manual", "actor": "otto", "dry_run": True, "request_id": "r1"}

    assert event_parse(event={"detail": {"findings": [finding]}, "ouroboros": manual}) == {
        "items": []
    }

    [skipped] = ExecutionModel.finding_index.query(finding["Id"])
    assert (skipped.status, skipped.dry_run, skipped.actor) == ("skipped", True, "otto")
    assert skipped.skip_reason == "no reactor assigned to S3.2"


def test_a_dry_run_is_not_the_findings_last_remediation(moto_aws: None) -> None:
    raw = failed_finding()
    finding_from_asff(raw).save()
    finding = asff_parse(raw)

    execution_record(finding=finding, status="succeeded", dry_run=True, trigger="manual")
    assert FindingModel.get(finding.finding_id).last_remediation is None

    real = execution_record(finding=finding, status="succeeded", trigger="manual")
    pointer = FindingModel.get(finding.finding_id).last_remediation
    assert (pointer.execution_id, pointer.status) == (real.execution_id, "succeeded")
