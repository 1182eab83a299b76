"""Secrets from SSM Parameter Store, read once per process (a Lambda cold start).

Deployed functions carry parameter *names* in their environment, never secret values;
`parameter_get` resolves one (SecureString decrypted) through the session factory.
"""

from __future__ import annotations

from functools import lru_cache

from botocore.exceptions import ClientError

from ouroboros.aws.session import client
from ouroboros.errors import OuroborosError
from reactor_sdk.quiet import secret_call


class ParameterError(OuroborosError):
    """A parameter is missing or cannot be read (its name is in the message, never its value)."""


class ParameterMissing(ParameterError):
    """The parameter does not exist (``ParameterNotFound``): the operator never created it."""


@lru_cache(maxsize=32)
def parameter_get(name: str) -> str:
    """The decrypted value of the SSM parameter ``name``."""
    try:
        with secret_call():  # botocore would log the decrypted value at DEBUG
            response = client("ssm").get_parameter(Name=name, WithDecryption=True)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "ClientError")
        if code == "ParameterNotFound":
            raise ParameterMissing(f"SSM parameter {name} does not exist") from exc
        raise ParameterError(f"cannot read SSM parameter {name}: {code}") from exc
    value: str = response["Parameter"]["Value"]
    return value
