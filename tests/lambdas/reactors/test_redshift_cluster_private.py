"""``redshift-cluster-private`` beyond its scenario: a cluster not available is refused.

The harness (``test_scenarios.py``) runs Redshift.1 on an available public cluster (dry run,
apply, rollback, untouched caller). Here the cluster is paused: it cannot take the change.
"""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.redshift_cluster_private.reactor import handler
from lambdas.reactors.redshift_cluster_private.scenarios import CLUSTER, SCENARIOS
from reactor_sdk import ReactorError
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional


def _cluster(member: boto3.Session) -> dict[str, object]:
    found = member.client("redshift").describe_clusters(ClusterIdentifier=CLUSTER)["Clusters"][0]
    return {k: found.get(k) for k in ("ClusterStatus", "PubliclyAccessible")}


def test_refuses_a_cluster_that_is_not_available(member: boto3.Session) -> None:
    finding = scenario_finding(SCENARIOS[0], SCENARIOS[0].arrange(member, MEMBER), MEMBER)
    redshift = member.client("redshift")
    redshift.pause_cluster(ClusterIdentifier=CLUSTER)

    for dry_run in (True, False):
        with pytest.raises(
            ReactorError, match=f"cluster {CLUSTER} is 'paused', not 'available': it cannot"
        ):
            run(handler, finding, dry_run=dry_run)
    assert _cluster(member) == {"ClusterStatus": "paused", "PubliclyAccessible": True}

    redshift.resume_cluster(ClusterIdentifier=CLUSTER)
    assert run(handler, finding)["status"] == "changed"
    assert _cluster(member) == {"ClusterStatus": "available", "PubliclyAccessible": False}
