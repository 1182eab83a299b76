"""The request-limits validator, and the emulator side refusing what AWS would refuse."""

from __future__ import annotations

import copy
import itertools
import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command
from django.core.management.base import CommandError

from emulator.endpoints import LocalEndpoints, endpoints_write
from emulator.moto_server import moto_server_start
from emulator.request_limits import (
    DOCUMENTED_LIMITS,
    DocumentedLimit,
    RequestLimitError,
    request_check,
    request_problems,
    session_limits_install,
)
from emulator.request_limits_table import (
    EventEntriesSize,
    LengthBetween,
    Matches,
    MaxDepth,
    MaxItems,
    MaxJsonBytes,
    MaxLength,
    MaxNonWhitespace,
    MaxUtf8Bytes,
    MaxValue,
    path_values,
)
from emulator.securityhub_import import findings_batches
from emulator.securityhub_server import SecurityHubExtension
from ouroboros.aws import reset_sessions
from ouroboros.config import reset_config
from tests.conftest import EVENTS_DIR, load_event
from tests.emulator.securityhub_samples import FakeRuntime

RULES = json.loads((Path(__file__).parents[2] / "statemachine" / "rules.json").read_text())
HUB_PRODUCT = "arn:aws:securityhub:us-east-1::product/aws/securityhub"


def _finding(number: int = 0, **fields: Any) -> dict[str, Any]:
    finding = copy.deepcopy(load_event("asff_findings/asr_afsbp_s3.2.json"))
    finding["Id"] = f"{finding['Id']}-{number}"
    finding.update(fields)
    return finding


def _real_findings() -> list[tuple[str, dict[str, Any]]]:
    found = [
        (path.name, load_event(f"asff_findings/{path.name}"))
        for path in sorted((EVENTS_DIR / "asff_findings").glob("*.json"))
    ]
    for path in sorted((EVENTS_DIR / "eventbridge_events").glob("*.json")):
        event = load_event(f"eventbridge_events/{path.name}")
        found += [(path.name, f) for f in event["detail"]["findings"]]
    return found


# -- the validator ------------------------------------------------------------------------------


def test_the_old_custom_action_name_is_refused_with_the_limit_and_its_source() -> None:
    problems = request_problems(
        "securityhub",
        "CreateActionTarget",
        {"Name": "Remediate with Ouroboros", "Description": "d", "Id": "OuroborosRemediate"},
    )
    assert problems == [
        "Name: 24 characters, more than the 20 allowed "
        "(https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_CreateActionTarget.html)"
    ]
    with pytest.raises(RequestLimitError) as raised:
        request_check(
            "securityhub",
            "CreateActionTarget",
            {"Name": "Remediate with Ouroboros", "Description": "d", "Id": "OuroborosRemediate"},
        )
    assert isinstance(raised.value, ValueError)
    assert (raised.value.service, raised.value.operation) == ("securityhub", "CreateActionTarget")
    assert raised.value.problems == problems


@pytest.mark.parametrize(
    ("fields", "path", "words"),
    [
        ({"Id": "x" * 513}, "Findings[1].Id", "513 characters, not 1 to 512"),
        ({"AwsAccountId": "1234567890"}, "Findings[1].AwsAccountId", "not an account id of 12"),
        ({"AwsAccountId": 123456789012}, "Findings[1].AwsAccountId", "Invalid type"),
    ],
    ids=["id-513", "account-10-digits", "account-number"],
)
def test_bad_findings_are_refused_by_member_path(
    fields: dict[str, Any], path: str, words: str
) -> None:
    request = {"Findings": [_finding(0), _finding(1, **fields)]}
    problems = request_problems("securityhub", "BatchImportFindings", request)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: ") and words in problems[0]


def test_model_max_and_pattern_are_checked_where_botocore_does_not() -> None:
    problems = request_problems(
        "events", "PutTargets", {"Rule": "r", "Targets": [{"Id": "bad id!", "Arn": "arn:x"}]}
    )
    assert problems == [
        "Targets[0].Id: 'bad id!' does not match the pattern [\\.\\-_A-Za-z0-9]+ "
        "(botocore model events PutTargets TargetId pattern)"
    ]
    too_long = request_problems("events", "PutRule", {"Name": "r", "Description": "d" * 513})
    assert too_long == [
        "Description: 513 characters, more than the 512 allowed "
        "(botocore model events PutRule RuleDescription max)"
    ]
    bad_enum = request_problems("events", "PutRule", {"Name": "r", "State": "ON"})
    assert len(bad_enum) == 1 and bad_enum[0].startswith("State: 'ON' is not one of ENABLED")


