"""A fast client for the AWS API Gateway Management API (WebSocket ``@connections``).

>>> from apigw_management import Client
>>> client = Client("https://abc123.execute-api.eu-west-1.amazonaws.com/prod")
>>> client.post_to_connection("L0SM9cOFvHcCIhw=", "hello")      # doctest: +SKIP

``Client`` blocks (and releases the GIL); ``AsyncClient`` returns awaitables on the
running asyncio loop. Errors are the classes of :mod:`apigw_management.exceptions`.
Logging goes to the ``logging`` logger ``apigw_management`` (one DEBUG line per attempt).
``apigw_management.boto3_compat`` has boto3's calling style; ``apigw_management.testing``
has a local gateway for tests.
"""

from ._aio import AsyncClient
from ._native import (
    BroadcastResult,
    Client,
    Connection,
    Identity,
    Progress,
    ResponseMetadata,
    __version__,
)
from .exceptions import (
    ApiGatewayManagementError,
    ConfigError,
    CredentialsError,
    ForbiddenException,
    GoneException,
    InvalidInputError,
    InvalidTypeError,
    LimitExceededException,
    PayloadTooLargeException,
    ServiceError,
    TransportError,
)

__all__ = [
    "Client",
    "AsyncClient",
    "Connection",
    "Identity",
    "BroadcastResult",
    "ResponseMetadata",
    "Progress",
    "ApiGatewayManagementError",
    "ServiceError",
    "ForbiddenException",
    "GoneException",
    "LimitExceededException",
    "PayloadTooLargeException",
    "TransportError",
    "CredentialsError",
    "ConfigError",
    "InvalidInputError",
    "InvalidTypeError",
    "__version__",
]
