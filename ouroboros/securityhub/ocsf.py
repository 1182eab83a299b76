"""OCSF findings of the new AWS Security Hub (V2): parsed into the same `NormalizedFinding` as ASFF.

Security Hub V2 returns (``GetFindingsV2``) and emits ("Findings Imported V2") its findings as
OCSF documents: classes 2003 Compliance, 2002 Vulnerability, 2004 Detection, 2006 Data Security.
Ouroboros keeps ONE finding model for both formats:

- `ocsf_to_asff` converts an OCSF finding into the ASFF-shaped document its facts make (what
  reactors receive: it parses with `asff_parse` and reads with ``reactor_sdk.Finding``; AWS's
  Automated Security Response converts the same way before storing);
- `ocsf_parse` gives the `NormalizedFinding` of an OCSF finding: the same normalized fields its
  ASFF twin gives, ``raw`` = the ASFF-shaped conversion, ``ocsf_raw`` = the OCSF document as
  received, and ``ocsf`` = its `OcsfIdentity` (what V2 updates and tickets need, its V2 status,
  and whether Security Hub produced it);
- `is_ocsf_finding` tells an OCSF finding from an ASFF one (both arrive as JSON objects).

How the callers use it (the one way):

- **Store** (collector, "Findings Imported V2" events, ``securityhub_import``): parse each document
  with `ocsf_parse` (ASFF ones with `asff_parse`; `finding_parse` picks) and hand the
  `NormalizedFinding` list, formats mixed if need be, to
  `ouroboros.findings.services.finding_upsert_batch`. The format marker is the finding itself
  (``finding.source_format``, ``finding.ocsf``): the item is keyed by ``finding_info.uid`` (equal
  to the ASFF ``Id``), keeps each format's raw document and content hash apart, and takes the
  normalized fields from the newer document (`ouroboros.findings.items`).
- **Remediate**: decide on the `NormalizedFinding` (`ouroboros.workflow.decision` skips what
  Security Hub did not produce and coverage findings) and hand reactors ``finding.raw``, the
  ASFF-shaped document; `ouroboros.findings.items.finding_raw` gives the same for a stored item.
- **Write back** with ``BatchUpdateFindingsV2``: `ocsf_identifier` (``FindingIdentifiers`` entry)
  or ``finding.ocsf.metadata_uid`` (``MetadataUids``), and `OCSF_STATUS_IDS` for ``StatusId``.

The rules (``shared/data/ocsf/FIELD_MAPPING.md``), primary source first:

- id: ``finding_info.uid``; account: ``cloud.account.uid`` -> ``resources[0].owner.account.uid``
  (12 digits for a Security Hub product; another product's is kept as given); region:
  ``cloud.region`` -> ``resources[0].region`` (not ``global``).
- control: ``compliance.control`` -> ``security-control/<id>/finding/`` in ``finding_info.uid`` ->
  ``subscription/<std>/v/<ver>/<id>/finding/``, which becomes the standard-specific GeneratorId
  and resolves through the mapping table (`ouroboros.securityhub.control_ids`: CIS 1.2.0 rule 1.3
  is IAM.8), giving the standard control id too; none for coverage findings (product
  ``.../securityhub-coverage``), whatever they name.
- product: ``metadata.product.uid`` (``::productv2/`` becomes the ASFF ``::product/``);
  ``from_securityhub`` when it is ``arn:<partition>:securityhub:<region>::productv2/aws/<name>``
  (Security Hub or an AWS integration it produces: GuardDuty, Inspector, Macie, exposure,
  coverage). Prowler's own OCSF (product uid ``prowler``) is not.
- severity: ``severity`` -> ``severity_id``; Fatal -> CRITICAL, Unknown / Other -> INFORMATIONAL.
- compliance: ``compliance.status_id`` (1 PASSED, 2 WARNING, 3 FAILED) -> ``compliance.status``;
  otherwise NOT_AVAILABLE; no ``compliance`` object: none.
- workflow: ``status_id`` 0, 1 NEW; 2 NOTIFIED; 3 SUPPRESSED; others RESOLVED (as ASR) ->
  ``status``; record state: ``activity_id`` 3 (Close) or ``status_id`` 5 -> ARCHIVED, else ACTIVE.
- updated: ``finding_info.modified_time_dt`` -> ``modified_time`` -> ``time_dt`` -> ``time``;
  created (else the update time), first and last seen alike (``*_time`` is epoch milliseconds;
  a value below 10^11 is taken as seconds, as Prowler writes it).
- resource type: CloudFormation style (``AWS::SQS::Queue``) -> ASFF (``AwsSqsQueue``); ASFF-style
  types pass through. Resource id: ``uid_alt`` when it is an ARN -> ``uid`` -> ``name``; an EC2
  instance id without an ARN becomes ``arn:<partition>:ec2:<region>:<account>:instance/<id>``.
- ``metadata.version`` is not checked (1.4.0-dev to 1.9.0 are all seen).

Malformed input raises `OcsfValidationError` naming the OCSF field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ouroboros.errors import ValidationError
from ouroboros.securityhub.asff import (
    FORMAT_ASFF,
    FORMAT_OCSF,
    ID_MAX,
    AsffValidationError,
    NormalizedFinding,
    asff_parse,
    asff_timestamp,
)
from ouroboros.securityhub.control_ids import (
    CIS_120_RULESET_ARN,
    SECURITY_CONTROL_PREFIX,
    control_id_resolve,
    standard_generator_id,
)

__all__ = [
    "CLASS_COMPLIANCE",
    "CLASS_DETECTION",
    "CLASS_VULNERABILITY",
    "FORMAT_ASFF",
    "FORMAT_OCSF",
    "OCSF_STATUS_IDS",
    "OcsfIdentity",
    "OcsfValidationError",
    "finding_parse",
    "is_ocsf_finding",
    "ocsf_identifier",
    "ocsf_parse",
    "ocsf_to_asff",
]

#: OCSF classes of Security Hub V2 findings.
CLASS_VULNERABILITY = 2002
CLASS_COMPLIANCE = 2003
CLASS_DETECTION = 2004

#: A product of Security Hub or of an AWS integration it produces (group 1: the product name).
SECURITY_HUB_PRODUCT_UID = re.compile(
    r"arn:aws(?:-[a-z]+)*:securityhub:[a-z]{2}(?:-[a-z]+)+-\d+::productv2/aws/([a-z0-9-]+)"
)
COVERAGE_PRODUCT = "securityhub-coverage"

_CONSOLIDATED_UID = re.compile(r"security-control/([^/]+)/finding/")
_STANDARD_UID = re.compile(r"subscription/([^/]+/v/[^/]+)/([^/]+)/finding/")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
#: Acronym runs, capitalized words and digits of a CloudFormation type segment.
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

_SEVERITY_NAMES = {
    "informational": "INFORMATIONAL",
    "low": "LOW",
    "medium": "MEDIUM",
    "high": "HIGH",
    "critical": "CRITICAL",
    "fatal": "CRITICAL",
    "unknown": "INFORMATIONAL",
    "other": "INFORMATIONAL",
}
_SEVERITY_IDS = {
    0: "INFORMATIONAL",
    1: "INFORMATIONAL",
    2: "LOW",
    3: "MEDIUM",
    4: "HIGH",
    5: "CRITICAL",
    6: "CRITICAL",
    99: "INFORMATIONAL",
}
_COMPLIANCE_IDS = {1: "PASSED", 2: "WARNING", 3: "FAILED"}
_COMPLIANCE_NAMES = {"pass": "PASSED", "warning": "WARNING", "fail": "FAILED"}
_STATUS_NAMES = {
    "unknown": 0,
    "new": 1,
    "in progress": 2,
    "suppressed": 3,
    "resolved": 4,
    "archived": 5,
    "other": 99,
}
#: ASFF ``Workflow.Status`` -> OCSF ``status_id`` (what ``BatchUpdateFindingsV2`` takes).
OCSF_STATUS_IDS = {"NEW": 1, "NOTIFIED": 2, "SUPPRESSED": 3, "RESOLVED": 4}
#: CloudFormation resource types whose ASFF name is not the rule's (`_asff_resource_type`).
_RESOURCE_TYPES = {
    "AWS::ElasticLoadBalancing::LoadBalancer": "AwsElbLoadBalancer",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "AwsElbv2LoadBalancer",
    "AWS::ACM::Certificate": "AwsCertificateManagerCertificate",
    "AWS::OpenSearch::Domain": "AwsOpenSearchServiceDomain",
    "AWS::S3::AccountPublicAccessBlock": "AwsS3AccountPublicAccessBlock",
}


class OcsfValidationError(AsffValidationError):
    """An OCSF finding lacks a required field or has a malformed one (``field`` names it)."""

    def __init__(self, field: str, problem: str, finding_id: str | None = None) -> None:
        self.field = field
        self.finding_id = finding_id
        where = f" (finding {finding_id})" if finding_id else ""
        ValidationError.__init__(self, f"OCSF field {field}: {problem}{where}")


@dataclass(frozen=True, slots=True)
class OcsfIdentity:
    """What Security Hub V2 knows an OCSF finding by, and its V2 workflow status."""

    #: ``finding_info.uid`` (the item's key; equals the ASFF ``Id``).
    finding_uid: str
    #: ``cloud.account.uid``.
    account_uid: str
    #: ``metadata.product.uid`` (``arn:aws:securityhub:<region>::productv2/aws/securityhub``).
    product_uid: str
    #: ``metadata.uid``: ``MetadataUids``, ``CreateTicketV2.FindingMetadataUid`` (may be absent).
    metadata_uid: str | None
    #: OCSF ``status_id`` (1 New, 2 In Progress, 3 Suppressed, 4 Resolved, 5 Archived, 0/99).
    status_id: int | None
    #: OCSF ``status`` (``New``...), as received.
    status: str | None
    #: ``class_uid`` (2003 Compliance, 2002 Vulnerability, 2004 Detection...).
    class_uid: int | None
    #: Produced by Security Hub or an AWS integration it produces (module docstring).
    from_securityhub: bool

    @property
    def is_coverage(self) -> bool:
        """A Security Hub coverage finding: a check of a service's enablement, no control."""
        match = SECURITY_HUB_PRODUCT_UID.fullmatch(self.product_uid)
        return match is not None and match[1] == COVERAGE_PRODUCT

    def finding_identifier(self) -> dict[str, str]:
        """The ``OcsfFindingIdentifier`` of ``BatchUpdateFindingsV2``."""
        return {
            "CloudAccountUid": self.account_uid,
            "FindingInfoUid": self.finding_uid,
            "MetadataProductUid": self.product_uid,
        }


