"""Consumer: ``security_local_reactors`` stream consumer that installs, upgrades and uninstalls.

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
from ouroboros.observability.metrics import INSTALLER_RESULTS, metric_record
from ouroboros.reactors.installer import reactor_stream_record_handle
from ouroboros.reactors.stream_records import stream_event_check, stream_record_parse

logger = function_logger()


def record_handler(record: DynamoDBRecord) -> str:
    try:
        action = reactor_stream_record_handle(stream_record_parse(record.raw_event)).action
    except Exception:  # reported in batchItemFailures: the stream retries the record
        metric_record(INSTALLER_RESULTS, Result="error")
        raise
    metric_record(INSTALLER_RESULTS, Result=action)
    return action


@function_handler("reactor_installer")
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    processor = BatchProcessor(EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(stream_event_check(event), record_handler, processor, context)
    )
