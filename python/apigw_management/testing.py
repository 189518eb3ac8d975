"""Test helpers: the local API Gateway WebSocket stand-in, in-process.

>>> from apigw_management.testing import LocalGateway
>>> with LocalGateway() as gw:                          # doctest: +SKIP
...     ws = gw.connect()                               # a real WebSocket client
...     gw.client().post_to_connection(ws.connection_id, "hi")
...     assert ws.receive() == "hi"

``LocalGateway`` serves WebSocket clients at ``gw.ws_url`` and the signed management API
at ``gw.endpoint`` (both on 127.0.0.1, a port chosen by the OS), with the service's
answers (410 for a closed connection, 413, 429 for a client that does not read, 403 for
a bad signature). ``gw.set_faults(throttle=0.2, seed=1)`` injects faults. Test clients
(``connect``/``connect_many``) need the ``websockets`` package
(``pip install apigw-management[testing]``).

Also here: ``ScriptServer``, which answers from a ``tests/vectors`` script and records
every request (the server the vector suites replay against), and a pytest fixture
``local_gateway`` (``from apigw_management.testing import local_gateway`` in a
``conftest.py``).
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import sys
import threading
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from . import AsyncClient, Client
from ._native import LocalGateway as _NativeGateway
from ._native import ScriptServer as _NativeScriptServer

__all__ = ["LocalGateway", "ScriptServer", "WebSocketClient", "local_gateway"]

Message = Union[str, bytes]


class ScriptServer:
    """Answers the management API from a script (a ``tests/vectors`` case's ``script``:
    ``{"responses": {connection_id or "*": [answer, ...]}}``) and records requests."""

    def __init__(
        self,
        script: Union[str, Mapping[str, Any]],
        *,
        access_key_id: str = "AKIDLOCAL",
        secret_access_key: str = "local-secret",
    ) -> None:
        text = script if isinstance(script, str) else json.dumps(script)
        self._server = _NativeScriptServer(text, access_key_id, secret_access_key)
        self.credentials: Tuple[str, str] = (access_key_id, secret_access_key)

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:PORT/{stage}``."""
        return self._server.endpoint

    def requests(self) -> List[Dict[str, Any]]:
        """Every request received so far: dicts with ``method``, ``path``,
        ``connection_id``, ``headers`` (pairs), ``body`` (``{"utf8": ...}`` or
        ``{"base64": ...}``), ``signature_error`` (None when it verified) and
        ``received_ms`` (when it arrived, in ms since the server started)."""
        result: List[Dict[str, Any]] = json.loads(self._server.requests_json())
        return result

    def client(self, **options: Any) -> Client:
        """A ``Client`` for this server (its keys, region us-east-1)."""
        options.setdefault("credentials", self.credentials)
        options.setdefault("region", "us-east-1")
        return Client(self.endpoint, **options)

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> "ScriptServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class WebSocketClient:
    """A WebSocket client connected to a ``LocalGateway`` (on the gateway's client
    thread). Received messages queue up until read with ``receive``."""

    def __init__(self, owner: "_ClientThread", user_agent: str) -> None:
        self._owner = owner
        self.user_agent = user_agent
        self.connection_id = ""
        self._inbox: "queue.Queue[Optional[Message]]" = queue.Queue()
        self._ws: Any = None
        self.close_code: Optional[int] = None
        self.close_reason: Optional[str] = None
        self._closed = threading.Event()

    def receive(self, timeout: float = 5.0) -> Message:
        """The next message (str for text frames); ``TimeoutError`` if none arrives in
        time, ``ConnectionError`` once the connection is closed and drained."""
        try:
            item = self._inbox.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no message for {self.connection_id} within {timeout} s") from None
        if item is None:
            self._inbox.put(None)
            raise ConnectionError(
                f"connection {self.connection_id} closed ({self.close_code} {self.close_reason})"
            )
        return item

    def messages(self) -> List[Message]:
        """Every message received and not yet read (without waiting)."""
        out: List[Message] = []
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return out
            if item is None:
                self._inbox.put(None)
                return out
            out.append(item)

    def send(self, text: str) -> None:
        """Sends a text frame (routed to ``$default``)."""
        self._owner.run(self._ws.send(text))

    def close(self) -> None:
        """Closes the connection (the gateway then answers 410 for it)."""
        if self._ws is not None and not self._closed.is_set():
            self._owner.run(self._ws.close())
        self._closed.wait(5.0)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def wait_closed(self, timeout: float = 5.0) -> bool:
        return self._closed.wait(timeout)

    def __repr__(self) -> str:
        return f"WebSocketClient(connection_id={self.connection_id!r})"


