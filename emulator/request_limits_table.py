"""`DOCUMENTED_LIMITS`: request limits AWS states only in its documentation, each with its source.

The botocore service model carries many limits (``min``, ``max``, ``pattern``), but not these:
they are written in the API reference text, the user guides or the quota pages. Each row is one
rule on one member path of one operation's request, with the URL of the AWS page that states it
(confirmed against that page's text). Paths use ``Name[*]`` for every item of a list and
``Name{*}`` for every value of a map; `path_values` resolves them to concrete paths
(``Findings[3].Id``) in a request.

Limits that are adjustable quotas use the default value (a project that raised a quota raises it
here too). Not checkable from the request alone and so not here: STS's packed policy size (AWS
compresses session policies and tags into a binary form with its own limit) and Security Hub's
per-account quotas.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

_SEGMENT = re.compile(r"^(\w+)(\[\*\]|\{\*\})?$")

SECURITYHUB_API = "https://docs.aws.amazon.com/securityhub/1.0/APIReference"
FINDING_DOC = f"{SECURITYHUB_API}/API_AwsSecurityFinding.html"
ACTION_TARGET_DOC = f"{SECURITYHUB_API}/API_CreateActionTarget.html"
IMPORT_GUIDELINES_DOC = "https://docs.aws.amazon.com/securityhub/latest/partnerguide/guidelines-batchimportfindings.html"
IAM_QUOTAS_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"

#: Security Hub takes at most this many findings in one BatchImportFindings call.
BATCH_IMPORT_MAX_FINDINGS = 100
#: ... and at most this much JSON in one call ("up to 6 MB per batch")...
BATCH_IMPORT_MAX_BYTES = 6 * 1024 * 1024
#: ... and at most this much per finding ("up to 240 KB per finding").
FINDING_MAX_BYTES = 240 * 1024


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact JSON, as botocore sends it."""
    return len(json.dumps(value, separators=(",", ":"), default=str).encode())


class Rule(Protocol):
    """One limit on one value: ``problem`` says how a value breaks it, or None."""

    def problem(self, value: Any) -> str | None: ...


@dataclass(frozen=True)
class MaxLength:
    limit: int

    def problem(self, value: Any) -> str | None:
        if isinstance(value, str) and len(value) > self.limit:
            return f"{len(value)} characters, more than the {self.limit} allowed"
        return None


@dataclass(frozen=True)
class LengthBetween:
    low: int
    high: int

    def problem(self, value: Any) -> str | None:
        if isinstance(value, str) and not self.low <= len(value) <= self.high:
            return f"{len(value)} characters, not {self.low} to {self.high}"
        return None


@dataclass(frozen=True)
class Matches:
    """The whole value matches ``pattern``; ``meaning`` says what that is in words."""

    pattern: str
    meaning: str

    def problem(self, value: Any) -> str | None:
        if isinstance(value, str) and re.fullmatch(self.pattern, value) is None:
            shown = value if len(value) <= 80 else value[:77] + "..."
            return f"{shown!r} is not {self.meaning}"
        return None


@dataclass(frozen=True)
class MaxItems:
    limit: int

    def problem(self, value: Any) -> str | None:
        if isinstance(value, (list, tuple, dict)) and len(value) > self.limit:
            return f"{len(value)} items, more than the {self.limit} allowed"
        return None


@dataclass(frozen=True)
class MaxValue:
    limit: int

    def problem(self, value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool) and value > self.limit:
            return f"{value}, more than the maximum {self.limit}"
        return None


@dataclass(frozen=True)
class MaxUtf8Bytes:
    limit: int

    def problem(self, value: Any) -> str | None:
        if isinstance(value, str) and len(value.encode()) > self.limit:
            return f"{len(value.encode())} bytes of UTF-8, more than the {self.limit} allowed"
        return None