def is_ocsf_finding(document: Any) -> bool:
    """Whether ``document`` is an OCSF finding (``finding_info`` plus ``class_uid`` or
    ``metadata``), not an ASFF one."""
    return (
        isinstance(document, Mapping)
        and isinstance(document.get("finding_info"), Mapping)
        and ("class_uid" in document or isinstance(document.get("metadata"), Mapping))
    )


def finding_parse(document: Any) -> NormalizedFinding:
    """`ocsf_parse` for an OCSF finding, `asff_parse` for anything else."""
    return ocsf_parse(document) if is_ocsf_finding(document) else asff_parse(document)


def ocsf_identifier(finding: NormalizedFinding) -> dict[str, str]:
    """The ``BatchUpdateFindingsV2`` identifier of a finding of either format.

    From ASFF as AWS's ASR builds it: ``Id``, ``AwsAccountId`` and the ``ProductArn`` with
    ``::product/`` replaced by ``::productv2/``.
    """
    if finding.ocsf is not None:
        return finding.ocsf.finding_identifier()
    return {
        "CloudAccountUid": finding.account_id,
        "FindingInfoUid": finding.finding_id,
        "MetadataProductUid": finding.product_arn.replace("::product/", "::productv2/", 1),
    }


# --- reading OCSF fields -------------------------------------------------------------------


