"""The findings indexes' upgrade (issue 25): a table with the old projections is migrated.

A GSI's keys and projection cannot change in place: `deploy.tables` deletes and creates each
changed index, one per UpdateTable, after giving the old items the attributes the new indexes
read; meanwhile a list on a missing index says it is being rebuilt instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy.naming import Deployment
from deploy.tables import indexes_changed, table_drift, tables_deploy
from emulator.dynamodb_local import dynamodb_local_start
from ouroboros.aws import client
from ouroboros.config import get_config, reset_config
from ouroboros.findings.selectors import FindingFilters, IndexRebuildingError, finding_list
from ouroboros.models import FindingModel
from ouroboros.models.tables import index_definition, tables_ensure
from tests.findings_factory import finding_from_asff, sample_asffs

pytestmark = pytest.mark.functional


def _old_indexes(only: set[str] | None = None) -> list[dict[str, Any]]:
    """The findings indexes as before issue 25: ALL projections, sorted by ``updated_at``
    (``only``: just those, the others as they are now)."""
    indexes = []
    for index in FindingModel._get_schema()["global_secondary_indexes"]:
        if only is not None and index["index_name"] not in only:
            indexes.append(index_definition(index))
            continue
        keys = [
            {**key, "AttributeName": "updated_at"} if key["AttributeName"] == "changed_at" else key
            for key in sorted(index["key_schema"], key=lambda k: k["KeyType"])
        ]
        indexes.append(
            {
                "IndexName": index["index_name"],
                "KeySchema": keys,
                "Projection": {"ProjectionType": "ALL"},
            }
        )
    return indexes


def _old_item(finding: FindingModel) -> dict[str, Any]:
    """The item the previous version wrote: no ``list_row``, no ``changed_at``."""
    item = finding.serialize()
    item.pop("list_row")
    item.pop("changed_at")
    rank = item["severity_sort"]["S"].split("#", 1)[0]
    item["severity_sort"] = {"S": f"{rank}#{finding.updated_at}"}
    return item


def _old_table(ddb: Any, only: set[str] | None = None) -> list[FindingModel]:
    """Replace the findings table with one of the old shape holding two old items (``only``:
    just those indexes old)."""
    name = FindingModel.Meta.table_name
    ddb.delete_table(TableName=name)
    indexes = _old_indexes(only)
    attributes = {key["AttributeName"] for index in indexes for key in index["KeySchema"]} | {
        "finding_id"
    }
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "finding_id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)
        ],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=indexes,
    )
    findings = [
        finding_from_asff(asff, Id=f"old-{n}", UpdatedAt=f"2024-05-0{n + 1}T00:00:00.000Z")
        for n, asff in enumerate(sample_asffs()[:2])
    ]
    for finding in findings:
        ddb.put_item(TableName=name, Item=_old_item(finding))
    return findings


def test_old_projections_are_migrated_one_index_per_update_table(moto_aws: None) -> None:
    ddb = client("dynamodb")
    findings = _old_table(ddb)
    name = FindingModel.Meta.table_name
    described = ddb.describe_table(TableName=name)["Table"]
    assert len(indexes_changed(FindingModel, described)) == 13
    assert "index account-index keys or projection changed" in table_drift(FindingModel, described)
    updates: list[list[str]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == name and "GlobalSecondaryIndexUpdates" in params:
            updates.append([next(iter(u)) for u in params["GlobalSecondaryIndexUpdates"]])

    ddb.meta.events.register("provide-client-params.dynamodb.UpdateTable", record)
    deployment = Deployment(
        stage=get_config().stage,
        region=get_config().region,
        account="123456789012",
        side="consumer",
    )
    try:
        reports = tables_deploy(deployment, sleep=lambda _: None)
        again = tables_deploy(deployment, sleep=lambda _: None)
    finally:
        ddb.meta.events.unregister("provide-client-params.dynamodb.UpdateTable", record)

    # One index change per UpdateTable, each index deleted before it is created again.
    assert updates == [["Delete"], ["Create"]] * 13
    report = next(r for r in reports if r.name == name)
    assert report.action == "updated"
    described = ddb.describe_table(TableName=name)["Table"]
    assert indexes_changed(FindingModel, described) == []
    for gsi in described["GlobalSecondaryIndexes"]:
        assert gsi["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["list_row"]}
    assert next(r for r in again if r.name == name).action == "unchanged"
    # The old items were upgraded before the indexes came back: the lists show them whole.
    first = findings[0]
    page = finding_list(filters=FindingFilters(account=first.account_id))
    shown = {f.finding_id: f for f in page.items}
    assert first.finding_id in shown
    row = shown[first.finding_id]
    assert (row.title, row.severity_label, row.updated_at) == (
        first.title,
        first.severity_label,
        first.updated_at,
    )
    stored = FindingModel.get(first.finding_id)
    assert stored.changed_at == first.updated_at
    assert stored.severity_sort.endswith(f"#{first.updated_at}")


def test_a_list_on_an_index_being_rebuilt_says_so(moto_aws: None) -> None:
    ddb = client("dynamodb")
    ddb.update_table(
        TableName=FindingModel.Meta.table_name,
        GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "account-index"}}],
    )
    with pytest.raises(IndexRebuildingError, match=r"account-index.*being rebuilt"):
        finding_list(filters=FindingFilters(account="123456789012"))
    # The other lists keep working meanwhile.
    assert finding_list(filters=FindingFilters(severity="HIGH")).items == []


def test_the_findings_page_says_its_index_is_rebuilding(moto_aws: None, db: None) -> None:
    from django.contrib.auth.models import Group, User
    from django.test import Client

    client("dynamodb").update_table(
        TableName=FindingModel.Meta.table_name,
        GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "account-index"}}],
    )
    viewer = User.objects.create_user(username="viewer", password="x" * 12)
    viewer.groups.add(Group.objects.get_or_create(name="viewer")[0])
    browser = Client()
    browser.force_login(viewer)
    response = browser.get("/findings/", {"account": "123456789012"})
    # The list page with the reason, answered 503 (try again later) as the API is.
    assert response.status_code == 503
    assert b"is being rebuilt after an upgrade" in response.content
    assert browser.get("/api/v1/findings", {"account": "123456789012"}).status_code == 503


@pytest.fixture
def own_dynamodb_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A DynamoDB Local of this test's own, holding one runtime's tables as `make run`'s does.
    Not the worker's shared one: with hundreds of tables (every earlier test's stage), DynamoDB
    Local leaves a deleted index DELETING for minutes (measured: > 20 s at 300 tables, ~1 s at
    12), so a rebuild there measures the suite, not the upgrade."""
    server = dynamodb_local_start(tmp_path / "ddb", in_memory=True)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", server.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", server.url)
        reset_config()
        tables_ensure("all")
        yield server.url
    finally:
        server.stop()
        reset_config()


