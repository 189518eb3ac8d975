"""Real boto3 against the local gateway, and boto3_compat side by side with it."""

from __future__ import annotations

import pickle
from typing import Any, Callable, Dict, Tuple

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import apigw_management as am
from apigw_management import boto3_compat
from apigw_management.testing import LocalGateway


def make_clients(gw: LocalGateway, secret: str | None = None) -> Tuple[Any, Any]:
    key, real_secret = gw.credentials
    kwargs: Dict[str, Any] = dict(
        endpoint_url=gw.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret or real_secret,
        config=Config(retries={"max_attempts": 0, "mode": "standard"}, connect_timeout=5, read_timeout=5),
    )
    return boto3.client("apigatewaymanagementapi", **kwargs), boto3_compat.client("apigatewaymanagementapi", **kwargs)


def error_of(call: Callable[[], Any]) -> ClientError:
    with pytest.raises(ClientError) as info:
        call()
    return info.value


def test_real_boto3_against_the_gateway(gateway: LocalGateway) -> None:
    real, _ = make_clients(gateway)
    ws = gateway.connect(user_agent="boto3-test")
    assert real.post_to_connection(ConnectionId=ws.connection_id, Data=b"from boto3")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert ws.receive() == "from boto3"
    got = real.get_connection(ConnectionId=ws.connection_id)
    assert got["Identity"]["SourceIp"] == "127.0.0.1"
    assert got["Identity"]["UserAgent"].startswith("boto3-test")
    assert got["ConnectedAt"].tzinfo is not None
    assert real.delete_connection(ConnectionId=ws.connection_id)["ResponseMetadata"]["HTTPStatusCode"] == 204
    e = error_of(lambda: real.post_to_connection(ConnectionId=ws.connection_id, Data=b"x"))
    assert (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]) == ("GoneException", 410)
    ws2 = gateway.connect()
    e = error_of(lambda: real.post_to_connection(ConnectionId=ws2.connection_id, Data=b"x" * 131073))
    assert (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]) == ("PayloadTooLargeException", 413)
    wrong, _ = make_clients(gateway, secret="not-the-secret")
    e = error_of(lambda: wrong.post_to_connection(ConnectionId=ws2.connection_id, Data=b"x"))
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert e.response["Error"]["Code"] == "InvalidSignatureException"


def test_compat_gives_the_same_results_and_codes_as_boto3(gateway: LocalGateway) -> None:
    real, compat = make_clients(gateway)
    ws = gateway.connect()
    for client, text in ((real, "real"), (compat, "compat")):
        r = client.post_to_connection(ConnectionId=ws.connection_id, Data=text.encode())
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert ws.receive() == text
    a = real.get_connection(ConnectionId=ws.connection_id)
    b = compat.get_connection(ConnectionId=ws.connection_id)
    assert set(a) == set(b) == {"ConnectedAt", "Identity", "LastActiveAt", "ResponseMetadata"}
    assert a["Identity"] == b["Identity"]
    assert a["ConnectedAt"] == b["ConnectedAt"]
    assert b["ConnectedAt"].utcoffset() is not None
    assert compat.post_to_connection(ConnectionId=ws.connection_id, Data="a str")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert ws.receive() == "a str"

    cases: Dict[str, Callable[[Any], Any]] = {
        "gone": lambda c: c.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x"),
        "gone get": lambda c: c.get_connection(ConnectionId="AAAAAAAAAAAAAAA="),
        "too large": lambda c: c.post_to_connection(ConnectionId=ws.connection_id, Data=b"x" * 131073),
    }
    compat_big = boto3_compat.client(
        "apigatewaymanagementapi", endpoint_url=gateway.endpoint, region_name="us-east-1",
        aws_access_key_id=gateway.credentials[0], aws_secret_access_key=gateway.credentials[1])
    for name, call in cases.items():
        e_real = error_of(lambda: call(real))
        e_compat = error_of(lambda: call(compat))
        assert e_compat.response["Error"]["Code"] == e_real.response["Error"]["Code"], name
        assert e_compat.response["ResponseMetadata"]["HTTPStatusCode"] == e_real.response["ResponseMetadata"]["HTTPStatusCode"], name
        assert e_compat.operation_name == e_real.operation_name, name
        assert type(e_compat).__name__ == e_real.response["Error"]["Code"], name
    # A client built from boto3's own keyword arguments posts as the others do.
    sent = compat_big.post_to_connection(ConnectionId=ws.connection_id, Data=b"from keywords")
    assert sent["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert ws.receive() == "from keywords"

    wrong_real, wrong_compat = make_clients(gateway, secret="nope")
    a_err = error_of(lambda: wrong_real.delete_connection(ConnectionId=ws.connection_id))
    b_err = error_of(lambda: wrong_compat.delete_connection(ConnectionId=ws.connection_id))
    assert a_err.response["Error"]["Code"] == b_err.response["Error"]["Code"] == "InvalidSignatureException"

    assert compat.delete_connection(ConnectionId=ws.connection_id)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_compat_exceptions_are_client_errors_and_native_classes(gateway: LocalGateway) -> None:
    _, compat = make_clients(gateway)
    with pytest.raises(compat.exceptions.GoneException) as info:
        compat.post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")
    e = info.value
    assert isinstance(e, boto3_compat.ClientError)
    assert isinstance(e, ClientError)
    assert isinstance(e, am.GoneException) and isinstance(e, am.ServiceError)
    assert e.status_code == 410 and e.code == "GoneException"
    assert str(e).startswith("An error occurred (GoneException) when calling the PostToConnection operation")
    assert compat.exceptions.from_code("GoneException") is compat.exceptions.GoneException
    original: boto3_compat.ClientError = info.value
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is type(original) and copy.response == original.response


def test_compat_max_attempts_means_retries(gateway: LocalGateway) -> None:
    ws = gateway.connect()
    gateway.set_faults(server_error=1.0)
    compat = boto3_compat.client(
        "apigatewaymanagementapi", endpoint_url=gateway.endpoint, region_name="us-east-1",
        aws_access_key_id=gateway.credentials[0], aws_secret_access_key=gateway.credentials[1],
        config=Config(retries={"max_attempts": 2, "mode": "legacy"}))
    with pytest.raises(ClientError) as info:
        compat.get_connection(ConnectionId=ws.connection_id)
    assert info.value.response["ResponseMetadata"]["RetryAttempts"] == 2  # 3 attempts in all
    assert info.value.response["Error"]["Code"] == "InternalServerErrorException"
    assert compat.native.region == "us-east-1"