def _map(parent: Mapping[str, Any], key: str, field: str, uid: str | None) -> Mapping[str, Any]:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise OcsfValidationError(field, "must be an object", uid)
    return value


def _text(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _int(value: Any, field: str, uid: str | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise OcsfValidationError(field, f"must be an integer, got {value!r}", uid)
    return value


def _epoch(value: Any, field: str, uid: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise OcsfValidationError(field, f"not an epoch time: {value!r}", uid)
    seconds = value if value < 10**11 else value / 1000
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise OcsfValidationError(field, f"not an epoch time: {value!r}", uid) from None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _time(sources: list[tuple[Mapping[str, Any], str]], uid: str) -> str | None:
    """The first present of (object, field path) pairs: ``*_dt`` ISO text, ``*_time`` epoch ms."""
    for parent, field in sources:
        key = field.rsplit(".", 1)[-1]
        value = parent.get(key)
        if value is None or value == "":
            continue
        if key.endswith("_dt"):
            try:
                return asff_timestamp(value, field, uid)
            except AsffValidationError as exc:
                raise OcsfValidationError(field, str(exc).split(": ", 1)[-1], uid) from None
        return _epoch(value, field, uid)
    return None


def _info_time(info: Mapping[str, Any], name: str, uid: str) -> str | None:
    """``finding_info.<name>_dt``, else ``finding_info.<name>`` (epoch ms)."""
    return _time([(info, f"finding_info.{name}_dt"), (info, f"finding_info.{name}")], uid)


def _severity(document: Mapping[str, Any], uid: str) -> str:
    name = _text(document.get("severity"))
    if name is not None:
        label = _SEVERITY_NAMES.get(name.lower())
        if label is None:
            raise OcsfValidationError("severity", f"unknown value {name!r}", uid)
        return label
    severity_id = _int(document.get("severity_id"), "severity_id", uid)
    if severity_id is None:
        raise OcsfValidationError("severity", "missing (no severity or severity_id)", uid)
    if severity_id not in _SEVERITY_IDS:
        raise OcsfValidationError("severity_id", f"unknown value {severity_id}", uid)
    return _SEVERITY_IDS[severity_id]


def _compliance_status(compliance: Mapping[str, Any], uid: str) -> str:
    status_id = _int(compliance.get("status_id"), "compliance.status_id", uid)
    if status_id in _COMPLIANCE_IDS:
        return _COMPLIANCE_IDS[status_id]
    name = _text(compliance.get("status"))
    return _COMPLIANCE_NAMES.get(name.lower(), "NOT_AVAILABLE") if name else "NOT_AVAILABLE"


def _status_id(document: Mapping[str, Any], uid: str) -> int | None:
    status_id = _int(document.get("status_id"), "status_id", uid)
    if status_id is not None:
        return status_id
    name = _text(document.get("status"))
    return _STATUS_NAMES.get(name.lower()) if name else None


def _workflow(status_id: int | None) -> str | None:
    if status_id is None:
        return None
    if status_id in (0, 1):
        return "NEW"
    return {2: "NOTIFIED", 3: "SUPPRESSED"}.get(status_id, "RESOLVED")


def _asff_resource_type(value: str) -> str:
    """``AWS::SQS::Queue`` -> ``AwsSqsQueue``; other spellings (``AwsLambdaFunction``) as given."""
    if value in _RESOURCE_TYPES:
        return _RESOURCE_TYPES[value]
    parts = value.split("::")
    if len(parts) < 2 or parts[0] != "AWS":
        return value
    words = [word for part in parts[1:] for word in _WORDS.findall(part)]
    return "Aws" + "".join(word.capitalize() for word in words)


def _control(compliance: Mapping[str, Any], uid: str, coverage: bool) -> str | None:
    """The security control id given outright: ``compliance.control``, else the consolidated
    ``finding_info.uid`` (a per-standard uid is resolved by `asff_parse` from the GeneratorId)."""
    if coverage:
        return None
    control = _text(compliance.get("control"))
    if control:
        return control_id_resolve(control)
    consolidated = _CONSOLIDATED_UID.search(uid)
    return control_id_resolve(consolidated[1]) if consolidated else None


@dataclass(frozen=True, slots=True)
class _Resource:
    """One OCSF resource as ASFF sees it."""

    type: str
    id: str
    region: str | None
    partition: str | None
    tags: dict[str, str]
    details: dict[str, Any]


def _resource(resource: Any, index: int, account: str, region: str | None, uid: str) -> _Resource:
    field = f"resources[{index}]"
    if not isinstance(resource, Mapping):
        raise OcsfValidationError(field, "must be an object", uid)
    kind = _text(resource.get("type"))
    if kind is None:
        raise OcsfValidationError(f"{field}.type", "missing", uid)
    alt, own, name = (_text(resource.get(k)) for k in ("uid_alt", "uid", "name"))
    identifier = alt if alt and alt.startswith("arn:") else own or name
    if identifier is None:
        raise OcsfValidationError(f"{field}.uid", "missing (no uid_alt, uid or name)", uid)
    asff_type = _asff_resource_type(kind)
    partition = _text(resource.get("cloud_partition"))
    resource_region = _text(resource.get("region"))
    if asff_type == "AwsEc2Instance" and identifier.startswith("i-"):
        where = resource_region if resource_region and _REGION.match(resource_region) else region
        identifier = f"arn:{partition or 'aws'}:ec2:{where or ''}:{account}:instance/{identifier}"
    tags: dict[str, str] = {}
    for tag in resource.get("tags") or []:
        if isinstance(tag, Mapping) and _text(tag.get("name")):
            tags[str(tag["name"])] = "" if tag.get("value") is None else str(tag["value"])
    details: dict[str, Any] = {}
    if asff_type == "AwsIamAccessKey":
        user = _map(resource, "user", f"{field}.user", uid)
        data = _map(resource, "data", f"{field}.data", uid)
        user_name = _text(user.get("name")) or _text(data.get("user_name"))
        if user_name:
            details = {"AwsIamAccessKey": {"UserName": user_name}}
    return _Resource(asff_type, identifier, resource_region, partition, tags, details)


def _asff_product_arn(product_uid: str) -> str:
    return product_uid.replace("::productv2/", "::product/", 1)


def _identity(document: Mapping[str, Any]) -> tuple[str, Mapping[str, Any], str, bool]:
    """(finding uid, metadata, product uid, from Security Hub) of a document, checked."""
    info = document.get("finding_info")
    if not isinstance(info, Mapping):
        raise OcsfValidationError("finding_info", "missing (not an OCSF finding)")
    uid = _text(info.get("uid"))
    if uid is None:
        raise OcsfValidationError("finding_info.uid", "missing")
    if len(uid) > ID_MAX:
        raise OcsfValidationError("finding_info.uid", f"longer than {ID_MAX} characters")
    metadata = _map(document, "metadata", "metadata", uid)
    product = _map(metadata, "product", "metadata.product", uid)
    product_uid = _text(product.get("uid"))
    if product_uid is None:
        raise OcsfValidationError("metadata.product.uid", "missing", uid)
    return uid, metadata, product_uid, SECURITY_HUB_PRODUCT_UID.fullmatch(product_uid) is not None


def _account(document: Mapping[str, Any], uid: str, from_securityhub: bool) -> str:
    cloud = _map(document, "cloud", "cloud", uid)
    account = _text(_map(cloud, "account", "cloud.account", uid).get("uid"))
    if account is None:
        resources = document.get("resources")
        first = resources[0] if isinstance(resources, list) and resources else {}
        owner = first.get("owner") if isinstance(first, Mapping) else None
        owner_account = owner.get("account") if isinstance(owner, Mapping) else None
        if isinstance(owner_account, Mapping):
            account = _text(owner_account.get("uid"))
    if account is None:
        raise OcsfValidationError("cloud.account.uid", "missing", uid)
    if from_securityhub and not _ACCOUNT.match(account):
        raise OcsfValidationError("cloud.account.uid", f"not an account id: {account!r}", uid)
    return account


def _region(document: Mapping[str, Any], product_uid: str, uid: str) -> str | None:
    region = _text(_map(document, "cloud", "cloud", uid).get("region"))
    if region:
        return region
    resources = document.get("resources")
    first = resources[0] if isinstance(resources, list) and resources else None
    resource_region = _text(first.get("region")) if isinstance(first, Mapping) else None
    if resource_region and resource_region != "global":
        return resource_region
    return next((p for p in product_uid.split(":")[3:4] if _REGION.match(p)), None)


def _generator_id(info: Mapping[str, Any], control: str | None, uid: str, product: str) -> str:
    """The ASFF GeneratorId: a per-standard finding's standard-specific one (what the mapping
    table of `ouroboros.securityhub.control_ids` is keyed by), ``security-control/<id>``, else
    the analytic that produced the finding, else the product."""
    standard = _STANDARD_UID.search(uid)
    if standard:
        arn = (
            CIS_120_RULESET_ARN
            if standard[1].lower() == CIS_120_RULESET_ARN.split("ruleset/", 1)[1]
            else f"arn:aws:securityhub:::standards/{standard[1]}"
        )
        generator = standard_generator_id(arn, standard[2])
        if generator:
            return generator
    if control:
        return f"{SECURITY_CONTROL_PREFIX}{control}"
    analytic = _map(info, "analytic", "finding_info.analytic", uid)
    return _text(analytic.get("uid")) or _text(analytic.get("name")) or product


def ocsf_to_asff(document: Mapping[str, Any]) -> dict[str, Any]:
    """The ASFF-shaped document of an OCSF finding (module docstring); `OcsfValidationError`
    naming the OCSF field when it is malformed."""
    return _convert(document)[0]


def _convert(document: Any) -> tuple[dict[str, Any], OcsfIdentity]:
    """(ASFF-shaped document, identity) of an OCSF finding."""
    if not isinstance(document, Mapping):
        raise OcsfValidationError("(finding)", f"expected an object, got {type(document).__name__}")
    uid, metadata, product_uid, from_securityhub = _identity(document)
    info = _map(document, "finding_info", "finding_info", uid)
    account = _account(document, uid, from_securityhub)
    region = _region(document, product_uid, uid)
    title = _text(info.get("title"))
    if title is None:
        raise OcsfValidationError("finding_info.title", "missing", uid)
    updated = _info_time(info, "modified_time", uid) or _time(
        [(document, "time_dt"), (document, "time")], uid
    )
    if updated is None:
        raise OcsfValidationError(
            "finding_info.modified_time_dt", "missing (nor modified_time, time_dt, time)", uid
        )
    raw_resources = document.get("resources")
    if not isinstance(raw_resources, list) or not raw_resources:
        raise OcsfValidationError("resources", "must be a non-empty list", uid)
    resources = [_resource(r, i, account, region, uid) for i, r in enumerate(raw_resources)]
    compliance = _map(document, "compliance", "compliance", uid)
    cloud_account = _map(_map(document, "cloud", "cloud", uid), "account", "cloud.account", uid)
    identity = OcsfIdentity(
        finding_uid=uid,
        account_uid=_text(cloud_account.get("uid")) or account,
        product_uid=product_uid,
        metadata_uid=_text(metadata.get("uid")),
        status_id=_status_id(document, uid),
        status=_text(document.get("status")),
        class_uid=_int(document.get("class_uid"), "class_uid", uid),
        from_securityhub=from_securityhub,
    )
    control = _control(compliance, uid, identity.is_coverage)
    activity_id = _int(document.get("activity_id"), "activity_id", uid)
    product = _map(metadata, "product", "metadata.product", uid)
    archived = activity_id == 3 or identity.status_id == 5
    asff: dict[str, Any] = {
        "SchemaVersion": "2018-10-08",
        "Id": uid,
        "ProductArn": _asff_product_arn(product_uid),
        "GeneratorId": _generator_id(info, control, uid, product_uid),
        "AwsAccountId": account,
        "Types": [t for t in info.get("types") or [] if isinstance(t, str)],
        "CreatedAt": _info_time(info, "created_time", uid) or updated,
        "UpdatedAt": updated,
        "Severity": {"Label": _severity(document, uid)},
        "Title": title,
        "Description": _text(info.get("desc")) or title,
        "Resources": [_asff_resource(r) for r in resources],
        "RecordState": "ARCHIVED" if archived else "ACTIVE",
    }
    optional = {
        "Region": region,
        "ProductName": _text(product.get("name")),
        "CompanyName": _text(product.get("vendor_name")),
        "FirstObservedAt": _info_time(info, "first_seen_time", uid),
        "LastObservedAt": _info_time(info, "last_seen_time", uid),
    }
    asff.update({key: value for key, value in optional.items() if value})
    original = _text(document.get("severity"))
    if original:
        asff["Severity"]["Original"] = original
    workflow = _workflow(identity.status_id)
    if workflow:
        asff["Workflow"] = {"Status": workflow}
    if compliance:
        asff["Compliance"] = _asff_compliance(compliance, control, uid)
    remediation = _asff_remediation(document, uid)
    if remediation:
        asff["Remediation"] = remediation
    analytic = _map(info, "analytic", "finding_info.analytic", uid)
    if _text(analytic.get("category")) == "AWS::Config::ConfigRule" and _text(analytic.get("name")):
        asff["ProductFields"] = {
            "RelatedAWSResources:0/name": str(analytic["name"]),
            "RelatedAWSResources:0/type": "AWS::Config::ConfigRule",
        }
    return asff, identity


def _asff_resource(resource: _Resource) -> dict[str, Any]:
    out: dict[str, Any] = {"Type": resource.type, "Id": resource.id}
    if resource.partition:
        out["Partition"] = resource.partition
    if resource.region:
        out["Region"] = resource.region
    if resource.tags:
        out["Tags"] = resource.tags
    if resource.details:
        out["Details"] = resource.details
    return out


def _asff_compliance(
    compliance: Mapping[str, Any], control: str | None, uid: str
) -> dict[str, Any]:
    out: dict[str, Any] = {"Status": _compliance_status(compliance, uid)}
    if control:
        out["SecurityControlId"] = control
    standards = [s for s in compliance.get("standards") or [] if isinstance(s, str) and s]
    if standards:
        out["AssociatedStandards"] = [{"StandardsId": s} for s in standards]
    requirements = [r for r in compliance.get("requirements") or [] if isinstance(r, str) and r]
    if requirements:
        out["RelatedRequirements"] = requirements
    return out


def _asff_remediation(document: Mapping[str, Any], uid: str) -> dict[str, Any]:
    remediation = _map(document, "remediation", "remediation", uid)
    recommendation: dict[str, str] = {}
    text = _text(remediation.get("desc"))
    if text:
        recommendation["Text"] = text
    urls = [r for r in remediation.get("references") or [] if isinstance(r, str)]
    url = next((u for u in urls if u.startswith(("https://", "http://"))), None)
    if url:
        recommendation["Url"] = url
    return {"Recommendation": recommendation} if recommendation else {}


def ocsf_parse(document: Any) -> NormalizedFinding:
    """The `NormalizedFinding` of an OCSF finding (module docstring): ``raw`` is the ASFF-shaped
    conversion, ``ocsf_raw`` the document, ``ocsf`` its `OcsfIdentity`. Raises
    `OcsfValidationError` naming the first bad OCSF field.

    The normalized fields are `asff_parse`'s of the conversion, so both formats follow one set of
    rules. Another product's account that is not 12 digits (Prowler's example output has
    ``<account_uid>``) is kept as given: ASFF would refuse it, and such a finding is stored but
    never remediated (`ouroboros.workflow.decision`)."""
    asff, identity = _convert(document)
    account = asff["AwsAccountId"]
    checked = asff if _ACCOUNT.match(account) else {**asff, "AwsAccountId": "000000000000"}
    try:
        normalized = asff_parse(checked)
    except AsffValidationError as exc:  # not expected: the conversion checked every field
        raise OcsfValidationError("(finding)", str(exc), identity.finding_uid) from None
    return replace(normalized, account_id=account, raw=asff, ocsf_raw=document, ocsf=identity)
