"""Bulk actions on findings (`ouroboros.findings.bulk`) against moto: runs of at most 100 ids per
execution that Parse reads back, BatchUpdateFindings 100 per call with the note (and
BatchUpdateFindingsV2 for findings seen in Security Hub V2), exemptions one write per control,
and filter selections capped."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ouroboros.aws import client
from ouroboros.config import reset_config
from ouroboros.errors import ValidationError
from ouroboros.findings import bulk
from ouroboros.findings.bulk import (
    EXECUTION_FINDINGS_BUDGET,
    execution_batches,
    finding_ids_matching,
    findings_bulk_exempt,
    findings_bulk_run,
    findings_bulk_workflow,
    resource_pattern_literal,
)
from ouroboros.findings.selectors import FindingFilters
from ouroboros.findings.services import finding_upsert_batch
from ouroboros.models import ControlModel
from ouroboros.models.controls import KIND_CONTROL
from ouroboros.securityhub.asff import asff_parse
from ouroboros.securityhub.ocsf import ocsf_parse, ocsf_to_asff
from ouroboros.workflow.decision import exemption_matches
from ouroboros.workflow.parse import event_parse
from tests.console.api import seed
from tests.ouroboros.findings.bulk_support import (
    CONTROL,
    bulk_findings_seed,
    bulk_raws,
    workflow_ready,
)
from tests.ouroboros.securityhub.test_ocsf import SQS1, TWINS, asff_twin, ocsf_sample
from tests.strict.workload import securityhub_updates_answered

pytestmark = pytest.mark.functional

#: What a Standard execution's state (Parse's output included) may weigh.
STATE_PAYLOAD_MAX = 256 * 1024


def _inputs(executions: list[str]) -> list[dict[str, Any]]:
    sfn = client("stepfunctions")
    return [json.loads(sfn.describe_execution(executionArn=a)["input"]) for a in executions]


def test_execution_batches_hold_at_most_100_ids_and_the_payload_budget() -> None:
    small = [(f"f{n}", 1_000) for n in range(250)]
    assert [len(b) for b in execution_batches(small)] == [100, 100, 50]
    large = [(f"f{n}", 4_000) for n in range(100)]
    per_run = EXECUTION_FINDINGS_BUDGET // 4_000
    batches = execution_batches(large)
    assert all(len(b) <= per_run for b in batches) and sum(map(len, batches)) == 100
    # One finding larger than the budget still runs, alone.
    assert execution_batches([("a", 10), ("huge", EXECUTION_FINDINGS_BUDGET + 1), ("b", 10)]) == [
        ["a"],
        ["huge"],
        ["b"],
    ]


def test_a_bulk_dry_run_starts_runs_of_at_most_100_ids_that_parse_reads(moto_aws: None) -> None:
    workflow_ready()
    eligible = bulk_findings_seed(130)
    no_reactor = bulk_findings_seed(3, prefix="other", control_id="S3.9")
    missing = "arn:aws:securityhub:us-east-1:111122223333:finding/not-stored"
    ids = [*eligible, missing, *no_reactor]

    result = findings_bulk_run(finding_ids=ids, actor="otto", dry_run=True)

    inputs = _inputs(result.executions)
    # At most 100 ids per run, fewer when their findings would not fit Parse's 256 KiB output:
    # the sample is 2.9 KB of ASFF, so 61 fit the budget.
    per_run = EXECUTION_FINDINGS_BUDGET // len(json.dumps(bulk_raws(1)[0]))
    assert [len(x["ouroboros"]["finding_ids"]) for x in inputs] == [
        per_run,
        per_run,
        130 - 2 * per_run,
    ]
    assert [i for x in inputs for i in x["ouroboros"]["finding_ids"]] == eligible
    for x in inputs:
        assert x["detail"] == {"findings": []}
        assert {k: x["ouroboros"][k] for k in ("trigger", "actor", "dry_run")} == {
            "trigger": "manual",
            "actor": "otto",
            "dry_run": True,
        }
    outcomes = {m.finding_id: (m.outcome, m.reason) for m in result.members}
    assert [m.finding_id for m in result.members] == ids  # selection order
    assert {outcomes[i][0] for i in eligible} == {"started"}
    assert outcomes[missing] == ("skipped", "not a stored finding")
    assert {outcomes[i] for i in no_reactor} == {
        ("refused", "control S3.9 has no reactor assigned: nothing to run")
    }
    assert result.counts() == {"started": 130, "skipped": 1, "refused": 3}
    # Each run's input is small, and Parse turns it back into the findings, under 256 KiB.
    assert all(len(json.dumps(x)) < 16_000 for x in inputs)
    output = event_parse(event=inputs[0], sfn_execution=result.executions[0])
    assert [item["finding"]["Id"] for item in output["items"]] == eligible[:per_run]
    assert all(item["dry_run"] and item["actor"] == "otto" for item in output["items"])
    assert len(json.dumps(output)) < STATE_PAYLOAD_MAX


def test_workflow_status_is_set_100_findings_per_call_with_the_note(moto_aws: None) -> None:
    ids = bulk_findings_seed(201)
    with securityhub_updates_answered() as requests:
        result = findings_bulk_workflow(
            finding_ids=ids, status="SUPPRESSED", note="accepted risk: sandbox", actor="otto"
        )
    assert [len(r["FindingIdentifiers"]) for r in requests] == [100, 100, 1]
    assert [i["Id"] for r in requests for i in r["FindingIdentifiers"]] == ids
    assert all(
        r["Workflow"] == {"Status": "SUPPRESSED"}
        and r["Note"] == {"Text": "accepted risk: sandbox", "UpdatedBy": "otto"}
        and all(
            i["ProductArn"].endswith("product/aws/securityhub") for i in r["FindingIdentifiers"]
        )
        for r in requests
    )
    assert result.counts() == {"updated": 201} and result.calls == 3


def test_findings_of_every_region_are_updated_on_the_home_regions_hub(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24: findings aggregated from us-west-2 and eu-west-1 are updated with those of the
    home region (us-east-1), in one call there; Security Hub replicates the update back."""
    ids = [
        *bulk_findings_seed(2, prefix="oregon", Region="us-west-2"),
        *bulk_findings_seed(1, prefix="ireland", Region="eu-west-1"),
        *bulk_findings_seed(1, prefix="home", Region="us-east-1"),
    ]
    regions: list[str] = []
    real = bulk.client

    def recording(service: str, **kwargs: Any) -> Any:
        made = real(service, **kwargs)
        regions.append(made.meta.region_name)
        return made

    monkeypatch.setattr(bulk, "client", recording)
    with securityhub_updates_answered() as requests:
        result = findings_bulk_workflow(
            finding_ids=ids, status="NOTIFIED", note="triaged", actor="otto"
        )
    assert set(regions) == {"us-east-1"}
    assert [[i["Id"] for i in r["FindingIdentifiers"]] for r in requests] == [ids]
    assert result.counts() == {"updated": 4} and result.calls == 1


