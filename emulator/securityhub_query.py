"""GetFindings ``Filters`` and ``SortCriteria`` turned into one SQLite query, with keyset paging.

Supported filters (anything else is refused with InvalidInputException rather than ignored):

- string filters on columns: ``Id``, ``ProductArn``, ``AwsAccountId``, ``Region``,
  ``GeneratorId``, ``RecordState``, ``ComplianceStatus``, ``WorkflowStatus``, ``SeverityLabel``,
  ``ComplianceSecurityControlId``, ``ProductName``, ``Title``; on the raw finding:
  ``CompanyName``, ``Description``, ``VerificationState``, ``WorkflowState``, ``NoteText``,
  ``NoteUpdatedBy``, ``SourceUrl``, ``AwsAccountName``, ``RecommendationText``,
  ``FindingProviderFieldsSeverityLabel``; on lists (any element): ``ResourceId``,
  ``ResourceType``, ``ResourceRegion``, ``ResourcePartition``, ``Type``,
  ``ComplianceAssociatedStandardsId``. Comparisons EQUALS, PREFIX, NOT_EQUALS,
  PREFIX_NOT_EQUALS, CONTAINS, NOT_CONTAINS (case-sensitive); positive ones on one field are
  ORed, negative ones ANDed, as the API reference says; a missing comparison means EQUALS;
- date filters (``UpdatedAt``, ``CreatedAt``, ``FirstObservedAt``, ``LastObservedAt``): ``Start``
  / ``End`` (inclusive) or ``DateRange`` (``DAYS``, WITHIN by default, or OLDER_THAN);
- number filters (``SeverityNormalized``, ``SeverityProduct``, ``Confidence``, ``Criticality``):
  Gte, Lte, Gt, Lt, Eq; map filters (``ProductFields``, ``UserDefinedFields``) with EQUALS,
  NOT_EQUALS, CONTAINS, NOT_CONTAINS; boolean ``Sample``.

At most 10 fields and 20 values per field, the documented limits. One ``SortCriteria`` entry
(default ``UpdatedAt`` desc) on ``UpdatedAt``, ``CreatedAt``, ``FirstObservedAt``,
``LastObservedAt``, ``SeverityNormalized``, ``Id``, ``AwsAccountId``, ``Region``, ``Title``. The
``NextToken`` carries the last row's sort key, so a finding updated while a client pages through
moves instead of shifting the others (offset paging would skip one). It also carries when it was
issued (on the store's clock, `emulator.securityhub_pacing`): a store given a token age answers an
older token with InvalidInputException ("NextToken has expired"), the path of a resumed sync.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator.securityhub_errors import InvalidInputError
from emulator.securityhub_findings import timestamp_key

_COLUMNS = {
    "Id": "id",
    "ProductArn": "product_arn",
    "AwsAccountId": "aws_account_id",
    "Region": "region",
    "GeneratorId": "generator_id",
    "RecordState": "record_state",
    "ComplianceStatus": "compliance_status",
    "WorkflowStatus": "workflow_status",
    "SeverityLabel": "severity_label",
    "ComplianceSecurityControlId": "security_control_id",
    "ProductName": "product_name",
    "Title": "title",
}
_JSON_STRINGS = {
    "CompanyName": "$.CompanyName",
    "Description": "$.Description",
    "VerificationState": "$.VerificationState",
    "WorkflowState": "$.WorkflowState",
    "NoteText": "$.Note.Text",
    "NoteUpdatedBy": "$.Note.UpdatedBy",
    "SourceUrl": "$.SourceUrl",
    "AwsAccountName": "$.AwsAccountName",
    "RecommendationText": "$.Remediation.Recommendation.Text",
    "FindingProviderFieldsSeverityLabel": "$.FindingProviderFields.Severity.Label",
}
_LIST_STRINGS = {
    "ResourceId": ("$.Resources", "$.Id"),
    "ResourceType": ("$.Resources", "$.Type"),
    "ResourceRegion": ("$.Resources", "$.Region"),
    "ResourcePartition": ("$.Resources", "$.Partition"),
    "Type": ("$.Types", "$"),
    "ComplianceAssociatedStandardsId": ("$.Compliance.AssociatedStandards", "$.StandardsId"),
}
_DATES = {
    "UpdatedAt": "updated_at",
    "CreatedAt": "created_at",
    "FirstObservedAt": "first_observed_at",
    "LastObservedAt": "last_observed_at",
}
_NUMBERS = {
    "SeverityNormalized": "severity_normalized",
    "SeverityProduct": "json_extract(raw, '$.Severity.Product')",
    "Confidence": "json_extract(raw, '$.Confidence')",
    "Criticality": "json_extract(raw, '$.Criticality')",
}
_MAPS = {"ProductFields": "$.ProductFields", "UserDefinedFields": "$.UserDefinedFields"}
_SORTS = {
    "UpdatedAt": "updated_at",
    "CreatedAt": "created_at",
    "FirstObservedAt": "COALESCE(first_observed_at, '')",
    "LastObservedAt": "COALESCE(last_observed_at, '')",
    "SeverityNormalized": "COALESCE(severity_normalized, -1)",
    "Id": "id",
    "AwsAccountId": "aws_account_id",
    "Region": "region",
    "Title": "title",
}
_POSITIVE = {"EQUALS", "PREFIX", "CONTAINS"}
_NEGATIVE = {"NOT_EQUALS", "PREFIX_NOT_EQUALS", "NOT_CONTAINS"}
_CONFLICTS = [({"CONTAINS"}, {"NOT_CONTAINS"}), ({"EQUALS"}, {"NOT_EQUALS", "PREFIX_NOT_EQUALS"})]
_NUMBER_OPS = {"Gte": ">=", "Lte": "<=", "Gt": ">", "Lt": "<", "Eq": "="}
MAX_FIELDS = 10
MAX_VALUES = 20
MAX_RESULTS = 100


@dataclass(frozen=True)
class FindingsQuery:
    """A GetFindings request compiled to SQL (see `findings_query`)."""

    where: str
    params: list[Any]
    order: str
    descending: bool
    limit: int
    after: list[Any] | None
    fingerprint: str
    #: When this query's tokens are issued, in the store's clock seconds.
    issued: float = 0.0

    def sql(self) -> tuple[str, list[Any]]:
        """The SELECT returning ``raw`` and the keyset of each row, one row beyond the page."""
        direction = "DESC" if self.descending else "ASC"
        where, params = self.where, list(self.params)
        if self.after is not None:
            op = "<" if self.descending else ">"
            where += f" AND ({self.order}, id, product_arn) {op} (?, ?, ?)"
            params += self.after
        sql = (
            f"SELECT raw, {self.order}, id, product_arn FROM findings WHERE {where} "  # noqa: S608
            f"ORDER BY {self.order} {direction}, id {direction}, product_arn {direction} LIMIT ?"
        )
        return sql, [*params, self.limit + 1]

    def token(self, row: tuple[Any, ...]) -> str:
        """The NextToken that continues after ``row`` (as returned by `sql`)."""
        data = json.dumps({"k": list(row[1:4]), "q": self.fingerprint, "t": self.issued}).encode()
        return base64.urlsafe_b64encode(data).decode()


def findings_query(
    request: dict[str, Any],
    *,
    now: datetime | None = None,
    clock: float = 0.0,
    token_max_age: float | None = None,
) -> FindingsQuery:
    """Compile a GetFindings request; raises `InvalidInputError` on what it cannot serve.

    ``clock`` is the store's clock now (tokens carry it); a ``NextToken`` issued more than
    ``token_max_age`` seconds before it has expired.
    """
    filters = request.get("Filters") or {}
    if not isinstance(filters, dict):
        raise InvalidInputError("Filters must be an object")
    if len(filters) > MAX_FIELDS:
        raise InvalidInputError(f"at most {MAX_FIELDS} filter fields per request")
    now = now or datetime.now(UTC)
    clauses: list[str] = []
    params: list[Any] = []
    for field, values in filters.items():
        if not isinstance(values, list) or not values:
            raise InvalidInputError(f"filter {field}: a non-empty list of filters")
        if len(values) > MAX_VALUES:
            raise InvalidInputError(f"filter {field}: at most {MAX_VALUES} values")
        clause, clause_params = _field_clause(field, values, now)
        clauses.append(clause)
        params += clause_params
    order, descending = _sort(request.get("SortCriteria"))
    limit = request.get("MaxResults") or MAX_RESULTS
    if not isinstance(limit, int) or not 1 <= limit <= MAX_RESULTS:
        raise InvalidInputError(f"MaxResults must be 1..{MAX_RESULTS}")
    fingerprint = hashlib.sha256(
        json.dumps([filters, request.get("SortCriteria")], sort_keys=True).encode()
    ).hexdigest()[:16]
    after = _decode_token(request.get("NextToken"), fingerprint, clock, token_max_age)
    return FindingsQuery(
        where=" AND ".join(clauses) or "1=1",
        params=params,
        order=order,
        descending=descending,
        limit=limit,
        after=after,
        fingerprint=fingerprint,
        issued=clock,
    )


def _decode_token(
    token: str | None, fingerprint: str, clock: float, max_age: float | None
) -> list[Any] | None:
    if not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        key, query, issued = data["k"], data["q"], float(data.get("t", clock))
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError("NextToken is not valid") from exc
    if query != fingerprint or not isinstance(key, list) or len(key) != 3:
        raise InvalidInputError("NextToken belongs to a different query")
    if max_age is not None and clock - issued > max_age:
        raise InvalidInputError("NextToken has expired")
    return key


def _sort(criteria: Any) -> tuple[str, bool]:
    if not criteria:
        return _SORTS["UpdatedAt"], True
    if not isinstance(criteria, list) or len(criteria) != 1:
        raise InvalidInputError("the local Security Hub sorts on exactly one SortCriteria entry")
    field = criteria[0].get("Field")
    if field not in _SORTS:
        raise InvalidInputError(f"cannot sort on {field!r}; use one of {', '.join(_SORTS)}")
    return _SORTS[field], criteria[0].get("SortOrder", "asc") == "desc"


def _field_clause(field: str, values: list[Any], now: datetime) -> tuple[str, list[Any]]:
    if field in _COLUMNS:
        return _string_clause(field, _COLUMNS[field], values)
    if field in _JSON_STRINGS:
        return _string_clause(field, f"json_extract(raw, '{_JSON_STRINGS[field]}')", values)
    if field in _LIST_STRINGS:
        return _list_clause(field, *_LIST_STRINGS[field], values)
    if field in _DATES:
        return _date_clause(field, _DATES[field], values, now)
    if field in _NUMBERS:
        return _number_clause(field, _NUMBERS[field], values)
    if field in _MAPS:
        return _map_clause(field, _MAPS[field], values)
    if field == "Sample":
        clause = " OR ".join(
            "COALESCE(json_extract(raw, '$.Sample'), 0) = ?" for _ in values
        )  # JSON booleans come back as 0 / 1
        return f"({clause})", [1 if v.get("Value") else 0 for v in values]
    raise InvalidInputError(f"the local Security Hub does not filter on {field!r}")


def _comparisons(field: str, values: list[Any]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        if not isinstance(value, dict) or not isinstance(value.get("Value"), str):
            raise InvalidInputError(f"filter {field}: every entry has a string Value")
        comparison = value.get("Comparison") or "EQUALS"
        if comparison not in _POSITIVE | _NEGATIVE:
            raise InvalidInputError(f"filter {field}: comparison {comparison} is not supported")
        pairs.append((comparison, value["Value"]))
    used = {comparison for comparison, _ in pairs}
    for left, right in _CONFLICTS:
        if used & left and used & right:
            raise InvalidInputError(
                f"filter {field}: {'/'.join(sorted(left))} cannot be combined with "
                f"{'/'.join(sorted(right))}"
            )
    return pairs


def _test(expression: str, comparison: str) -> str:
    """SQL that is true when ``expression`` passes the positive form of ``comparison``."""
    if comparison in ("EQUALS", "NOT_EQUALS"):
        return f"{expression} = ?"
    if comparison in ("PREFIX", "PREFIX_NOT_EQUALS"):
        return f"substr({expression}, 1, length(?)) = ?"
    return f"instr({expression}, ?) > 0"


def _test_params(comparison: str, value: str) -> list[Any]:
    return [value, value] if comparison in ("PREFIX", "PREFIX_NOT_EQUALS") else [value]


def _string_clause(field: str, expression: str, values: list[Any]) -> tuple[str, list[Any]]:
    positives, negatives, params_pos, params_neg = [], [], [], []
    for comparison, value in _comparisons(field, values):
        if comparison in _POSITIVE:
            positives.append(f"{_test(expression, comparison)}")
            params_pos += _test_params(comparison, value)
        else:
            negatives.append(f"({expression} IS NULL OR NOT ({_test(expression, comparison)}))")
            params_neg += _test_params(comparison, value)
    parts = [f"({' OR '.join(positives)})"] if positives else []
    parts += negatives
    return "(" + " AND ".join(parts) + ")", params_pos + params_neg


def _list_clause(field: str, array: str, member: str, values: list[Any]) -> tuple[str, list[Any]]:
    expression = f"json_extract(value, '{member}')"
    source = f"json_each(raw, '{array}')"
    positives, negatives, params_pos, params_neg = [], [], [], []
    for comparison, value in _comparisons(field, values):
        # only constants of this module are spliced in; values are bound parameters
        test = f"EXISTS (SELECT 1 FROM {source} WHERE {_test(expression, comparison)})"  # noqa: S608
        if comparison in _POSITIVE:
            positives.append(test)
            params_pos += _test_params(comparison, value)
        else:
            negatives.append(f"NOT {test}")
            params_neg += _test_params(comparison, value)
    parts = [f"({' OR '.join(positives)})"] if positives else []
    parts += negatives
    return "(" + " AND ".join(parts) + ")", params_pos + params_neg


def _date_clause(
    field: str, column: str, values: list[Any], now: datetime
) -> tuple[str, list[Any]]:
    alternatives, params = [], []
    for value in values:
        if not isinstance(value, dict):
            raise InvalidInputError(f"filter {field}: a DateFilter object")
        if "DateRange" in value:
            date_range = value["DateRange"]
            if date_range.get("Unit", "DAYS") != "DAYS" or not isinstance(
                date_range.get("Value"), int
            ):
                raise InvalidInputError(f"filter {field}: DateRange needs Value and Unit DAYS")
            bound = timestamp_key((now - timedelta(days=date_range["Value"])).isoformat())
            older = date_range.get("Comparison") == "OLDER_THAN"
            alternatives.append(f"{column} {'<' if older else '>='} ?")
            params.append(bound)
            continue
        parts = []
        try:
            for key, op in (("Start", ">="), ("End", "<=")):
                if value.get(key):
                    parts.append(f"{column} {op} ?")
                    params.append(timestamp_key(value[key]))
        except ValueError as exc:
            raise InvalidInputError(f"filter {field}: {exc}") from exc
        if not parts:
            raise InvalidInputError(f"filter {field}: give Start, End or DateRange")
        alternatives.append("(" + " AND ".join(parts) + ")")
    return "(" + " OR ".join(alternatives) + ")", params


def _number_clause(field: str, expression: str, values: list[Any]) -> tuple[str, list[Any]]:
    alternatives, params = [], []
    for value in values:
        parts = []
        for key, op in _NUMBER_OPS.items():
            if isinstance(value, dict) and value.get(key) is not None:
                parts.append(f"{expression} {op} ?")
                params.append(float(value[key]))
        if not parts:
            raise InvalidInputError(f"filter {field}: give Gte, Lte, Gt, Lt or Eq")
        alternatives.append("(" + " AND ".join(parts) + ")")
    return "(" + " OR ".join(alternatives) + ")", params


def _map_clause(field: str, path: str, values: list[Any]) -> tuple[str, list[Any]]:
    expression = "json_extract(raw, ?)"  # the key is user input: bound, never spliced into SQL
    positives, negatives, params_pos, params_neg = [], [], [], []
    for value in values:
        key = value.get("Key") if isinstance(value, dict) else None
        if not isinstance(key, str) or not key or any(c in key for c in '"\\'):
            raise InvalidInputError(f"filter {field}: every entry has a Key (without quotes)")
        if not isinstance(value.get("Value"), str):
            raise InvalidInputError(f"filter {field}: every entry has a string Value")
        comparison = value.get("Comparison") or "EQUALS"
        if comparison not in ("EQUALS", "NOT_EQUALS", "CONTAINS", "NOT_CONTAINS"):
            raise InvalidInputError(f"filter {field}: comparison {comparison} is not supported")
        key_path = f'{path}."{key}"'
        if comparison in _POSITIVE:
            positives.append(_test(expression, comparison))
            params_pos += [key_path, value["Value"]]
        else:
            negatives.append(f"({expression} IS NULL OR NOT ({_test(expression, comparison)}))")
            params_neg += [key_path, key_path, value["Value"]]
    parts = [f"({' OR '.join(positives)})"] if positives else []
    parts += negatives
    return "(" + " AND ".join(parts) + ")", params_pos + params_neg