class _ClientThread:
    """An asyncio loop on a daemon thread that holds the WebSocket clients."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="apigw-test-clients", daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        async def shutdown() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self.loop.is_running():
            try:
                self.run(shutdown(), timeout=10.0)
            except Exception:
                pass
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10.0)
        if not self.loop.is_running():
            self.loop.close()


class LocalGateway:
    """The local gateway as a context manager (``with LocalGateway() as gw:``).

    Options: ``stage`` ("prod"), ``verify`` (check SigV4, default True),
    ``credentials`` (the accepted pair; default the environment's, else
    ``("AKIDLOCAL", "local-secret")``), ``handler`` (a callable taking each route event
    as a dict and returning a Lambda proxy answer such as ``{"statusCode": 200}``, or
    None; a non-2xx answer rejects a ``$connect``; called on a worker thread),
    ``integration_url``, ``faults`` (see ``set_faults``), ``client_buffer_bytes``,
    ``idle_timeout``/``max_duration`` (seconds), ``api_id``, ``port`` (0: any).

    Template mode: ``template`` (a SAM/CloudFormation WebSocket API, YAML or JSON) runs
    its routes, authorizers and Node/Python Lambda handlers in worker processes, with
    ``parameter_overrides`` (a mapping), ``env_vars`` (a ``sam local``-style JSON file)
    and ``region`` (default ``AWS_REGION``, else us-east-1); ``wss_url`` and ``ca_file``
    then give TLS.
    """

    def __init__(
        self,
        *,
        stage: Optional[str] = None,
        verify: bool = True,
        credentials: Optional[Tuple[str, str]] = None,
        handler: Optional[Callable[[Dict[str, Any]], Optional[Mapping[str, Any]]]] = None,
        integration_url: Optional[str] = None,
        faults: Optional[Mapping[str, Any]] = None,
        client_buffer_bytes: Optional[int] = None,
        idle_timeout: Optional[float] = None,
        max_duration: Optional[float] = None,
        api_id: Optional[str] = None,
        port: int = 0,
        template: Optional[str] = None,
        parameter_overrides: Optional[Mapping[str, str]] = None,
        env_vars: Optional[str] = None,
        region: Optional[str] = None,
    ) -> None:
        self._options: Dict[str, Any] = dict(
            port=port,
            stage=stage,
            verify=verify,
            credentials=credentials,
            integration_url=integration_url,
            handler=handler,
            faults_json=json.dumps(dict(faults)) if faults else None,
            idle_timeout=idle_timeout,
            max_duration=max_duration,
            client_buffer_bytes=client_buffer_bytes,
            api_id=api_id,
            template=None if template is None else os.fspath(template),
            parameter_overrides=[(str(k), str(v)) for k, v in (parameter_overrides or {}).items()],
            env_vars=None if env_vars is None else os.fspath(env_vars),
            region=region,
        )
        self._gateway: Optional[_NativeGateway] = None
        self._clients: Optional[_ClientThread] = None
        self._counter = 0
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> "LocalGateway":
        """Binds 127.0.0.1 and starts serving (``with`` does this)."""
        if self._gateway is None:
            self._gateway = _NativeGateway(**self._options)
        return self

    def stop(self) -> None:
        """Closes every client and stops serving. Idempotent."""
        if self._clients is not None:
            self._clients.stop()
            self._clients = None
        if self._gateway is not None:
            self._gateway.stop()

    def __enter__(self) -> "LocalGateway":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def _native(self) -> _NativeGateway:
        if self._gateway is None:
            raise RuntimeError("the local gateway is not started (use `with LocalGateway() as gw:`)")
        return self._gateway

    # -- addresses -------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        """The management API endpoint, ``http://127.0.0.1:PORT/{stage}``."""
        return self._native.endpoint

    @property
    def ws_url(self) -> str:
        """Where WebSocket clients connect, ``ws://127.0.0.1:PORT/{stage}``."""
        return self._native.ws_url

    @property
    def wss_url(self) -> Optional[str]:
        """Template mode: ``wss://127.0.0.1:PORT/{stage}``; None otherwise."""
        return self._native.wss_url

    @property
    def ca_file(self) -> Optional[str]:
        """Template mode: the generated CA (PEM) that ``wss://`` clients trust."""
        return self._native.ca_file

    @property
    def port(self) -> int:
        return self._native.port

    @property
    def stage(self) -> str:
        return self._native.stage

    @property
    def api_id(self) -> str:
        return self._native.api_id

    @property
    def credentials(self) -> Tuple[str, str]:
        """The key pair requests must be signed with (local test keys)."""
        return self._native.credentials

    def client(self, **options: Any) -> Client:
        """A ``Client`` for this gateway (its keys, region us-east-1; override any)."""
        options.setdefault("credentials", self.credentials)
        options.setdefault("region", "us-east-1")
        return Client(self.endpoint, **options)

    def async_client(self, **options: Any) -> AsyncClient:
        """An ``AsyncClient`` for this gateway."""
        options.setdefault("credentials", self.credentials)
        options.setdefault("region", "us-east-1")
        return AsyncClient(self.endpoint, **options)

    def event(self, connection_id: str = "", route_key: str = "$default") -> Dict[str, Any]:
        """A minimal route event of this gateway (for ``Client.from_event`` tests)."""
        return {
            "requestContext": {
                "routeKey": route_key,
                "connectionId": connection_id,
                "apiId": self.api_id,
                "stage": self.stage,
                "domainName": f"127.0.0.1:{self.port}",
            }
        }

    # -- connections -----------------------------------------------------------------
    def connections(self) -> List[Dict[str, Any]]:
        """Open connections, oldest first (``connection_id``, ``connected_at``,
        ``last_active_at``, ``source_ip``, ``user_agent``)."""
        return self._native.connections()

    def connection_ids(self) -> List[str]:
        return self._native.connection_ids()

    def connection_count(self) -> int:
        return self._native.connection_count()

    def wait_for_connections(self, n: int, timeout: float = 5.0) -> bool:
        return self._native.wait_for_connections(n, timeout)

    def disconnect(self, connection_id: str) -> bool:
        """Closes a connection from the server side; False if it is not open."""
        return self._native.disconnect(connection_id)

    # -- faults ----------------------------------------------------------------------
    def set_faults(self, **faults: Any) -> None:
        """Replaces the injected faults: ``seed``, ``throttle``, ``server_error``,
        ``drop_before``, ``drop_after`` (rates 0..1), ``latency_ms``,
        ``latency_jitter_ms``, ``rate_limit`` (requests per second, answered 429 past it)
        and its ``burst``. ``set_faults()`` clears them."""
        self._native.set_faults_json(json.dumps(faults))

    @property
    def faults(self) -> Dict[str, Any]:
        result: Dict[str, Any] = json.loads(self._native.faults_json())
        return result

    # -- WebSocket test clients ------------------------------------------------------
    def connect(
        self,
        *,
        user_agent: Optional[str] = None,
        query: Optional[Mapping[str, str]] = None,
        headers: Optional[Mapping[str, str]] = None,
        read: bool = True,
        timeout: float = 10.0,
    ) -> WebSocketClient:
        """Connects one real WebSocket client and returns it with its connection id.
        ``read=False`` makes a client that never reads (its buffer fills: 429)."""
        return self.connect_many(1, user_agent=user_agent, query=query, headers=headers, read=read, timeout=timeout)[0]

    def connect_many(
        self,
        n: int,
        *,
        user_agent: Optional[str] = None,
        query: Optional[Mapping[str, str]] = None,
        headers: Optional[Mapping[str, str]] = None,
        read: bool = True,
        timeout: float = 30.0,
    ) -> List[WebSocketClient]:
        """Connects ``n`` WebSocket clients concurrently (one thread holds them all)."""
        from urllib.parse import urlencode

        if self._clients is None:
            self._clients = _ClientThread()
        url = self.ws_url + ("?" + urlencode(dict(query)) if query else "")
        clients = []
        with self._lock:
            for _ in range(n):
                self._counter += 1
                agent = user_agent or "apigw-test-client"
                clients.append(WebSocketClient(self._clients, f"{agent} #{self._counter}"))
        self._clients.run(
            _connect_all(clients, url, dict(headers or {}), read),
            timeout=timeout,
        )
        by_agent = {c["user_agent"]: c["connection_id"] for c in self.connections()}
        for c in clients:
            c.connection_id = by_agent.get(c.user_agent, "")
        missing = [c for c in clients if not c.connection_id]
        if missing:
            raise RuntimeError(f"{len(missing)} test clients were not accepted by the gateway")
        return clients


