"""The names and ARNs of one deployment (stage, region, account, side), derived in one place."""

from __future__ import annotations

from dataclasses import dataclass

from deploy.functions import PROJECT, FunctionSpec
from ouroboros.aws import client
from ouroboros.config import Role, get_config


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

    def rule_name(self, name: str) -> str:
        """An EventBridge rule name of this deployment (``ouroboros-<stage>-...``)."""
        base = name.removeprefix(f"{PROJECT}-")
        return f"{self.prefix}-{base}"[:64]

    @property
    def reactor_function_prefix(self) -> str:
        """Reactor functions the installer creates are named ``<this>*`` (roles likewise)."""
        return f"{self.prefix}-reactor-"

    @property
    def parameter_path(self) -> str:
        return f"/{PROJECT}/{self.stage}/"


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
