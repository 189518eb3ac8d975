"""``on_progress`` on ``broadcast`` and ``post_many``, in ``Client`` and ``AsyncClient``:
one ``Progress`` per connection's outcome, counted by the core."""

from __future__ import annotations

import asyncio
import sys
from typing import Any, List

import pytest

import apigw_management as am
from apigw_management.testing import LocalGateway

GONE = ["AAAAAAAAAAAAAAA=", "BBBBBBBBBBBBBBB="]


def check(seen: List[am.Progress], delivered: int) -> None:
    total = delivered + len(GONE)
    assert [p.done for p in sorted(seen, key=lambda p: p.done)] == list(range(1, total + 1))
    last = max(seen, key=lambda p: p.done)
    assert (last.total, last.delivered, last.gone, last.failed) == (total, delivered, len(GONE), 0)
    assert repr(last) == f"Progress(done={total}, total={total}, delivered={delivered}, gone=2, failed=0)"


def test_client_broadcast_and_post_many_report_each_outcome(gateway: LocalGateway, client: am.Client) -> None:
    clients = gateway.connect_many(5)
    ids = [ws.connection_id for ws in clients] + GONE
    seen: List[am.Progress] = []
    result = client.broadcast(ids, "hi", concurrency=3, on_progress=seen.append)
    assert (result.delivered, result.gone) == (5, GONE)
    check(seen, 5)
    seen.clear()
    client.post_many([(i, f"to {i}") for i in ids], on_progress=seen.append)
    check(seen, 5)


def test_async_client_reports_each_outcome(gateway: LocalGateway) -> None:
    clients = gateway.connect_many(4)
    ids = [ws.connection_id for ws in clients] + GONE
    seen: List[am.Progress] = []

    async def main() -> None:
        async with gateway.async_client() as c:
            await c.broadcast(ids, "hi", on_progress=seen.append)

    asyncio.run(main())
    check(seen, 4)


def test_a_failing_callback_does_not_stop_the_broadcast(
    gateway: LocalGateway, client: am.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = gateway.connect_many(3)
    reported: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)

    def boom(p: am.Progress) -> None:
        raise RuntimeError("callback failed")

    result = client.broadcast([ws.connection_id for ws in clients], "hi", on_progress=boom)
    assert result.delivered == 3
    assert len(reported) == 3 and isinstance(reported[0].exc_value, RuntimeError)


def test_a_callback_that_is_not_callable_is_a_type_error(client: am.Client) -> None:
    with pytest.raises(TypeError, match="on_progress must be callable, not int"):
        client.broadcast(["a="], "hi", on_progress=1)  # type: ignore[arg-type]
