"""The names and ARNs of one deployment (stage, region, account, side), derived in one place.

Table names are per side: the consumer's ``{prefix}_{stage}_{name}``, the Hub's
``{hub_prefix}_{hub_stage}_{name}`` (`ouroboros.config`), with different default prefixes
(``cmdb``, ``hub``) so one account can hold both sides; `table_names_collision` says when a
configuration would put both sides' ``security_controls`` (different key schemas) in one table.
"""

from __future__ import annotations

from dataclasses import dataclass

from deploy.functions import PROJECT, FunctionSpec
from ouroboros.aws import client
from ouroboros.config import Role, get_config

#: The Hub's role consumers in other accounts assume to read its tables and artifacts.
HUB_READER_ROLE_SUFFIX = "hub-read"


@dataclass(frozen=True)
class Deployment:
    """Where bootstrap, the check and teardown work."""

    stage: str
    region: str
    account: str
    side: Role

    @property
    def prefix(self) -> str:
        return f"{PROJECT}-{self.stage}"

    def table_name(self, short_name: str, side: Role | None = None) -> str:
        config = get_config()
        if (side or self.side) == "hub":
            return config.hub_table_name(short_name)
        return config.table_name(short_name)

    def table_arn(self, short_name: str, side: Role | None = None) -> str:
        name = self.table_name(short_name, side)
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{name}"

    def function_arn(self, spec: FunctionSpec) -> str:
        name = spec.lambda_name(self.stage)
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"

    def role_arn(self, role_name: str) -> str:
        return f"arn:aws:iam::{self.account}:role/{role_name}"

    @property
    def state_machine_name(self) -> str:
        return f"{self.prefix}-security-hub-finding-reactor"

    @property
    def state_machine_arn(self) -> str:
        return f"arn:aws:states:{self.region}:{self.account}:stateMachine:{self.state_machine_name}"

    @property
    def state_machine_role(self) -> str:
        return f"{self.prefix}-states-role"

    @property
    def events_role(self) -> str:
        return f"{self.prefix}-events-role"

    @property
    def state_machine_log_group(self) -> str:
        return f"/aws/vendedlogs/states/{self.state_machine_name}"

    @property
    def topic_name(self) -> str:
        return f"{self.prefix}-notifications"

    @property
    def topic_arn(self) -> str:
        return f"arn:aws:sns:{self.region}:{self.account}:{self.topic_name}"

    @property
    def failure_queue_name(self) -> str:
        return f"{self.prefix}-stream-failures"

    @property
    def failure_queue_arn(self) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{self.failure_queue_name}"

    @property
    def hub_bucket(self) -> str:
        return f"{self.prefix}-hub-artifacts-{self.account}"

    @property
    def export_bucket(self) -> str:
        """The consumer's bucket of findings exports (``OUROBOROS_EXPORT_BUCKET``)."""
        return f"{self.prefix}-exports-{self.account}"

    @property
    def hub_reader_role(self) -> str:
        """The Hub's reader role (``bootstrap --role hub`` creates it; consumers assume it)."""
        return f"{self.prefix}-{HUB_READER_ROLE_SUFFIX}"

    def rule_name(self, name: str) -> str:
        """An EventBridge rule name of this deployment (``ouroboros-<stage>-...``)."""
        base = name.removeprefix(f"{PROJECT}-")
        return f"{self.prefix}-{base}"[:64]

    @property
    def reactor_function_prefix(self) -> str:
        """Reactor functions the installer creates are named ``<this>*`` (roles likewise): the
        ``rx`` segment no platform function or role has (`ouroboros.reactors.names`)."""
        return f"{self.prefix}-rx-"

    @property
    def parameter_path(self) -> str:
        return f"/{PROJECT}/{self.stage}/"


def table_names_collision() -> str | None:
    """Why this configuration would give both sides one ``security_controls`` table in one
    account (None: their names differ, or the consumer reads a Hub elsewhere through its role)."""
    config = get_config()
    if config.hub_role_arn and config.role == "consumer":
        return None
    if config.table_name("security_controls") != config.hub_table_name("security_controls"):
        return None
    return (
        f"the Hub's and the consumer's security_controls would both be "
        f"{config.table_name('security_controls')} (different key schemas): leave "
        f"OUROBOROS_HUB_TABLE_PREFIX at its default (hub) or make it differ from "
        f"OUROBOROS_TABLE_PREFIX ({config.table_prefix})"
    )


def deployment_current(side: Role, *, region: str | None = None) -> Deployment:
    """The deployment of the current configuration in the caller's account."""
    config = get_config()
    region = region or config.region
    account = client("sts", region=region).get_caller_identity()["Account"]
    return Deployment(stage=config.stage, region=region, account=account, side=side)


def function_deployed(function_arn: str, deployment: Deployment) -> bool:
    """Whether the Lambda function exists (bootstrap wires triggers only to deployed ones)."""
    lam = client("lambda", region=deployment.region)
    try:
        lam.get_function(FunctionName=function_arn)
    except lam.exceptions.ResourceNotFoundException:
        return False
    return True
