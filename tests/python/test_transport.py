"""Transport faults the vectors cannot script (tests/vectors/transport.json has the server
that never answers, the half response, the malformed status line; wire.json the invalid
GetConnection JSON): a port where nothing listens, and a TLS endpoint whose certificate
is self-signed. Each is a typed TransportError, well within the configured timeouts."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import apigw_management as am

FAST: Dict[str, Any] = {"region": "us-east-1", "credentials": ("AKIDLOCAL", "local-secret"), "retry_base_delay": 0.001,
        "connect_timeout": 2.0, "timeout": 2.0}


def free_port() -> int:
    """A loopback port where nothing listens (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


def test_nothing_listening_is_a_connect_error_that_was_retried() -> None:
    client = am.Client(f"http://127.0.0.1:{free_port()}/prod", max_attempts=3, **FAST)
    started = time.monotonic()
    with pytest.raises(am.TransportError) as info:
        client.get_connection("L0SM9cOFvHcCIhw=")
    assert time.monotonic() - started < 2.0
    e = info.value
    assert (e.kind, e.status_code, e.attempts, e.retryable) == ("Connect", None, 3, True)
    assert "connect" in str(e).lower()


def test_nothing_listening_from_asyncio() -> None:
    client = am.AsyncClient(f"http://127.0.0.1:{free_port()}/prod", max_attempts=2, **FAST)

    async def main() -> None:
        with pytest.raises(am.TransportError) as info:
            await asyncio.wait_for(client.post_to_connection("L0SM9cOFvHcCIhw=", "x"), 5)
        assert (info.value.kind, info.value.attempts) == ("Connect", 2)

    asyncio.run(main())


class TlsServer:
    """A TLS server (Python's ssl) with a self-signed certificate made by `openssl`; it
    records the handshakes it saw fail and answers any request that gets through."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(cert), str(key))
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.endpoint = f"https://127.0.0.1:{self.sock.getsockname()[1]}/prod"
        self.handshake_failures: List[str] = []
        self.requests = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(5)
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    if tls.recv(65536):
                        self.requests += 1
                        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            except (ssl.SSLError, OSError) as e:
                self.handshake_failures.append(type(e).__name__)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> "tuple[Path, Path]":
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:FALSE"],
        check=True, capture_output=True, timeout=30,
    )
    return cert, key


@pytest.fixture
def tls_server(self_signed: "tuple[Path, Path]") -> Iterator[TlsServer]:
    server = TlsServer(*self_signed)
    yield server
    server.close()


def test_a_self_signed_certificate_is_refused_by_default(tls_server: TlsServer) -> None:
    client = am.Client(tls_server.endpoint, max_attempts=3, **FAST)
    started = time.monotonic()
    with pytest.raises(am.TransportError) as info:
        client.post_to_connection("L0SM9cOFvHcCIhw=", "secret payload")
    assert time.monotonic() - started < 2.0
    e = info.value
    # Not retried: a certificate does not become trusted by asking again.
    assert (e.kind, e.status_code, e.attempts, e.retryable) == ("Tls", None, 1, False)
    assert "TLS" in e.message and "certificate" in str(e)
    assert tls_server.requests == 0  # nothing was sent over the untrusted connection


def test_a_self_signed_certificate_is_refused_from_asyncio(tls_server: TlsServer) -> None:
    client = am.AsyncClient(tls_server.endpoint, max_attempts=2, **FAST)

    async def main() -> None:
        with pytest.raises(am.TransportError) as info:
            await asyncio.wait_for(client.get_connection("L0SM9cOFvHcCIhw="), 5)
        assert info.value.kind == "Tls"

    asyncio.run(main())
    assert tls_server.requests == 0
