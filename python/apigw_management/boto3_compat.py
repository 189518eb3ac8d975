"""boto3's calling style on top of :class:`apigw_management.Client`, for a one-line
migration::

    # client = boto3.client("apigatewaymanagementapi", endpoint_url=url)
    from apigw_management import boto3_compat
    client = boto3_compat.client("apigatewaymanagementapi", endpoint_url=url)

    client.post_to_connection(ConnectionId=cid, Data=b"hello")
    try:
        client.get_connection(ConnectionId=cid)
    except client.exceptions.GoneException:
        ...

Results are dicts with boto3's keys (``ConnectedAt``, ``Identity``, ``LastActiveAt``,
``ResponseMetadata``). Errors answered by the service are raised as
``client.exceptions.GoneException`` etc., whose ``e.response["Error"]["Code"]`` and
``e.response["ResponseMetadata"]`` are shaped as botocore's; when botocore is
installed they subclass ``botocore.exceptions.ClientError`` (so ``except ClientError``
keeps working), and they are also the matching :mod:`apigw_management.exceptions`
classes. Transport, credential and configuration errors are raised as
:mod:`apigw_management.exceptions` classes (boto3 raises ``BotoCoreError`` subclasses).

Constructor keywords mean what they mean to boto3: ``config=Config(retries=
{"max_attempts": n})`` counts *retries* (n + 1 attempts in all), ``total_max_attempts``
counts attempts, ``AWS_MAX_ATTEMPTS`` too; the default is 3 attempts (botocore's
``standard`` mode). ``connect_timeout`` / ``read_timeout`` are seconds (defaults 3 and 10
here, not botocore's 60). Every result's ``ResponseMetadata`` (``RequestId``,
``HTTPStatusCode``, ``RetryAttempts``) is the core's metadata of that response.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional

from . import exceptions as _exc
from ._native import Client as _Client
from ._native import ResponseMetadata

__all__ = ["client", "ApiGatewayManagementApiClient", "ClientError"]

class _FallbackClientError(Exception):
    """botocore's ``ClientError`` shape, for when botocore is not installed."""

    MSG_TEMPLATE = (
        "An error occurred ({error_code}) when calling the {operation_name} "
        "operation{retry_info}: {error_message}"
    )

    def __init__(self, error_response: Mapping[str, Any], operation_name: str) -> None:
        error = error_response.get("Error", {})
        meta = error_response.get("ResponseMetadata", {})
        retry_info = ""
        if meta.get("MaxAttemptsReached") and "RetryAttempts" in meta:
            retry_info = f" (reached max retries: {meta['RetryAttempts']})"
        super().__init__(
            self.MSG_TEMPLATE.format(
                error_code=error.get("Code", "Unknown"),
                error_message=error.get("Message", "Unknown"),
                operation_name=operation_name,
                retry_info=retry_info,
            )
        )
        self.response: Dict[str, Any] = dict(error_response)
        self.operation_name = operation_name

    def __reduce__(self) -> Any:
        return self.__class__, (self.response, self.operation_name)


if TYPE_CHECKING:
    _ClientErrorBase = _FallbackClientError  # botocore ships no type information
    HAS_BOTOCORE = True
else:
    try:
        from botocore.exceptions import ClientError as _ClientErrorBase

        HAS_BOTOCORE = True
    except ImportError:  # botocore is optional
        _ClientErrorBase = _FallbackClientError
        HAS_BOTOCORE = False


