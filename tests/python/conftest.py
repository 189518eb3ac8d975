"""Fixtures shared by the Python suite: a local gateway per test, clients for it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from apigw_management import Client
from apigw_management.testing import LocalGateway

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"

# The suite never reaches AWS (scripts/test-python.sh sets these too).
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
os.environ.setdefault("AWS_REGION", "us-east-1")


@pytest.fixture
def gateway() -> Iterator[LocalGateway]:
    with LocalGateway(credentials=("AKIDLOCAL", "local-secret")) as gw:
        yield gw


@pytest.fixture
def client(gateway: LocalGateway) -> Iterator[Client]:
    with gateway.client(retry_base_delay=0.001, timeout=5.0) as c:
        yield c


class HeldServer:
    """An HTTP server that reads each request, signals ``received``, and answers 200 only
    once the test sets ``release`` (no timing guesses)."""

    def __init__(self) -> None:
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.endpoint = f"http://127.0.0.1:{self.sock.getsockname()[1]}/prod"
        self.received = threading.Event()
        self.release = threading.Event()
        self.closed_by_client = threading.Event()
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import socket

        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                buf = b""
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                self.received.set()
                if not self.release.wait(30):
                    return
                try:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    conn.settimeout(5)
                    if conn.recv(1) == b"":
                        self.closed_by_client.set()
                except (OSError, socket.timeout):
                    self.closed_by_client.set()

    def close(self) -> None:
        self._stop = True
        self.release.set()
        self.sock.close()


@pytest.fixture
def held_server() -> Iterator[HeldServer]:
    s = HeldServer()
    yield s
    s.close()
