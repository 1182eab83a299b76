"""Console fixtures: users in each role, a verified Hub reactor, an installed reactor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from ouroboros.models import LocalReactorModel
from ouroboros.reactors.hub import hub_reactor_verify
from tests.reactor_support import built_artifact, hub_publish


def _user(username: str, role: str, *, staff: bool = False) -> User:
    user = User.objects.create_user(username=username, password="x" * 12, is_staff=staff)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def viewer(db: Any) -> Client:
    client = Client()
    client.force_login(_user("vera", "viewer", staff=True))
    return client


@pytest.fixture
def operator(db: Any) -> Client:
    client = Client()
    client.force_login(_user("otto", "operator", staff=True))
    return client


@pytest.fixture
def admin(db: Any) -> Client:
    client = Client()
    client.force_login(_user("ada", "admin", staff=True))
    return client


@pytest.fixture
def verified_reactor(moto_aws: None) -> str:
    hub_publish(built_artifact("s3_public_read"))
    return hub_reactor_verify(reactor_id="s3-public-read", version="1.0.0").status


@pytest.fixture
def installed_reactor(moto_aws: None) -> LocalReactorModel:
    item = LocalReactorModel(
        "kms-key-rotation",
        version="1.0.0",
        sha256="0" * 64,
        status="installed",
        installed_at=datetime.now(UTC),
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:ouroboros-dev-rx-kms-key-rotation",
    )
    item.save()
    return item