async def _connect_all(clients: Sequence[WebSocketClient], url: str, headers: Dict[str, str], read: bool) -> None:
    from websockets.asyncio.client import connect

    sem = asyncio.Semaphore(128)

    async def one(c: WebSocketClient) -> None:
        async with sem:
            c._ws = await connect(
                url,
                user_agent_header=c.user_agent,
                additional_headers=headers or None,
                max_size=None,
                open_timeout=20,
                ping_interval=None,
            )
        asyncio.get_running_loop().create_task(_pump(c, read))

    await asyncio.gather(*(one(c) for c in clients))


async def _pump(c: WebSocketClient, read: bool) -> None:
    ws = c._ws
    try:
        if not read:
            await ws.wait_closed()
            return
        async for message in ws:
            c._inbox.put(message)
    except Exception:
        pass
    finally:
        c.close_code = ws.close_code
        c.close_reason = ws.close_reason
        c._inbox.put(None)
        c._closed.set()


def _local_gateway() -> Iterator[LocalGateway]:
    """A started ``LocalGateway``, stopped after the test."""
    with LocalGateway() as gw:
        yield gw


local_gateway: Any = _local_gateway
"""A pytest fixture (when pytest was imported first): a started ``LocalGateway``."""
if "pytest" in sys.modules:
    import pytest

    local_gateway = pytest.fixture(name="local_gateway")(_local_gateway)
