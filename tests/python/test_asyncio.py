"""AsyncClient: awaitables on the running loop, 1,000 concurrent calls, cancellation."""

from __future__ import annotations

import asyncio

import pytest

import apigw_management as am
from apigw_management.testing import LocalGateway, ScriptServer

from conftest import HeldServer


def test_thousand_concurrent_posts(gateway: LocalGateway) -> None:
    clients = gateway.connect_many(10)

    async def main() -> None:
        async with gateway.async_client() as c:
            await asyncio.gather(*(c.post_to_connection(clients[i % 10].connection_id, f"m{i}") for i in range(1000)))

    asyncio.run(main())
    for n, ws in enumerate(clients):
        got = sorted((ws.receive() for _ in range(100)), key=str)
        assert got == sorted(f"m{i}" for i in range(n, 1000, 10))


def test_get_delete_and_errors(gateway: LocalGateway) -> None:
    ws = gateway.connect()

    async def main() -> None:
        c = gateway.async_client()
        conn = await c.get_connection(ws.connection_id)
        assert conn.identity.source_ip == "127.0.0.1"
        await c.delete_connection(ws.connection_id)
        with pytest.raises(am.GoneException) as info:
            await c.post_to_connection(ws.connection_id, "x")
        assert info.value.status_code == 410
        with pytest.raises(ValueError):
            await c.get_connection("")
        with pytest.raises(TypeError):
            await c.post_to_connection("x", 5)  # type: ignore[arg-type]
        await c.close()
        with pytest.raises(RuntimeError):
            await c.post_to_connection("x", "y")

    asyncio.run(main())


def test_broadcast_and_post_many(gateway: LocalGateway) -> None:
    clients = gateway.connect_many(5)
    clients[4].close()

    async def main() -> None:
        async with gateway.async_client() as c:
            r = await c.broadcast([w.connection_id for w in clients], "all")
            assert (r.delivered, r.gone, r.failed, r.ok) == (4, [clients[4].connection_id], [], True)
            r = await c.post_many({w.connection_id: f"to {n}" for n, w in enumerate(clients[:2])})
            assert r.delivered == 2

    asyncio.run(main())
    assert [w.receive() for w in clients[:4]] == ["all"] * 4
    assert [w.receive() for w in clients[:2]] == ["to 0", "to 1"]


def test_cancelling_an_await_aborts_the_request(held_server: HeldServer) -> None:
    async def main() -> None:
        c = am.AsyncClient(held_server.endpoint, region="us-east-1", credentials=("a", "b"), timeout=20.0)
        task = asyncio.ensure_future(c.post_to_connection("abc=", "x"))
        while not held_server.received.is_set():
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The request was dropped: the server sees its connection closed.
        held_server.release.set()
        assert await asyncio.get_running_loop().run_in_executor(None, held_server.closed_by_client.wait, 10)

    asyncio.run(main())


def test_wait_for_timeout_and_the_client_still_works(gateway: LocalGateway) -> None:
    ws = gateway.connect()

    async def main() -> None:
        c = gateway.async_client()
        gateway.set_faults(latency_ms=2000)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(c.post_to_connection(ws.connection_id, "slow"), 0.05)
        gateway.set_faults()
        await c.post_to_connection(ws.connection_id, "fast")

    asyncio.run(main())
    # A cancelled post may or may not have been delivered (here: it was not).
    assert "fast" in [ws.receive(), *ws.messages()]


def test_methods_are_coroutines(gateway: LocalGateway) -> None:
    ws = gateway.connect()
    c = gateway.async_client()

    async def main() -> None:
        task = asyncio.create_task(c.post_to_connection(ws.connection_id, "task"))
        await task

    asyncio.run(main())
    assert ws.receive() == "task"


def test_a_coroutine_never_started_sends_nothing() -> None:
    with ScriptServer({"responses": {"*": [{"status": 200}]}}) as server:
        c = am.AsyncClient(server.endpoint, region="us-east-1", credentials=server.credentials)
        never_awaited = c.post_to_connection("a=", "never")
        never_awaited.close()
        asyncio.run(c.post_to_connection("a=", "after"))
        # Only the awaited call reached the server.
        assert [r["body"] for r in server.requests()] == [{"utf8": "after"}]


def test_several_loops_in_turn(gateway: LocalGateway) -> None:
    ws = gateway.connect()
    c = gateway.async_client()
    for i in range(3):
        asyncio.run(c.post_to_connection(ws.connection_id, f"loop {i}"))
    assert [ws.receive() for _ in range(3)] == ["loop 0", "loop 1", "loop 2"]
