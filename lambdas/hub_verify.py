"""Hub: ``security_reactors`` stream consumer that verifies newly published reactor versions.

Per-record failures are reported (``batchItemFailures``): one bad record never blocks the batch.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from ouroboros.observability.logging import function_handler, function_logger
from ouroboros.observability.metrics import VERIFICATION_REJECTIONS, metric_record
from ouroboros.reactors.hub import hub_stream_record_handle
from ouroboros.reactors.stream_records import stream_event_check, stream_record_parse

logger = function_logger()


def record_handler(record: DynamoDBRecord) -> str:
    status = hub_stream_record_handle(stream_record_parse(record.raw_event))
    if status == "rejected":
        metric_record(VERIFICATION_REJECTIONS)
    return status


@function_handler("hub_verify")
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    processor = BatchProcessor(EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(stream_event_check(event), record_handler, processor, context)
    )
