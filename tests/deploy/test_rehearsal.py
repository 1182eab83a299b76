"""The deploy rehearsal: bootstrap, ``zappa package`` + ``zappa deploy`` of every stage, bootstrap
again, against moto's server on 127.0.0.1 (DynamoDB included), ``touch`` off.

Every function of the list is deployed, planned ones included (neither Zappa nor the emulator
imports a handler at deploy time), so the schedules, stream mappings, rules and the state machine
are all exercised. The one thing moto lacks, Security Hub's action-target API, is answered by
`tests.deploy.securityhub_stub` (botocore ``before-call`` hooks on bootstrap's session).

The check (`deploy.check`) must report nothing on the result, and must catch a deleted
mapping, a mapping without ReportBatchItemFailures and a table without PITR, which bootstrap then
repairs.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from console.jobs.management.commands.bootstrap import EvaluatorJudge
from deploy.alarms import ALARMS
from deploy.bootstrap import bootstrap_run
from deploy.check import deployment_problems
from deploy.functions import function_get, functions_for
from deploy.naming import deployment_current
from deploy.report import ResourceReport
from deploy.signing import signing_key_alias
from deploy.zappa_cli import zappa_deploy_sides
from deploy.zappa_settings import zappa_settings_build, zappa_settings_write
from emulator.moto_server import moto_server_start
from ouroboros.aws import base_session, client
from ouroboros.config import reset_config
from ouroboros.models import bind_models
from tests.deploy.first_call import continuous_backups_unavailable, state_machine_role_not_assumable
from tests.deploy.securityhub_stub import ActionTargetStub

pytestmark = [pytest.mark.integration, pytest.mark.long, pytest.mark.timeout(1800)]

STAGE = "rehearsal"
ACCOUNT = "123456789012"  # moto's default account
SIDES = ("consumer", "hub")


@dataclass
class Rehearsal:
    env: dict[str, str]
    settings: Path
    build: Path
    stub: ActionTargetStub
    runs: list[dict[str, list[ResourceReport]]] = field(default_factory=list)
    #: Bootstrap's pauses waiting out the first-call refusals (`tests.deploy.first_call`).
    sleeps: list[float] = field(default_factory=list)


def _environ(url: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": url,
        "AWS_ENDPOINT_URL_DYNAMODB": url,
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "OUROBOROS_STAGE": STAGE,
        "OUROBOROS_RUNTIME": "aws",
        "OUROBOROS_HUB_TABLE_PREFIX": "hub",  # both sides share one emulated account
    }


def _apply(rehearsal: Rehearsal, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in rehearsal.env.items():
        monkeypatch.setenv(key, value)
    reset_config()
    from ouroboros.aws import reset_sessions

    reset_sessions()
    bind_models()
    rehearsal.stub.install(base_session())


def _bootstrap_both(rehearsal: Rehearsal) -> dict[str, list[ResourceReport]]:
    return {
        side: bootstrap_run(
            side,
            include_planned=True,
            settings_path=rehearsal.settings,
            sleep=rehearsal.sleeps.append,
        )
        for side in SIDES
    }


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    server = moto_server_start()
    folder = tmp_path_factory.mktemp("rehearsal")
    settings = zappa_settings_write(
        zappa_settings_build(
            stage=STAGE, bucket="ouroboros-rehearsal-zappa", include_planned=True, touch=False
        ),
        folder / "zappa_settings.json",
    )
    result = Rehearsal(
        _environ(server.url), settings, folder / "build", ActionTargetStub(ACCOUNT, "us-east-1")
    )
    with pytest.MonkeyPatch.context() as monkeypatch:
        _apply(result, monkeypatch)
        # What AWS refuses right after a creation and moto does not: the first run waits it out.
        for refusal in (state_machine_role_not_assumable(), continuous_backups_unavailable()):
            refusal.install(base_session())
        try:
            result.runs.append(_bootstrap_both(result))
            zappa_deploy_sides(
                SIDES, build_dir=result.build, include_planned=True, settings_path=settings
            )
            result.runs.append(_bootstrap_both(result))
            result.runs.append(_bootstrap_both(result))
            yield result
        finally:
            server.stop()


@pytest.fixture
def aws(rehearsal: Rehearsal, monkeypatch: pytest.MonkeyPatch) -> Rehearsal:
    """This test sees the rehearsal's emulator (the autouse isolation resets the environment)."""
    _apply(rehearsal, monkeypatch)
    return rehearsal


def _actions(reports: list[ResourceReport]) -> dict[str, str]:
    return {f"{r.kind}: {r.name}": r.action for r in reports}


def test_first_bootstrap_creates_everything_and_waits_for_the_functions(aws: Rehearsal) -> None:
    first = aws.runs[0]["consumer"] + aws.runs[0]["hub"]
    kinds = {r.kind for r in first if r.action == "created"}
    assert {"dynamodb table", "iam role", "state machine", "eventbridge rule", "sns topic"} <= kinds
    pending = sorted(r.kind for r in first if r.action == "pending")
    # The function rule (finding_imported) and the Imported rule's pre-filter (finding_prefilter).
    assert pending == [
        "eventbridge rule",
        "eventbridge rule",
        "sns subscription",
        "stream mapping",
        "stream mapping",
    ]
    assert aws.sleeps == [1.0, 2.0, 1.0, 2.0], "PITR, then the state machine, refused twice each"


