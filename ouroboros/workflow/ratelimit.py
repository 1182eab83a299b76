"""Per account-region pacing of reactor runs: a token bucket kept in DynamoDB.

The bucket of (account, region) is an item ``RATE#<account>#<region>`` (kind ``RATELIMIT``) of
``sfn_statemachines`` holding ``tokens`` and the time it was last refilled (``refilled_at``);
taking a token is a conditional write on that time (optimistic lock), so concurrent dispatchers
in any number of Lambda containers share one budget. A burst above the rate is paced: the taker
sleeps until its token is due (up to ``max_wait_seconds``); beyond that it raises
`ThrottledError`, which the state machine retries with backoff. Nothing is dropped.

`ouroboros.models.executions.RateLimitBucketModel` is the item's model (its table, key and kind);
the bucket is read and written here with the low-level client, so the lock compares the stored
``refilled_at`` number exactly as it was read.
"""

from __future__ import annotations

import time
from decimal import Decimal

from botocore.exceptions import ClientError

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.errors import ThrottledError
from ouroboros.models import RateLimitBucketModel
from ouroboros.models.executions import KIND_RATELIMIT


def _table() -> str:
    return str(RateLimitBucketModel.Meta.table_name)


def rate_token_take(
    *, account_id: str, region: str, max_wait_seconds: float = 10.0, attempts: int = 50
) -> float:
    """Take one token of (account, region); returns the seconds waited. See the module doc."""
    config = get_config()
    rate, burst = config.remediation_rate, float(config.remediation_burst)
    ddb = client("dynamodb")
    bucket_id = RateLimitBucketModel.bucket_id(account_id=account_id, region=region)
    key = {"execution_id": {"S": bucket_id}}
    waited = 0.0
    for _ in range(attempts):
        item = ddb.get_item(TableName=_table(), Key=key, ConsistentRead=True).get("Item")
        now = time.time()
        if item is None:
            tokens, last, condition = burst, now, "attribute_not_exists(execution_id)"
        else:
            last = float(item["refilled_at"]["N"])
            tokens = min(burst, float(item["tokens"]["N"]) + (now - last) * rate)
            condition = "refilled_at = :last"
        if tokens < 1:
            wait = (1 - tokens) / rate
            if waited + wait > max_wait_seconds:
                raise ThrottledError(
                    f"remediation budget of {account_id}/{region} exhausted "
                    f"({rate:g}/s, burst {burst:g}); retry later"
                )
            time.sleep(wait)
            waited += wait
            continue
        values = {
            ":tokens": {"N": str(Decimal(str(round(tokens - 1, 6))))},
            ":now": {"N": repr(now)},
            ":kind": {"S": KIND_RATELIMIT},
        }
        if item is not None:
            values[":last"] = item["refilled_at"]
        try:
            ddb.update_item(
                TableName=_table(),
                Key=key,
                UpdateExpression="SET tokens = :tokens, refilled_at = :now, kind = :kind",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                continue  # another dispatcher took a token meanwhile: read again
            raise
        return waited
    raise ThrottledError(f"remediation budget of {account_id}/{region}: too much contention")
