"""Every result carries the core's response metadata: ``ResponseMetadata`` from
post/delete, ``Connection.metadata``, in ``Client`` and ``AsyncClient``, and boto3's
``ResponseMetadata`` in ``boto3_compat``."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any, Dict, Iterator

import pytest

import apigw_management as am
from apigw_management import boto3_compat
from apigw_management.testing import ScriptServer

ID = "L0SM9cOFvHcCIhw="
CONNECTION = (
    '{"connectedAt":"2026-11-24T10:00:00.000Z","identity":{"sourceIp":"127.0.0.1",'
    '"userAgent":"x"},"lastActiveAt":"2026-11-24T10:00:01.000Z"}'
)
# A throttled first attempt (waits the 0.05 s Retry-After says), then the answer.
THROTTLED: Dict[str, Any] = {"status": 429, "headers": {"Retry-After": "0.05"}}


def script(answer: Dict[str, Any]) -> Dict[str, Any]:
    return {"responses": {ID: [THROTTLED, answer]}}


@pytest.fixture
def post_server() -> Iterator[ScriptServer]:
    with ScriptServer(script({"status": 200, "headers": {"x-amzn-RequestId": "req-post"}})) as s:
        yield s


@pytest.fixture
def get_server() -> Iterator[ScriptServer]:
    answer = {"status": 200, "headers": {"x-amzn-RequestId": "req-get"}, "body": CONNECTION}
    with ScriptServer(script(answer)) as s:
        yield s


@pytest.fixture
def delete_server() -> Iterator[ScriptServer]:
    with ScriptServer(script({"status": 204, "headers": {"x-amzn-RequestId": "req-delete"}})) as s:
        yield s


def test_post_returns_the_metadata_of_its_response(post_server: ScriptServer) -> None:
    meta = post_server.client().post_to_connection(ID, "hi")
    assert meta == am.ResponseMetadata(200, "req-post", attempts=2, retry_delay=0.05)
    assert (meta.status_code, meta.request_id, meta.attempts, meta.retry_delay) == (200, "req-post", 2, 0.05)
    assert pickle.loads(pickle.dumps(meta)) == meta
    assert repr(meta) == "ResponseMetadata(status_code=200, request_id='req-post', attempts=2, retry_delay=0.05)"


def test_connection_carries_the_metadata_of_its_response(get_server: ScriptServer) -> None:
    conn = get_server.client().get_connection(ID)
    assert conn.metadata == am.ResponseMetadata(200, "req-get", attempts=2, retry_delay=0.05)
    assert conn.identity.user_agent == "x"
    again = pickle.loads(pickle.dumps(conn))
    assert again.metadata == conn.metadata


def test_delete_returns_204_metadata(delete_server: ScriptServer) -> None:
    meta = delete_server.client().delete_connection(ID)
    assert meta == am.ResponseMetadata(204, "req-delete", attempts=2, retry_delay=0.05)


def test_async_client_returns_the_same_metadata(
    post_server: ScriptServer, get_server: ScriptServer, delete_server: ScriptServer
) -> None:
    def client(s: ScriptServer) -> am.AsyncClient:
        return am.AsyncClient(s.endpoint, credentials=s.credentials, region="us-east-1")

    async def main() -> None:
        assert await client(post_server).post_to_connection(ID, "hi") == am.ResponseMetadata(200, "req-post", 2, 0.05)
        conn = await client(get_server).get_connection(ID)
        assert conn.metadata == am.ResponseMetadata(200, "req-get", 2, 0.05)
        assert await client(delete_server).delete_connection(ID) == am.ResponseMetadata(204, "req-delete", 2, 0.05)

    asyncio.run(main())


def test_boto3_compat_response_metadata_comes_from_the_core(
    post_server: ScriptServer, get_server: ScriptServer, delete_server: ScriptServer
) -> None:
    def client(s: ScriptServer) -> boto3_compat.ApiGatewayManagementApiClient:
        key, secret = s.credentials
        return boto3_compat.client(
            "apigatewaymanagementapi",
            endpoint_url=s.endpoint,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
        )

    out = client(post_server).post_to_connection(ConnectionId=ID, Data=b"hi")
    assert out["ResponseMetadata"] == {
        "RequestId": "req-post",
        "HTTPStatusCode": 200,
        "HTTPHeaders": {},
        "RetryAttempts": 1,
    }
    got = client(get_server).get_connection(ConnectionId=ID)
    assert got["ResponseMetadata"]["RequestId"] == "req-get"
    assert got["ResponseMetadata"]["RetryAttempts"] == 1
    deleted = client(delete_server).delete_connection(ConnectionId=ID)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert deleted["ResponseMetadata"]["RequestId"] == "req-delete"


def test_async_client_and_client_take_the_core_defaults_alike() -> None:
    """With no options both make the core's default number of attempts (3)."""
    failing = {"responses": {ID: [{"status": 500}] * 5}}
    with ScriptServer(failing) as s:
        with pytest.raises(am.ServiceError) as sync_error:
            am.Client(s.endpoint, credentials=s.credentials, region="us-east-1").post_to_connection(ID, "x")

        async def main() -> None:
            c = am.AsyncClient(s.endpoint, credentials=s.credentials, region="us-east-1")
            await c.post_to_connection(ID, "x")

        with pytest.raises(am.ServiceError) as async_error:
            asyncio.run(main())
    assert sync_error.value.attempts == async_error.value.attempts == 3


def test_aws_max_attempts_sets_the_default_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    """``AWS_MAX_ATTEMPTS`` (read by the core, as boto3 and SDK v3 read it) replaces the
    default of 3; an explicit ``max_attempts`` still wins; a bad value is a ConfigError."""
    failing = {"responses": {ID: [{"status": 500}] * 5}}
    with ScriptServer(failing) as s:
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
        with pytest.raises(am.ServiceError) as from_env:
            s.client(retry_base_delay=0.001).post_to_connection(ID, "x")
        with pytest.raises(am.ServiceError) as explicit:
            s.client(retry_base_delay=0.001, max_attempts=1).post_to_connection(ID, "x")
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "many")
        with pytest.raises(am.ConfigError, match="AWS_MAX_ATTEMPTS must be a whole number"):
            s.client()
    assert (from_env.value.attempts, explicit.value.attempts) == (2, 1)
