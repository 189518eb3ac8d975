"""Template mode from Python: ``LocalGateway(template=...)`` runs a SAM WebSocket API with
its own Node (AWS SDK v3) and Python (boto3) handlers, against a real local DynamoDB
(``moto[server]``, started here on a free port), reached by real WebSocket clients."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import boto3
import pytest

from apigw_management.testing import LocalGateway

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "simple-chat" / "template.yaml"
EXAMPLE = ROOT / "examples" / "chat" / "template.yaml"


def until(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Polls ``check`` until it holds (a bounded loop; the test asserts counts, not times)."""
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def node_modules() -> None:
    """The handlers' npm packages (`npm ci` when the Node suite has not installed them)."""
    if not (ROOT / "node_modules" / "@aws-sdk" / "client-dynamodb").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=True)


@pytest.fixture(scope="module")
def dynamodb_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def table(dynamodb_endpoint: str) -> Iterator[Any]:
    """A fresh connections table; yields a function listing its connection ids."""
    name = "chat_" + os.urandom(4).hex()
    ddb = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name="us-east-1")
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )

    def ids() -> set[str]:
        return {i["connectionId"]["S"] for i in ddb.scan(TableName=name)["Items"]}

    ids.name = name  # type: ignore[attr-defined]
    yield ids
    ddb.delete_table(TableName=name)


def env_vars(tmp_path: Path, endpoint: str) -> str:
    """A `sam local`-style --env-vars file giving every function the DynamoDB endpoint."""
    path = tmp_path / "env.json"
    path.write_text(json.dumps({"Parameters": {"AWS_ENDPOINT_URL_DYNAMODB": endpoint}}))
    return str(path)


def test_aws_simple_websockets_chat_app_runs_unchanged(
    node_modules: None, dynamodb_endpoint: str, table: Any, tmp_path: Path
) -> None:
    """Mirrors AWS's sample simple-websockets-chat-app: its template's shape (routes
    integrated through Fn::Sub of each function's Arn, a Stage "Prod", a table named by
    a parameter) and its three ES-module handlers on SDK v3: $connect puts the id,
    $disconnect deletes it, sendmessage scans the table and posts through
    https://{apiId}.execute-api.{region}.amazonaws.com/{stage}."""
    with LocalGateway(
        template=str(SAMPLE),
        parameter_overrides={"TableName": table.name},
        env_vars=env_vars(tmp_path, dynamodb_endpoint),
    ) as gw:
        assert gw.stage == "Prod"
        a, b = gw.connect(), gw.connect()
        assert table() == {a.connection_id, b.connection_id}
        a.send(json.dumps({"action": "sendmessage", "data": "hello, chat"}))
        assert a.receive(timeout=30) == "hello, chat"
        assert b.receive(timeout=30) == "hello, chat"
        b.close()
        until(lambda: table() == {a.connection_id}, "$disconnect to delete the id")


@pytest.mark.parametrize("language", ["node", "python"])
def test_chat_example_delivers_to_everyone_and_forgets_gone_connections(
    language: str, node_modules: None, dynamodb_endpoint: str, table: Any, tmp_path: Path
) -> None:
    with LocalGateway(
        template=str(EXAMPLE),
        parameter_overrides={"TableName": table.name, "Language": language},
        env_vars=env_vars(tmp_path, dynamodb_endpoint),
    ) as gw:
        a, b = gw.connect(), gw.connect()
        assert table() == {a.connection_id, b.connection_id}
        a.send(json.dumps({"action": "sendmessage", "data": "one"}))
        assert a.receive(timeout=30) == "one"
        assert b.receive(timeout=30) == "one"
        b.close()
        until(lambda: gw.connection_count() == 1, "the gateway to see b go")
        assert table() == {a.connection_id, b.connection_id}, "no $disconnect route"
        a.send(json.dumps({"action": "sendmessage", "data": "two"}))
        assert a.receive(timeout=30) == "two"
        assert table() == {a.connection_id}, "the send forgot the gone id"


def test_wss_clients_trust_the_printed_ca(node_modules: None, table: Any, dynamodb_endpoint: str, tmp_path: Path) -> None:
    import asyncio

    from websockets.asyncio.client import connect

    with LocalGateway(
        template=str(EXAMPLE),
        parameter_overrides={"TableName": table.name, "Language": "python"},
        env_vars=env_vars(tmp_path, dynamodb_endpoint),
    ) as gw:
        assert gw.wss_url is not None and gw.ca_file is not None
        context = ssl.create_default_context(cafile=gw.ca_file)
        wss_url = gw.wss_url

        async def chat() -> str:
            async with connect(wss_url, ssl=context) as ws:
                await ws.send(json.dumps({"action": "sendmessage", "data": "over tls"}))
                return str(await asyncio.wait_for(ws.recv(), 30))

        assert asyncio.run(chat()) == "over tls"


def test_a_bad_template_is_a_one_line_value_error(tmp_path: Path) -> None:
    bad = tmp_path / "template.yaml"
    bad.write_text("Resources:\n  Api: {Type: AWS::ApiGatewayV2::Api, Properties: {ProtocolType: HTTP}}\n")
    with pytest.raises(ValueError) as e:
        LocalGateway(template=str(bad)).start()
    assert "expected one AWS::ApiGatewayV2::Api with ProtocolType: WEBSOCKET" in str(e.value)
    assert "\n" not in str(e.value)