def test_bootstrap_after_deploy_wires_the_triggers(aws: Rehearsal) -> None:
    second = aws.runs[1]["consumer"] + aws.runs[1]["hub"]
    created = sorted(r.kind for r in second if r.action == "created")
    assert created == [
        "eventbridge rule",
        "eventbridge rule",
        "sns subscription",
        "stream mapping",
        "stream mapping",
    ]
    assert [r.line() for r in second if r.action in ("updated", "pending")] == []


def test_a_further_bootstrap_reports_no_changes(aws: Rehearsal) -> None:
    for side in SIDES:
        third = aws.runs[2][side]
        assert {r.action for r in third} == {"unchanged"}, [r.line() for r in third]


def test_the_deployment_check_finds_nothing_wrong(aws: Rehearsal) -> None:
    """With the judge ``bootstrap --check`` uses: API Gateway can use the console's role."""
    for side in SIDES:
        assert deployment_problems(side, include_planned=True, judge=EvaluatorJudge()) == []


def test_functions_schedules_and_api_exist_as_listed(aws: Rehearsal) -> None:
    deployment = deployment_current("consumer")
    lam, events = client("lambda"), client("events")
    for side in SIDES:
        for spec in functions_for(side, include_planned=True):
            config = lam.get_function(FunctionName=deployment.function_arn(spec))["Configuration"]
            assert config["Runtime"] == "python3.12"
            assert config["Environment"]["Variables"]["OUROBOROS_ROLE"] == side
    collect = function_get("collect_findings")
    rules = events.list_rule_names_by_target(TargetArn=deployment.function_arn(collect))
    expressions = [events.describe_rule(Name=n)["ScheduleExpression"] for n in rules["RuleNames"]]
    assert expressions == ["rate(15 minutes)"]
    apis = [api["name"] for api in client("apigateway").get_rest_apis()["items"]]
    assert f"ouroboros-{STAGE}-console" in apis


def test_stream_mappings_start_where_listed_and_report_item_failures(aws: Rehearsal) -> None:
    for side, key in (("consumer", "reactor_installer"), ("hub", "hub_verify")):
        deployment = deployment_current(side)
        spec = function_get(key)
        (mapping,) = client("lambda").list_event_source_mappings(
            FunctionName=deployment.function_arn(spec)
        )["EventSourceMappings"]
        assert mapping["StartingPosition"] == "TRIM_HORIZON"
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["DestinationConfig"]["OnFailure"]["Destination"].endswith("stream-failures")


def test_tables_have_streams_pitr_and_deletion_protection(aws: Rehearsal) -> None:
    ddb = client("dynamodb")
    table = ddb.describe_table(TableName=f"cmdb_{STAGE}_security_local_reactors")["Table"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["DeletionProtectionEnabled"] is True
    backups = ddb.describe_continuous_backups(TableName=f"hub_{STAGE}_security_reactors")
    assert (
        backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
            "PointInTimeRecoveryStatus"
        ]
        == "ENABLED"
    )


def test_state_machine_calls_the_deployed_task_functions(aws: Rehearsal) -> None:
    deployment = deployment_current("consumer")
    machine = client("stepfunctions").describe_state_machine(
        stateMachineArn=deployment.state_machine_arn
    )
    assert "${" not in machine["definition"]
    for key in ("parse_finding", "dispatch_finding", "dispatch_failure", "send_notification"):
        assert deployment.function_arn(function_get(key)) in machine["definition"]


def test_the_alarms_watching_failures_exist_with_the_documented_thresholds(aws: Rehearsal) -> None:
    """A failing reactor raises ``ReactorErrors`` (the local runtime's workflow tests show it);
    its alarm, and the one on failed executions, are as `deploy.alarms.ALARMS` and the README's
    Runbook document them (`tests/deploy/test_alarms.py` keeps those two equal)."""
    cloudwatch = client("cloudwatch")
    found = cloudwatch.describe_alarms(AlarmNamePrefix=f"ouroboros-{STAGE}-")["MetricAlarms"]
    alarms = {a["AlarmName"].removeprefix(f"ouroboros-{STAGE}-"): a for a in found}
    assert sorted(alarms) == sorted({spec.key for spec in ALARMS})
    documented = {spec.key: spec for spec in ALARMS if spec.side == "consumer"}
    for key, metric in (
        ("reactor-errors", "ReactorErrors"),
        ("workflow-failed", "ExecutionsFailed"),
    ):
        alarm, spec = alarms[key], documented[key]
        assert alarm["MetricName"] == metric
        assert (alarm["Threshold"], alarm["Period"], alarm["Statistic"]) == (
            spec.threshold,
            spec.period,
            spec.statistic,
        )
        assert spec.condition == "Sum >= 1 over 5 min"
    machine = deployment_current("consumer").state_machine_arn
    assert alarms["workflow-failed"]["Dimensions"] == [
        {"Name": "StateMachineArn", "Value": machine}
    ]
    dashboards = {d["DashboardName"] for d in cloudwatch.list_dashboards()["DashboardEntries"]}
    assert {f"ouroboros-{STAGE}-consumer", f"ouroboros-{STAGE}-hub"} <= dashboards


