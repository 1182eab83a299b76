"""Member sessions in other regions than the caller's (issue 24: every region served).

A reactor runs in the home region and acts in the finding's region: the member role is assumed
through STS in the home region, once per account, and the sessions of every region share those
credentials. moto answers STS; a Stubber on the home region's STS client proves which endpoint
was asked.
"""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from ouroboros import aws

pytestmark = pytest.mark.functional

MEMBER = "111111111111"
CREDENTIALS = {
    "Credentials": {
        "AccessKeyId": "AKIAEXAMPLEEXAMPLE12",
        "SecretAccessKey": "x" * 40,
        "SessionToken": "token",
        "Expiration": "2099-01-01T00:00:00Z",
    }
}


def test_one_assume_role_in_the_home_region_serves_every_region(moto_aws: None) -> None:
    home_sts = aws.client("sts")
    assert home_sts.meta.region_name == "us-east-1"
    with Stubber(home_sts) as stub:
        stub.add_response("assume_role", CREDENTIALS)  # one answer: a second call would fail
        west = aws.member_session(MEMBER, region="us-west-2")
        europe = aws.member_session(MEMBER, region="eu-west-1")
        home = aws.member_session(MEMBER)
        stub.assert_no_pending_responses()
    assert (west.region_name, europe.region_name, home.region_name) == (
        "us-west-2",
        "eu-west-1",
        "us-east-1",
    )
    frozen = {s.get_credentials().get_frozen_credentials().access_key for s in (west, europe)}
    assert frozen == {"AKIAEXAMPLEEXAMPLE12"}
    assert aws.client("sqs", session=west).meta.region_name == "us-west-2"


def test_a_region_session_acts_in_that_region_of_the_member_account(moto_aws: None) -> None:
    west = aws.member_session(MEMBER, region="us-west-2")
    home = aws.member_session(MEMBER)
    aws.client("sqs", session=west).create_queue(QueueName="only-in-oregon")
    assert aws.client("sqs", session=home).list_queues().get("QueueUrls") is None
    urls = aws.client("sqs", session=west).list_queues()["QueueUrls"]
    assert urls and f"/{MEMBER}/only-in-oregon" in urls[0]


def test_reset_forgets_the_shared_credentials(moto_aws: None) -> None:
    first = aws.member_session(MEMBER, region="us-west-2")
    aws.reset_sessions()
    home_sts = aws.client("sts")
    with Stubber(home_sts) as stub:
        stub.add_response("assume_role", CREDENTIALS)
        again = aws.member_session(MEMBER, region="us-west-2")
        stub.assert_no_pending_responses()  # assumed again, not taken from a cache
    assert again is not first
