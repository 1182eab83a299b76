"""The real local runtime: DynamoDB Local + moto server on 127.0.0.1, persistent, shared."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.endpoints import endpoints_read
from emulator.runtime import LocalRuntime, RuntimeAlreadyRunningError
from ouroboros.aws import client
from ouroboros.models import LocalReactorModel
from ouroboros.models.tables import models_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port`` (from /proc/net/tcp{,6})."""
    found = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(name).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A = LISTEN
                found.add(address)
    return found


LOOPBACK = {"0100007F", "0000000000000000FFFF00000100007F"}  # 127.0.0.1, ::ffff:127.0.0.1


def test_runtime_uses_dynamodb_local_on_loopback_only(local_runtime: LocalRuntime) -> None:
    endpoints = local_runtime.endpoints
    assert endpoints is not None
    assert endpoints.dynamodb_backend == "dynamodb-local"
    assert local_runtime.warnings == []
    for url in (endpoints.dynamodb, endpoints.aws):
        port = int(url.rsplit(":", 1)[1])
        addresses = _listening_addresses(port)
        assert addresses, f"nothing listens on {port}"
        assert addresses <= LOOPBACK, f"port {port} listens on {addresses}"
    assert os.environ["AWS_ENDPOINT_URL_DYNAMODB"] == endpoints.dynamodb
    dynamodb = client("dynamodb")  # the worker's DynamoDB Local holds other tests' tables too
    for table in ("cmdb_dev_security_findings", "hub_dev_security_reactors"):
        assert dynamodb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"


def test_streams_deliver_inserts(local_runtime: LocalRuntime) -> None:
    LocalReactorModel("aws-s3-2", version="1.0.0", sha256="a" * 64).save()
    table = client("dynamodb").describe_table(TableName="cmdb_dev_security_local_reactors")
    arn = table["Table"]["LatestStreamArn"]
    streams = client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT"]
    assert records[0]["dynamodb"]["NewImage"]["reactor_id"] == {"S": "aws-s3-2"}


def test_data_persists_across_a_restart(isolated_env: Path) -> None:
    with LocalRuntime(data_dir=isolated_env):
        LocalReactorModel("aws-s3-2", version="1.0.0", sha256="b" * 64).save()
    assert endpoints_read(isolated_env) is None  # stopped: the endpoints file is gone
    with LocalRuntime(data_dir=isolated_env):
        assert LocalReactorModel.get("aws-s3-2").sha256 == "b" * 64


def test_another_process_reaches_the_running_runtime(local_runtime: LocalRuntime) -> None:
    LocalReactorModel("from-parent", version="1.0.0", sha256="c" * 64).save()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    code = (
        "from emulator.endpoints import endpoints_adopt; endpoints_adopt();"
        "from ouroboros.models import LocalReactorModel;"
        "print(LocalReactorModel.get('from-parent').sha256)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "c" * 64

    command = subprocess.run(
        [sys.executable, "manage.py", "bootstrap_tables"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert command.returncode == 0, command.stderr
    tables = len(models_for("all"))
    assert command.stdout.strip().endswith(f"0 created, {tables} unchanged")


def test_a_second_runtime_on_the_same_folder_is_refused(local_runtime: LocalRuntime) -> None:
    with pytest.raises(RuntimeAlreadyRunningError, match="already serves"):
        LocalRuntime(data_dir=local_runtime.data_dir).start()
    assert endpoints_read(local_runtime.data_dir) is not None  # the first one is untouched


def test_falls_back_to_moto_with_a_warning_without_java(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OUROBOROS_NODE_MODULES", str(tmp_path / "no-node-modules"))
    runtime = LocalRuntime(data_dir=isolated_env)
    with pytest.warns(RuntimeWarning, match="will NOT persist"):
        runtime.start()
    try:
        assert runtime.dynamodb_backend == "moto"
        saved = json.loads((isolated_env / "endpoints.json").read_text())
        assert saved["dynamodb_backend"] == "moto"
        LocalReactorModel("x", version="1", sha256="d" * 64).save()
        assert LocalReactorModel.get("x").version == "1"
    finally:
        runtime.stop()


def test_ports_are_free_after_stop(isolated_env: Path) -> None:
    runtime = LocalRuntime(data_dir=isolated_env)
    endpoints = runtime.start()
    runtime.stop()
    for url in (endpoints.dynamodb, endpoints.aws):
        port = int(url.rsplit(":", 1)[1])
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0
