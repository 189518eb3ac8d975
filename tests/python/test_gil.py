"""A blocking call releases the GIL for its whole network wait."""

from __future__ import annotations

import threading
from typing import List

import apigw_management as am
from apigw_management.testing import LocalGateway

from conftest import HeldServer


def test_other_threads_run_while_a_call_waits(held_server: HeldServer) -> None:
    client = am.Client(held_server.endpoint, region="us-east-1", credentials=("a", "b"), max_attempts=1, timeout=20.0)
    outcome: List[object] = []

    def call() -> None:
        try:
            client.post_to_connection("abc=", "x")
            outcome.append(None)
        except Exception as e:  # pragma: no cover - reported below
            outcome.append(e)

    t = threading.Thread(target=call)
    t.start()
    # The server (a Python thread) got the request: the call is now waiting on it.
    assert held_server.received.wait(10), "the request never arrived (the GIL was held?)"
    # This thread runs Python while the call waits: every round of work here ends with
    # the call still pending. If the call held the GIL, nothing here could run until its
    # 20 s timeout, after which the call is over and no round counts.
    rounds_while_pending = 0
    for _ in range(100):
        sum(i * i for i in range(2_000))
        rounds_while_pending += t.is_alive() and outcome == []
    assert rounds_while_pending == 100
    held_server.release.set()
    t.join(10)
    assert outcome == [None]


def test_one_client_shared_by_32_threads(gateway: LocalGateway) -> None:
    ws = gateway.connect()
    client = gateway.client()
    errors: List[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                client.post_to_connection(ws.connection_id, f"{n}:{i}")
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    got = sorted((ws.receive() for _ in range(320)), key=str)
    assert got == sorted(f"{n}:{i}" for n in range(32) for i in range(10))