def test_packages_hold_what_runs_and_nothing_else(aws: Rehearsal) -> None:
    console = zipfile.ZipFile(aws.build / "console.zip").namelist()
    workers = zipfile.ZipFile(aws.build / "workers.zip").namelist()
    assert "staticfiles/staticfiles.json" in console
    assert "console/settings/production.py" in console
    for names in (console, workers):
        tops = {n.split("/", 1)[0] for n in names}
        assert not tops & {"boto3", "botocore", "tests", "benchmarks", ".venv", "node_modules"}
        assert not [n for n in names if n.startswith("emulator/") or n.endswith(".po")]
        # The deploy package runs on the operator's machine only (the rings keep it out of
        # everything deployed); the core and the SDK it builds on are in both packages.
        assert not [n for n in names if n.startswith("deploy/")]
        assert {"ouroboros/config.py", "reactor_sdk/session.py"} <= set(names)
    assert "django" not in {n.split("/", 1)[0] for n in workers}


def test_the_check_catches_a_missing_mapping_and_bootstrap_restores_it(aws: Rehearsal) -> None:
    deployment = deployment_current("consumer")
    spec = function_get("reactor_installer")
    lam = client("lambda")
    (mapping,) = lam.list_event_source_mappings(FunctionName=deployment.function_arn(spec))[
        "EventSourceMappings"
    ]
    lam.delete_event_source_mapping(UUID=mapping["UUID"])
    assert deployment_problems("consumer", include_planned=True) == [
        "reactor_installer: no stream mapping from cmdb_rehearsal_security_local_reactors"
    ]
    reports = bootstrap_run("consumer", include_planned=True, settings_path=aws.settings)
    assert [r.kind for r in reports if r.action != "unchanged"] == ["stream mapping"]
    assert deployment_problems("consumer", include_planned=True) == []


def test_the_check_catches_misconfiguration_and_bootstrap_repairs_it(aws: Rehearsal) -> None:
    deployment = deployment_current("hub")
    spec = function_get("hub_verify")
    lam, ddb = client("lambda"), client("dynamodb")
    (mapping,) = lam.list_event_source_mappings(FunctionName=deployment.function_arn(spec))[
        "EventSourceMappings"
    ]
    lam.update_event_source_mapping(UUID=mapping["UUID"], FunctionResponseTypes=[])
    ddb.update_continuous_backups(
        TableName=f"hub_{STAGE}_security_controls",
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
    )
    kms = client("kms")
    kms.disable_key(KeyId=kms.describe_key(KeyId=signing_key_alias(STAGE))["KeyMetadata"]["KeyId"])
    problems = deployment_problems("hub", include_planned=True)
    assert problems == [
        f"table hub_{STAGE}_security_controls: point-in-time recovery off",
        "hub_verify: stream mapping FunctionResponseTypes differs",
        f"kms key {signing_key_alias(STAGE)}: ECC_NIST_P256 SIGN_VERIFY Disabled, expected "
        "ECC_NIST_P256 SIGN_VERIFY Enabled",
    ]
    changed = _actions(bootstrap_run("hub", include_planned=True, settings_path=aws.settings))
    assert changed[f"dynamodb table: hub_{STAGE}_security_controls"] == "updated"
    assert [a for a in changed.values() if a != "unchanged"] == ["updated", "updated", "updated"]
    assert deployment_problems("hub", include_planned=True) == []


def test_teardown_keeps_protected_tables_unless_asked(aws: Rehearsal) -> None:
    """Last in the module: it removes what the tests above inspected."""
    from deploy.teardown import teardown_run

    first = teardown_run("consumer")
    actions = _actions(first)
    assert actions[f"state machine: ouroboros-{STAGE}-security-hub-finding-reactor"] == "deleted"
    assert actions[f"dynamodb table: cmdb_{STAGE}_security_findings"] == "kept"
    assert actions[f"cloudwatch alarm: ouroboros-{STAGE}-reactor-errors"] == "deleted"
    assert actions[f"cloudwatch dashboard: ouroboros-{STAGE}-consumer"] == "deleted"
    assert client("dynamodb").describe_table(TableName=f"cmdb_{STAGE}_security_findings")
    again = teardown_run("consumer", delete_tables=True)
    assert _actions(again)[f"state machine: ouroboros-{STAGE}-security-hub-finding-reactor"] == (
        "absent"
    )
    tables = client("dynamodb").list_tables()["TableNames"]
    assert not [t for t in tables if t.startswith(f"cmdb_{STAGE}_")]