@pytest.mark.integration
def test_the_local_runtime_rebuilds_old_indexes_in_dynamodb_local(own_dynamodb_local: str) -> None:
    """A data folder from before issue 25 (DynamoDB Local, as `make run` keeps it): starting the
    runtime (`tables_ensure`) upgrades the old items and rebuilds each changed index, so its
    findings list instead of failing on items without a row. Two old indexes: each rebuild takes
    DynamoDB Local a second or more (the moto test above rebuilds all 13)."""
    ddb = client("dynamodb")
    findings = _old_table(ddb, only={"account-index", "control-index"})
    name = FindingModel.Meta.table_name

    reports = tables_ensure("all")

    report = next(r for r in reports if r.table == name)
    rebuilt = sorted(d for d in report.drift if d.endswith(" rebuilt"))
    assert rebuilt == ["index account-index rebuilt", "index control-index rebuilt"]
    described = ddb.describe_table(TableName=name)["Table"]
    assert indexes_changed(FindingModel, described) == []
    page = finding_list(filters=FindingFilters(account=findings[0].account_id))
    shown = {f.finding_id: f for f in page.items}
    assert shown[findings[0].finding_id].title == findings[0].title
    again = next(r for r in tables_ensure("all") if r.table == name)
    assert not [d for d in again.drift if d.endswith(" rebuilt")]
