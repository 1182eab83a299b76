"""Invalid ASFF, unknown control ids and reactor params that break the schema.

- Parse gets one event with a good finding among invalid ASFF and a finding of a control nobody
  knows: each bad one is recorded ``skipped`` with its reason, the good one still dispatches.
- Every catalog reactor refuses params that break its schema (wrong type, unknown key, a 1 MB
  string, hostile text) with ``ReactorParamsError`` before it touches the member account.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
from typing import Any

import pytest

import lambdas.reactors as catalog
from lambdas import parse_finding
from reactor_sdk import ReactorParamsError
from tests.reliability.conftest import Workflow

pytestmark = pytest.mark.functional


def invalid_asffs(good: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Variants of a real finding that are not valid ASFF."""
    cases: dict[str, dict[str, Any]] = {}
    for name, change in {
        "no_account": lambda f: f.pop("AwsAccountId"),
        "account_not_digits": lambda f: f.update(AwsAccountId="<script>x</script>"),
        "resources_not_list": lambda f: f.update(Resources="arn:aws:s3:::x"),
        "no_updated_at": lambda f: f.pop("UpdatedAt"),
        "id_oversized": lambda f: f.update(Id="x" * (1024 * 1024)),
    }.items():
        finding = copy.deepcopy(good)
        change(finding)
        cases[name] = finding
    return cases


def test_invalid_asff_and_unknown_controls_are_skipped_with_reasons(workflow: Workflow) -> None:
    good = workflow.finding
    unknown = copy.deepcopy(good)
    unknown["Id"] += "-unknown-control"
    unknown["Compliance"]["SecurityControlId"] = "Nope.999"
    unknown.setdefault("ProductFields", {})["ControlId"] = "Nope.999"
    bad = invalid_asffs(good)
    event = workflow.event()
    event["detail"]["findings"] = [*bad.values(), unknown, good]

    items = parse_finding.handler(event)["items"]

    assert [i["finding"]["Id"] for i in items] == [good["Id"]]  # the good one still runs
    from ouroboros.models import ExecutionModel

    skipped = [e for e in ExecutionModel.scan() if e.status == "skipped"]
    reasons = sorted(str(e.skip_reason) for e in skipped)
    assert len(skipped) == len(bad) + 1
    assert sum(r.startswith("invalid finding") for r in reasons) == len(bad)
    assert all(len(r) <= 2000 for r in reasons)
    [of_unknown] = [e for e in skipped if e.finding_id == unknown["Id"]]
    assert "Nope.999" in str(of_unknown.skip_reason) or "no reactor" in str(of_unknown.skip_reason)


def reactor_classes() -> list[Any]:
    classes = []
    for package in pkgutil.iter_modules(catalog.__path__):
        module = importlib.import_module(f"lambdas.reactors.{package.name}.reactor")
        handler = module.handler
        classes.append((package.name, handler))
    return classes


BAD_PARAMS = {
    "not_object": "<script>x</script>",
    "list": [1, 2],
    "unknown_key": {"'; DROP TABLE x; --": 1},
    "megabyte_key": {"x" * (1024 * 1024): "y"},
    "nul_key": {"a\x00b": 1},
}


@pytest.mark.parametrize(("package", "handler"), reactor_classes())
def test_reactor_params_that_break_the_schema_are_refused(
    workflow: Workflow, package: str, handler: Any
) -> None:
    for name, params in BAD_PARAMS.items():
        event = {"operation": "remediate", "finding": workflow.finding, "params": params}
        with pytest.raises(ReactorParamsError):
            handler(copy.deepcopy(event), None)
        assert workflow.faults.sent[("sts", "AssumeRole")] == 0, (package, name)


def test_an_oversized_finding_id_does_not_sink_the_other_findings(faults: Any) -> None:
    """A 1 MB Id in an Imported event: refused by name, the event's other findings stored."""
    from ouroboros.errors import ValidationError
    from ouroboros.models import FindingModel
    from ouroboros.securityhub.collect_findings import finding_imported
    from tests.ouroboros.findings.conftest import sample_raws

    good = sample_raws()[:5]
    huge = copy.deepcopy(good[0])
    huge["Id"] = "arn:aws:securityhub:" + "x" * (1024 * 1024)
    event = {
        "detail-type": "Security Hub Findings - Imported",
        "detail": {"findings": [*good, huge]},
    }
    with pytest.raises(ValidationError, match="Id"):
        finding_imported(event=event)
    assert sorted(f.finding_id for f in FindingModel.scan()) == sorted(f["Id"] for f in good)
