'use strict'
// Error classes of apigw-management, and the ONE table that maps the core's error kinds
// (sent by the addon as structured JSON) to them.

const MARK = '\u0001apigw-management:'

/** Base class of every error this package raises. */
class ApiGatewayManagementError extends Error {
  /**
   * @param {string | object} message the message, or SDK v3 style `{ message, $metadata, ... }`
   * @param {object} [info] `{ kind, code, status, requestId, attempts, retryable, totalRetryDelay }`
   */
  constructor(message, info) {
    if (message !== null && typeof message === 'object') {
      info = { ...message, ...(message.$metadata ? metadataInfo(message.$metadata) : {}) }
      message = info.message
    }
    info = info || {}
    super(message === undefined ? '' : String(message), info.cause ? { cause: info.cause } : undefined)
    const status = typeof info.status === 'number' ? info.status : undefined
    Object.defineProperty(this, 'name', {
      value: info.code && this.constructor.usesCodeAsName ? info.code : this.constructor.name,
      enumerable: false,
      writable: true,
      configurable: true,
    })
    /** The core's error kind: Gone, Forbidden, LimitExceeded, PayloadTooLarge, Service, Timeout, Connect, Tls, Protocol, Credentials, Config, InvalidInput. */
    this.kind = info.kind || this.constructor.defaultKind
    /** The service's error name (`GoneException`, `InvalidSignatureException`, …), else the kind's usual name. */
    this.code = info.code || this.constructor.defaultCode || this.kind
    /** `client` or `server`, as in SDK v3. */
    this.$fault = status !== undefined && status >= 500 ? 'server' : this.constructor.defaultFault
    /** Whether the failure is transient (the client already retried it until its attempts ran out). */
    this.retryable = Boolean(info.retryable)
    /** As SDK v3 reports it; `httpStatusCode` is undefined when no response arrived. */
    this.$metadata = {
      httpStatusCode: status,
      requestId: info.requestId || undefined,
      attempts: info.attempts || 0,
      totalRetryDelay: info.totalRetryDelay || 0,
    }
  }

  /** The HTTP status, or undefined. */
  get statusCode() {
    return this.$metadata.httpStatusCode
  }

  /** The `x-amzn-RequestId` of the last response, or undefined. */
  get requestId() {
    return this.$metadata.requestId
  }

  /** Requests sent (0: the error was raised before any I/O). */
  get attempts() {
    return this.$metadata.attempts
  }
}
ApiGatewayManagementError.defaultKind = 'Service'
ApiGatewayManagementError.defaultFault = 'client'

function metadataInfo(m) {
  return {
    status: m.httpStatusCode,
    requestId: m.requestId,
    attempts: m.attempts,
    totalRetryDelay: m.totalRetryDelay,
  }
}

/** An error answered by the service (any HTTP status). */
class ServiceError extends ApiGatewayManagementError {}
ServiceError.usesCodeAsName = true

/** 410: the connection is closed or unknown. Forget it. */
class GoneException extends ServiceError {}
GoneException.defaultKind = 'Gone'
GoneException.defaultCode = 'GoneException'

/** 403: wrong stage or path, or a bad/expired signature (`name`/`code` `InvalidSignatureException`). */
class ForbiddenException extends ServiceError {}
ForbiddenException.defaultKind = 'Forbidden'
ForbiddenException.defaultCode = 'ForbiddenException'

/** 429: account throttling, or one client's full buffer. */
class LimitExceededException extends ServiceError {}
LimitExceededException.defaultKind = 'LimitExceeded'
LimitExceededException.defaultCode = 'LimitExceededException'

/** 413 from the service, or data over `maxPayloadBytes` (then nothing was sent). */
class PayloadTooLargeException extends ServiceError {}
PayloadTooLargeException.defaultKind = 'PayloadTooLarge'
PayloadTooLargeException.defaultCode = 'PayloadTooLargeException'

/** No usable response: timeout, connection failure, TLS failure, malformed response (`kind` says which). */
class TransportError extends ApiGatewayManagementError {}
TransportError.defaultKind = 'Connect'
TransportError.defaultFault = 'server'

/** No credentials could be found or refreshed. */
class CredentialsError extends ApiGatewayManagementError {}
CredentialsError.defaultKind = 'Credentials'

/** The client's configuration is invalid (endpoint, region, options). */
class ConfigError extends ApiGatewayManagementError {}
ConfigError.defaultKind = 'Config'

/** An argument is invalid (empty connection id, …); nothing was sent. */
class InvalidInputError extends ApiGatewayManagementError {}
InvalidInputError.defaultKind = 'InvalidInput'

// The one mapping table: core error kind -> class.
const CLASS_BY_KIND = {
  Gone: GoneException,
  Forbidden: ForbiddenException,
  LimitExceeded: LimitExceededException,
  PayloadTooLarge: PayloadTooLargeException,
  Service: ServiceError,
  Timeout: TransportError,
  Connect: TransportError,
  Tls: TransportError,
  Protocol: TransportError,
  Credentials: CredentialsError,
  Config: ConfigError,
  InvalidInput: InvalidInputError,
}

/** Builds the error for the addon's structured info. */
function fromInfo(info) {
  const Class = CLASS_BY_KIND[info.kind] || ApiGatewayManagementError
  return new Class(info.message, info)
}

/** The structured info of an addon error, or undefined for any other value. */
function nativeInfo(err) {
  if (err && typeof err.message === 'string' && err.message.startsWith(MARK)) {
    try {
      return JSON.parse(err.message.slice(MARK.length))
    } catch {
      return undefined
    }
  }
  return undefined
}

/**
 * A `TypeError` for an argument or option of the wrong type, as Node's own
 * (`code` `ERR_INVALID_ARG_TYPE`), with `kind` `InvalidInput` like every bad-argument
 * error of this package. Nothing was sent.
 */
function invalidType(message) {
  const e = new TypeError(message)
  e.code = 'ERR_INVALID_ARG_TYPE'
  e.kind = 'InvalidInput'
  return e
}

/** Maps an addon rejection to its class (other values pass through). */
function fromNative(err) {
  const info = nativeInfo(err)
  if (info) return fromInfo(info)
  // The addon's own argument conversion errors (`StringExpected`, …) are type errors.
  if (err && typeof err.code === 'string' && /Expected$|^InvalidArg$/.test(err.code)) {
    return invalidType(err.message)
  }
  return err
}

function decode(json) {
  return fromInfo(JSON.parse(json))
}

exports.ApiGatewayManagementError = ApiGatewayManagementError
exports.ServiceError = ServiceError
exports.GoneException = GoneException
exports.ForbiddenException = ForbiddenException
exports.LimitExceededException = LimitExceededException
exports.PayloadTooLargeException = PayloadTooLargeException
exports.TransportError = TransportError
exports.CredentialsError = CredentialsError
exports.ConfigError = ConfigError
exports.InvalidInputError = InvalidInputError
exports.CLASS_BY_KIND = CLASS_BY_KIND
exports.fromNative = fromNative
exports.invalidType = invalidType
exports.fromInfo = fromInfo
exports.nativeInfo = nativeInfo
exports.decode = decode
