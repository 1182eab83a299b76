"""Operators configure controls: reactor, mode and exemptions, under an optimistic lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ouroboros.controls.exemptions import ExemptionInput
from ouroboros.controls.selectors import control_get, control_reactor_options
from ouroboros.controls.services import (
    ControlConflictError,
    control_configure,
    control_exemption_add,
    control_exemption_remove,
)
from ouroboros.errors import ConflictError, NotFoundError, ValidationError
from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.securityhub.catalog import FSBP_STANDARD_ID, catalog_controls
from tests.control_catalog import catalog_loaded

pytestmark = pytest.mark.integration

REACTOR = "aws-s3-2-remove-public-read"
FUTURE = datetime.now(UTC) + timedelta(days=30)


@pytest.fixture
def s3_controls(ddb_tables: str) -> None:
    controls = [c for c in catalog_controls() if c.control_id in {"S3.2", "S3.5", "EC2.2"}]
    catalog_loaded(controls=controls, standard_id=FSBP_STANDARD_ID)
    LocalReactorModel(REACTOR, version="1.0.0", sha256="ab" * 32, status="installed").save()
    LocalReactorModel("still-installing", version="0.1.0", sha256="cd" * 32).save()


def test_configure_sets_reactor_mode_and_exemption_and_bumps_the_version(
    s3_controls: None,
) -> None:
    exemption = ExemptionInput(
        account="111111111111",
        resource_pattern="arn:aws:s3:::public-website-*",
        tag="purpose=website",
        expires_at=FUTURE,
        reason="Static website bucket, reviewed by security",
    )

    saved = control_configure(
        control_id="S3.2",
        expected_version=0,
        reactor_id=REACTOR,
        mode="auto",
        exemptions=[exemption],
        actor="alice",
    )

    stored = control_get(control_id="s3.2")
    assert stored.control.version == saved.version == 1
    assert (stored.control.reactor_id, stored.control.mode) == (REACTOR, "auto")
    assert stored.control.updated_by == "alice"
    [kept] = stored.control.exemptions
    assert (kept.account, kept.resource_pattern, kept.tag) == (
        "111111111111",
        "arn:aws:s3:::public-website-*",
        "purpose=website",
    )
    assert kept.created_by == "alice"
    assert stored.standards == {FSBP_STANDARD_ID: "ENABLED"}
    assert stored.control.title  # catalog fields untouched
    assert [c.control_id for c in ControlModel.reactor_index.query(REACTOR)] == ["S3.2"]


def test_a_stale_version_is_a_conflict_and_the_first_edit_survives(s3_controls: None) -> None:
    control_configure(
        control_id="S3.2",
        expected_version=0,
        reactor_id=REACTOR,
        mode="dry_run",
        exemptions=[],
        actor="alice",
    )

    with pytest.raises(ControlConflictError, match="changed by alice") as caught:
        control_configure(
            control_id="S3.2",
            expected_version=0,
            reactor_id=None,
            mode="off",
            exemptions=[],
            actor="bob",
        )

    assert isinstance(caught.value, ConflictError)
    assert "version 1, your form had version 0" in str(caught.value)
    assert caught.value.current is not None and caught.value.current.mode == "dry_run"
    stored = control_get(control_id="S3.2").control
    assert (stored.mode, stored.reactor_id, stored.version) == ("dry_run", REACTOR, 1)


def test_clearing_the_reactor_removes_it_from_the_sparse_index(s3_controls: None) -> None:
    control_configure(
        control_id="S3.5",
        expected_version=0,
        reactor_id=REACTOR,
        mode="manual",
        exemptions=[],
        actor="alice",
    )
    control_configure(
        control_id="S3.5", expected_version=1, reactor_id="", mode="off", exemptions=[], actor="bob"
    )

    assert list(ControlModel.reactor_index.query(REACTOR)) == []
    assert control_get(control_id="S3.5").control.reactor_id is None


@pytest.mark.parametrize(
    ("reactor_id", "mode", "message"),
    [
        (REACTOR, "sometimes", "Mode must be one of"),
        ("not-installed", "auto", "not installed"),
        ("still-installing", "auto", "not ready"),
        (None, "auto", "needs a reactor"),
    ],
)
def test_bad_mode_or_reactor_writes_nothing(
    s3_controls: None, reactor_id: str | None, mode: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        control_configure(
            control_id="S3.2",
            expected_version=0,
            reactor_id=reactor_id,
            mode=mode,
            exemptions=[],
            actor="alice",
        )

    stored = control_get(control_id="S3.2").control
    assert (stored.version, stored.reactor_id, stored.mode) == (None, None, None)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (ExemptionInput(account="1234", reason="r"), "12-digit"),
        (ExemptionInput(reason="no matcher"), "at least one of"),
        (ExemptionInput(tag="no-equals", reason="r"), "key=value"),
        (ExemptionInput(resource_pattern="has space", reason="r"), "without spaces"),
        (
            ExemptionInput(account="111111111111", expires_at=datetime(2020, 1, 1), reason="r"),
            "in the future",
        ),
        (ExemptionInput(account="111111111111", reason="  "), "reason is required"),
    ],
)
def test_bad_exemptions_are_rejected_with_the_reason(
    s3_controls: None, entry: ExemptionInput, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        control_exemption_add(control_id="S3.2", expected_version=0, exemption=entry, actor="a")

    assert control_get(control_id="S3.2").control.exemptions is None


def test_exemptions_add_and_remove_keep_reactor_and_mode(s3_controls: None) -> None:
    control_configure(
        control_id="EC2.2",
        expected_version=0,
        reactor_id=REACTOR,
        mode="auto",
        exemptions=[],
        actor="alice",
    )
    first = control_exemption_add(
        control_id="EC2.2",
        expected_version=1,
        exemption=ExemptionInput(account="222222222222", reason="sandbox account"),
        actor="bob",
    )
    second = control_exemption_add(
        control_id="EC2.2",
        expected_version=2,
        exemption=ExemptionInput(tag="env=lab", reason="lab"),
        actor="bob",
    )
    [sandbox, lab] = second.exemptions
    assert first.version == 2 and second.version == 3

    after = control_exemption_remove(
        control_id="EC2.2", expected_version=3, exemption_id=sandbox.exemption_id, actor="carol"
    )

    assert [e.exemption_id for e in after.exemptions] == [lab.exemption_id]
    assert (after.reactor_id, after.mode, after.version) == (REACTOR, "auto", 4)
    with pytest.raises(ConflictError):
        control_exemption_remove(
            control_id="EC2.2", expected_version=3, exemption_id=lab.exemption_id, actor="x"
        )
    with pytest.raises(NotFoundError):
        control_exemption_remove(
            control_id="EC2.2", expected_version=4, exemption_id="nope", actor="x"
        )


def test_unknown_control_is_not_found_and_not_created(s3_controls: None) -> None:
    with pytest.raises(NotFoundError):
        control_exemption_add(
            control_id="Nope.1",
            expected_version=0,
            exemption=ExemptionInput(account="111111111111", reason="r"),
            actor="a",
        )
    with pytest.raises(NotFoundError):
        control_configure(
            control_id="Nope.1",
            expected_version=0,
            reactor_id=None,
            mode="off",
            exemptions=[],
            actor="a",
        )
    with pytest.raises(ControlModel.DoesNotExist):
        ControlModel.get("Nope.1", "CONTROL")


def test_reactor_options_are_the_installed_reactors_only(s3_controls: None) -> None:
    assert [r.reactor_id for r in control_reactor_options()] == [REACTOR]


def test_update_changes_only_what_it_is_given_and_returns_before_and_after(
    s3_controls: None,
) -> None:
    from ouroboros.controls.configuration import control_update

    first = control_update(
        control_id="S3.2",
        expected_version=0,
        actor="alice",
        reactor_id=REACTOR,
        mode="auto",
        exemptions=[ExemptionInput(account="111111111111", reason="sandbox")],
    )
    assert (first.before.version or 0, first.before.mode) == (0, None)
    assert (first.after.version, first.after.mode, first.after.reactor_id) == (1, "auto", REACTOR)
    [kept] = first.after.exemptions
    # Only the mode: reactor and exemptions stay; an exemption named by id is kept as stored.
    second = control_update(control_id="S3.2", expected_version=1, actor="bob", mode="manual")
    assert (second.after.mode, second.after.reactor_id) == ("manual", REACTOR)
    assert [e.exemption_id for e in second.after.exemptions] == [kept.exemption_id]
    third = control_update(
        control_id="S3.2",
        expected_version=2,
        actor="bob",
        reactor_id=None,
        mode="off",
        exemptions=[kept.exemption_id, ExemptionInput(tag="env=dev", reason="dev")],
    )
    assert third.after.reactor_id is None and third.before.reactor_id == REACTOR
    assert [e.reason for e in third.after.exemptions] == ["sandbox", "dev"]
    assert third.after.exemptions[0].created_by == "alice"  # stored as it was
    with pytest.raises(ControlConflictError) as conflict:
        control_update(control_id="S3.2", expected_version=2, actor="carol", mode="auto")
    assert conflict.value.current is not None and conflict.value.current.version == 3
    with pytest.raises(ValidationError, match="no exemption nope"):
        control_update(control_id="S3.2", expected_version=3, actor="carol", exemptions=["nope"])
    with pytest.raises(NotFoundError):
        control_update(control_id="S3.99", expected_version=0, actor="carol", mode="off")
    assert control_get(control_id="S3.2").control.version == 3
