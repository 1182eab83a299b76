"""Data the API tests need, written while moto is active: one of each resource, from real samples.

- `finding_seed`: a real sample finding in DynamoDB and in (moto's) Security Hub, and a
  one-state Pass state machine under the workflow's name, so a remediation really starts;
- `control_seed`: a few catalog controls and an installed reactor to assign;
- `control_remediable`: the seeded control gets that reactor (what "Remediate now" needs);
- `execution_seed`: one recorded execution of the seeded finding;
- `execution_rollbackable`: a new rollbackable remediation of the seeded finding per call;
- `hub_seed`: a reactor with a verified version 1.0.0 (the latest) and a verified 1.1.0 in the
  Hub's table (installing only writes a table: no artifact is needed).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.findings.selectors import control_titles_reset
from ouroboros.models import ControlModel, ExecutionModel, HubReactorModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL
from ouroboros.reactors.catalog import LATEST, search_text
from ouroboros.securityhub.catalog import FSBP_STANDARD_ID, FSBP_STANDARD_NAME, catalog_controls
from tests.control_catalog import catalog_loaded
from tests.findings_factory import finding_from_asff, findings_write, sample_asff

SAMPLE = "asr_afsbp_s3.5.json"
CONTROL = "S3.5"
INSTALLED = "s3-ssl-only"
HUB = "s3-public-read"
EXECUTION = "2024-05-01T00:00:00+00:00#0001"
FUNCTION = f"arn:aws:lambda:us-east-1:123456789012:function:ouroboros-dev-rx-{INSTALLED}"
_rollbackable = iter(range(1, 10_000))


def finding_seed() -> str:
    """The sample finding, stored and in Security Hub; its id."""
    asff = sample_asff(SAMPLE)
    findings_write([finding_from_asff(asff)])
    client("securityhub").batch_import_findings(Findings=[asff])
    sfn = client("stepfunctions")
    name = get_config().state_machine_name
    if not any(m["name"] == name for m in sfn.list_state_machines()["stateMachines"]):
        sfn.create_state_machine(
            name=name,
            definition=json.dumps(
                {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
            ),
            roleArn="arn:aws:iam::123456789012:role/ouroboros-test-workflow",
        )
    control_titles_reset()
    return str(asff["Id"])


def control_seed() -> str:
    """A few catalog controls (with S3.5) and an installed reactor; the control id."""
    chosen = [c for c in catalog_controls() if c.service == "S3"]
    catalog_loaded(controls=chosen, standard_id=FSBP_STANDARD_ID, standard_name=FSBP_STANDARD_NAME)
    LocalReactorModel(INSTALLED, version="1.0.0", sha256="ab" * 32, status="installed").save()
    return CONTROL


def control_remediable(control_id: str = CONTROL) -> None:
    """``control_id`` gets the installed reactor in manual mode: "Remediate now" starts only what
    can run (a finding whose control has no installed reactor is a 409)."""
    LocalReactorModel(
        INSTALLED, version="1.0.0", sha256="ab" * 32, status="installed", function_arn=FUNCTION
    ).save()
    try:
        control = ControlModel.get(control_id, KIND_CONTROL)
    except ControlModel.DoesNotExist:
        ControlModel(control_id, title=control_id, reactor_id=INSTALLED, mode="manual").save()
        return
    control.update(
        actions=[ControlModel.reactor_id.set(INSTALLED), ControlModel.mode.set("manual")]
    )


def control_version(control_id: str = CONTROL) -> int:
    return int(ControlModel.get(control_id, KIND_CONTROL, consistent_read=True).version or 0)


def execution_seed(finding_id: str = "arn:aws:securityhub:finding/x") -> str:
    ExecutionModel(
        EXECUTION,
        finding_id=finding_id,
        control_id=CONTROL,
        account_id="111111111111",
        reactor_id=INSTALLED,
        reactor_version="1.0.0",
        trigger="manual",
        actor="opal",
        status="succeeded",
        started_at=EXECUTION.split("#", 1)[0],
        changes=[{"action": "s3:PutBucketPolicy"}],
    ).save()
    return EXECUTION


def execution_rollbackable() -> str:
    """A new succeeded remediation of the seeded finding with rollback data (`finding_seed`
    first); its id."""
    execution_id = f"2024-05-02T00:00:00+00:00#rb{next(_rollbackable):04d}"
    ExecutionModel(
        execution_id,
        finding_id=str(sample_asff(SAMPLE)["Id"]),
        control_id=CONTROL,
        account_id="111111111111",
        resource_id="arn:aws:s3:::example-bucket",
        reactor_id=INSTALLED,
        reactor_version="1.0.0",
        trigger="event",
        actor="eventbridge",
        status="succeeded",
        started_at=execution_id.split("#", 1)[0],
        changes=[{"action": "s3:PutBucketPolicy"}],
        rollback={"policy": "{}"},
    ).save()
    return execution_id


def _hub_version(version: str, *, latest: bool) -> None:
    manifest: dict[str, Any] = {
        "id": HUB,
        "version": version,
        "title": "Remove public read from S3 buckets",
        "description": "Removes bucket policy statements that grant public read.",
        "control_ids": ["S3.2"],
    }
    HubReactorModel(
        HUB,
        version,
        title=manifest["title"],
        description=manifest["description"],
        control_ids=manifest["control_ids"],
        manifest=manifest,
        artifact_key=f"reactors/{HUB}/{version}.zip",
        sha256="cd" * 32,
        status="verified",
        latest=LATEST if latest else None,
        published_by="release-bot",
        published_at=datetime(2026, 11, 1, tzinfo=UTC),
        verified_at=datetime(2026, 11, 1, tzinfo=UTC),
        search_text=search_text(manifest),
    ).save()


def hub_seed() -> str:
    """A Hub reactor with verified 1.0.0 and 1.1.0 (the latest); its id."""
    _hub_version("1.0.0", latest=False)
    _hub_version("1.1.0", latest=True)
    return HUB


def reactor_installed(reactor_id: str = HUB, version: str = "1.0.0") -> str:
    """(Re)write ``reactor_id`` as installed at ``version``; its id."""
    LocalReactorModel(reactor_id, version=version, sha256="cd" * 32, status="installed").save()
    return reactor_id


def reactor_absent(reactor_id: str = HUB) -> None:
    LocalReactorModel(reactor_id).delete()
