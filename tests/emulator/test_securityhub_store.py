"""The local Security Hub store, called directly (unit tier: no AWS, a SQLite file per test)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from emulator import securityhub_store
from emulator.securityhub_errors import InvalidInputError, ResourceNotFoundError
from emulator.securityhub_store import SecurityHubStore
from ouroboros.securityhub.catalog import FSBP_STANDARD_ARN, catalog_controls
from tests.emulator.securityhub_samples import (
    BASE_TIME,
    SAMPLES,
    identifier,
    sample_finding,
    stamp,
)


@pytest.fixture
def changed() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def store(tmp_path: Path, changed: list[dict[str, Any]]) -> SecurityHubStore:
    store = SecurityHubStore(tmp_path / "securityhub.sqlite3", on_findings_changed=changed.extend)
    yield store
    store.close()


def _ids(response: dict[str, Any]) -> list[str]:
    return [f["Id"] for f in response["Findings"]]


def _all(store: SecurityHubStore, request: dict[str, Any]) -> list[dict[str, Any]]:
    findings, token = [], None
    while True:
        response = store.get_findings({**request, **({"NextToken": token} if token else {})})
        findings += response["Findings"]
        token = response.get("NextToken")
        if not token:
            return findings


# -- BatchImportFindings ------------------------------------------------------------------------


def test_import_stores_valid_findings_and_reports_invalid_ones(store, changed) -> None:
    good = sample_finding()
    bad = sample_finding(number=1)
    del bad["Resources"]
    response = store.batch_import_findings({"Findings": [good, bad]})
    assert response["SuccessCount"] == 1 and response["FailedCount"] == 1
    assert response["FailedFindings"][0]["Id"] == bad["Id"]
    assert "Resources" in response["FailedFindings"][0]["ErrorMessage"]
    assert _ids(store.get_findings({})) == [good["Id"]]
    assert [f["Id"] for f in changed] == [good["Id"]]


def test_import_refuses_empty_and_oversized_batches(store) -> None:
    with pytest.raises(InvalidInputError):
        store.batch_import_findings({"Findings": []})
    with pytest.raises(InvalidInputError):
        store.batch_import_findings({"Findings": [sample_finding(number=i) for i in range(101)]})


def test_new_findings_get_aws_defaults(store) -> None:
    finding = sample_finding("docs_guardduty_unauthorizedaccess_ec2_sshbruteforce.json")
    del finding["Workflow"]
    store.batch_import_findings({"Findings": [finding]})
    stored = store.get_findings({})["Findings"][0]
    assert stored["Workflow"] == {"Status": "NEW"}
    assert stored["RecordState"] == "ACTIVE"
    assert stored["Region"] == "us-east-1"  # the sample has none; taken from its ProductArn
    assert stored["FindingProviderFields"]["Severity"]["Label"] == finding["Severity"]["Label"]
    assert stored["ProcessedAt"]


def test_reimport_keeps_what_the_customer_changed(store) -> None:
    finding = sample_finding(Compliance={"Status": "FAILED"}, Workflow={"Status": "NEW"})
    store.batch_import_findings({"Findings": [finding]})
    store.batch_update_findings(
        {
            "FindingIdentifiers": [identifier(finding)],
            "Workflow": {"Status": "NOTIFIED"},
            "Note": {"Text": "owner told", "UpdatedBy": "ouroboros"},
            "Severity": {"Label": "HIGH"},
        }
    )
    again = {**finding, "UpdatedAt": stamp(BASE_TIME + timedelta(hours=1)), "Title": "new title"}
    again["Workflow"] = {"Status": "NEW"}
    store.batch_import_findings({"Findings": [again]})
    stored = store.get_findings({})["Findings"][0]
    assert stored["Title"] == "new title"
    assert stored["Workflow"] == {"Status": "NOTIFIED"}
    assert stored["Note"]["Text"] == "owner told"
    assert stored["Severity"]["Label"] == "HIGH"


def test_reimport_reopens_a_resolved_finding_that_fails_again(store) -> None:
    passed = sample_finding()  # the real sample: PASSED, Workflow RESOLVED
    store.batch_import_findings({"Findings": [passed]})
    failing = {**passed, "Compliance": {"Status": "FAILED"}, "UpdatedAt": stamp(BASE_TIME)}
    store.batch_import_findings({"Findings": [failing]})
    assert store.get_findings({})["Findings"][0]["Workflow"] == {"Status": "NEW"}


# -- BatchUpdateFindings ------------------------------------------------------------------------


def test_update_changes_workflow_keeps_updated_at_and_reports_unknown_ids(store, changed) -> None:
    finding = sample_finding(Workflow={"Status": "NEW"})
    store.batch_import_findings({"Findings": [finding]})
    changed.clear()
    unknown = {"Id": "arn:aws:securityhub:nope", "ProductArn": finding["ProductArn"]}
    response = store.batch_update_findings(
        {
            "FindingIdentifiers": [identifier(finding), unknown],
            "Workflow": {"Status": "RESOLVED"},
            "Note": {"Text": "fixed", "UpdatedBy": "reactor"},
            "UserDefinedFields": {"ouroboros": "s3-2"},
        }
    )
    assert response["ProcessedFindings"] == [identifier(finding)]
    assert response["UnprocessedFindings"][0]["FindingIdentifier"] == unknown
    assert response["UnprocessedFindings"][0]["ErrorCode"] == "FindingNotFound"
    stored = store.get_findings({})["Findings"][0]
    assert stored["Workflow"] == {"Status": "RESOLVED"}
    assert stored["UpdatedAt"] == finding["UpdatedAt"]  # AWS: updates don't affect UpdatedAt
    assert stored["Note"]["UpdatedAt"] == stored["ProcessedAt"]
    assert stored["UserDefinedFields"] == {"ouroboros": "s3-2"}
    assert [f["Workflow"] for f in changed] == [{"Status": "RESOLVED"}]


@pytest.mark.parametrize(
    "update",
    [
        {},
        {"Workflow": {"Status": "DONE"}},
        {"Note": {"Text": "no author"}},
        {"Confidence": 101},
        {"Severity": {"Label": "SEVERE"}},
    ],
)
def test_update_refuses_malformed_requests_and_changes_nothing(store, update) -> None:
    finding = sample_finding()
    store.batch_import_findings({"Findings": [finding]})
    with pytest.raises(InvalidInputError):
        store.batch_update_findings({"FindingIdentifiers": [identifier(finding)], **update})
    assert store.get_findings({})["Findings"][0]["Workflow"] == finding["Workflow"]


def test_severity_label_sets_normalized_as_aws_does(store) -> None:
    finding = sample_finding()
    store.batch_import_findings({"Findings": [finding]})
    store.batch_update_findings(
        {"FindingIdentifiers": [identifier(finding)], "Severity": {"Normalized": 75}}
    )
    assert store.get_findings({})["Findings"][0]["Severity"]["Label"] == "HIGH"


# -- GetFindings --------------------------------------------------------------------------------


@pytest.fixture
def varied(store) -> list[dict[str, Any]]:
    """Ten findings over five real samples, two accounts, two regions, mixed states."""
    findings = []
    for n in range(10):
        finding = sample_finding(
            SAMPLES[n % 5],
            number=n,
            minutes=n * 10,
            account="111111111111" if n % 2 else "222222222222",
            Region="eu-west-1" if n == 3 else "us-east-1",
            RecordState="ARCHIVED" if n == 4 else "ACTIVE",
            Compliance={"Status": "FAILED" if n < 6 else "PASSED"},
            Workflow={"Status": "NEW" if n < 8 else "RESOLVED"},
        )
        findings.append(finding)
    store.batch_import_findings({"Findings": findings})
    return findings


def _eq(value: str, comparison: str = "EQUALS") -> list[dict[str, str]]:
    return [{"Value": value, "Comparison": comparison}]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"RecordState": _eq("ACTIVE")}, [0, 1, 2, 3, 5, 6, 7, 8, 9]),
        ({"ComplianceStatus": _eq("FAILED"), "WorkflowStatus": _eq("NEW")}, [0, 1, 2, 3, 4, 5]),
        ({"AwsAccountId": _eq("111111111111")}, [1, 3, 5, 7, 9]),
        ({"Region": _eq("us-east-1", "NOT_EQUALS")}, [3]),
        ({"SeverityLabel": _eq("INFORMATIONAL")}, [0, 1, 3, 5, 6, 8]),
        (
            {"GeneratorId": _eq("aws-foundational-security-best-practices/v/1.0.0/EC2", "PREFIX")},
            [1, 6],
        ),
        ({"WorkflowStatus": _eq("NEW") + _eq("RESOLVED")}, list(range(10))),
        ({"ComplianceStatus": _eq("FAILED", "NOT_EQUALS") + _eq("PASSED", "NOT_EQUALS")}, []),
        ({"ResourceType": _eq("AwsIamUser")}, [2, 7]),
        ({"ProductName": _eq("Security Hub")}, [0, 2, 5, 7]),
        ({"ProductArn": _eq("guardduty", "CONTAINS")}, [4, 9]),
        (
            {
                "UpdatedAt": [
                    {
                        "Start": stamp(BASE_TIME + timedelta(minutes=20)),
                        "End": stamp(BASE_TIME + timedelta(minutes=40)),
                    }
                ]
            },
            [2, 3, 4],
        ),
        (
            {"ProductFields": [{"Key": "ControlId", "Value": "S3.2", "Comparison": "EQUALS"}]},
            [0, 5],
        ),
        ({"SeverityNormalized": [{"Gte": 1}]}, [2, 4, 7, 9]),
    ],
)
def test_filters(store, varied, filters, expected) -> None:
    got = {f["Id"] for f in _all(store, {"Filters": filters})}
    assert got == {varied[n]["Id"] for n in expected}


def test_id_filter_and_date_range(store, varied) -> None:
    response = store.get_findings({"Filters": {"Id": _eq(varied[7]["Id"])}})
    assert _ids(response) == [varied[7]["Id"]]
    within = {"UpdatedAt": [{"DateRange": {"Value": 3650, "Unit": "DAYS"}}]}
    assert len(_all(store, {"Filters": within})) == 10
    older = {
        "UpdatedAt": [{"DateRange": {"Value": 3650, "Unit": "DAYS", "Comparison": "OLDER_THAN"}}]
    }
    assert _all(store, {"Filters": older}) == []


@pytest.mark.parametrize(
    "request_",
    [
        {"Filters": {"Keyword": [{"Value": "x"}]}},
        {"Filters": {"RecordState": _eq("ACTIVE") + _eq("ARCHIVED", "NOT_EQUALS")}},
        {"Filters": {"RecordState": _eq("ACTIVE", "CONTAINS_WORD")}},
        {"Filters": {"AwsAccountId": [{"Value": str(n)} for n in range(21)]}},
        {"Filters": {"UpdatedAt": [{"Start": "yesterday"}]}},
        {"SortCriteria": [{"Field": "Severity", "SortOrder": "asc"}]},
        {"MaxResults": 101},
        {"NextToken": "not-a-token"},
    ],
)
def test_requests_it_cannot_serve_are_refused_not_ignored(store, varied, request_) -> None:
    with pytest.raises(InvalidInputError):
        store.get_findings(request_)


def test_sort_and_paging_return_every_finding_once_in_order(store, varied) -> None:
    ascending = _all(
        store, {"SortCriteria": [{"Field": "UpdatedAt", "SortOrder": "asc"}], "MaxResults": 3}
    )
    assert [f["Id"] for f in ascending] == [f["Id"] for f in varied]
    descending = _all(store, {"MaxResults": 4})  # default: UpdatedAt, newest first
    assert [f["Id"] for f in descending] == [f["Id"] for f in reversed(varied)]


def test_a_token_belongs_to_its_query(store, varied) -> None:
    token = store.get_findings({"MaxResults": 2})["NextToken"]
    with pytest.raises(InvalidInputError, match="different query"):
        store.get_findings({"MaxResults": 2, "NextToken": token, "Filters": {"Region": _eq("x")}})


def test_a_finding_updated_while_paging_is_not_skipped(store, varied) -> None:
    request = {"SortCriteria": [{"Field": "UpdatedAt", "SortOrder": "asc"}], "MaxResults": 3}
    first = store.get_findings(request)
    moved = {**varied[1], "UpdatedAt": stamp(BASE_TIME + timedelta(days=1))}
    store.batch_import_findings({"Findings": [moved]})
    rest = _all(store, {**request, "NextToken": first["NextToken"]})
    seen = _ids(first) + [f["Id"] for f in rest]
    assert set(seen) == {f["Id"] for f in varied}
    assert seen[-1] == varied[1]["Id"]


# -- standards and controls ---------------------------------------------------------------------


def _controls(store: SecurityHubStore, subscription: str) -> list[dict[str, Any]]:
    controls, token = [], None
    while True:
        page = store.describe_standards_controls(
            {"StandardsSubscriptionArn": subscription, **({"NextToken": token} if token else {})}
        )
        controls += page["Controls"]
        token = page.get("NextToken")
        if not token:
            return controls


def test_fsbp_is_enabled_with_every_catalog_control(store) -> None:
    subscriptions = store.get_enabled_standards({})["StandardsSubscriptions"]
    assert [s["StandardsArn"] for s in subscriptions] == [FSBP_STANDARD_ARN]
    controls = _controls(store, subscriptions[0]["StandardsSubscriptionArn"])
    assert [c["ControlId"] for c in controls] == [c.control_id for c in catalog_controls()]
    assert {c["ControlStatus"] for c in controls} == {"ENABLED"}
    definitions = store.list_security_control_definitions({"MaxResults": 100})
    assert len(definitions["SecurityControlDefinitions"]) == 100 and definitions["NextToken"]


def test_disabling_a_control_shows_in_both_control_apis(store) -> None:
    arn = store.get_enabled_standards({})["StandardsSubscriptions"][0]["StandardsSubscriptionArn"]
    control_arn = arn.replace(":subscription/", ":control/") + "/S3.2"
    with pytest.raises(InvalidInputError):
        store.update_standards_control(
            {"StandardsControlArn": control_arn, "ControlStatus": "DISABLED"}
        )
    store.update_standards_control(
        {
            "StandardsControlArn": control_arn,
            "ControlStatus": "DISABLED",
            "DisabledReason": "exempt",
        }
    )
    s32 = next(c for c in _controls(store, arn) if c["ControlId"] == "S3.2")
    assert (s32["ControlStatus"], s32["DisabledReason"]) == ("DISABLED", "exempt")
    association = store.list_standards_control_associations({"SecurityControlId": "s3.2"})
    assert association["StandardsControlAssociationSummaries"][0]["AssociationStatus"] == "DISABLED"


def test_disabled_standard_has_no_controls_until_enabled_again(store) -> None:
    arn = store.get_enabled_standards({})["StandardsSubscriptions"][0]["StandardsSubscriptionArn"]
    store.batch_disable_standards({"StandardsSubscriptionArns": [arn]})
    assert store.get_enabled_standards({})["StandardsSubscriptions"] == []
    with pytest.raises(ResourceNotFoundError):
        store.describe_standards_controls({"StandardsSubscriptionArn": arn})
    store.batch_enable_standards(
        {"StandardsSubscriptionRequests": [{"StandardsArn": FSBP_STANDARD_ARN}]}
    )
    assert store.describe_standards_controls({"StandardsSubscriptionArn": arn, "MaxResults": 1})[
        "Controls"
    ]


# -- persistence and several processes ----------------------------------------------------------


def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "securityhub.sqlite3"
    first = SecurityHubStore(path)
    first.batch_import_findings({"Findings": [sample_finding()]})
    first.close()
    second = SecurityHubStore(path)
    assert len(second.get_findings({})["Findings"]) == 1
    second.close()


_WRITER = """
import sys
from pathlib import Path
from emulator import securityhub_store
from emulator.securityhub_store import SecurityHubStore
from tests.emulator.securityhub_samples import sample_finding
store = SecurityHubStore(Path(sys.argv[1]))
offset = int(sys.argv[2])
for batch in range(10):
    findings = [sample_finding(number=offset + batch * 20 + n) for n in range(20)]
    assert store.batch_import_findings({"Findings": findings})["SuccessCount"] == 20
