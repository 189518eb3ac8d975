"""Type stubs of the native extension (re-exported by ``apigw_management``)."""

import datetime
from collections.abc import Awaitable, Iterable, Mapping
from types import TracebackType
from typing import Any, Literal, Optional, Union, final

from typing_extensions import Self, TypeAlias

from .exceptions import ApiGatewayManagementError

__version__: str

Data: TypeAlias = Union[bytes, bytearray, memoryview, str]
"""A message: bytes-like, or str (sent as UTF-8)."""

CredentialsLike: TypeAlias = Union[
    tuple[str, str],
    tuple[str, str, Optional[str]],
    Mapping[str, Optional[str]],
    Any,
]
"""``(key, secret[, token])``, a dict (``aws_access_key_id``/``access_key_id``, …), or an
object with ``access_key``/``secret_key``/``token`` (botocore's credentials)."""

EndpointStyle: TypeAlias = Literal["api_id", "domain_name"]

@final
class Identity:
    """The connected client's source IP and User-Agent."""

    @property
    def source_ip(self) -> str: ...
    @property
    def user_agent(self) -> str: ...
    def __new__(cls, source_ip: str, user_agent: str = "") -> Self: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Connection:
    """A connection as ``get_connection`` describes it (UTC datetimes)."""

    @property
    def connected_at(self) -> datetime.datetime: ...
    @property
    def last_active_at(self) -> datetime.datetime: ...
    @property
    def identity(self) -> Identity: ...
    def __new__(
        cls,
        connected_at: datetime.datetime,
        last_active_at: datetime.datetime,
        identity: Identity,
    ) -> Self: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class BroadcastResult:
    """What ``broadcast``/``post_many`` did, every connection counted once, in input
    order. True (and ``ok``) when nothing failed; gone connections are not failures."""

    @property
    def delivered(self) -> int: ...
    @property
    def gone(self) -> list[str]: ...
    @property
    def failed(self) -> list[tuple[str, ApiGatewayManagementError]]: ...
    @property
    def ok(self) -> bool: ...
    def __new__(
        cls,
        delivered: int = 0,
        gone: Optional[list[str]] = None,
        failed: Optional[list[tuple[str, ApiGatewayManagementError]]] = None,
    ) -> Self: ...
    def __bool__(self) -> bool: ...

@final
class Client:
    """A blocking client; every call releases the GIL. Safe to share between threads."""

    def __new__(
        cls,
        endpoint: Optional[str] = None,
        *,
        region: Optional[str] = None,
        credentials: Optional[CredentialsLike] = None,
        profile: Optional[str] = None,
        max_attempts: int = 3,
        retry_base_delay: float = 0.1,
        retry_ambiguous: bool = True,
        connect_timeout: float = 3.0,
        timeout: float = 10.0,
        max_payload_bytes: int = 131072,
        proxy: Optional[str] = None,
    ) -> Self: ...
    @classmethod
    def from_event(
        cls,
        event: Mapping[str, Any],
        *,
        endpoint_style: EndpointStyle = "api_id",
        region: Optional[str] = None,
        credentials: Optional[CredentialsLike] = None,
        profile: Optional[str] = None,
        max_attempts: int = 3,
        retry_base_delay: float = 0.1,
        retry_ambiguous: bool = True,
        connect_timeout: float = 3.0,
        timeout: float = 10.0,
        max_payload_bytes: int = 131072,
        proxy: Optional[str] = None,
    ) -> Client: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def region(self) -> Optional[str]: ...
    @property
    def max_payload_bytes(self) -> int: ...
    def post_to_connection(self, connection_id: str, data: Data) -> None: ...
    def get_connection(self, connection_id: str) -> Connection: ...
    def delete_connection(self, connection_id: str) -> None: ...
    def broadcast(
        self,
        connection_ids: Iterable[str],
        data: Data,
        *,
        concurrency: int = 64,
        deadline: Optional[float] = None,
    ) -> BroadcastResult: ...
    def post_many(
        self,
        items: Union[Iterable[tuple[str, Data]], Mapping[str, Data]],
        *,
        concurrency: int = 64,
        deadline: Optional[float] = None,
    ) -> BroadcastResult: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None: ...

