"""Local stream pollers: DynamoDB stream records delivered to their Lambda consumers.

In AWS an event source mapping reads each table's stream and invokes its consumer function with
batches; locally, `StreamPollers` runs one `StreamPoller` thread per subscribed table
(`STREAM_CONSUMERS`) that reads the stream through the DynamoDB Streams API of DynamoDB Local
(its ARNs carry region ``ddblocal`` and account ``000000000000``; moto's fallback works too) and
invokes the consumer with ``lambda.Invoke``, which the local Lambda hook serves in-process.

Semantics, as Lambda's with ``ReportBatchItemFailures``:

- records arrive in order per shard, in batches of up to ``batch_size``, in Lambda's event shape;
- the consumer answers ``{"batchItemFailures": [{"itemIdentifier": <sequence number>}]}``; the
  poller checkpoints up to the record before the first failure and delivers again from there;
  a record that fails ``max_attempts`` times is logged and skipped, so it never blocks the shard
  (a consumer error, ``FunctionError``, fails the whole batch the same way);
- checkpoints (last delivered sequence number per shard) live in
  ``<data dir>/streams/<table>.json``, written atomically after each batch: after a restart the
  poller resumes after the checkpoint (at-least-once: a crash between delivery and checkpoint
  delivers a batch again; consumers are idempotent). A new stream (table recreated) starts over.

The poller reads streams and invokes as the emulator (`emulator.caller.EMULATOR`: on AWS the
event source mapping does it); the consumer runs as its function (the Lambda hook sees to it).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from emulator.caller import EMULATOR, running_as
from ouroboros.aws import client
from ouroboros.models import HubReactorModel, LocalReactorModel
from ouroboros.models.base import OuroborosModel

if TYPE_CHECKING:
    from emulator.runtime import LocalRuntime

logger = logging.getLogger(__name__)

Deliver = Callable[[dict[str, Any]], dict[str, Any]]

#: Table -> the function consuming its stream (as the deployed event source mappings).
STREAM_CONSUMERS: list[tuple[type[OuroborosModel], str]] = [
    (HubReactorModel, "ouroboros-hub-verify"),
    (LocalReactorModel, "ouroboros-reactor-installer"),
]


class ConsumerError(Exception):
    """The consumer function failed as a whole (FunctionError)."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_jsonable(v) for v in value]
    return value


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record in the shape Lambda delivers it (JSON-ready)."""
    out = _jsonable({k: v for k, v in record.items() if k != "userIdentity"})
    out["eventSourceARN"] = stream_arn
    return dict(out)


def lambda_deliver(function_name: str) -> Deliver:
    """Deliver batches by invoking ``function_name`` (RequestResponse)."""

    def deliver(event: dict[str, Any]) -> dict[str, Any]:
        response = client("lambda").invoke(
            FunctionName=function_name, Payload=json.dumps(event).encode()
        )
        body = response["Payload"].read()
        if response.get("FunctionError"):
            raise ConsumerError(f"{function_name}: {body[:500]!r}")
        answer = json.loads(body or b"{}")
        return answer if isinstance(answer, dict) else {}

    return deliver


@dataclass
class ShardState:
    sequence: str | None = None
    closed: bool = False
    iterator: str | None = None
    parent: str | None = None


@dataclass
class StreamPoller:
    """Polls one table's stream on a thread (see the module docstring)."""

    table_name: str
    deliver: Deliver
    checkpoint_dir: Path
    #: Wait after an empty poll: doubles from ``interval`` up to ``max_interval`` while idle.
    interval: float = 0.1
    max_interval: float = 1.0
    batch_size: int = 100
    max_attempts: int = 3
    delivered: int = 0
    _stream_arn: str | None = None
    _shards: dict[str, ShardState] = field(default_factory=dict)
    _attempts: dict[tuple[str, str], int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _polls: int = 0

    @property
    def checkpoint_path(self) -> Path:
        return self.checkpoint_dir / f"{self.table_name}.json"

    def __post_init__(self) -> None:
        self._load_checkpoint()

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name=f"stream-{self.table_name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        with running_as(EMULATOR):
            self._poll_until_stopped()

    def _poll_until_stopped(self) -> None:
        wait = self.interval
        while not self._stop.is_set():
            try:
                busy = self.poll_once()
            except Exception:
                logger.exception("stream poller %s failed; retrying", self.table_name)
                busy = 0
            if busy:
                wait = self.interval
                continue
            self._stop.wait(wait)
            wait = min(wait * 2, self.max_interval)

    # -- checkpoints --------------------------------------------------------------------------

    def _load_checkpoint(self) -> None:
        try:
            data = json.loads(self.checkpoint_path.read_text())
        except (OSError, ValueError):
            return
        self._stream_arn = data.get("stream_arn")
        for shard_id, state in (data.get("shards") or {}).items():
            self._shards[shard_id] = ShardState(state.get("sequence"), bool(state.get("closed")))

    def _save_checkpoint(self) -> None:
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        data = {
            "stream_arn": self._stream_arn,
            "shards": {
                shard_id: {"sequence": s.sequence, "closed": s.closed}
                for shard_id, s in self._shards.items()
            },
        }
        tmp = self.checkpoint_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        tmp.replace(self.checkpoint_path)

    # -- polling ------------------------------------------------------------------------------

    def _refresh_shards(self) -> None:
        description = client("dynamodb").describe_table(TableName=self.table_name)["Table"]
        arn = description.get("LatestStreamArn")
        if not arn:
            return
        if arn != self._stream_arn:
            self._stream_arn, self._shards = arn, {}
        streams = client("dynamodbstreams")
        start: str | None = None
        while True:
            kwargs: dict[str, Any] = {"StreamArn": arn}
            if start:
                kwargs["ExclusiveStartShardId"] = start
            stream = streams.describe_stream(**kwargs)["StreamDescription"]
            for shard in stream.get("Shards", []):
                state = self._shards.setdefault(shard["ShardId"], ShardState())
                state.parent = shard.get("ParentShardId")
            start = stream.get("LastEvaluatedShardId")
            if not start:
                break

    def _iterator(self, shard_id: str, state: ShardState) -> str:
        kwargs: dict[str, Any] = {"StreamArn": self._stream_arn, "ShardId": shard_id}
        if state.sequence:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=state.sequence)
        else:
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
        return str(client("dynamodbstreams").get_shard_iterator(**kwargs)["ShardIterator"])

    def poll_once(self) -> int:
        """Read every open shard once; returns how many records were delivered."""
        if self._stream_arn is None or self._polls % 50 == 0:
            self._refresh_shards()
        self._polls += 1
        if self._stream_arn is None:
            return 0
        delivered = 0
        for shard_id, state in list(self._shards.items()):
            parent = self._shards.get(state.parent or "")
            if state.closed or (parent is not None and not parent.closed):
                continue
            delivered += self._poll_shard(shard_id, state)
        return delivered

    def _poll_shard(self, shard_id: str, state: ShardState) -> int:
        streams = client("dynamodbstreams")
        try:
            state.iterator = state.iterator or self._iterator(shard_id, state)
            response = streams.get_records(ShardIterator=state.iterator, Limit=self.batch_size)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("ExpiredIteratorException", "TrimmedDataAccessException"):
                state.iterator = None
                if code == "TrimmedDataAccessException":
                    state.sequence = None
                return 0
            if code == "ResourceNotFoundException":
                self._stream_arn = None
                return 0
            raise
        records = response.get("Records", [])
        state.iterator = response.get("NextShardIterator")
        closed = state.iterator is None
        if records and not self._deliver(shard_id, state, records):
            return len(records)  # read again from the checkpoint; the shard is not done
        if closed:
            state.closed = True
            self._polls = 0  # look for the child shard at the next poll
            self._save_checkpoint()
        return len(records)

    def _deliver(self, shard_id: str, state: ShardState, records: list[dict[str, Any]]) -> bool:
        """Deliver ``records``; False when some must be delivered again."""
        assert self._stream_arn is not None
        event = {"Records": [lambda_record(r, self._stream_arn) for r in records]}
        sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
        try:
            answer = self.deliver(event)
            failed = {f.get("itemIdentifier") for f in answer.get("batchItemFailures") or []}
        except Exception as exc:
            logger.warning("stream %s: consumer failed: %s", self.table_name, exc)
            failed = set(sequences)
        stop = len(sequences)
        for index, sequence in enumerate(sequences):
            if sequence not in failed:
                continue
            attempts = self._attempts.get((shard_id, sequence), 0) + 1
            self._attempts[(shard_id, sequence)] = attempts
            if attempts < self.max_attempts:
                stop = index
                break
            logger.error(
                "stream %s: record %s failed %d times; skipped", self.table_name, sequence, attempts
            )
        if stop < len(sequences):
            state.iterator = None  # read again from the checkpoint
        done = sequences[:stop]
        if done:
            state.sequence = done[-1]
            self.delivered += len(done)
            for sequence in done:
                self._attempts.pop((shard_id, sequence), None)
        self._save_checkpoint()
        return len(done) == len(sequences)


