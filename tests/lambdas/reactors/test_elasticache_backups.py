"""``elasticache-backups`` beyond its scenarios: a cache cluster outside any replication group
is refused with the reason (the reactor changes replication groups only).

The harness (``test_scenarios.py``) runs ElastiCache.1 on a replication group and on one of
its clusters (dry run, apply, rollback, untouched caller).
"""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.elasticache_backups.reactor import handler
from lambdas.reactors.elasticache_backups.scenarios import SCENARIOS
from reactor_sdk import ReactorError
from reactor_sdk.testing import Target
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional


def test_refuses_a_standalone_cache_cluster(member: boto3.Session) -> None:
    cluster = member.client("elasticache").create_cache_cluster(
        CacheClusterId="solo", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1
    )["CacheCluster"]
    target = Target(cluster["ARN"], "AwsElastiCacheCacheCluster", details={})
    finding = scenario_finding(SCENARIOS[0], target, MEMBER)
    with pytest.raises(ReactorError, match="solo belongs to no replication group"):
        run(handler, finding, dry_run=True)