class ClientError(_ClientErrorBase, _exc.ServiceError):
    """A service error in botocore's shape (``response``, ``operation_name``) that is
    also an :class:`apigw_management.ServiceError` (``status_code``, ``code``, …)."""

    def __init__(self, error_response: Mapping[str, Any], operation_name: str) -> None:
        _ClientErrorBase.__init__(self, dict(error_response), operation_name)
        error = error_response.get("Error", {})
        meta = error_response.get("ResponseMetadata", {})
        attempts = int(meta.get("RetryAttempts", 0)) + 1
        self.message = str(error.get("Message", ""))
        self.kind = type(self).default_kind
        self.code = error.get("Code")
        self.status_code = meta.get("HTTPStatusCode")
        self.request_id = meta.get("RequestId")
        self.attempts = attempts
        self.retryable = bool(meta.get("Retryable", False))
        self.total_retry_delay = 0.0
        self.cause = None

    def __str__(self) -> str:
        return Exception.__str__(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({Exception.__str__(self)!r})"

    def __reduce__(self) -> Any:
        return self.__class__, (self.response, self.operation_name)


class ForbiddenException(ClientError, _exc.ForbiddenException):
    default_kind = "Forbidden"


class GoneException(ClientError, _exc.GoneException):
    default_kind = "Gone"


class LimitExceededException(ClientError, _exc.LimitExceededException):
    default_kind = "LimitExceeded"


class PayloadTooLargeException(ClientError, _exc.PayloadTooLargeException):
    default_kind = "PayloadTooLarge"


_BY_CODE: Dict[str, type] = {
    "ForbiddenException": ForbiddenException,
    "GoneException": GoneException,
    "LimitExceededException": LimitExceededException,
    "PayloadTooLargeException": PayloadTooLargeException,
}

_BY_NATIVE: "tuple[tuple[type[_exc.ServiceError], type[ClientError]], ...]" = (
    (_exc.GoneException, GoneException),
    (_exc.ForbiddenException, ForbiddenException),
    (_exc.LimitExceededException, LimitExceededException),
    (_exc.PayloadTooLargeException, PayloadTooLargeException),
)


class ClientExceptions:
    """``client.exceptions``: the modelled exception classes and ``ClientError``."""

    ClientError = ClientError
    ForbiddenException = ForbiddenException
    GoneException = GoneException
    LimitExceededException = LimitExceededException
    PayloadTooLargeException = PayloadTooLargeException

    def from_code(self, error_code: str) -> type:
        return _BY_CODE.get(error_code, ClientError)


def _translate(err: _exc.ServiceError, operation: str) -> ClientError:
    """The botocore-shaped exception for a service error."""
    cls: type[ClientError] = ClientError
    for native, compat in _BY_NATIVE:
        if isinstance(err, native):
            cls = compat
            break
    attempts = max(err.attempts, 1)
    status = err.status_code
    if status is None and isinstance(err, _exc.PayloadTooLargeException):
        status = 413  # refused before sending: what the service would have answered
    response = {
        "Error": {"Code": err.code or f"HTTP{err.status_code}", "Message": err.message},
        "ResponseMetadata": {
            "RequestId": err.request_id or "",
            "HTTPStatusCode": status,
            "HTTPHeaders": {},
            "RetryAttempts": attempts - 1,
            "MaxAttemptsReached": err.retryable and attempts > 1,
        },
    }
    translated: ClientError = cls(response, operation)
    translated.retryable = err.retryable
    translated.total_retry_delay = err.total_retry_delay
    translated.cause = err.cause
    return translated


def _metadata(meta: Optional[ResponseMetadata]) -> Dict[str, Any]:
    """botocore's ``ResponseMetadata`` from the core's."""
    if meta is None:
        return {"RequestId": "", "HTTPStatusCode": None, "HTTPHeaders": {}, "RetryAttempts": 0}
    return {
        "RequestId": meta.request_id or "",
        "HTTPStatusCode": meta.status_code,
        "HTTPHeaders": {},
        "RetryAttempts": meta.attempts - 1,
    }


class _Meta:
    def __init__(self, region_name: Optional[str], endpoint_url: str) -> None:
        self.region_name = region_name
        self.endpoint_url = endpoint_url
        self.service_model = None


class ApiGatewayManagementApiClient:
    """The ``apigatewaymanagementapi`` client of boto3, backed by ``Client``."""

    exceptions = ClientExceptions()

    def __init__(self, native: _Client) -> None:
        self._native = native
        self.meta = _Meta(native.region, native.endpoint)

    @property
    def native(self) -> _Client:
        """The :class:`apigw_management.Client` underneath (``broadcast``, …)."""
        return self._native

    def post_to_connection(self, *, Data: Any, ConnectionId: str) -> Dict[str, Any]:
        if hasattr(Data, "read"):
            Data = Data.read()
        try:
            meta = self._native.post_to_connection(ConnectionId, Data)
        except _exc.ServiceError as e:
            raise _translate(e, "PostToConnection") from None
        return {"ResponseMetadata": _metadata(meta)}

    def get_connection(self, *, ConnectionId: str) -> Dict[str, Any]:
        try:
            c = self._native.get_connection(ConnectionId)
        except _exc.ServiceError as e:
            raise _translate(e, "GetConnection") from None
        return {
            "ConnectedAt": c.connected_at,
            "Identity": {"SourceIp": c.identity.source_ip, "UserAgent": c.identity.user_agent},
            "LastActiveAt": c.last_active_at,
            "ResponseMetadata": _metadata(c.metadata),
        }

    def delete_connection(self, *, ConnectionId: str) -> Dict[str, Any]:
        try:
            meta = self._native.delete_connection(ConnectionId)
        except _exc.ServiceError as e:
            raise _translate(e, "DeleteConnection") from None
        return {"ResponseMetadata": _metadata(meta)}

    def close(self) -> None:
        self._native.close()

    def can_paginate(self, operation_name: str) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<apigw_management.boto3_compat client endpoint={self.meta.endpoint_url!r}>"


def _config_value(config: Any, name: str) -> Any:
    """A value the user set on a botocore ``Config`` (or a dict), else None."""
    if config is None:
        return None
    if isinstance(config, Mapping):
        return config.get(name)
    provided = getattr(config, "_user_provided_options", None)
    if isinstance(provided, Mapping):
        return provided.get(name)
    return getattr(config, name, None)


def _attempts(config: Any) -> Optional[int]:
    retries = _config_value(config, "retries") or {}
    if "total_max_attempts" in retries:
        return int(retries["total_max_attempts"])
    if "max_attempts" in retries:
        return int(retries["max_attempts"]) + 1
    env = os.environ.get("AWS_MAX_ATTEMPTS")
    if env and env.strip().isdigit():
        return int(env)
    return None


def client(
    service_name: str = "apigatewaymanagementapi",
    region_name: Optional[str] = None,
    api_version: Optional[str] = None,
    use_ssl: bool = True,
    verify: Any = None,
    endpoint_url: Optional[str] = None,
    aws_access_key_id: Optional[str] = None,
    aws_secret_access_key: Optional[str] = None,
    aws_session_token: Optional[str] = None,
    config: Any = None,
    **kwargs: Any,
) -> ApiGatewayManagementApiClient:
    """``boto3.client("apigatewaymanagementapi", ...)`` with the same keywords."""
    if service_name != "apigatewaymanagementapi":
        raise _exc.ConfigError(
            f"boto3_compat only provides 'apigatewaymanagementapi', not {service_name!r}"
        )
    if kwargs:
        raise TypeError(f"unexpected keyword arguments: {', '.join(sorted(kwargs))}")
    options: Dict[str, Any] = {}
    region = region_name or _config_value(config, "region_name")
    if region:
        options["region"] = region
    if aws_access_key_id or aws_secret_access_key:
        options["credentials"] = (aws_access_key_id or "", aws_secret_access_key or "", aws_session_token)
    attempts = _attempts(config)
    if attempts is not None:
        options["max_attempts"] = attempts
    connect_timeout = _config_value(config, "connect_timeout")
    if connect_timeout is not None:
        options["connect_timeout"] = float(connect_timeout)
    read_timeout = _config_value(config, "read_timeout")
    if read_timeout is not None:
        options["timeout"] = float(read_timeout)
    proxies = _config_value(config, "proxies")
    if isinstance(proxies, Mapping):
        proxy = proxies.get("https") or proxies.get("http")
        if proxy:
            options["proxy"] = proxy
    return ApiGatewayManagementApiClient(_Client(endpoint_url, **options))
