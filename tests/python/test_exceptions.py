"""Each exception class, its fields, pickling, and what raises it."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import apigw_management as am
from apigw_management import _native
from apigw_management.testing import LocalGateway, ScriptServer


def test_hierarchy() -> None:
    for cls in (am.ForbiddenException, am.GoneException, am.LimitExceededException, am.PayloadTooLargeException):
        assert issubclass(cls, am.ServiceError)
    for base in (am.ServiceError, am.TransportError, am.CredentialsError, am.ConfigError, am.InvalidInputError):
        assert issubclass(base, am.ApiGatewayManagementError)
        assert issubclass(base, Exception)
    assert issubclass(am.ConfigError, ValueError)
    assert issubclass(am.InvalidInputError, ValueError)
    assert am.GoneException.__module__ == "apigw_management.exceptions"


def test_fields_str_and_pickle_of_gone(gateway: LocalGateway, client: am.Client) -> None:
    with pytest.raises(am.GoneException) as info:
        client.post_to_connection("AAAAAAAAAAAAAAA=", "x")
    e = info.value
    assert (e.status_code, e.code, e.kind, e.attempts, e.retryable) == (410, "GoneException", "Gone", 1, False)
    assert e.request_id
    assert e.message
    assert str(e).startswith("GoneException (HTTP 410): ")
    assert e.request_id in str(e)
    for copy in (pickle.loads(pickle.dumps(e)), pickle.loads(pickle.dumps(e, protocol=2))):
        assert type(copy) is am.GoneException
        assert (copy.status_code, copy.code, copy.request_id, copy.attempts, copy.message) == (
            410, "GoneException", e.request_id, 1, e.message)
        assert str(copy) == str(e)


def test_payload_too_large_from_the_service(gateway: LocalGateway) -> None:
    ws = gateway.connect()
    c = gateway.client(max_payload_bytes=1 << 20)
    with pytest.raises(am.PayloadTooLargeException) as info:
        c.post_to_connection(ws.connection_id, b"x" * 131073)
    assert (info.value.status_code, info.value.code, info.value.attempts) == (413, "PayloadTooLargeException", 1)


def test_payload_too_large_before_sending(client: am.Client) -> None:
    with pytest.raises(am.PayloadTooLargeException) as info:
        client.post_to_connection("AAAAAAAAAAAAAAA=", b"x" * 131073)
    assert (info.value.status_code, info.value.attempts) == (None, 0)


def test_forbidden_wrong_secret_keeps_its_code(gateway: LocalGateway) -> None:
    ws = gateway.connect()
    c = gateway.client(credentials=("AKIDLOCAL", "wrong-secret"))
    with pytest.raises(am.ForbiddenException) as info:
        c.post_to_connection(ws.connection_id, "x")
    assert info.value.code == "InvalidSignatureException"
    assert info.value.status_code == 403
    assert "wrong-secret" not in str(info.value) and "wrong-secret" not in repr(info.value)


def test_forbidden_wrong_stage(gateway: LocalGateway) -> None:
    c = am.Client(gateway.endpoint.rsplit("/", 1)[0] + "/nostage", credentials=gateway.credentials, max_attempts=1)
    with pytest.raises(am.ForbiddenException) as info:
        c.get_connection("AAAAAAAAAAAAAAA=")
    assert (info.value.code, info.value.status_code) == ("ForbiddenException", 403)


def test_limit_exceeded_from_faults(gateway: LocalGateway) -> None:
    ws = gateway.connect()
    gateway.set_faults(throttle=1.0, seed=1)
    c = gateway.client(max_attempts=2, retry_base_delay=0.001)
    with pytest.raises(am.LimitExceededException) as info:
        c.post_to_connection(ws.connection_id, "x")
    assert (info.value.status_code, info.value.attempts, info.value.retryable) == (429, 2, True)
    gateway.set_faults()
    c.post_to_connection(ws.connection_id, "now it works")
    assert ws.receive() == "now it works"


def test_service_error_from_faults(gateway: LocalGateway) -> None:
    ws = gateway.connect()
    gateway.set_faults(server_error=1.0)
    with pytest.raises(am.ServiceError) as info:
        gateway.client(max_attempts=1).get_connection(ws.connection_id)
    assert type(info.value) is am.ServiceError
    assert info.value.status_code == 500 and info.value.retryable


def test_transport_error_connect_refused() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = am.Client(f"http://127.0.0.1:{port}/prod", region="us-east-1", credentials=("a", "b"),
                  max_attempts=2, retry_base_delay=0.001)
    with pytest.raises(am.TransportError) as info:
        c.post_to_connection("x=", "y")
    assert (info.value.kind, info.value.status_code, info.value.attempts, info.value.retryable) == ("Connect", None, 2, True)
    assert "caused by" in str(info.value)


def test_config_errors() -> None:
    with pytest.raises(am.ConfigError):
        am.Client("ftp://example.com", region="us-east-1")
    with pytest.raises(ValueError):
        am.Client("http://127.0.0.1:1/prod", max_attempts=0)
    with pytest.raises(am.ConfigError, match="timeout"):
        am.Client("http://127.0.0.1:1/prod", timeout=-1.0)
    with pytest.raises(am.ConfigError):
        am.Client("http://127.0.0.1:1/prod", credentials=("", "secret"))
    with pytest.raises(TypeError, match="timeout"):
        am.Client("http://127.0.0.1:1/prod", timeout="10")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected keyword argument 'retries'"):
        am.Client("http://127.0.0.1:1/prod", retries=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="credentials"):
        am.Client("http://127.0.0.1:1/prod", credentials=42)
    e = am.ConfigError("bad")
    assert e.kind == "Config" and e.attempts == 0 and e.status_code is None


def test_no_endpoint_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(am.ConfigError, match="endpoint"):
        am.Client()


def test_credential_forms(gateway: LocalGateway) -> None:
    ws = gateway.connect()
    key, secret = gateway.credentials
    for creds in ((key, secret), [key, secret, None], {"aws_access_key_id": key, "aws_secret_access_key": secret},
                  {"access_key_id": key, "secret_access_key": secret, "session_token": None}):
        am.Client(gateway.endpoint, region="us-east-1", credentials=creds).post_to_connection(ws.connection_id, "c")
        assert ws.receive() == "c"


def test_user_defined_subclass_and_construction() -> None:
    class MyGone(am.GoneException):
        pass

    e = MyGone("bye", status_code=410, code="GoneException", attempts=2)
    assert isinstance(e, am.ServiceError) and e.kind == "Gone"
    copy = pickle.loads(pickle.dumps(am.TransportError("t", kind="Timeout", attempts=3, retryable=True)))
    assert (copy.kind, copy.attempts, copy.retryable) == ("Timeout", 3, True)


@pytest.mark.parametrize("mode", ["blocking", "convert"])
def test_a_panic_is_a_normal_exception(mode: str) -> None:
    with pytest.raises(am.ApiGatewayManagementError, match="deliberate panic") as info:
        _native._test_panic(mode)
    assert info.value.kind == "Internal"


def test_a_panic_in_a_future_is_a_normal_exception() -> None:
    import asyncio

    async def main() -> None:
        with pytest.raises(am.ApiGatewayManagementError, match="deliberate panic"):
            await _native._test_panic("future")

    asyncio.run(main())


def debug_panic() -> Any:
    """`_native._debug_panic`, which only debug builds have (the suite builds one)."""
    fn = getattr(_native, "_debug_panic", None)
    if fn is None:  # pragma: no cover - a release build
        pytest.skip("a release build has no _debug_panic")
    return fn


@pytest.mark.parametrize("mode", ["sync", "blocking"])
def test_a_core_panic_is_an_ordinary_exception(mode: str) -> None:
    # "blocking" is the path of every Client call: the core's runtime, GIL released.
    with pytest.raises(Exception) as info:
        debug_panic()(mode)
    e = info.value
    assert type(e).__name__ != "PanicException" and isinstance(e, am.ApiGatewayManagementError)
    assert e.kind == "Internal" and "deliberate panic" in str(e)
    # The runtime that caught the panic still serves calls: a post arrives.
    with ScriptServer({"responses": {"*": [{"status": 200}]}}) as server:
        client = am.Client(server.endpoint, region="us-east-1", credentials=server.credentials)
        client.post_to_connection("a=", "alive")
        assert [r["body"] for r in server.requests()] == [{"utf8": "alive"}]


def test_a_core_panic_on_the_asyncio_path_is_an_ordinary_exception() -> None:
    import asyncio

    async def main() -> None:
        with pytest.raises(Exception) as info:
            await debug_panic()("async")
        assert isinstance(info.value, am.ApiGatewayManagementError) and info.value.kind == "Internal"
        # The loop and the core's runtime keep serving calls after the panic: a post arrives.
        with ScriptServer({"responses": {"*": [{"status": 200}]}}) as server:
            client = am.AsyncClient(server.endpoint, region="us-east-1", credentials=server.credentials)
            await asyncio.wait_for(client.post_to_connection("a=", "alive"), 10)
            assert [r["body"] for r in server.requests()] == [{"utf8": "alive"}]

    asyncio.run(main())
