"""Exceptions raised by :mod:`apigw_management`.

Every class is a plain Python class (subclassable, picklable) that the native module
instantiates with the response metadata of the failure::

    ApiGatewayManagementError
    ├── ServiceError                  the service answered with an error status
    │   ├── ForbiddenException        403 (wrong stage/path, or a bad signature)
    │   ├── GoneException             410 (the connection is closed or unknown)
    │   ├── LimitExceededException    429 (throttling, or one client's full buffer)
    │   └── PayloadTooLargeException  413, or data over max_payload_bytes (nothing sent)
    ├── TransportError                connect, timeout, TLS, malformed response
    ├── CredentialsError              no usable AWS credentials
    ├── ConfigError (ValueError)      invalid client configuration
    └── InvalidInputError (ValueError) invalid argument (empty connection id); nothing sent
        └── InvalidTypeError (TypeError) an argument or option of the wrong type

Fields: ``status_code`` (None when no response arrived), ``code`` (the service's error
name, e.g. ``"GoneException"`` or ``"InvalidSignatureException"``), ``message``,
``request_id``, ``attempts`` (0 when nothing was sent), ``retryable``, ``kind`` (the
core's error kind: ``"Gone"``, ``"Timeout"``, ``"Connect"``, …) and
``total_retry_delay`` (seconds spent waiting between attempts).
"""

from __future__ import annotations

__all__ = [
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
]


class ApiGatewayManagementError(Exception):
    """Base class of every error raised by apigw_management."""

    #: The core's error kind when none is given.
    default_kind = "Error"

    message: str
    kind: str
    code: str | None
    status_code: int | None
    request_id: str | None
    attempts: int
    retryable: bool
    total_retry_delay: float
    cause: str | None

    def __init__(
        self,
        message: str = "",
        *,
        kind: str | None = None,
        code: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        attempts: int = 0,
        retryable: bool = False,
        total_retry_delay: float = 0.0,
        cause: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind if kind is not None else type(self).default_kind
        self.code = code
        self.status_code = status_code
        self.request_id = request_id
        self.attempts = attempts
        self.retryable = retryable
        self.total_retry_delay = total_retry_delay
        self.cause = cause

    def __str__(self) -> str:
        if self.code and self.status_code is not None:
            text = f"{self.code} (HTTP {self.status_code}): {self.message}"
        elif self.status_code is not None:
            text = f"HTTP {self.status_code}: {self.message}"
        elif self.code:
            text = f"{self.code}: {self.message}"
        else:
            text = self.message
        extra = []
        if self.request_id:
            extra.append(f"request id {self.request_id}")
        if self.attempts:
            extra.append(f"{self.attempts} attempt{'' if self.attempts == 1 else 's'}")
        if self.cause:
            extra.append(f"caused by: {self.cause}")
        return f"{text} [{'; '.join(extra)}]" if extra else text

    def __repr__(self) -> str:
        fields = [repr(self.message)]
        for name in ("kind", "code", "status_code", "request_id", "attempts", "retryable"):
            fields.append(f"{name}={getattr(self, name)!r}")
        return f"{type(self).__name__}({', '.join(fields)})"

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuilt from the message and every field (also those of subclasses).
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(
    cls: type[ApiGatewayManagementError], message: str, state: dict[str, object]
) -> ApiGatewayManagementError:
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    exc.__dict__.update(state)
    return exc


class ServiceError(ApiGatewayManagementError):
    """The service answered with an error status (``status_code`` is set)."""

    default_kind = "Service"


class ForbiddenException(ServiceError):
    """403: wrong stage or path (``ForbiddenException``) or a bad or expired signature
    (``code == "InvalidSignatureException"``)."""

    default_kind = "Forbidden"


class GoneException(ServiceError):
    """410: the connection is closed or unknown. Drop it."""

    default_kind = "Gone"


class LimitExceededException(ServiceError):
    """429: account throttling, or one client's full buffer ("client side buffer is full")."""

    default_kind = "LimitExceeded"


class PayloadTooLargeException(ServiceError):
    """413 from the service, or data over ``max_payload_bytes`` (then nothing was sent,
    ``status_code`` is None and ``attempts`` is 0)."""

    default_kind = "PayloadTooLarge"


class TransportError(ApiGatewayManagementError):
    """No usable response: ``kind`` is ``"Connect"``, ``"Timeout"``, ``"Tls"`` or
    ``"Protocol"`` (a malformed or unexpected response)."""

    default_kind = "Connect"


class CredentialsError(ApiGatewayManagementError):
    """No usable AWS credentials could be found or refreshed."""

    default_kind = "Credentials"


class ConfigError(ApiGatewayManagementError, ValueError):
    """The client's configuration is invalid (endpoint, region, options)."""

    default_kind = "Config"


class InvalidInputError(ApiGatewayManagementError, ValueError):
    """An argument is invalid (an empty connection id, …); nothing was sent."""

    default_kind = "InvalidInput"


class InvalidTypeError(InvalidInputError, TypeError):
    """An argument or option of the wrong type (``timeout="10"``, ``data=1``): a
    ``TypeError`` (and an ``InvalidInputError``, kind ``"InvalidInput"``); nothing was
    sent."""

    default_kind = "InvalidInput"
