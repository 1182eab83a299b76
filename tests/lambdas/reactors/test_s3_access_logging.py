"""``s3-access-logging`` beyond its scenarios: the target-bucket prechecks refuse, in the dry run
too, any bucket that would not receive the logs; a target accepting logs by ACL is enough.

The harness (``test_scenarios.py``) runs S3.9 and CloudTrail.7 (dry run, apply, rollback,
untouched caller) with targets that accept logs by bucket policy.
"""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.s3_access_logging.reactor import handler
from lambdas.reactors.s3_access_logging.scenarios import SCENARIOS, unlogged_bucket
from reactor_sdk import ReactorError
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional
LOG_DELIVERY = 'uri="http://acs.amazonaws.com/groups/s3/LogDelivery"'


def _logging(member: boto3.Session) -> object:
    return member.client("s3").get_bucket_logging(Bucket=f"unlogged-{MEMBER}").get("LoggingEnabled")


def test_refuses_targets_that_would_not_receive_the_logs(member: boto3.Session) -> None:
    s3 = member.client("s3")
    finding = scenario_finding(SCENARIOS[0], unlogged_bucket(member, MEMBER), MEMBER)
    s3.create_bucket(Bucket=f"closed-{MEMBER}")
    s3.create_bucket(
        Bucket=f"elsewhere-{MEMBER}",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    refused = {
        "{bucket}": "into itself",
        "missing-{account_id}": f"cannot read the target bucket missing-{MEMBER}",
        "elsewhere-{account_id}": "is in eu-west-1",
        "closed-{account_id}": "does not let S3 deliver logs",
    }
    for target, reason in refused.items():
        for dry_run in (True, False):
            with pytest.raises(ReactorError, match=reason):
                run(handler, finding, params={"target_bucket": target}, dry_run=dry_run)
    assert _logging(member) is None


def test_a_target_granting_the_log_delivery_group_by_acl_is_accepted(
    member: boto3.Session,
) -> None:
    s3 = member.client("s3")
    finding = scenario_finding(SCENARIOS[0], unlogged_bucket(member, MEMBER), MEMBER)
    s3.create_bucket(Bucket=f"acl-logs-{MEMBER}")
    s3.put_bucket_acl(
        Bucket=f"acl-logs-{MEMBER}", GrantWrite=LOG_DELIVERY, GrantReadACP=LOG_DELIVERY
    )
    done = run(handler, finding, params={"target_bucket": "acl-logs-{account_id}"})
    assert done["status"] == "changed"
    assert _logging(member) == {
        "TargetBucket": f"acl-logs-{MEMBER}",
        "TargetPrefix": f"unlogged-{MEMBER}/",
    }
