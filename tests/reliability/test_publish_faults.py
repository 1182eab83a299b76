"""Publishing to the Hub fails half way: no artifact is left without its registry record.

``hub_artifact_publish`` stores the artifact in the Hub's bucket (django-storages), then writes
the ``security_reactors`` item. When that write fails (DynamoDB keeps answering 500 past
PynamoDB's retries), the stored artifact is removed again and the publish can simply be re-run.
"""

from __future__ import annotations

import pytest

from console.hub.services import hub_artifact_publish
from ouroboros.aws import client
from ouroboros.models import HubReactorModel
from tests.reactor_support import built_artifact, hub_bucket_ensure
from tests.reliability.faults import FaultInjector

pytestmark = [pytest.mark.functional, pytest.mark.django_db]


def stored_keys(bucket: str) -> list[str]:
    return [o["Key"] for o in client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_a_registry_write_that_fails_removes_the_stored_artifact(faults: FaultInjector) -> None:
    bucket = hub_bucket_ensure()
    artifact = built_artifact("s3_public_read")
    faults.add("dynamodb", "PutItem", code="InternalServerError", status=500, times=4)
    with pytest.raises(Exception, match="InternalServerError"):
        hub_artifact_publish(artifact=artifact, actor="release-bot")
    assert faults.sent[("s3", "PutObject")] >= 1  # it had been stored
    assert stored_keys(bucket) == []  # ... and is gone again
    with pytest.raises(HubReactorModel.DoesNotExist):
        HubReactorModel.get("s3-public-read", "1.0.0")
    item = hub_artifact_publish(artifact=artifact, actor="release-bot")  # re-run: published
    assert item.status == "pending" and stored_keys(bucket) == [item.artifact_key]


def test_throttled_upload_and_registry_write_are_retried(faults: FaultInjector) -> None:
    bucket = hub_bucket_ensure()
    upload = faults.throttle("s3", "PutObject", times=2)
    write = faults.throttle("dynamodb", "PutItem", times=2)
    item = hub_artifact_publish(artifact=built_artifact("s3_public_read"), actor="release-bot")
    assert (upload.injected, write.injected) == (2, 2)
    assert stored_keys(bucket) == [item.artifact_key]
