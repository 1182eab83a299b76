"""Consumer: ``security_local_reactors`` stream consumer that installs, upgrades and uninstalls.

Per-record failures are reported (``batchItemFailures``): one bad record never blocks the batch.
"""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from ouroboros.reactors.installer import reactor_stream_record_handle
from ouroboros.reactors.stream_records import stream_event_check, stream_record_parse

logger = logging.getLogger(__name__)


def record_handler(record: DynamoDBRecord) -> str:
    return reactor_stream_record_handle(stream_record_parse(record.raw_event)).action


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    processor = BatchProcessor(EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return dict(
        process_partial_response(stream_event_check(event), record_handler, processor, context)
    )
