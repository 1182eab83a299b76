"""AWS's first-call refusals, which moto does not reproduce, injected into a boto3 session.

On AWS, right after a resource is created, some calls that depend on it are refused for a few
seconds: `states:CreateStateMachine` with a role just created answers ``AccessDeniedException``
(the role is not yet assumable), and ``dynamodb:UpdateContinuousBackups`` right after
``CreateTable`` answers ``ContinuousBackupsUnavailableException``. A `FirstCallRefusal`, installed
as a botocore ``before-call`` handler on a session (before its clients are created: a client
copies the session's handlers), answers the first ``count`` calls of one operation with AWS's
exact error code and message and lets every later call through to moto.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

ROLE_NOT_ASSUMABLE = (
    "Neither the global service principal states.amazonaws.com, nor the regional one is "
    "authorized to assume the provided role."
)
BACKUPS_BEING_ENABLED = "Backups are being enabled for the table: {table}. Please retry later"


@dataclass
class FirstCallRefusal:
    """The first ``count`` calls of ``service``.``operation`` fail with ``code`` / ``message``.

    ``service`` is botocore's event name of the service (``sfn`` for Step Functions).
    ``message`` may name ``{table}`` (the request's ``TableName``).
    """

    service: str
    operation: str
    code: str
    message: str
    count: int = 2
    status: int = 400
    calls: int = 0
    refused: int = 0

    def install(self, session: boto3.Session) -> None:
        session.events.register(f"before-call.{self.service}.{self.operation}", self._answer)

    def _answer(
        self, params: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        self.calls += 1
        if self.refused >= self.count:
            return None
        self.refused += 1
        message = self.message.format(table=_body(params).get("TableName", ""))
        response = AWSResponse("https://first-call.refusal", self.status, {}, None)
        return response, {
            "Error": {"Code": self.code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": self.status},
        }


def _body(params: dict[str, Any]) -> dict[str, Any]:
    body = params.get("body") or {}
    if isinstance(body, bytes):
        body = body.decode()
    if isinstance(body, str):
        body = json.loads(body or "{}")
    return body if isinstance(body, dict) else {}


def state_machine_role_not_assumable(count: int = 2) -> FirstCallRefusal:
    """CreateStateMachine while its role, just created, has not propagated in IAM."""
    return FirstCallRefusal(
        "sfn", "CreateStateMachine", "AccessDeniedException", ROLE_NOT_ASSUMABLE, count
    )


def continuous_backups_unavailable(count: int = 2) -> FirstCallRefusal:
    """UpdateContinuousBackups right after CreateTable."""
    return FirstCallRefusal(
        "dynamodb",
        "UpdateContinuousBackups",
        "ContinuousBackupsUnavailableException",
        BACKUPS_BEING_ENABLED,
        count,
    )