@dataclass(frozen=True)
class MaxJsonBytes:
    limit: int

    def problem(self, value: Any) -> str | None:
        if value is not None and json_size(value) > self.limit:
            return f"{json_size(value)} bytes of JSON, more than the {self.limit} allowed"
        return None


@dataclass(frozen=True)
class MaxNonWhitespace:
    """IAM counts a policy's characters without white space."""

    limit: int

    def problem(self, value: Any) -> str | None:
        if isinstance(value, str):
            size = len(re.sub(r"\s", "", value))
            if size > self.limit:
                return f"{size} characters without white space, more than the {self.limit} allowed"
        return None


@dataclass(frozen=True)
class MaxDepth:
    """A ``/``-separated hierarchy at most ``limit`` levels deep."""

    limit: int

    def problem(self, value: Any) -> str | None:
        if isinstance(value, str):
            depth = len([part for part in value.split("/") if part])
            if depth > self.limit:
                return f"{depth} levels of hierarchy, more than the {self.limit} allowed"
        return None


@dataclass(frozen=True)
class EventEntriesSize:
    """The PutEvents entry size EventBridge computes (Time 14 bytes, strings in UTF-8)."""

    limit: int

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, list):
            return None
        size = sum(_entry_size(entry) for entry in value if isinstance(entry, Mapping))
        if size >= self.limit:
            return f"entries of {size} bytes, not less than the {self.limit} allowed"
        return None


def _entry_size(entry: Mapping[str, Any]) -> int:
    size = 14 if entry.get("Time") is not None else 0
    for name in ("Source", "DetailType", "Detail"):
        if isinstance(entry.get(name), str):
            size += len(entry[name].encode())
    return size + sum(len(str(r).encode()) for r in entry.get("Resources") or [])


@dataclass(frozen=True)
class DocumentedLimit:
    """One documented limit: ``rule`` on ``path`` of ``service`` ``operation`` requests."""

    service: str
    operation: str
    path: str
    rule: Rule
    source: str

    def problems(self, params: Mapping[str, Any]) -> list[str]:
        found = []
        for concrete, value in path_values(params, self.path):
            problem = self.rule.problem(value)
            if problem is not None:
                found.append(f"{concrete}: {problem} ({self.source})")
        return found


