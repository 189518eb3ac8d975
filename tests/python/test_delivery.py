"""Messages reach real WebSocket clients as sent: bytes, bytearray, memoryview, str."""

from __future__ import annotations

import datetime

import pytest

import apigw_management as am
from apigw_management.testing import LocalGateway


def test_str_is_sent_as_utf8_text(gateway: LocalGateway, client: am.Client) -> None:
    ws = gateway.connect()
    client.post_to_connection(ws.connection_id, "héllo ✓")
    assert ws.receive() == "héllo ✓"


@pytest.mark.parametrize(
    "data",
    [b"raw bytes", bytearray(b"a bytearray"), memoryview(b"a memoryview"), memoryview(b"xxsliced!xx")[2:9]],
    ids=["bytes", "bytearray", "memoryview", "memoryview-slice"],
)
def test_bytes_like_data_arrives_unchanged(gateway: LocalGateway, client: am.Client, data: object) -> None:
    ws = gateway.connect()
    client.post_to_connection(ws.connection_id, data)  # type: ignore[arg-type]
    got = ws.receive()
    want = bytes(data)  # type: ignore[call-overload]
    assert (got.encode() if isinstance(got, str) else got) == want


def test_empty_and_limit_sized_messages(gateway: LocalGateway, client: am.Client) -> None:
    ws = gateway.connect()
    big = "x" * 131072
    client.post_to_connection(ws.connection_id, "")
    client.post_to_connection(ws.connection_id, big)
    assert [ws.receive(), ws.receive()] == ["", big]


def test_messages_arrive_in_order(gateway: LocalGateway, client: am.Client) -> None:
    ws = gateway.connect()
    for i in range(50):
        client.post_to_connection(ws.connection_id, f"m{i}")
    assert [ws.receive() for _ in range(50)] == [f"m{i}" for i in range(50)]


def test_get_connection_returns_utc_datetimes_and_identity(gateway: LocalGateway, client: am.Client) -> None:
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=2)
    ws = gateway.connect(user_agent="pytest-agent")
    conn = client.get_connection(ws.connection_id)
    assert isinstance(conn, am.Connection)
    assert conn.connected_at.tzinfo is not None
    assert conn.connected_at.utcoffset() == datetime.timedelta(0)
    assert before <= conn.connected_at <= datetime.datetime.now(datetime.timezone.utc)
    assert conn.last_active_at >= conn.connected_at
    assert isinstance(conn.identity, am.Identity)
    assert conn.identity.source_ip == "127.0.0.1"
    assert conn.identity.user_agent.startswith("pytest-agent")
    assert "Connection(connected_at=datetime.datetime(" in repr(conn)
    assert "source_ip='127.0.0.1'" in repr(conn)
    with pytest.raises(AttributeError):
        conn.identity = am.Identity("x")  # type: ignore[misc]


def test_delete_closes_and_then_gone(gateway: LocalGateway, client: am.Client) -> None:
    ws = gateway.connect()
    client.delete_connection(ws.connection_id)
    assert ws.wait_closed(5.0)
    with pytest.raises(am.GoneException) as info:
        client.post_to_connection(ws.connection_id, "after delete")
    assert info.value.status_code == 410


def test_client_properties_and_repr(gateway: LocalGateway) -> None:
    c = am.Client(gateway.endpoint + "/@connections", region="eu-west-1", credentials=("a", "b"))
    assert c.endpoint == gateway.endpoint
    assert c.region == "eu-west-1"
    assert c.max_payload_bytes == 131072
    assert repr(c) == f"Client(endpoint='{gateway.endpoint}', region='eu-west-1')"
    c.close()
    assert "closed" in repr(c)
    with pytest.raises(RuntimeError):
        c.post_to_connection("x", "y")


def test_from_event_uses_env_endpoint(gateway: LocalGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = gateway.connect()
    monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", gateway.endpoint)
    c = am.Client.from_event(gateway.event(ws.connection_id), credentials=gateway.credentials)
    c.post_to_connection(ws.connection_id, "via event")
    assert ws.receive() == "via event"


def test_from_event_builds_execute_api_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    event = {"requestContext": {"apiId": "abc123", "stage": "prod", "domainName": "ws.example.com"}}
    c = am.Client.from_event(event, region="eu-west-1", credentials=("a", "b"))
    assert c.endpoint == "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"
    ac = am.AsyncClient.from_event(event, endpoint_style="domain_name", credentials=("a", "b"))
    assert ac.endpoint == "https://ws.example.com/prod"
    with pytest.raises(ValueError, match="requestContext.stage"):
        am.Client.from_event({"requestContext": {"apiId": "a"}}, region="us-east-1")