@final
class AsyncClient:
    """The native half of ``apigw_management.AsyncClient``: asyncio futures."""

    def __new__(
        cls,
        endpoint: Optional[str] = None,
        *,
        region: Optional[str] = None,
        credentials: Optional[CredentialsLike] = None,
        profile: Optional[str] = None,
        max_attempts: int = 3,
        retry_base_delay: float = 0.1,
        retry_ambiguous: bool = True,
        connect_timeout: float = 3.0,
        timeout: float = 10.0,
        max_payload_bytes: int = 131072,
        proxy: Optional[str] = None,
    ) -> Self: ...
    @classmethod
    def from_event(
        cls,
        event: Mapping[str, Any],
        *,
        endpoint_style: EndpointStyle = "api_id",
        region: Optional[str] = None,
        credentials: Optional[CredentialsLike] = None,
        profile: Optional[str] = None,
        max_attempts: int = 3,
        retry_base_delay: float = 0.1,
        retry_ambiguous: bool = True,
        connect_timeout: float = 3.0,
        timeout: float = 10.0,
        max_payload_bytes: int = 131072,
        proxy: Optional[str] = None,
    ) -> AsyncClient: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def region(self) -> Optional[str]: ...
    @property
    def max_payload_bytes(self) -> int: ...
    def post_to_connection(self, connection_id: str, data: Data) -> Awaitable[None]: ...
    def get_connection(self, connection_id: str) -> Awaitable[Connection]: ...
    def delete_connection(self, connection_id: str) -> Awaitable[None]: ...
    def broadcast(
        self,
        connection_ids: Iterable[str],
        data: Data,
        *,
        concurrency: int = 64,
        deadline: Optional[float] = None,
    ) -> Awaitable[BroadcastResult]: ...
    def post_many(
        self,
        items: Union[Iterable[tuple[str, Data]], Mapping[str, Data]],
        *,
        concurrency: int = 64,
        deadline: Optional[float] = None,
    ) -> Awaitable[BroadcastResult]: ...
    def close(self) -> None: ...

def _test_panic(mode: str) -> Any: ...

@final
class ScriptServer:
    def __new__(
        cls,
        script_json: str,
        access_key_id: str = "AKIDLOCAL",
        secret_access_key: str = "local-secret",
    ) -> Self: ...
    @property
    def endpoint(self) -> str: ...
    def requests_json(self) -> str: ...
    def stop(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *args: object) -> None: ...

@final
class LocalGateway:
    def __new__(
        cls,
        *,
        port: int = 0,
        stage: Optional[str] = None,
        verify: bool = True,
        credentials: Optional[tuple[str, str]] = None,
        integration_url: Optional[str] = None,
        handler: Optional[Any] = None,
        faults_json: Optional[str] = None,
        idle_timeout: Optional[float] = None,
        max_duration: Optional[float] = None,
        client_buffer_bytes: Optional[int] = None,
        api_id: Optional[str] = None,
        template: Optional[str] = None,
        parameter_overrides: Optional[list[tuple[str, str]]] = None,
        env_vars: Optional[str] = None,
        region: Optional[str] = None,
    ) -> Self: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def ws_url(self) -> str: ...
    @property
    def wss_url(self) -> Optional[str]: ...
    @property
    def ca_file(self) -> Optional[str]: ...
    @property
    def port(self) -> int: ...
    @property
    def stage(self) -> str: ...
    @property
    def api_id(self) -> str: ...
    @property
    def credentials(self) -> tuple[str, str]: ...
    @property
    def stopped(self) -> bool: ...
    def connections(self) -> list[dict[str, Any]]: ...
    def connection_ids(self) -> list[str]: ...
    def connection_count(self) -> int: ...
    def wait_for_connections(self, n: int, timeout: float = 5.0) -> bool: ...
    def disconnect(self, connection_id: str) -> bool: ...
    def set_faults_json(self, faults_json: str) -> None: ...
    def faults_json(self) -> str: ...
    def stop(self) -> None: ...
