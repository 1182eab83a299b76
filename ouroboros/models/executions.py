"""Consumer table ``sfn_statemachines``: the workflow's items, three kinds over one table.

Hash key ``execution_id``. The ``kind`` attribute tells the kinds apart; it is a PynamoDB
`DiscriminatorAttribute`, so each kind is a model class of its own (PynamoDB "polymorphism"):

- ``EXECUTION`` (`ExecutionModel`): one remediation attempt, the audit of what changed. Its id is
  time-ordered (``<ISO time>#<random>``), so ids sort by start time.
- ``IDEMPOTENCY`` (`IdempotencyMarkerModel`): ``IDEMPOTENCY#<finding id>#<key>``; a conditional put
  on it is what makes a replayed event run once.
- ``RATELIMIT`` (`RateLimitBucketModel`): ``RATE#<account>#<region>``, the token bucket of
  `ouroboros.workflow.ratelimit`.

`WorkflowItemModel` is the table itself (its keys and indexes; what creates it): read through it,
an item comes back as the class of its kind. Read through a kind's class, an item of another kind
is refused (``get`` raises ``ValueError``; a Query or Scan filters on ``kind``), so an idempotency
marker never reads as an execution. Nothing is ever written through `WorkflowItemModel` (it has no
kind value: PynamoDB refuses to save it).

Indexes (declared on `WorkflowItemModel`, so the table definition is in one place):

- ``kind-index`` (kind, started_at): every item of a kind by start time (executions; markers too,
  which have ``started_at``; buckets have none, so are not in it).
- ``finding-index`` (finding_id, started_at): a finding's remediation history.
- ``status-index`` (status, started_at): executions by outcome.
- ``control-index`` (control_id, started_at): a control's remediations.

Executions are a low-volume stream (one per remediation attempt), so a constant ``kind`` hash
key stays far below a partition's write limit.

``kind-index`` is keyed on the discriminator (the index declares ``kind`` as a string key, which
is what the discriminator stores). PynamoDB 6.1 adds ``kind IN (<the class's kinds>)`` as a filter
to every Query and Count of a discriminated model, and DynamoDB refuses a filter on a key of the
queried index ("Filter Expression can only contain non-primary key attributes"; moto accepts it,
DynamoDB Local and AWS do not). `WorkflowKindIndex` therefore runs its Query and Count without
that filter: its hash key already selects one kind.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Required, TypedDict, get_args

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.constants import COUNT
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.pagination import ResultIterator

from ouroboros.models.base import OuroborosModel

KIND_EXECUTION = "EXECUTION"
KIND_IDEMPOTENCY = "IDEMPOTENCY"
KIND_RATELIMIT = "RATELIMIT"

ExecutionStatus = Literal["pending", "running", "succeeded", "failed", "skipped", "rolled_back"]
ExecutionTrigger = Literal["event", "manual", "custom_action", "rollback"]
STATUSES: tuple[str, ...] = get_args(ExecutionStatus)
TRIGGERS: tuple[str, ...] = get_args(ExecutionTrigger)


class WorkflowKindIndex(GlobalSecondaryIndex[Any]):
    """``kind-index``: (kind, started_at). Query and Count without PynamoDB's kind filter."""

    class Meta:
        index_name = "kind-index"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    started_at = UnicodeAttribute(range_key=True)

    def _kind_checked(self, hash_key: Any) -> str:
        """``hash_key`` if the index's model reads items of that kind (else ``ValueError``)."""
        model = self._model
        discriminator = model._get_discriminator_attribute()
        kinds = {
            discriminator.get_discriminator(cls)
            for cls in discriminator.get_registered_subclasses(model)
        }
        if hash_key not in kinds:
            raise ValueError(f"{model.__name__} holds no items of kind {hash_key!r}")
        return str(hash_key)

    def count(
        self,
        hash_key: Any,
        range_key_condition: Condition | None = None,
        filter_condition: Condition | None = None,
        consistent_read: bool = False,
        limit: int | None = None,
        rate_limit: float | None = None,
    ) -> int:
        results: ResultIterator[Any] = ResultIterator(
            self._model._get_connection().query,
            (self._kind_checked(hash_key),),
            {
                "range_key_condition": range_key_condition,
                "filter_condition": filter_condition,
                "index_name": self.Meta.index_name,
                "consistent_read": consistent_read,
                "limit": limit,
                "select": COUNT,
            },
            limit=limit,
            rate_limit=rate_limit,
        )
        for _ in results:
            pass
        return results.total_count

    def query(
        self,
        hash_key: Any,
        range_key_condition: Condition | None = None,
        filter_condition: Condition | None = None,
        consistent_read: bool = False,
        scan_index_forward: bool | None = None,
        limit: int | None = None,
        last_evaluated_key: dict[str, dict[str, Any]] | None = None,
        attributes_to_get: list[str] | None = None,
        page_size: int | None = None,
        rate_limit: float | None = None,
    ) -> ResultIterator[Any]:
        return ResultIterator(
            self._model._get_connection().query,
            (self._kind_checked(hash_key),),
            {
                "range_key_condition": range_key_condition,
                "filter_condition": filter_condition,
                "index_name": self.Meta.index_name,
                "exclusive_start_key": last_evaluated_key,
                "consistent_read": consistent_read,
                "scan_index_forward": scan_index_forward,
                "limit": limit if page_size is None else page_size,
                "attributes_to_get": attributes_to_get,
            },
            map_fn=self._model.from_raw_data,
            limit=limit,
            rate_limit=rate_limit,
        )