def path_values(params: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every (concrete path, value) that ``path`` names in ``params`` (absent members: none)."""
    yield from _walk(params, path.split("."), "")


def _walk(value: Any, segments: list[str], prefix: str) -> Iterator[tuple[str, Any]]:
    if not segments:
        yield prefix, value
        return
    match = _SEGMENT.match(segments[0])
    if match is None:
        raise ValueError(f"bad limit path segment {segments[0]!r}")
    name, each = match.groups()
    if not isinstance(value, Mapping) or name not in value:
        return
    here, child = f"{prefix}.{name}" if prefix else name, value[name]
    if each == "[*]" and isinstance(child, list):
        for index, item in enumerate(child):
            yield from _walk(item, segments[1:], f"{here}[{index}]")
    elif each == "{*}" and isinstance(child, Mapping):
        for key, item in child.items():
            yield from _walk(item, segments[1:], f"{here}[{key!r}]")
    elif each is None:
        yield from _walk(child, segments[1:], here)


def _finding_rows() -> list[DocumentedLimit]:
    """BatchImportFindings: the ASFF limits of the AwsSecurityFinding reference page."""
    rows: list[tuple[str, Rule, str]] = [
        ("Findings", MaxItems(BATCH_IMPORT_MAX_FINDINGS), IMPORT_GUIDELINES_DOC),
        ("Findings", MaxJsonBytes(BATCH_IMPORT_MAX_BYTES), IMPORT_GUIDELINES_DOC),
        ("Findings[*]", MaxJsonBytes(FINDING_MAX_BYTES), IMPORT_GUIDELINES_DOC),
        ("Findings[*].Id", LengthBetween(1, 512), FINDING_DOC),
        (
            "Findings[*].AwsAccountId",
            Matches(r"[0-9]{12}", "an account id of 12 digits"),
            FINDING_DOC,
        ),
        ("Findings[*].ProductArn", LengthBetween(12, 2048), FINDING_DOC),
        ("Findings[*].GeneratorId", LengthBetween(1, 512), FINDING_DOC),
        ("Findings[*].Title", LengthBetween(1, 256), FINDING_DOC),
        ("Findings[*].Description", LengthBetween(1, 1024), FINDING_DOC),
        ("Findings[*].ProductName", LengthBetween(1, 128), FINDING_DOC),
        ("Findings[*].CompanyName", LengthBetween(1, 128), FINDING_DOC),
        ("Findings[*].Region", LengthBetween(1, 16), FINDING_DOC),
        ("Findings[*].Types", MaxItems(50), FINDING_DOC),
        ("Findings[*].ProductFields", MaxItems(50), FINDING_DOC),
        ("Findings[*].ProductFields{*}", MaxLength(2048), FINDING_DOC),
        ("Findings[*].UserDefinedFields", MaxItems(50), FINDING_DOC),
        ("Findings[*].UserDefinedFields{*}", MaxLength(1024), FINDING_DOC),
        ("Findings[*].Malware", MaxItems(5), FINDING_DOC),
        ("Findings[*].Threats", MaxItems(32), FINDING_DOC),
        ("Findings[*].RelatedFindings", MaxItems(10), FINDING_DOC),
        (
            "Findings[*].Resources",
            MaxItems(32),
            "https://docs.aws.amazon.com/securityhub/latest/userguide/asff-resources.html",
        ),
        (
            "Findings[*].Resources[*].Type",
            LengthBetween(1, 256),
            f"{SECURITYHUB_API}/API_Resource.html",
        ),
        ("Findings[*].Note.Text", LengthBetween(1, 512), f"{SECURITYHUB_API}/API_Note.html"),
    ]
    return [DocumentedLimit("securityhub", "BatchImportFindings", *row) for row in rows]


_ACTION_NAME = MaxLength(20)  # the console asks for "fewer than 20": 19 satisfies both
_ACTION_ID = Matches(r"[A-Za-z0-9]{1,20}", "up to 20 alphanumeric characters")
_NOTE_UPDATE_DOC = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
    "aws-properties-securityhub-automationrule-noteupdate.html"
)
_EVENTS_API = "https://docs.aws.amazon.com/eventbridge/latest/APIReference"
_RULE_NAME = Matches(r"[.\-_A-Za-z0-9]{1,64}", "1 to 64 of letters, digits, '.', '-', '_'")
_SSM_PUT_DOC = (
    "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html"
)
_IAM_NAME = Matches(r"[\w+=,.@-]{1,64}", "1 to 64 of letters, digits and +=,.@_-")

DOCUMENTED_LIMITS: tuple[DocumentedLimit, ...] = (
    DocumentedLimit("securityhub", "CreateActionTarget", "Name", _ACTION_NAME, ACTION_TARGET_DOC),
    DocumentedLimit("securityhub", "CreateActionTarget", "Id", _ACTION_ID, ACTION_TARGET_DOC),
    DocumentedLimit("securityhub", "UpdateActionTarget", "Name", _ACTION_NAME, ACTION_TARGET_DOC),
    *_finding_rows(),
    DocumentedLimit(
        "securityhub",
        "BatchUpdateFindings",
        "FindingIdentifiers",
        MaxItems(100),
        f"{SECURITYHUB_API}/API_BatchUpdateFindings.html",
    ),
    DocumentedLimit(
        "securityhub", "BatchUpdateFindings", "Note.Text", LengthBetween(1, 512), _NOTE_UPDATE_DOC
    ),
    DocumentedLimit(
        "securityhub",
        "BatchUpdateFindings",
        "Note.UpdatedBy",
        LengthBetween(1, 512),
        _NOTE_UPDATE_DOC,
    ),
    DocumentedLimit(
        "securityhub",
        "GetFindings",
        "MaxResults",
        MaxValue(100),
        f"{SECURITYHUB_API}/API_GetFindings.html",
    ),
    # The default "Event pattern size" quota; adjustable up to the model's 4,096.
    DocumentedLimit(
        "events",
        "PutRule",
        "EventPattern",
        MaxLength(2048),
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html",
    ),
    DocumentedLimit("events", "PutRule", "Name", _RULE_NAME, f"{_EVENTS_API}/API_PutRule.html"),
    # "Each rule can have up to five (5) targets associated with it at one time."
    DocumentedLimit(
        "events", "PutTargets", "Targets", MaxItems(5), f"{_EVENTS_API}/API_PutTargets.html"
    ),
    DocumentedLimit(
        "events",
        "PutEvents",
        "Entries",
        EventEntriesSize(1024 * 1024),
        f"{_EVENTS_API}/API_PutEvents.html",
    ),
    DocumentedLimit(
        "ssm",
        "PutParameter",
        "Name",
        Matches(r"[a-zA-Z0-9_.\-/]+", "made of a-zA-Z0-9_.-/ only"),
        _SSM_PUT_DOC,
    ),
    DocumentedLimit(
        "ssm",
        "PutParameter",
        "Name",
        Matches(r"(?!/?(?i:aws|ssm)).*", "free of the reserved prefixes aws and ssm"),
        _SSM_PUT_DOC,
    ),
    DocumentedLimit("ssm", "PutParameter", "Name", MaxDepth(15), _SSM_PUT_DOC),
    # "If you specify only the function name, it is limited to 64 characters in length."
    DocumentedLimit(
        "lambda",
        "CreateFunction",
        "FunctionName",
        Matches(r"[^:]{1,64}|.*:.*", "a function name of at most 64 characters (or an ARN)"),
        "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html",
    ),
    DocumentedLimit("iam", "CreateRole", "RoleName", _IAM_NAME, IAM_QUOTAS_DOC),
    DocumentedLimit(
        "iam", "CreateRole", "AssumeRolePolicyDocument", MaxNonWhitespace(2048), IAM_QUOTAS_DOC
    ),
    DocumentedLimit(
        "iam", "UpdateAssumeRolePolicy", "PolicyDocument", MaxNonWhitespace(2048), IAM_QUOTAS_DOC
    ),
    DocumentedLimit(
        "iam", "PutRolePolicy", "PolicyDocument", MaxNonWhitespace(10240), IAM_QUOTAS_DOC
    ),
    DocumentedLimit(
        "iam", "CreatePolicy", "PolicyDocument", MaxNonWhitespace(6144), IAM_QUOTAS_DOC
    ),
    DocumentedLimit(
        "iam", "CreatePolicyVersion", "PolicyDocument", MaxNonWhitespace(6144), IAM_QUOTAS_DOC
    ),
    DocumentedLimit("sts", "AssumeRole", "RoleSessionName", LengthBetween(2, 64), IAM_QUOTAS_DOC),
    DocumentedLimit(
        "sts",
        "AssumeRole",
        "Policy",
        MaxLength(2048),
        "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html",
    ),
    DocumentedLimit(
        "sns",
        "Publish",
        "Message",
        MaxUtf8Bytes(256 * 1024),
        "https://docs.aws.amazon.com/sns/latest/api/API_Publish.html",
    ),
    DocumentedLimit(
        "sns",
        "Publish",
        "Subject",
        Matches(r"[^\x00-\x1f\x7f]{1,99}", "less than 100 characters without line breaks"),
        "https://docs.aws.amazon.com/sns/latest/api/API_Publish.html",
    ),
    DocumentedLimit(
        "stepfunctions",
        "StartExecution",
        "input",
        MaxUtf8Bytes(256 * 1024),
        "https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html",
    ),
)