@pytest.mark.parametrize("name", sorted(RULES), ids=str)
def test_every_rule_and_action_target_of_the_rules_file_passes(name: str) -> None:
    rule = RULES[name]
    put_rule = {
        "Name": rule["Name"],
        "EventPattern": json.dumps(rule["EventPattern"], sort_keys=True),
        "Description": rule["Description"],
        "State": "ENABLED",
    }
    assert request_problems("events", "PutRule", put_rule) == []
    if "ActionTargetId" in rule:
        action = {
            "Id": rule["ActionTargetId"],
            "Name": rule["ActionTargetName"],
            "Description": rule["ActionTargetDescription"],
        }
        assert request_problems("securityhub", "CreateActionTarget", action) == []
        arn = f"arn:aws:securityhub:us-east-1:123456789012:action/custom/{action['Id']}"
        update = {"ActionTargetArn": arn, "Name": action["Name"]}
        assert request_problems("securityhub", "UpdateActionTarget", update) == []


@pytest.mark.parametrize(("source", "finding"), _real_findings(), ids=lambda v: str(v)[:40])
def test_every_real_finding_passes(source: str, finding: dict[str, Any]) -> None:
    assert request_problems("securityhub", "BatchImportFindings", {"Findings": [finding]}) == []


def test_the_session_hook_refuses_before_anything_is_sent() -> None:
    session = session_limits_install(boto3.Session(region_name="us-east-1"))
    session_limits_install(session)  # twice: still one check
    hub = session.client("securityhub", endpoint_url="http://127.0.0.1:9")  # nothing listens
    with pytest.raises(RequestLimitError, match="Name: 24 characters") as raised:
        hub.create_action_target(Name="Remediate with Ouroboros", Description="d", Id="A1")
    assert len(raised.value.problems) == 1
    events = session_limits_install(boto3.client("events", region_name="us-east-1"))
    with pytest.raises(RequestLimitError, match="Targets: 6 items, more than the 5"):
        events.put_targets(
            Rule="r", Targets=[{"Id": f"t{n}", "Arn": "arn:aws:sqs:x"} for n in range(6)]
        )


# -- every documented limit, one passing and one failing value ----------------------------------

BASE_REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("securityhub", "CreateActionTarget"): {"Name": "n", "Description": "d", "Id": "A1"},
    ("securityhub", "UpdateActionTarget"): {
        "ActionTargetArn": "arn:aws:securityhub:us-east-1:123456789012:action/custom/A1"
    },
    ("securityhub", "BatchImportFindings"): {
        "Findings": [
            _finding(Note={"Text": "t", "UpdatedBy": "u", "UpdatedAt": "2024-05-01T12:00:00Z"})
        ]
    },
    ("securityhub", "BatchUpdateFindings"): {
        "FindingIdentifiers": [{"Id": "f-0", "ProductArn": HUB_PRODUCT}],
        "Note": {"Text": "t", "UpdatedBy": "u"},
    },
    ("securityhub", "GetFindings"): {},
    ("events", "PutRule"): {"Name": "ouroboros-rule"},
    ("events", "PutTargets"): {"Rule": "r", "Targets": [{"Id": "t", "Arn": "arn:aws:sqs:x"}]},
    ("events", "PutEvents"): {"Entries": [{"Source": "s", "DetailType": "t", "Detail": "{}"}]},
    ("ssm", "PutParameter"): {"Name": "/ouroboros/p", "Value": "v", "Type": "String"},
    ("lambda", "CreateFunction"): {
        "FunctionName": "f",
        "Role": "arn:aws:iam::123456789012:role/r",
        "Code": {"ZipFile": b"zip"},
    },
    ("iam", "CreateRole"): {"RoleName": "r", "AssumeRolePolicyDocument": "{}"},
    ("iam", "UpdateAssumeRolePolicy"): {"RoleName": "r", "PolicyDocument": "{}"},
    ("iam", "PutRolePolicy"): {"RoleName": "r", "PolicyName": "p", "PolicyDocument": "{}"},
    ("iam", "CreatePolicy"): {"PolicyName": "p", "PolicyDocument": "{}"},
    ("iam", "CreatePolicyVersion"): {
        "PolicyArn": "arn:aws:iam::123456789012:policy/p",
        "PolicyDocument": "{}",
    },
    ("sts", "AssumeRole"): {
        "RoleArn": "arn:aws:iam::123456789012:role/r",
        "RoleSessionName": "ouroboros",
    },
    ("sns", "Publish"): {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": "m"},
    ("stepfunctions", "StartExecution"): {
        "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m"
    },
}