class ExecutionFindingIndex(GlobalSecondaryIndex):
    """``finding-index``: (finding_id, started_at)."""

    class Meta:
        index_name = "finding-index"
        projection = AllProjection()

    finding_id = UnicodeAttribute(hash_key=True)
    started_at = UnicodeAttribute(range_key=True)


class ExecutionStatusIndex(GlobalSecondaryIndex):
    """``status-index``: (status, started_at)."""

    class Meta:
        index_name = "status-index"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    started_at = UnicodeAttribute(range_key=True)


class ExecutionControlIndex(GlobalSecondaryIndex):
    """``control-index``: (control_id, started_at)."""

    class Meta:
        index_name = "control-index"
        projection = AllProjection()

    control_id = UnicodeAttribute(hash_key=True)
    started_at = UnicodeAttribute(range_key=True)


class WorkflowItemModel(OuroborosModel):
    """The table ``sfn_statemachines``: its keys, indexes and the ``kind`` of every item.

    Create and bind the table through this class; write items through a kind's class.
    """

    short_name: ClassVar[str] = "sfn_statemachines"

    class Meta(OuroborosModel.Meta):
        pass

    execution_id = UnicodeAttribute(hash_key=True)
    kind = DiscriminatorAttribute(attr_name="kind")

    kind_index = WorkflowKindIndex()
    finding_index = ExecutionFindingIndex()
    status_index = ExecutionStatusIndex()
    control_index = ExecutionControlIndex()


