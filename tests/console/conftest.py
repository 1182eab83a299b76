"""Console fixtures: users in each role, and a seeded set of security data to render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from ouroboros.findings.selectors import control_titles_reset
from ouroboros.models import ExecutionModel, FindingModel, LocalReactorModel
from ouroboros.securityhub.catalog import FSBP_STANDARD_ID, FSBP_STANDARD_NAME, catalog_controls
from tests.control_catalog import catalog_loaded
from tests.findings_factory import finding_from_asff, findings_write, sample_asff, sample_asffs

REACTOR = "aws-s3-2-remove-public-read"
HOSTILE_TITLE = '<script>alert("x")</script> & "quotes"'


def logged_in(username: str, role: str) -> Client:
    """A test client logged in as a new user ``username`` in ``role``."""
    user = User.objects.create_user(username=username, password="x" * 12)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def make_user(db: None) -> Callable[[str], User]:
    def make(role: str) -> User:
        user = User.objects.create_user(username=f"{role}-user", password="pw-" + role)
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    return make


@pytest.fixture
def as_role(make_user: Callable[[str], User]) -> Callable[[str], Client]:
    """A test client logged in with the given role (``viewer``, ``operator``, ``admin``)."""

    def login(role: str) -> Client:
        client = Client()
        client.force_login(make_user(role))
        return client

    return login


@dataclass
class Seeded:
    findings: list[FindingModel]
    executions: list[ExecutionModel]
    hostile: FindingModel


def seed_security_data() -> Seeded:
    """The control catalog, an installed reactor, every sample finding (x3) and executions."""
    catalog_loaded(
        controls=catalog_controls(), standard_id=FSBP_STANDARD_ID, standard_name=FSBP_STANDARD_NAME
    )
    LocalReactorModel(REACTOR, version="1.2.0", sha256="ab" * 32, status="installed").save()
    start = datetime(2024, 5, 1, tzinfo=UTC)
    items = []
    for n, asff in enumerate(sample_asffs() * 3):
        updated = (start - timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        items.append(finding_from_asff(asff, Id=f"{asff['Id']}/c{n}", UpdatedAt=updated))
    hostile = finding_from_asff(
        sample_asff("asr_afsbp_s3.5.json"),
        Id="arn:aws:securityhub:us-east-1:111111111111:finding/hostile",
        Title=HOSTILE_TITLE,
        UpdatedAt="2024-05-02T00:00:00.000Z",
    )
    findings = findings_write([*items, hostile])
    executions = []
    for n, status in enumerate(("succeeded", "failed", "skipped")):
        started = (start + timedelta(hours=n)).isoformat()
        executions.append(
            ExecutionModel(
                f"{started}#{n:04d}",
                finding_id=hostile.finding_id,
                control_id="S3.5",
                account_id="111111111111",
                reactor_id=REACTOR,
                reactor_version="1.2.0",
                trigger="manual",
                actor="operator-user",
                status=status,
                dry_run=n == 2,
                started_at=started,
                changes=[{"action": "s3:PutBucketPolicy", "detail": "<deny http>"}],
                rollback={"policy": '{"Statement": []}'},
                error="AccessDenied: <not allowed>" if status == "failed" else None,
                error_type="MemberAccessError" if status == "failed" else None,
            )
        )
    for execution in executions:
        execution.save()
    control_titles_reset()
    return Seeded(findings=findings, executions=executions, hostile=hostile)


@pytest.fixture(scope="module")
def seeded_stage(ddb_module_stage: Any) -> tuple[Any, Seeded]:
    with ddb_module_stage.active():
        return ddb_module_stage, seed_security_data()


@pytest.fixture
def seeded(seeded_stage: tuple[Any, Seeded], monkeypatch: pytest.MonkeyPatch) -> Seeded:
    """Read-only tests: the module's seeded tables."""
    stage, data = seeded_stage
    stage.apply(monkeypatch)
    return data
