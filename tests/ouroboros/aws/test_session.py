"""The session factory: caller's session, member-account sessions with ExternalId, caching."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from ouroboros import aws
from ouroboros.config import reset_config
from ouroboros.errors import MemberAccessError
from tests.reliability.faults import retry_waits_recorded

pytestmark = pytest.mark.functional


def test_member_session_acts_in_the_member_account(moto_aws: None) -> None:
    session = aws.member_session("222222222222")
    identity = aws.client("sts", session=session).get_caller_identity()
    assert identity["Account"] == "222222222222"
    assert "OuroborosMemberRemediationRole" in identity["Arn"]
    s3 = aws.client("s3", session=session)
    s3.create_bucket(Bucket="in-member-account")
    own = aws.client("s3").list_buckets()["Buckets"]
    assert "in-member-account" not in {b["Name"] for b in own}
    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} == {"in-member-account"}


def test_external_id_is_sent(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUROBOROS_EXTERNAL_ID", "ext-123")
    reset_config()
    aws.reset_sessions()
    sts = aws.client("sts")
    with Stubber(sts) as stub:
        stub.add_response(
            "assume_role",
            {
                "Credentials": {
                    "AccessKeyId": "AKIAEXAMPLEEXAMPLE12",
                    "SecretAccessKey": "x" * 40,
                    "SessionToken": "token",
                    "Expiration": "2099-01-01T00:00:00Z",
                }
            },
            {
                "RoleArn": "arn:aws:iam::111111111111:role/OuroborosMemberRemediationRole",
                "RoleSessionName": "ouroboros-111111111111",
                "DurationSeconds": 3600,
                "ExternalId": "ext-123",
            },
        )
        aws.member_session("111111111111")
        stub.assert_no_pending_responses()


def test_denied_assume_role_is_a_member_access_error(moto_aws: None) -> None:
    sts = aws.client("sts")
    with Stubber(sts) as stub:
        stub.add_client_error("assume_role", "AccessDenied", http_status_code=403)
        with pytest.raises(MemberAccessError, match="AccessDenied"):
            aws.member_session("111111111111")


@pytest.mark.parametrize("account", ["", "12345", "abcdefghijkl", "1111111111111"])
def test_malformed_account_ids_are_refused(account: str) -> None:
    with pytest.raises(MemberAccessError, match="not an AWS account id"):
        aws.member_session(account)


def test_clients_are_cached_until_reset(moto_aws: None) -> None:
    first = aws.client("s3")
    assert aws.client("s3") is first
    assert aws.member_session("111111111111") is aws.member_session("111111111111")
    aws.reset_sessions()
    assert aws.client("s3") is not first


def test_throttled_calls_are_retried(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two ThrottlingException answers, then the real one: the caller sees only success (after
    two back-offs, recorded instead of slept)."""
    from botocore.awsrequest import AWSResponse

    backoffs = retry_waits_recorded(monkeypatch)
    sqs = aws.client("sqs")
    sqs.create_queue(QueueName="q")
    attempts: list[int] = []

    class _Raw:
        def stream(self, **_: object) -> list[bytes]:
            return []

    def throttle(request: object, **_: object) -> AWSResponse | None:
        attempts.append(1)
        if len(attempts) <= 2:
            body = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
            response = AWSResponse("https://sqs", 400, {}, _Raw())
            response._content = body  # type: ignore[attr-defined]
            return response
        return None

    sqs.meta.events.register("before-send.sqs.ListQueues", throttle)
    queues = sqs.list_queues()["QueueUrls"]
    assert len(attempts) == 3
    assert len(backoffs) == 2
    assert queues[0].endswith("/q")
