"""Every session of a process shares one botocore data loader (service models parsed once), and
its search paths do not grow with each session (boto3 appends its folder at every creation)."""

from __future__ import annotations

import pytest

from reactor_sdk.session import base_session, reset_sessions


@pytest.mark.functional
def test_sessions_share_one_loader_whose_paths_stay_put(moto_aws: None) -> None:
    first = base_session("us-east-1")
    loader = first._session.get_component("data_loader")
    paths = list(loader.search_paths)
    first.client("dynamodb")
    for region in ("eu-west-1", "ap-northeast-1"):
        reset_sessions()
        other = base_session(region)
        assert other is not first
        assert other._session.get_component("data_loader") is loader
        other.client("dynamodb")  # built from the models the first session parsed
    assert loader.search_paths == paths
