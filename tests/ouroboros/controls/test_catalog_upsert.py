"""Catalog writes never overwrite what users configured on a control."""

from __future__ import annotations

import pytest

from ouroboros.aggregates import aggregate_read, summary_counts
from ouroboros.controls.services import control_catalog_upsert
from ouroboros.models import ControlModel
from ouroboros.securityhub.catalog import FSBP_STANDARD_ID, catalog_controls, catalog_lookup

pytestmark = pytest.mark.functional


def test_catalog_has_the_shipped_controls_and_matches_case_insensitively() -> None:
    assert len(catalog_controls()) == 290
    assert catalog_lookup("s3.2") is not None
    assert catalog_lookup("s3.2").control_id == "S3.2"  # type: ignore[union-attr]
    assert catalog_lookup("OPENSEARCH.1").control_id == "Opensearch.1"  # type: ignore[union-attr]
    assert catalog_lookup("Nope.1") is None


def test_recollection_keeps_user_configuration_and_version(moto_aws: None) -> None:
    controls = [c for c in catalog_controls() if c.control_id in {"S3.2", "S3.5"}]
    assert control_catalog_upsert(controls=controls, standard_id=FSBP_STANDARD_ID) == 2
    control = ControlModel.get("S3.2", "CONTROL")
    control.reactor_id = "aws-s3-2-remove-public-read"
    control.mode = "auto"
    control.save()
    version = ControlModel.get("S3.2", "CONTROL").version

    assert control_catalog_upsert(controls=controls, standard_id=FSBP_STANDARD_ID) == 0

    again = ControlModel.get("S3.2", "CONTROL")
    assert (again.reactor_id, again.mode, again.version) == (
        "aws-s3-2-remove-public-read",
        "auto",
        version,
    )
    assert again.standard_ids == {FSBP_STANDARD_ID}
    assert aggregate_read("controls") == {"total": 2}
    assert summary_counts()["controls"] == 2
    members = list(ControlModel.standard_index.query(FSBP_STANDARD_ID))
    assert sorted(m.control_id for m in members) == ["S3.2", "S3.5"]
