"""Running a Zappa package as Lambda does: extracted, alone on ``sys.path``, through its handler.

The package is imported by a fresh interpreter started with ``-S`` (no site-packages: nothing of
the project's ``.venv`` can stand in for something missing from the zip), beside boto3, botocore
and s3transfer, which the Lambda runtime provides (the packages leave them out). Events go in and
responses come out as JSON files; Zappa's own entry point, ``handler.lambda_handler``, handles
them one after the other in one process, as one warm function instance would.

`api_gateway_event` builds the REST API proxy event API Gateway sends for a request
(https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html):
``path`` is the resource path, without the stage; ``requestContext.path`` has it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from deploy.runtime_env import project_root, runtime_env_ensure, site_packages

#: What the Lambda Python runtime provides beside the package.
LAMBDA_PROVIDED = ("boto3", "botocore", "s3transfer")
API_HOST = "abcdef1234.execute-api.us-east-1.amazonaws.com"

_DRIVER = """
import json, sys
import handler

class Context:
    function_name = "ouroboros-test-console"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
    memory_limit_in_mb = 1024
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = log_stream_name = "test"

    def get_remaining_time_in_millis(self):
        return 30000

with open(sys.argv[1]) as events:
    answers = [handler.lambda_handler(event, Context()) for event in json.load(events)]
with open(sys.argv[2], "w") as out:
    json.dump(answers, out)
"""


def package_extract(zip_path: Path, into: Path) -> Path:
    """``zip_path`` extracted into ``into`` (created); ``into``."""
    into.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(into)
    return into


def lambda_provided(into: Path) -> Path:
    """A folder holding what the Lambda runtime provides (links into ``.venv-lambda``)."""
    into.mkdir(parents=True)
    packages = site_packages(runtime_env_ensure())
    for name in LAMBDA_PROVIDED:
        (into / name).symlink_to(packages / name)
    return into


def console_environment(stage: str, database: Path) -> dict[str, str]:
    """The console function's environment: its Zappa settings, secrets given directly."""
    settings = json.loads((project_root() / "zappa_settings.json").read_text())[stage]
    env = {k: v for k, v in settings["aws_environment_variables"].items() if "PARAMETER" not in k}
    env.update(
        {
            "DJANGO_SECRET_KEY": "packaged-console-test-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "DATABASE_URL": f"sqlite:///{database}",
            "OUROBOROS_DATA_DIR": str(database.parent / "data"),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_LAMBDA_FUNCTION_NAME": "ouroboros-test-console",
        }
    )
    return env


def handler_invoke(
    package: Path, provided: Path, env: dict[str, str], events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Zappa's handler's answers to ``events``, from one fresh interpreter in ``package``."""
    events_file = package.parent / "events.json"
    answers_file = package.parent / "answers.json"
    events_file.write_text(json.dumps(events))
    done = subprocess.run(
        [sys.executable, "-S", "-c", _DRIVER, str(events_file), str(answers_file)],
        cwd=package,
        env={
            **env,
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": f"{package}:{provided}",
            "PYTHONDONTWRITEBYTECODE": "1",  # Lambda's /var/task is read-only
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    answers: list[dict[str, Any]] = json.loads(answers_file.read_text())
    return answers


def api_gateway_event(
    path: str, *, stage: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """The REST API proxy event of ``GET https://API_HOST/<stage><path>``."""
    sent = {
        "Host": API_HOST,
        "Accept": "*/*",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Port": "443",
        "X-Forwarded-For": "198.51.100.7",
        **(headers or {}),
    }
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": "GET",
        "headers": sent,
        "multiValueHeaders": {key: [value] for key, value in sent.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": "GET",
            "path": f"/{stage}{path}",
            "stage": stage,
            "accountId": "123456789012",
            "apiId": API_HOST.split(".", 1)[0],
            "domainName": API_HOST,
            "protocol": "HTTP/1.1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "198.51.100.7", "userAgent": "pytest"},
        },
        "body": None,
        "isBase64Encoded": False,
    }
