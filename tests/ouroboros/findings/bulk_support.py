"""Many findings at once, cheaply, for the bulk-action tests (core, console and browser).

`bulk_findings_seed` writes ``count`` variants of a real sample through the findings writer
(`finding_upsert_batch`: batches of 25, aggregates kept), each with its own id and resource.
`workflow_ready` gives the sample's control an installed reactor (`tests.console.api.seed`) and
creates a one-state state machine under the workflow's name, so runs really start in moto.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.findings.services import finding_upsert_batch
from ouroboros.securityhub.asff import asff_parse
from tests.console.api import seed
from tests.findings_factory import sample_asff

SAMPLE = seed.SAMPLE
CONTROL = seed.CONTROL


def bulk_raws(
    count: int,
    *,
    prefix: str = "bulk",
    sample: str = SAMPLE,
    control_id: str | None = None,
    **changes: Any,
) -> list[dict[str, Any]]:
    """``count`` copies of ``sample``, each with its own id and bucket (and ``changes``); of
    ``control_id`` instead of the sample's control when given."""
    base = sample_asff(sample)
    if control_id:
        base = json.loads(json.dumps(base).replace(f'"{CONTROL}"', f'"{control_id}"'))
        base = json.loads(json.dumps(base).replace(f"/{CONTROL}", f"/{control_id}"))
    raws = []
    for n in range(count):
        raw = copy.deepcopy(base)
        raw["Id"] = f"{base['Id']}-{prefix}{n:04d}"
        raw["Resources"][0]["Id"] = f"arn:aws:s3:::{prefix}-bucket-{n:04d}"
        raw.update(changes)
        raws.append(raw)
    return raws


def bulk_findings_seed(count: int, **options: Any) -> list[str]:
    """Store ``count`` findings (see `bulk_raws`) with one batched write; their ids."""
    raws = bulk_raws(count, **options)
    finding_upsert_batch(findings=[asff_parse(r) for r in raws], now=datetime.now(UTC))
    return [str(r["Id"]) for r in raws]


def workflow_ready() -> None:
    """The sample's control runs an installed reactor; the workflow's state machine exists."""
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
    seed.control_remediable(CONTROL)
