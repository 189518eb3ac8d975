"""A client keeps working in a child after os.fork() (gunicorn, multiprocessing)."""

from __future__ import annotations

import os
import signal
import time

import apigw_management as am
from apigw_management.testing import LocalGateway


def wait_child(pid: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError("the child hung after fork()")


def test_child_after_fork_posts_with_the_parents_client(gateway: LocalGateway) -> None:
    ws = gateway.connect()
    client = gateway.client()
    client.post_to_connection(ws.connection_id, "parent before")  # runtime + pool exist
    assert ws.receive() == "parent before"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            client.post_to_connection(ws.connection_id, "child")
            am.Client(gateway.endpoint, credentials=gateway.credentials, region="us-east-1").post_to_connection(
                ws.connection_id, "child new client")
            code = 0
        finally:
            os._exit(code)
    assert wait_child(pid) == 0
    assert sorted([ws.receive(), ws.receive()], key=str) == ["child", "child new client"]
    client.post_to_connection(ws.connection_id, "parent after")
    assert ws.receive() == "parent after"


def test_multiprocessing_fork_pool(gateway: LocalGateway) -> None:
    import multiprocessing

    ws = gateway.connect()
    client = gateway.client()
    client.post_to_connection(ws.connection_id, "warm")
    assert ws.receive() == "warm"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=client.post_to_connection, args=(ws.connection_id, f"p{i}")) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert sorted((ws.receive() for _ in range(4)), key=str) == ["p0", "p1", "p2", "p3"]
