"""Binding models to a session: per block, per thread, never leaking (moto, two Hub accounts)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from ouroboros.models import HubReactorModel, LocalReactorModel, hub_models_bind
from ouroboros.models.binding import binding_current
from ouroboros.models.tables import tables_ensure

pytestmark = pytest.mark.functional

HUB_A, HUB_B = "111111111111", "222222222222"


def _account_session(account: str) -> boto3.Session:
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/hub-admin", RoleSessionName="test"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def _reactor(title: str) -> HubReactorModel:
    return HubReactorModel("r1", "1.0.0", title=title, artifact_key="k", sha256="0" * 64)


@pytest.fixture
def hubs(moto_aws: None) -> Iterator[dict[str, boto3.Session]]:
    """Two Hub accounts, each with its own reactor table and one item titled after it; the
    caller's own account (moto's default) has an item titled ``own``."""
    sessions = {account: _account_session(account) for account in (HUB_A, HUB_B)}
    for account, session in sessions.items():
        with hub_models_bind(session):
            HubReactorModel.create_table(wait=True)
            _reactor(account).save()
    _reactor("own").save()
    yield sessions


def _title() -> str | None:
    return HubReactorModel.get("r1", "1.0.0").title


def test_a_bound_block_reads_the_sessions_account_and_the_binding_ends_with_it(
    hubs: dict[str, boto3.Session],
) -> None:
    with hub_models_bind(hubs[HUB_A]):
        assert _title() == HUB_A
        with hub_models_bind(hubs[HUB_B]):
            assert _title() == HUB_B
        assert _title() == HUB_A, "the inner block restores the outer binding"
        assert binding_current("consumer") is None, "only the Hub's side is bound"
    assert _title() == "own"
    assert binding_current("hub") is None


def test_threads_bound_to_different_sessions_never_see_each_others_tables(
    hubs: dict[str, boto3.Session],
) -> None:
    both_bound = threading.Barrier(3)
    read = threading.Barrier(3)

    def reader(account: str) -> list[str | None]:
        titles = []
        with hub_models_bind(hubs[account]):
            both_bound.wait(timeout=30)  # every thread holds its binding before anyone reads
            for _ in range(5):
                titles.append(_title())
            read.wait(timeout=30)
        return titles

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {account: pool.submit(reader, account) for account in (HUB_A, HUB_B)}
        both_bound.wait(timeout=30)
        main_thread = _title()  # the main thread is not bound while the others are
        read.wait(timeout=30)
        results = {account: future.result() for account, future in futures.items()}
    assert results == {HUB_A: [HUB_A] * 5, HUB_B: [HUB_B] * 5}
    assert main_thread == "own"


def test_a_consumer_with_a_hub_role_reads_the_hub_through_it_by_default(
    hubs: dict[str, boto3.Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ouroboros.aws import reset_sessions
    from ouroboros.config import reset_config
    from ouroboros.models import bind_models

    monkeypatch.setenv(
        "OUROBOROS_HUB_ROLE_ARN", f"arn:aws:iam::{HUB_B}:role/ouroboros-dev-hub-read"
    )
    reset_config()
    reset_sessions()
    bind_models()
    assert _title() == HUB_B
    monkeypatch.setenv("OUROBOROS_ROLE", "hub")  # the Hub itself reads its own tables
    reset_config()
    bind_models()
    assert _title() == "own"
    tables_ensure("consumer")  # binding the Hub side leaves the consumer's tables alone
    assert LocalReactorModel.exists()


def test_every_table_shares_one_client_until_the_configuration_changes(moto_aws: None) -> None:
    from ouroboros.models import AggregateModel, ExecutionModel, FindingModel, bind_models

    models = (FindingModel, AggregateModel, ExecutionModel, LocalReactorModel)
    clients = {id(model._get_connection().connection.client) for model in models}
    # One botocore client for every table (a cold start pays one, not one per table)...
    assert len(clients) == 1
    # ...and each table still answers for itself through it.
    LocalReactorModel("shared", version="1.0.0", sha256="ab" * 32, status="installed").save()
    assert LocalReactorModel.get("shared").version == "1.0.0"
    assert AggregateModel.count("findings#state") == 0

    bind_models()  # a new configuration (credentials, endpoint): a new client
    again = {id(model._get_connection().connection.client) for model in models}
    assert len(again) == 1 and again != clients