def test_workflow_status_needs_a_known_status_and_a_note(moto_aws: None) -> None:
    with pytest.raises(ValidationError, match="note is required"):
        findings_bulk_workflow(finding_ids=["x"], status="RESOLVED", note="  ", actor="otto")
    with pytest.raises(ValidationError, match="Workflow status must be one of"):
        findings_bulk_workflow(finding_ids=["x"], status="DONE", note="why", actor="otto")
    with pytest.raises(ValidationError, match="at most 1000"):
        findings_bulk_workflow(
            finding_ids=[f"f{n}" for n in range(1001)], status="NEW", note="n", actor="otto"
        )


def test_security_hub_refusals_are_reported_per_finding(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = bulk_findings_seed(3)

    class Hub:
        def batch_update_findings(self, **request: Any) -> dict[str, Any]:
            return {
                "ProcessedFindings": request["FindingIdentifiers"][1:],
                "UnprocessedFindings": [
                    {
                        "FindingIdentifier": request["FindingIdentifiers"][0],
                        "ErrorCode": "FindingNotFound",
                        "ErrorMessage": "Finding Not Found",
                    }
                ],
            }

    monkeypatch.setattr(bulk, "client", lambda *a, **k: Hub())
    result = findings_bulk_workflow(finding_ids=ids, status="RESOLVED", note="n", actor="o")
    assert [(m.outcome, m.reason) for m in result.members] == [
        ("refused", "Security Hub: Finding Not Found"),
        ("updated", "workflow status RESOLVED"),
        ("updated", "workflow status RESOLVED"),
    ]


def ocsf_findings_seed(count: int) -> list[dict[str, Any]]:
    """Store ``count`` variants of the real OCSF SQS.1 sample (each its own ``finding_info.uid``
    and ``metadata.uid``), as Security Hub V2 alone reports them; their documents."""
    base = ocsf_sample(SQS1)
    documents = []
    for n in range(count):
        document = copy.deepcopy(base)
        document["finding_info"]["uid"] = f"{base['finding_info']['uid']}-v2{n:04d}"
        document["metadata"]["uid"] = f"{base['metadata']['uid']}-v2{n:04d}"
        documents.append(document)
    finding_upsert_batch(findings=[ocsf_parse(d) for d in documents], now=datetime.now(UTC))
    return documents


@pytest.fixture
def v2_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``OUROBOROS_SECURITYHUB_V2=on``: a finding seen in both formats is written to both."""
    monkeypatch.setenv("OUROBOROS_SECURITYHUB_V2", "on")
    reset_config()
    yield
    monkeypatch.delenv("OUROBOROS_SECURITYHUB_V2")
    reset_config()


def test_workflow_status_of_v2_findings_goes_through_v2_100_per_call(
    moto_aws: None, v2_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    asff_ids = bulk_findings_seed(2)
    documents = ocsf_findings_seed(102)
    both = documents[0]  # also seen in Security Hub CSPM, as its ASFF twin
    finding_upsert_batch(
        findings=[asff_parse(asff_twin(both, **TWINS[SQS1]))], now=datetime.now(UTC)
    )
    ocsf_ids = [d["finding_info"]["uid"] for d in documents]
    v1: list[dict[str, Any]] = []
    v2: list[dict[str, Any]] = []

    class Hub:
        def batch_update_findings(self, **request: Any) -> dict[str, Any]:
            v1.append(request)
            return {"ProcessedFindings": request["FindingIdentifiers"], "UnprocessedFindings": []}

        def batch_update_findings_v2(self, **request: Any) -> dict[str, Any]:
            v2.append(request)
            uids = request["MetadataUids"]
            refused = [u for u in uids if u == documents[1]["metadata"]["uid"]]
            return {
                "ProcessedFindings": [{"MetadataUid": u} for u in uids if u not in refused],
                "UnprocessedFindings": [
                    {"MetadataUid": u, "ErrorCode": "ConflictException", "ErrorMessage": "busy"}
                    for u in refused
                ],
            }

    monkeypatch.setattr(bulk, "client", lambda *a, **k: Hub())
    ids = [*asff_ids, *ocsf_ids]
    result = findings_bulk_workflow(finding_ids=ids, status="SUPPRESSED", note="sandbox", actor="o")

    # ASFF through BatchUpdateFindings (the twin too); every OCSF one through V2, 100 per call.
    assert sorted(i["Id"] for r in v1 for i in r["FindingIdentifiers"]) == sorted(
        [*asff_ids, both["finding_info"]["uid"]]
    )
    assert [len(r["MetadataUids"]) for r in v2] == [100, 2]
    assert [u for r in v2 for u in r["MetadataUids"]] == [d["metadata"]["uid"] for d in documents]
    assert all(r["StatusId"] == 3 and r["Comment"] == "sandbox" for r in v2)
    assert all("FindingIdentifiers" not in r for r in v2)
    outcomes = {m.finding_id: (m.outcome, m.reason) for m in result.members}
    assert outcomes[ocsf_ids[1]] == ("refused", "Security Hub: busy")
    assert result.counts() == {"updated": 103, "refused": 1}
    assert result.calls == len(v1) + len(v2)


def test_a_finding_seen_in_both_formats_is_updated_only_when_both_apis_took_it(
    moto_aws: None, v2_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    [both] = ocsf_findings_seed(1)
    finding_upsert_batch(
        findings=[asff_parse(asff_twin(both, **TWINS[SQS1]))], now=datetime.now(UTC)
    )

    class Hub:
        def batch_update_findings(self, **request: Any) -> dict[str, Any]:
            return {
                "ProcessedFindings": [],
                "UnprocessedFindings": [
                    {"FindingIdentifier": i, "ErrorMessage": "Finding Not Found"}
                    for i in request["FindingIdentifiers"]
                ],
            }

        def batch_update_findings_v2(self, **request: Any) -> dict[str, Any]:
            uids = request["MetadataUids"]
            return {
                "ProcessedFindings": [{"MetadataUid": u} for u in uids],
                "UnprocessedFindings": [],
            }

    monkeypatch.setattr(bulk, "client", lambda *a, **k: Hub())
    result = findings_bulk_workflow(
        finding_ids=[both["finding_info"]["uid"]], status="RESOLVED", note="n", actor="o"
    )
    assert [(m.outcome, m.reason) for m in result.members] == [
        ("refused", "Security Hub: Finding Not Found")
    ]
    assert result.calls == 2


def test_a_bulk_run_reads_a_finding_seen_only_in_security_hub_v2(moto_aws: None) -> None:
    workflow_ready()
    seed.control_remediable("SQS.1")
    [document] = ocsf_findings_seed(1)
    finding_id = document["finding_info"]["uid"]

    result = findings_bulk_run(finding_ids=[finding_id], actor="otto", dry_run=True)

    assert [(m.outcome, m.reason) for m in result.members] == [("started", "")]
    [started] = _inputs(result.executions)
    output = event_parse(event=started, sfn_execution=result.executions[0])
    # The reactor gets the ASFF-shaped conversion, and the write-back its V2 handle.
    assert [item["finding"] for item in output["items"]] == [ocsf_to_asff(document)]


def test_exemptions_cover_each_resource_once_in_one_write_per_control(moto_aws: None) -> None:
    workflow_ready()
    ids = bulk_findings_seed(3, prefix="ex")
    before = int(ControlModel.get(CONTROL, KIND_CONTROL).version or 0)
    expires = datetime.now(UTC) + timedelta(days=30)
    result = findings_bulk_exempt(
        finding_ids=ids, reason="decommissioned next week", actor="otto", expires_at=expires
    )
    assert result.counts() == {"exempted": 3}
    control = ControlModel.get(CONTROL, KIND_CONTROL, consistent_read=True)
    assert int(control.version or 0) == before + 1  # one write for the three
    exemptions = control.exemptions or []
    assert sorted(e.resource_pattern or "" for e in exemptions) == [
        f"arn:aws:s3:::ex-bucket-{n:04d}" for n in range(3)
    ]
    assert {(e.account, e.reason, e.created_by) for e in exemptions} == {
        ("111122223333", "decommissioned next week", "otto")
    }
    rule = {"account": "111122223333", "resource_pattern": exemptions[0].resource_pattern}
    covered = [
        exemption_matches(rule, asff_parse(r), now=datetime.now(UTC))
        for r in bulk_raws(3, prefix="ex")
    ]
    assert covered.count(True) == 1
    again = findings_bulk_exempt(finding_ids=ids[:1], reason="again", actor="otto")
    assert [(m.outcome, m.reason) for m in again.members] == [
        ("skipped", f"already exempted on {CONTROL}")
    ]
    with pytest.raises(ValidationError, match="a reason is required"):
        findings_bulk_exempt(finding_ids=ids, reason=" ", actor="otto")


def test_a_resource_id_is_exempted_literally() -> None:
    assert resource_pattern_literal("arn:aws:s3:::a*b?[c]") == "arn:aws:s3:::a[*]b[?][[]c]"


def test_a_filter_selects_its_matches_through_the_list_pages_capped(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = bulk_findings_seed(25)
    monkeypatch.setattr(bulk, "MAX_LIMIT", 10)  # pages of 10: the selection walks three
    selected, truncated = finding_ids_matching(filters=FindingFilters(control=CONTROL))
    assert sorted(selected) == sorted(ids) and not truncated
    capped, truncated = finding_ids_matching(filters=FindingFilters(control=CONTROL), limit=12)
    assert len(capped) == 12 and set(capped) <= set(ids) and truncated
    none, truncated = finding_ids_matching(filters=FindingFilters(control="EC2.99"))
    assert none == [] and not truncated
