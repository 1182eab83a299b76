"""``rds-instance-private`` beyond its scenario: an instance that is not available is refused.

The harness runs the RDS.2 scenario on an available public instance.
"""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.rds_instance_private.reactor import handler
from lambdas.reactors.rds_instance_private.scenarios import SCENARIOS, public_instance
from reactor_sdk import ReactorError
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional


def test_refuses_an_instance_that_is_not_available(member: boto3.Session) -> None:
    target = public_instance(member, MEMBER)
    rds = member.client("rds")
    rds.stop_db_instance(DBInstanceIdentifier="public-db")

    with pytest.raises(ReactorError, match="public-db is 'stopped', not 'available'"):
        run(handler, scenario_finding(SCENARIOS[0], target, MEMBER))
    found = rds.describe_db_instances(DBInstanceIdentifier="public-db")["DBInstances"][0]
    assert found["PubliclyAccessible"] is True