class ExecutionModel(WorkflowItemModel, discriminator=KIND_EXECUTION):
    """A remediation attempt: who or what triggered it, what ran, what changed, how it ended."""

    finding_id = UnicodeAttribute(null=True)
    finding_updated_at = UnicodeAttribute(null=True)
    control_id = UnicodeAttribute(null=True)
    account_id = UnicodeAttribute(null=True)
    region = UnicodeAttribute(null=True)
    resource_id = UnicodeAttribute(null=True)
    reactor_id = UnicodeAttribute(null=True)
    reactor_version = UnicodeAttribute(null=True)
    trigger = UnicodeAttribute(null=True)
    actor = UnicodeAttribute(null=True)
    mode = UnicodeAttribute(null=True)
    dry_run = BooleanAttribute(default=False)
    #: The parameters the reactor ran with (the control's, the schema's defaults filling gaps).
    params: MapAttribute[str, Any] = MapAttribute(null=True)
    status = UnicodeAttribute(null=True)
    skip_reason = UnicodeAttribute(null=True)
    changes: ListAttribute[Any] = ListAttribute(null=True)
    rollback: MapAttribute[str, Any] = MapAttribute(null=True)
    error = UnicodeAttribute(null=True)
    error_type = UnicodeAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    duration_ms = NumberAttribute(null=True)
    sfn_execution_arn = UnicodeAttribute(null=True)
    rolled_back_by = UnicodeAttribute(null=True)
    #: The execution this one rolls back (trigger ``rollback`` only).
    rollback_of = UnicodeAttribute(null=True)
    #: The MTTR day bucket (``YYYY-MM-DD``) and seconds this remediation was counted in
    #: (`ouroboros.aggregates.remediation`), so that a rollback can take it out again.
    mttr_day = UnicodeAttribute(null=True)
    mttr_seconds = NumberAttribute(null=True)
    #: The ticket opened for this run (`ouroboros.tickets`), set only by its conditional update:
    #: ``ticket_channel`` (``securityhub`` or ``webhook``) is claimed first, so a replay opens
    #: no second ticket; ``ticket_id`` / ``ticket_url`` once it is open.
    ticket_channel = UnicodeAttribute(null=True)
    ticket_id = UnicodeAttribute(null=True)
    ticket_url = UnicodeAttribute(null=True)
    ticket_reason = UnicodeAttribute(null=True)


class IdempotencyMarkerModel(WorkflowItemModel, discriminator=KIND_IDEMPOTENCY):
    """The claim of one (finding, key) dispatch: ``IDEMPOTENCY#<finding id>#<key>``.

    ``claim`` (stored as ``skip_reason``, where markers have always kept it) names the execution
    that claimed the marker: ``claimed by execution <id>``.
    """

    claim = UnicodeAttribute(attr_name="skip_reason", null=True)
    started_at = UnicodeAttribute(null=True)

    @staticmethod
    def marker_id(*, finding_id: str, key: str) -> str:
        """The hash key of the marker of (finding, key)."""
        return f"{KIND_IDEMPOTENCY}#{finding_id}#{key}"


class RateLimitBucketModel(WorkflowItemModel, discriminator=KIND_RATELIMIT):
    """The token bucket of one account-region: ``RATE#<account>#<region>``.

    `ouroboros.workflow.ratelimit` writes it with a conditional UpdateItem on ``refilled_at``.
    """

    tokens = NumberAttribute(null=True)
    refilled_at = NumberAttribute(null=True)

    @staticmethod
    def bucket_id(*, account_id: str, region: str) -> str:
        """The hash key of the bucket of (account, region)."""
        return f"RATE#{account_id}#{region}"


class ExecutionContext(TypedDict, total=False):
    """What the records of one run share: what it is of, who started it, how it runs."""

    finding_id: str | None
    finding_updated_at: str | None
    control_id: str | None
    account_id: str | None
    region: str | None
    resource_id: str | None
    reactor_id: str | None
    reactor_version: str | None
    trigger: ExecutionTrigger | None
    actor: str | None
    mode: str | None
    dry_run: bool
    params: dict[str, Any] | None
    sfn_execution_arn: str | None
    rollback_of: str | None


class ExecutionFields(ExecutionContext, total=False):
    """The attributes of an `ExecutionModel` a writer sets (`execution_record`'s keywords).

    Every attribute but the key (``execution_id``), ``kind`` (the class), ``rolled_back_by``
    (set only by the rollback's conditional update), the ``ticket_*`` attributes
    (`ouroboros.tickets`) and ``mttr_day`` / ``mttr_seconds`` (set only
    when the remediation is counted in MTTR). ``status`` is required.
    """

    status: Required[ExecutionStatus]
    skip_reason: str | None
    changes: list[Any] | None
    rollback: dict[str, Any] | None
    error: str | None
    error_type: str | None
    started_at: str | None
    finished_at: str | None
    duration_ms: int | None