"""


def test_two_processes_write_the_same_store_without_losing_anything(tmp_path: Path) -> None:
    path = tmp_path / "securityhub.sqlite3"
    root = Path(__file__).resolve().parents[2]
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(offset)], cwd=root)
        for offset in (0, 1000)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    store = SecurityHubStore(path)
    assert len(_all(store, {})) == 400
    store.close()


class _LockedConnection:
    """A connection whose WAL switch meets another process holding the file ``times`` times."""

    def __init__(self, times: int, error: str = "database is locked") -> None:
        self.times, self.error, self.tries = times, error, 0

    def execute(self, sql: str) -> Any:
        assert sql == "PRAGMA journal_mode = WAL"
        self.tries += 1
        if self.tries <= self.times:
            raise sqlite3.OperationalError(self.error)
        return sqlite3.connect(":memory:").execute("SELECT 'wal'")


def test_a_store_opened_while_another_process_switches_it_to_wal_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # CI: two processes creating one store at once; one got "database is locked" from the WAL
    # switch, where SQLite does not always call its busy handler.
    monkeypatch.setattr(securityhub_store.time, "sleep", lambda _: None)
    connection = _LockedConnection(times=3)
    securityhub_store._wal_enable(connection)  # type: ignore[arg-type]
    assert connection.tries == 4
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        securityhub_store._wal_enable(_LockedConnection(1, "disk I/O error"))  # type: ignore[arg-type]