#: One item of each list, one entry of each map, a documented row counts.
ITEMS: dict[str, Any] = {
    "Findings": None,  # numbered findings, see _items
    "Findings[*].Types": "Software and Configuration Checks/Industry and Regulatory Standards",
    "Findings[*].ProductFields": "v",
    "Findings[*].UserDefinedFields": "v",
    "Findings[*].Malware": {"Name": "m"},
    "Findings[*].Threats": {"Name": "t"},
    "Findings[*].RelatedFindings": {"ProductArn": HUB_PRODUCT, "Id": "r"},
    "Findings[*].Resources": {"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::b"},
    "FindingIdentifiers": None,
    "Targets": None,
}

#: Explicit values for the pattern rows: (passing, failing).
MATCHES: dict[tuple[str, str, str], tuple[str, str]] = {
    ("CreateActionTarget", "Id", "up to 20 alphanumeric characters"): ("A" * 20, "Fix-1"),
    ("BatchImportFindings", "Findings[*].AwsAccountId", "an account id of 12 digits"): (
        "111111111111",
        "11111111111a",
    ),
    ("PutRule", "Name", "1 to 64 of letters, digits, '.', '-', '_'"): ("r" * 64, "a rule"),
    ("PutParameter", "Name", "made of a-zA-Z0-9_.-/ only"): ("/ouroboros/p-1", "/ouroboros/a b"),
    ("PutParameter", "Name", "free of the reserved prefixes aws and ssm"): (
        "/ouroboros/aws",
        "/SSM/p",
    ),
    ("CreateFunction", "FunctionName", "a function name of at most 64 characters (or an ARN)"): (
        "f" * 64,
        "f" * 65,
    ),
    ("CreateRole", "RoleName", "1 to 64 of letters, digits and +=,.@_-"): ("r" * 64, "r" * 65),
    ("Publish", "Subject", "less than 100 characters without line breaks"): (
        "s" * 99,
        "line\nbreak",
    ),
}


def _items(path: str, count: int) -> Any:
    if path == "Findings":
        return [_finding(n) for n in range(count)]
    if path == "FindingIdentifiers":
        return [{"Id": f"f-{n}", "ProductArn": HUB_PRODUCT} for n in range(count)]
    if path == "Targets":
        return [{"Id": f"t{n}", "Arn": "arn:aws:sqs:x"} for n in range(count)]
    if path.endswith("Fields"):
        return {f"k{n}": ITEMS[path] for n in range(count)}
    return [copy.deepcopy(ITEMS[path]) for _ in range(count)]


