"""broadcast to 1,000 live WebSocket connections, some of them closed."""

from __future__ import annotations

import apigw_management as am
from apigw_management.testing import LocalGateway


def test_broadcast_to_a_thousand_connections_some_closed(gateway: LocalGateway) -> None:
    clients = gateway.connect_many(1000)
    ids = [c.connection_id for c in clients]
    assert len(set(ids)) == 1000
    closed_by_client = clients[::20]
    closed_by_server = clients[7::20]
    for c in closed_by_client:
        c.close()
    for c in closed_by_server:
        assert gateway.disconnect(c.connection_id)
    gone_ids = {c.connection_id for c in closed_by_client + closed_by_server}
    assert gateway.connection_count() == 900

    result = gateway.client().broadcast(ids, b"news", concurrency=64)

    assert isinstance(result, am.BroadcastResult)
    assert result.delivered == 900
    assert result.gone == [i for i in ids if i in gone_ids]  # input order
    assert result.failed == [] and result.ok and bool(result)
    assert repr(result) == "BroadcastResult(delivered=900, gone=100, failed=0)"
    for c in clients:
        if c.connection_id not in gone_ids:
            assert c.receive() in (b"news", "news")
            assert c.messages() == []


def test_post_many_with_a_failure_in_input_order(gateway: LocalGateway) -> None:
    clients = gateway.connect_many(3)
    c = gateway.client(max_payload_bytes=10)
    result = c.post_many([(clients[0].connection_id, "zero"), (clients[1].connection_id, "x" * 11),
                          ("", "empty id"), (clients[2].connection_id, b"two")])
    assert result.delivered == 2
    assert [(cid, type(e)) for cid, e in result.failed] == [
        (clients[1].connection_id, am.PayloadTooLargeException), ("", am.InvalidInputError)]
    assert not result.ok and not result
    assert clients[0].receive() == "zero" and clients[2].receive() in (b"two", "two")


def test_deadline_bounds_the_call(gateway: LocalGateway) -> None:
    clients = gateway.connect_many(4)
    gateway.set_faults(latency_ms=3000)
    result = gateway.client().broadcast([c.connection_id for c in clients], "late", deadline=0.2)
    assert result.delivered == 0
    assert len(result.failed) == 4
    assert all(isinstance(e, am.TransportError) and e.kind == "Timeout" for _, e in result.failed)


def test_the_accounts_rate_limit_throttles_every_request_past_its_burst(gateway: LocalGateway) -> None:
    (client,) = gateway.connect_many(1)
    gateway.set_faults(rate_limit=0.001, burst=3)
    try:
        c = gateway.client(max_attempts=1)
        outcomes = []
        for target in [client.connection_id, "R29uZUdvbmVHb25lMQ="] * 3:
            try:
                c.post_to_connection(target, "x")
                outcomes.append("delivered")
            except am.GoneException:
                outcomes.append("gone")
            except am.LimitExceededException as e:
                assert e.status_code == 429
                outcomes.append("throttled")
        assert outcomes == ["delivered", "gone", "delivered", "throttled", "throttled", "throttled"]
        assert gateway.faults["rate_limit"] == 0.001
    finally:
        gateway.set_faults()
