"""Security control ids: from the standard-specific ids Security Hub also emits, case-insensitively.

Security Hub names one check in two ways. With consolidated control findings (the default since
2023) a finding carries the standard-agnostic *security control id* (``S3.2``,
``GeneratorId: security-control/S3.2``). Without it, each enabled standard emits its own finding
with a *standard control id*: ``S3.2`` in FSBP, ``PCI.S3.6`` in PCI DSS (which is ``S3.1``!),
``2.1.5.1`` in CIS 1.4.0, rule ``1.3`` in CIS 1.2.0 (``IAM.8``), ``CT.CloudTrail.2`` in Control
Tower. Cutting prefixes off would be wrong for PCI and CIS, so the mapping is a table:
``data/consolidation_id_mappings.json``, a copy of ``shared/data/consolidation_id_mappings.json``
(AWS Security Hub user guide, ``asff-changes-consolidation.md``; provenance in its ``_source``
key), keyed by the standard-specific GeneratorId.

Choices written down:

- The table is authoritative even for FSBP (it maps FSBP ``ELBv2.1`` to ``ELB.1``).
- Standards whose standard control ids *are* security control ids (FSBP, NIST SP 800-53 rev. 5,
  and Control Tower's GeneratorIds, whose last segment carries no ``CT.`` prefix) fall back to that
  id when a control post-dates the table (February 2023). PCI DSS and CIS never fall back: an
  unknown PCI or CIS id maps to no control rather than to a guess.
- One standard control can map to several security controls. The table has one such GeneratorId:
  CIS 1.2.0 rule 1.1 ("Avoid the use of the root user") -> ``CloudWatch.1`` and ``IAM.20``.
  `security_control_ids` returns all of them (the controls collector records a membership for
  each); a finding needs one, and `security_control_id` takes the first in the published order,
  ``CloudWatch.1``: the CIS 1.2.0 rule 1.1 check Security Hub ran is the log metric filter and
  alarm for root usage, which is what ``CloudWatch.1`` checks. A finding that also carries
  ``Compliance.SecurityControlId`` never reaches this rule (that field wins).
- Spelling: ids resolve to the shipped catalog's spelling (``opensearch.1`` -> ``Opensearch.1``),
  else to the table's, else stay as given (trimmed).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from ouroboros.securityhub.catalog import catalog_lookup

SECURITY_CONTROL_PREFIX = "security-control/"
CIS_120_RULESET_ARN = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"

#: Standards whose standard control ids equal the security control ids (fallback beyond the table).
_IDENTITY_STANDARD = re.compile(
    r"^(?:aws-foundational-security-best-practices|nist-800-53|service-managed-aws-control-tower)"
    r"/v/[^/]+/(?P<id>[^/]+)$",
    re.IGNORECASE,
)
_STANDARDS_PATH = re.compile(r"^arn:[^:]+:securityhub:[^:]*:[^:]*:(?:standards|ruleset)/(.+)$")


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    raw = resources.files("ouroboros.securityhub").joinpath("data/consolidation_id_mappings.json")
    data = json.loads(raw.read_text())
    by_generator: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for row in data["generator_id_map"]:
        security_id = row["generator_id_consolidated"].removeprefix(SECURITY_CONTROL_PREFIX)
        by_generator.setdefault(row["generator_id_standard"].lower(), []).append(security_id)
        spelling.setdefault(security_id.lower(), security_id)
    return {key: tuple(ids) for key, ids in by_generator.items()}, spelling


def control_id_resolve(control_id: str) -> str:
    """``control_id`` in the catalog's spelling, else the mapping table's, else as given."""
    control_id = control_id.strip()
    known = catalog_lookup(control_id)
    if known is not None:
        return known.control_id
    return _tables()[1].get(control_id.lower(), control_id)


def security_control_ids(generator_id: str) -> tuple[str, ...]:
    """The security control ids a GeneratorId stands for (empty when it names no control).

    Accepts consolidated (``security-control/S3.2``) and standard-specific GeneratorIds.
    """
    generator_id = generator_id.strip()
    if generator_id.lower().startswith(SECURITY_CONTROL_PREFIX):
        return (control_id_resolve(generator_id[len(SECURITY_CONTROL_PREFIX) :]),)
    mapped = _tables()[0].get(generator_id.lower())
    if mapped:
        return tuple(control_id_resolve(c) for c in mapped)
    match = _IDENTITY_STANDARD.match(generator_id)
    if match:
        return (control_id_resolve(match["id"]),)
    return ()


def security_control_id(generator_id: str) -> str | None:
    """The one security control id of a GeneratorId (first of several; see the module doc)."""
    ids = security_control_ids(generator_id)
    return ids[0] if ids else None


def standard_id_from_arn(standards_arn: str) -> str | None:
    """``aws-foundational-security-best-practices/v/1.0.0`` from a standards or ruleset ARN."""
    match = _STANDARDS_PATH.match(standards_arn.strip())
    return match[1] if match else None


def standard_generator_id(standards_arn: str, standard_control_id: str) -> str | None:
    """The standard-specific GeneratorId of a control in a standard (the mapping table's key).

    ``arn:aws:securityhub:::standards/pci-dss/v/3.2.1`` + ``PCI.S3.6`` ->
    ``pci-dss/v/3.2.1/PCI.S3.6``; the CIS 1.2.0 ruleset + rule ``1.3`` (or ``CIS.1.3``, the
    spelling DescribeStandardsControls uses) -> ``arn:aws:securityhub:::ruleset/.../rule/1.3``.
    """
    standards_arn = standards_arn.strip()
    control = standard_control_id.strip()
    if not control:
        return None
    if standards_arn.lower().startswith(CIS_120_RULESET_ARN.lower()):
        rule = control[4:] if control.upper().startswith("CIS.") else control
        return f"{CIS_120_RULESET_ARN}/rule/{rule}"
    standard_id = standard_id_from_arn(standards_arn)
    return f"{standard_id}/{control}" if standard_id else None