def _big_finding(size: int) -> dict[str, Any]:
    """A valid finding of about ``size`` bytes (the bulk in a resource's Details.Other)."""
    finding = _finding(1)
    other = {f"k{n}": "x" * 1000 for n in range(size // 1000 + 1)}
    finding["Resources"][0]["Details"] = {"Other": other}
    return finding


def _values(row: DocumentedLimit) -> tuple[Any, Any]:
    rule = row.rule
    if isinstance(rule, MaxLength):
        return "a" * rule.limit, "a" * (rule.limit + 1)
    if isinstance(rule, LengthBetween):
        return "a" * rule.high, "a" * (rule.high + 1)
    if isinstance(rule, Matches):
        return MATCHES[(row.operation, row.path, rule.meaning)]
    if isinstance(rule, MaxItems):
        return _items(row.path, rule.limit), _items(row.path, rule.limit + 1)
    if isinstance(rule, MaxValue):
        return rule.limit, rule.limit + 1
    if isinstance(rule, MaxUtf8Bytes):  # characters within the limit, bytes beyond it
        return "a" * rule.limit, "é" * (rule.limit // 2 + 1)
    if isinstance(rule, MaxNonWhitespace):  # white space is not counted
        return "x" * rule.limit + " " * 100, "x" * (rule.limit + 1)
    if isinstance(rule, MaxDepth):
        return "/a" * rule.limit, "/a" * (rule.limit + 1)
    if isinstance(rule, EventEntriesSize):
        entry = {"Source": "s", "DetailType": "t"}
        return [{**entry, "Detail": "{}"}], [{**entry, "Detail": "x" * rule.limit}]
    if isinstance(rule, MaxJsonBytes) and row.path == "Findings":  # 100 findings of ~70 KB
        return [_finding()], [{**_big_finding(70_000), "Id": f"big-{n}"} for n in range(100)]
    if isinstance(rule, MaxJsonBytes):
        return _finding(), _big_finding(rule.limit)
    raise AssertionError(f"no values for {row}")


def _set(request: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``request`` with ``value`` at ``path`` (``[*]``: the first item, ``{*}``: key ``k``)."""
    target: Any = request
    segments = path.split(".")
    for segment in segments[:-1]:
        name = segment.split("[")[0].split("{")[0]
        target = target.setdefault(name, {}) if "[" not in segment else target[name][0]
    last = segments[-1]
    name = last.split("[")[0].split("{")[0]
    if last.endswith("[*]"):
        target[name][0] = value
    elif last.endswith("{*}"):
        target.setdefault(name, {})["k"] = value
    else:
        target[name] = value
    return request


def _row_id(row: DocumentedLimit) -> str:
    return f"{row.service}-{row.operation}-{row.path}-{type(row.rule).__name__}"


@pytest.mark.parametrize("row", DOCUMENTED_LIMITS, ids=_row_id)
def test_every_documented_limit_passes_a_good_value_and_refuses_a_bad_one(
    row: DocumentedLimit,
) -> None:
    assert row.source.startswith("https://docs.aws.amazon.com/")
    good, bad = _values(row)
    base = BASE_REQUESTS[(row.service, row.operation)]
    passing = _set(copy.deepcopy(base), row.path, good)
    assert request_problems(row.service, row.operation, passing) == []
    failing = _set(copy.deepcopy(base), row.path, bad)
    concrete = [path for path, _ in path_values(failing, row.path)]
    problems = request_problems(row.service, row.operation, failing)
    mine = [p for p in problems if p.endswith(f"({row.source})") and p.split(":")[0] in concrete]
    assert mine, problems


# -- the batches of securityhub_import ----------------------------------------------------------


def test_imports_are_split_by_count_and_by_size() -> None:
    assert [len(b) for b in findings_batches([_finding(n) for n in range(250)])] == [100, 100, 50]
    big = [{**_big_finding(200_000), "Id": f"big-{n}"} for n in range(70)]
    batches = findings_batches(big)
    assert [f for batch in batches for f in batch] == big
    assert len(batches) == 3
    for batch, following in itertools.pairwise(batches):
        assert request_problems("securityhub", "BatchImportFindings", {"Findings": batch}) == []
        fuller = {"Findings": [*batch, following[0]]}  # one more would not fit
        assert any(
            p.startswith("Findings: ") and "bytes of JSON" in p
            for p in request_problems("securityhub", "BatchImportFindings", fuller)
        )


# -- the local Security Hub and securityhub_import -----------------------------------------------


@pytest.fixture
def hub_url(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local Security Hub that this process (and securityhub_import) uses."""
    extension = SecurityHubExtension()
    extension.start(FakeRuntime(isolated_env))  # type: ignore[arg-type]
    assert extension.server is not None
    url = extension.server.url
    endpoints_write(
        LocalEndpoints(
            aws="http://127.0.0.1:9",
            dynamodb="http://127.0.0.1:9",
            dynamodb_backend="moto",
            region="us-east-1",
            pid=os.getpid(),
            securityhub=url,
        ),
        isolated_env,
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECURITYHUB", url)
    reset_config()
    reset_sessions()
    try:
        yield url
    finally:
        extension.stop()


def test_the_local_security_hub_answers_a_too_long_name_as_aws_does(hub_url: str) -> None:
    hub = boto3.client("securityhub", endpoint_url=hub_url, region_name="us-east-1")
    with pytest.raises(ClientError) as raised:
        hub.create_action_target(Name="Remediate with Ouroboros", Description="d", Id="A1")
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidInputException"
    assert "Name: 24 characters, more than the 20 allowed" in error["Error"]["Message"]
    with pytest.raises(ClientError, match="MaxResults: 101, more than the maximum 100"):
        hub.get_findings(MaxResults=101)


def test_the_local_security_hub_refuses_a_bad_finding_and_imports_the_others(hub_url: str) -> None:
    hub = boto3.client("securityhub", endpoint_url=hub_url, region_name="us-east-1")
    bad = _finding(1, AwsAccountId="1234567890")
    response = hub.batch_import_findings(Findings=[_finding(0), bad, _finding(2)])
    assert (response["SuccessCount"], response["FailedCount"]) == (2, 1)
    failure = response["FailedFindings"][0]
    assert (failure["Id"], failure["ErrorCode"]) == (bad["Id"], "InvalidInput")
    assert "AwsAccountId" in failure["ErrorMessage"]
    stored = {f["Id"] for f in hub.get_findings()["Findings"]}
    assert stored == {_finding(0)["Id"], _finding(2)["Id"]}
    with pytest.raises(ClientError, match="Findings: 101 items, more than the 100 allowed"):
        hub.batch_import_findings(Findings=[_finding(n) for n in range(101)])


def test_securityhub_import_writes_the_good_files_and_names_the_bad_finding(
    hub_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 18: a file with a bad finding is refused whole; the other files are written.
    good = tmp_path / "good.json"
    good.write_text(json.dumps([_finding(n) for n in range(3)]))
    mixed = tmp_path / "mixed.json"
    bad = _finding(4, Id="x" * 513)
    mixed.write_text(json.dumps({"Findings": [_finding(3), bad]}))
    with pytest.raises(CommandError, match="1 file\\(s\\) refused"):
        call_command("securityhub_import", str(good), str(mixed))
    output = capsys.readouterr()
    assert "3 findings imported from 1 of 2 file(s)" in output.out
    assert f"{mixed}: finding 2 (" in output.err
    assert "Id: 513 characters, not 1 to 512" in output.err
    assert "Traceback" not in output.err
    hub = boto3.client("securityhub", endpoint_url=hub_url, region_name="us-east-1")
    stored = {f["Id"] for f in hub.get_findings()["Findings"]}
    assert stored == {_finding(n)["Id"] for n in range(3)}


# -- the moto server ------------------------------------------------------------------------------


@pytest.fixture
def moto_url() -> Iterator[str]:
    """moto's server in this process; its backends are process-wide, so they are reset after.

    (A rule left in moto's EventBridge would receive the local runtime's events in later tests.)
    """
    server = moto_server_start()
    try:
        yield server.url
    finally:
        urllib.request.urlopen(  # moto's own reset endpoint on 127.0.0.1
            urllib.request.Request(f"{server.url}/moto-api/reset", method="POST"), timeout=10
        ).close()
        server.stop()


def _client(service: str, url: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1")


def test_moto_refuses_what_aws_refuses_and_serves_the_rest(moto_url: str) -> None:
    iam = _client("iam", moto_url)
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    with pytest.raises(ClientError) as raised:
        iam.create_role(RoleName="r" * 65, AssumeRolePolicyDocument=trust)
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert "RoleName: 'rrrr" in raised.value.response["Error"]["Message"]
    assert iam.create_role(RoleName="r" * 64, AssumeRolePolicyDocument=trust)["Role"]["RoleName"]

    events = _client("events", moto_url)
    with pytest.raises(ClientError) as raised:
        events.put_rule(Name="rule", EventPattern=json.dumps({"source": ["x" * 2100]}))
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "EventPattern: 2116 characters, more than the 2048" in str(raised.value)
    events.put_rule(Name="rule", EventPattern=json.dumps({"source": ["aws.securityhub"]}))
    targets = [{"Id": f"t{n}", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"} for n in range(6)]
    with pytest.raises(ClientError, match="Targets: 6 items, more than the 5 allowed"):
        events.put_targets(Rule="rule", Targets=targets)
    assert events.put_targets(Rule="rule", Targets=targets[:5])["FailedEntryCount"] == 0

    lam = _client("lambda", moto_url)
    with pytest.raises(ClientError) as raised:
        lam.create_function(
            FunctionName="f" * 65,
            Role="arn:aws:iam::123456789012:role/r",
            Code={"ZipFile": b"zip"},
            Runtime="python3.12",
            Handler="h.handler",
        )
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "FunctionName" in raised.value.response["Error"]["Message"]


def test_the_local_custom_action_is_refused_if_aws_would_refuse_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import deploy.workflow
    from emulator.securityhub_custom_action import local_custom_action

    assert local_custom_action().name == "Fix with Ouroboros"
    old = copy.deepcopy(RULES)
    old["custom_action"]["ActionTargetName"] = "Remediate with Ouroboros"
    monkeypatch.setattr(deploy.workflow, "rules_render", lambda arn: old)
    with pytest.raises(RequestLimitError, match="Name: 24 characters, more than the 20"):
        local_custom_action()
