"""Assigning an installed reactor to controls, one or many: all or nothing, versioned, validated."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ouroboros.controls.configuration import (
    ControlConflictError,
    control_assign_reactor,
    control_assign_reactor_many,
)
from ouroboros.controls.selectors import control_assignment_candidates, standard_list
from ouroboros.errors import ConflictError, ValidationError
from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.securityhub.catalog import (
    FSBP_STANDARD_ARN,
    FSBP_STANDARD_ID,
    FSBP_STANDARD_NAME,
    catalog_controls,
)
from tests.control_catalog import catalog_loaded

pytestmark = pytest.mark.functional


SERVICES = ("S3", "EC2", "KMS", "SQS", "IAM")


@pytest.fixture
def catalog(moto_aws: None) -> list[str]:
    """The catalog's controls of a few services (63: enough for 50, quick to load in moto)."""
    controls = [c for c in catalog_controls() if c.service in SERVICES]
    catalog_loaded(
        controls=controls,
        standard_id=FSBP_STANDARD_ID,
        standard_arn=FSBP_STANDARD_ARN,
        standard_name=FSBP_STANDARD_NAME,
    )
    LocalReactorModel(
        "s3-public-read",
        version="1.0.0",
        sha256="0" * 64,
        status="installed",
        installed_at=datetime.now(UTC),
    ).save()
    return [c.control_id for c in controls]


def test_fifty_controls_in_one_call(catalog: list[str]) -> None:
    chosen = catalog[:50]
    result = control_assign_reactor_many(
        control_ids=chosen, reactor_id="s3-public-read", mode="dry_run", actor="alice"
    )
    assert result.control_ids == chosen
    assigned = list(ControlModel.reactor_index.query("s3-public-read"))
    assert sorted(c.control_id for c in assigned) == sorted(chosen)
    assert {(c.mode, c.updated_by, c.version) for c in assigned} == {("dry_run", "alice", 1)}
    assert len(list(ControlModel.mode_index.query("dry_run"))) == 50


def test_nothing_is_written_when_a_control_is_unknown(catalog: list[str]) -> None:
    with pytest.raises(ValidationError, match=r"unknown controls: Nope\.1"):
        control_assign_reactor_many(
            control_ids=[catalog[0], "Nope.1"], reactor_id="s3-public-read", mode="auto", actor="a"
        )
    assert list(ControlModel.reactor_index.query("s3-public-read")) == []


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"mode": "sometimes"}, ValidationError, "got 'sometimes'"),
        ({"control_ids": []}, ValidationError, "select at least one control"),
        ({"reactor_id": "not-installed"}, ValidationError, "not installed"),
        ({"reactor_id": None}, ValidationError, "needs a reactor"),
    ],
)
def test_invalid_requests_are_refused(
    catalog: list[str], kwargs: dict, error: type[Exception], message: str
) -> None:
    args = {
        "control_ids": catalog[:3],
        "reactor_id": "s3-public-read",
        "mode": "auto",
        "actor": "a",
    }
    with pytest.raises(error, match=message):
        control_assign_reactor_many(**{**args, **kwargs})


def test_a_reactor_still_installing_cannot_be_assigned(catalog: list[str]) -> None:
    LocalReactorModel("pending", version="1.0.0", sha256="0" * 64, status="installing").save()
    with pytest.raises(ValidationError, match=r"not ready \(status installing"):
        control_assign_reactor_many(
            control_ids=catalog[:1], reactor_id="pending", mode="auto", actor="a"
        )


def test_a_concurrent_edit_fails_the_whole_transaction(catalog: list[str]) -> None:
    from ouroboros.controls import configuration

    real = configuration._controls

    def stale(ids: list[str]) -> list[ControlModel]:
        controls = real(ids)
        other = ControlModel.get(ids[1], "CONTROL")  # someone else edits one control meanwhile
        other.update(actions=[ControlModel.mode.set("off")])
        return controls

    configuration._controls = stale  # type: ignore[assignment]
    try:
        with pytest.raises(ConflictError, match="changed meanwhile"):
            control_assign_reactor_many(
                control_ids=catalog[:5], reactor_id="s3-public-read", mode="auto", actor="a"
            )
    finally:
        configuration._controls = real  # type: ignore[assignment]
    assert list(ControlModel.reactor_index.query("s3-public-read")) == []


def test_candidates_by_standard_severity_and_service(catalog: list[str]) -> None:
    assert list(standard_list().values()) == [FSBP_STANDARD_NAME]
    everything = control_assignment_candidates()
    assert len(everything) == len(catalog)
    s3_critical = control_assignment_candidates(severity="CRITICAL", service="S3")
    assert {c.control_id for c in s3_critical} >= {"S3.2", "S3.3"}
    assert all(c.severity == "CRITICAL" and c.service == "S3" for c in s3_critical)
    by_standard = control_assignment_candidates(standard_id=FSBP_STANDARD_ID, service="KMS")
    assert "KMS.4" in {c.control_id for c in by_standard}
    assert all(c.service == "KMS" for c in by_standard)
    assert {c.control_id for c in control_assignment_candidates(service="SQS")} >= {"SQS.1"}


def test_one_control_at_its_version_keeps_exemptions_and_refuses_a_stale_form(
    catalog: list[str],
) -> None:
    saved = control_assign_reactor(
        control_id="S3.2", expected_version=0, reactor_id="s3-public-read", mode="auto", actor="a"
    )
    assert saved.version == 1
    ControlModel.get("S3.2", "CONTROL").update(
        actions=[ControlModel.exemptions.set([])]  # touched by someone: version 2
    )
    with pytest.raises(ControlConflictError, match="your form had version 1") as caught:
        control_assign_reactor(
            control_id="S3.2", expected_version=1, reactor_id=None, mode="off", actor="b"
        )
    assert caught.value.current is not None and caught.value.current.version == 2
    control_assign_reactor(
        control_id="S3.2", expected_version=2, reactor_id=None, mode="off", actor="b"
    )
    stored = ControlModel.get("S3.2", "CONTROL")
    assert (stored.reactor_id, stored.mode, stored.version, stored.updated_by) == (
        None,
        "off",
        3,
        "b",
    )


def test_a_form_read_before_a_bulk_assignment_is_refused(catalog: list[str]) -> None:
    control_assign_reactor_many(
        control_ids=["S3.2", "S3.3"], reactor_id="s3-public-read", mode="auto", actor="a"
    )
    with pytest.raises(ControlConflictError, match="changed by a"):
        control_assign_reactor(
            control_id="S3.2", expected_version=0, reactor_id=None, mode="off", actor="b"
        )
    assert ControlModel.get("S3.2", "CONTROL").mode == "auto"
