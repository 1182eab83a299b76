"""PynamoDB models, one module per aggregate, and the registry of tables per deployment side.

The registries hold one model per table: ``sfn_statemachines`` is `WorkflowItemModel`, whose kinds
(`ExecutionModel`, `IdempotencyMarkerModel`, `RateLimitBucketModel`) share its table and binding.
"""

from ouroboros.models.aggregates import AggregateModel
from ouroboros.models.base import OuroborosModel, bind_model
from ouroboros.models.binding import bindings_reset, hub_models_bind, models_bind
from ouroboros.models.controls import ControlModel
from ouroboros.models.executions import (
    ExecutionModel,
    IdempotencyMarkerModel,
    RateLimitBucketModel,
    WorkflowItemModel,
)
from ouroboros.models.findings import FindingModel
from ouroboros.models.hub import HubControlModel, HubReactorModel
from ouroboros.models.notifications import NotificationModel
from ouroboros.models.rate_limits import ApiRateLimitModel
from ouroboros.models.reactors import LocalReactorModel
from ouroboros.models.verdicts import HubVerdictModel

CONSUMER_MODELS: tuple[type[OuroborosModel], ...] = (
    ControlModel,
    FindingModel,
    LocalReactorModel,
    WorkflowItemModel,
    AggregateModel,
    NotificationModel,
    ApiRateLimitModel,
)
HUB_MODELS: tuple[type[OuroborosModel], ...] = (HubControlModel, HubReactorModel, HubVerdictModel)
ALL_MODELS = CONSUMER_MODELS + HUB_MODELS


def bind_models() -> None:
    """Point every model at its table for the current configuration (and, for a consumer with
    ``OUROBOROS_HUB_ROLE_ARN``, the Hub's models at that role: `ouroboros.models.binding`)."""
    bindings_reset()
    for model in ALL_MODELS:
        bind_model(model)


bind_models()

__all__ = [
    "ALL_MODELS",
    "CONSUMER_MODELS",
    "HUB_MODELS",
    "AggregateModel",
    "ApiRateLimitModel",
    "ControlModel",
    "ExecutionModel",
    "FindingModel",
    "HubControlModel",
    "HubReactorModel",
    "HubVerdictModel",
    "IdempotencyMarkerModel",
    "LocalReactorModel",
    "NotificationModel",
    "RateLimitBucketModel",
    "WorkflowItemModel",
    "bind_models",
    "hub_models_bind",
    "models_bind",
]
