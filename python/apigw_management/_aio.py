"""``AsyncClient``: the methods of ``Client`` as coroutines on the running asyncio loop.

Each coroutine hands the call to the core's runtime (no thread per call) and awaits an
asyncio future that the runtime resolves. Arguments are checked and copied when the
coroutine starts. Cancelling an await is safe: the request is abandoned where it is, so
a cancelled post may or may not have been delivered.
"""

from __future__ import annotations

from ._native import AsyncClient as _Native

TYPE_CHECKING = False  # `typing` costs milliseconds of import time
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, Callable, Iterable, Mapping, Optional, Union

    from ._native import (
        BroadcastResult,
        Connection,
        CredentialsLike,
        Data,
        EndpointStyle,
        Progress,
        ResponseMetadata,
    )

__all__ = ["AsyncClient"]


class AsyncClient:
    """An asyncio client of the API Gateway Management API (``@connections``).

    Takes the options of :class:`apigw_management.Client` (``None`` takes the core's
    default, as there); ``async with`` closes it.
    One client may serve many concurrent calls (it pools its HTTP connections).
    """

    __slots__ = ("_native",)

    def __init__(
        self,
        endpoint: Optional[str] = None,
        *,
        region: Optional[str] = None,
        credentials: Optional[CredentialsLike] = None,
        profile: Optional[str] = None,
        max_attempts: Optional[int] = None,
        retry_base_delay: Optional[float] = None,
        retry_ambiguous: Optional[bool] = None,
        connect_timeout: Optional[float] = None,
        timeout: Optional[float] = None,
        max_payload_bytes: Optional[int] = None,
        proxy: Optional[str] = None,
    ) -> None:
        self._native = _Native(
            endpoint,
            region=region,
            credentials=credentials,
            profile=profile,
            max_attempts=max_attempts,
            retry_base_delay=retry_base_delay,
            retry_ambiguous=retry_ambiguous,
            connect_timeout=connect_timeout,
            timeout=timeout,
            max_payload_bytes=max_payload_bytes,
            proxy=proxy,
        )

    @classmethod
    def from_event(
        cls,
        event: Mapping[str, Any],
        *,
        endpoint_style: EndpointStyle = "api_id",
        **options: Any,
    ) -> "AsyncClient":
        """A client for the API that sent a Lambda event; see ``Client.from_event``."""
        self = cls.__new__(cls)
        self._native = _Native.from_event(event, endpoint_style=endpoint_style, **options)
        return self

    @property
    def endpoint(self) -> str:
        """The endpoint URL requests go to."""
        return self._native.endpoint

    @property
    def region(self) -> Optional[str]:
        """The signing region, when known without reading the shared config."""
        return self._native.region

    @property
    def max_payload_bytes(self) -> int:
        """The largest message this client sends."""
        return self._native.max_payload_bytes

    async def post_to_connection(self, connection_id: str, data: Data) -> ResponseMetadata:
        """Sends ``data`` (bytes, bytearray, memoryview or str) to a connection as one
        message; returns its ``ResponseMetadata``. Raises ``GoneException`` when the
        connection is closed."""
        return await self._native.post_to_connection(connection_id, data)

    async def get_connection(self, connection_id: str) -> Connection:
        """Describes a connection (``connected_at``, ``last_active_at``, ``identity``,
        ``metadata``)."""
        return await self._native.get_connection(connection_id)

    async def delete_connection(self, connection_id: str) -> ResponseMetadata:
        """Closes a connection; returns its ``ResponseMetadata``."""
        return await self._native.delete_connection(connection_id)

    async def broadcast(
        self,
        connection_ids: Iterable[str],
        data: Data,
        *,
        concurrency: Optional[int] = None,
        deadline: Optional[float] = None,
        on_progress: Optional[Callable[[Progress], object]] = None,
    ) -> BroadcastResult:
        """Sends the same message to every connection, ``concurrency`` at a time; see
        ``Client.broadcast``. ``on_progress`` runs on the core's thread, not the loop's."""
        return await self._native.broadcast(
            connection_ids, data, concurrency=concurrency, deadline=deadline, on_progress=on_progress
        )

    async def post_many(
        self,
        items: Union[Iterable[tuple[str, Data]], Mapping[str, Data]],
        *,
        concurrency: Optional[int] = None,
        deadline: Optional[float] = None,
        on_progress: Optional[Callable[[Progress], object]] = None,
    ) -> BroadcastResult:
        """Sends each ``(connection_id, data)`` pair its own message; see
        ``Client.post_many``."""
        return await self._native.post_many(items, concurrency=concurrency, deadline=deadline, on_progress=on_progress)

    async def close(self) -> None:
        """Releases the connection pool; later calls raise ``RuntimeError``."""
        self._native.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self._native.close()

    def __repr__(self) -> str:
        return repr(self._native)
