"""Type-checked (mypy --strict) use of the public API; run by test_stubs.py."""

from __future__ import annotations

import asyncio
import datetime
from typing import Optional

import apigw_management as am
from apigw_management import boto3_compat
from apigw_management.testing import LocalGateway


def sync_usage(client: am.Client) -> int:
    client.post_to_connection("id=", b"bytes")
    client.post_to_connection("id=", "str")
    client.post_to_connection("id=", memoryview(b"x"))
    conn: am.Connection = client.get_connection("id=")
    when: datetime.datetime = conn.connected_at
    ip: str = conn.identity.source_ip
    result: am.BroadcastResult = client.broadcast(["a=", "b="], "x", concurrency=8, deadline=2.5)
    for cid, err in result.failed:
        code: str | None = err.code
        status: int | None = err.status_code
        print(cid, code, status, err.attempts, err.retryable)
    gone: list[str] = result.gone
    client.post_many([("a=", "x"), ("b=", b"y")])
    client.post_many({"a=": "x"})
    client.delete_connection("id=")
    print(when, ip, gone)
    return result.delivered


async def async_usage() -> None:
    async with am.AsyncClient("http://127.0.0.1:1/prod", region="us-east-1", credentials=("a", "b")) as c:
        await c.post_to_connection("id=", "x")
        conn = await c.get_connection("id=")
        r = await c.broadcast(["a="], b"x")
        print(conn.last_active_at, r.ok)
        task: asyncio.Task[am.ResponseMetadata] = asyncio.create_task(c.delete_connection("id="))
        meta = await task
        attempts: int = meta.attempts
        request_id: Optional[str] = conn.metadata.request_id if conn.metadata else None
        print(attempts, request_id)


def errors_usage(client: am.Client) -> None:
    try:
        client.post_to_connection("id=", "x")
    except am.GoneException as e:
        print(e.request_id, e.status_code)
    except am.ServiceError as e:
        print(e.code)
    except am.TransportError as e:
        print(e.kind)
    except am.ApiGatewayManagementError as e:
        print(e.message)


def compat_usage() -> None:
    client = boto3_compat.client("apigatewaymanagementapi", endpoint_url="http://127.0.0.1:1/prod", region_name="us-east-1")
    try:
        client.post_to_connection(ConnectionId="id=", Data=b"x")
    except client.exceptions.GoneException as e:
        print(e.response["Error"]["Code"])


def testing_usage() -> None:
    with LocalGateway() as gw:
        ws = gw.connect()
        gw.client().post_to_connection(ws.connection_id, "x")
        msg: str | bytes = ws.receive()
        print(msg, gw.endpoint, gw.ws_url)
        am.Client.from_event(gw.event(ws.connection_id), region="us-east-1")