def _member_roles_synced(deliver: Deliver) -> Deliver:
    """``deliver``, then the demo member roles regenerated (`emulator.demo`): every install and
    uninstall changes the union of permissions the member role holds."""

    def deliver_and_sync(event: dict[str, Any]) -> dict[str, Any]:
        answer = deliver(event)
        from emulator.demo import demo_member_roles_sync

        try:
            with running_as(EMULATOR):
                demo_member_roles_sync()
        except ClientError as exc:  # the next install or start applies it again
            logger.warning("member roles not regenerated: %s", exc)
        return answer

    return deliver_and_sync


class StreamPollers:
    """The runtime extension: one poller per table of `STREAM_CONSUMERS`."""

    name = "stream-pollers"

    def __init__(self, consumers: list[tuple[type[OuroborosModel], str]] | None = None) -> None:
        self.consumers = STREAM_CONSUMERS if consumers is None else consumers
        self.pollers: list[StreamPoller] = []

    def start(self, runtime: LocalRuntime) -> None:
        for model, function_name in self.consumers:
            deliver = lambda_deliver(function_name)
            if model is LocalReactorModel:
                deliver = _member_roles_synced(deliver)
            poller = StreamPoller(
                table_name=model.Meta.table_name,
                deliver=deliver,
                checkpoint_dir=runtime.data_dir / "streams",
            )
            poller.start()
            self.pollers.append(poller)

    def stop(self) -> None:
        while self.pollers:
            self.pollers.pop().stop()
