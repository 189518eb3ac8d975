'use strict'
// apigw-management: a fast client for the AWS API Gateway Management API (WebSocket
// @connections), on a Rust core. This file only converts types and maps errors.

const native = require('./native.js')
const errors = require('./errors.js')
const { fromNative, decode, invalidType } = errors

/** `$metadata` as SDK v3 shapes it, from the core's metadata of the response. */
function toMetadata(m) {
  return {
    httpStatusCode: m.httpStatusCode,
    requestId: m.requestId ?? undefined,
    extendedRequestId: undefined,
    cfId: undefined,
    attempts: m.attempts,
    totalRetryDelay: m.totalRetryDelay,
  }
}
const withMetadata = (m) => ({ $metadata: toMetadata(m) })
const rethrow = (e) => {
  throw fromNative(e)
}

function describe(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'Array'
  const t = typeof value
  if (t !== 'object') return t
  const ctor = value.constructor && value.constructor.name
  return ctor ? `object (${ctor})` : 'object'
}

/** Data as the addon takes it: a string or a Uint8Array view (no copy here). */
function toData(data, what = 'data') {
  if (typeof data === 'string' || data instanceof Uint8Array) return data
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  const tag = Object.prototype.toString.call(data)
  if (tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]') return new Uint8Array(data)
  throw invalidType(
    `${what} must be a string, Buffer, Uint8Array (or another TypedArray or DataView) or ArrayBuffer; got ${describe(data)}`,
  )
}

function checkId(id, what = 'connectionId') {
  if (typeof id !== 'string') throw invalidType(`${what} must be a string; got ${describe(id)}`)
  // A lone surrogate has no UTF-8 form: refused rather than silently replaced by U+FFFD.
  if (typeof id.isWellFormed === 'function' && !id.isWellFormed()) {
    throw errors.fromInfo({ kind: 'InvalidInput', message: `${what} is not well-formed Unicode (a lone surrogate)`, attempts: 0 })
  }
  return id
}

function abortReason(signal) {
  if (signal.reason !== undefined) return signal.reason
  const e = new Error('This operation was aborted')
  e.name = 'AbortError'
  e.code = 'ABORT_ERR'
  return e
}

function checkSignal(signal) {
  if (signal === undefined || signal === null) return undefined
  if (typeof signal !== 'object' || typeof signal.addEventListener !== 'function' || !('aborted' in signal)) {
    throw invalidType(`signal must be an AbortSignal; got ${describe(signal)}`)
  }
  return signal
}

/** Runs `start()` (an addon call, which may also throw at once) mapped with `map`. */
function settle(start, map) {
  let promise
  try {
    promise = start()
  } catch (e) {
    return Promise.reject(fromNative(e))
  }
  return promise.then(map, rethrow)
}

/** Runs `start(token)` so that `signal` aborts it. */
function withSignal(signal, start, map) {
  if (signal.aborted) return Promise.reject(abortReason(signal))
  const token = new native.AbortToken()
  const onAbort = () => token.abort()
  let promise
  try {
    promise = start(token)
  } catch (e) {
    return Promise.reject(fromNative(e))
  }
  signal.addEventListener('abort', onAbort, { once: true })
  return promise.then(
    (v) => {
      signal.removeEventListener('abort', onAbort)
      return map(v)
    },
    (e) => {
      signal.removeEventListener('abort', onAbort)
      const info = errors.nativeInfo(e)
      if (info && info.kind === 'Aborted') throw abortReason(signal)
      throw fromNative(e)
    },
  )
}

// The type of each option the addon takes (values are checked by the addon and the core).
const OPTION_TYPES = {
  endpoint: 'string',
  region: 'string',
  profile: 'string',
  maxAttempts: 'number',
  retryBaseDelay: 'number',
  retryAmbiguous: 'boolean',
  connectTimeout: 'number',
  timeout: 'number',
  maxPayloadBytes: 'number',
  proxy: 'string',
  clockOffset: 'number',
  userAgentSuffix: 'string',
}
const UNITS = { number: 'a number', string: 'a string', boolean: 'a boolean' }

/**
 * Credentials as they may be shown (inspect, JSON, logs): the access key id only; the
 * secret key and the session token are replaced, a provider function is named as such.
 */
function redactCredentials(c) {
  if (c === undefined || c === null) return c
  if (typeof c === 'function') return '[credential provider]'
  if (typeof c !== 'object') return '[redacted]'
  const shown = { accessKeyId: c.accessKeyId }
  if (c.secretAccessKey !== undefined) shown.secretAccessKey = '[redacted]'
  if (c.sessionToken !== undefined && c.sessionToken !== null) shown.sessionToken = '[redacted]'
  if (c.expiration !== undefined) shown.expiration = c.expiration
  return shown
}

/** A copy of `config` whose `credentials` (and v2-style top-level keys) are redacted. */
function redactConfig(config) {
  const shown = { ...config }
  if ('credentials' in shown) shown.credentials = redactCredentials(shown.credentials)
  if (shown.secretAccessKey !== undefined) shown.secretAccessKey = '[redacted]'
  if (shown.sessionToken !== undefined) shown.sessionToken = '[redacted]'
  return shown
}

/** Public options -> the addon's. A value of the wrong type is a TypeError naming it. */
function nativeOptions(o, extra) {
  if (o === undefined || o === null) o = {}
  if (typeof o !== 'object') throw invalidType(`options must be an object; got ${describe(o)}`)
  const out = {}
  for (const [name, type] of Object.entries(OPTION_TYPES)) {
    let v = o[name]
    if (v === undefined || v === null) continue
    if (name === 'endpoint' && typeof v === 'object' && typeof v.href === 'string') v = v.href // a URL
    if (typeof v !== type) {
      const ms = type === 'number' && /imeout|Delay|Offset/.test(name) ? ' of milliseconds' : ''
      throw invalidType(`${name} must be ${UNITS[type]}${ms}; got ${describe(v)}`)
    }
    out[name] = v
  }
  const c = o.credentials
  if (c !== undefined && c !== null) {
    if (typeof c !== 'object') {
      throw invalidType(
        `credentials must be { accessKeyId, secretAccessKey, sessionToken? }; got ${describe(c)}` +
          (typeof c === 'function' ? ' (a provider function is accepted by apigw-management/v3)' : ''),
      )
    }
    // Only the types are named in a message, never a value (these are secrets).
    for (const field of ['accessKeyId', 'secretAccessKey', 'sessionToken']) {
      const v = c[field]
      if (v !== undefined && v !== null && typeof v !== 'string') {
        throw invalidType(`credentials.${field} must be a string; got ${describe(v)}`)
      }
    }
    out.accessKeyId = c.accessKeyId
    out.secretAccessKey = c.secretAccessKey
    if (c.sessionToken) out.sessionToken = c.sessionToken
  }
  return Object.assign(out, extra)
}

function construct(build) {
  try {
    return build()
  } catch (e) {
    throw fromNative(e)
  }
}

function toConnection(i) {
  return {
    connectedAt: new Date(i.connectedAt),
    lastActiveAt: new Date(i.lastActiveAt),
    identity: { sourceIp: i.sourceIp, userAgent: i.userAgent },
    $metadata: toMetadata(i.metadata),
  }
}

function toOutcome(o) {
  return {
    delivered: o.delivered,
    gone: o.gone,
    failed: o.failed.map((f) => ({ connectionId: f.connectionId, error: decode(f.error) })),
  }
}

function batchArgs(opts) {
  if (opts === undefined || opts === null) opts = {}
  if (typeof opts !== 'object') throw invalidType(`options must be an object; got ${describe(opts)}`)
  const batch = {}
  for (const name of ['concurrency', 'deadline']) {
    const v = opts[name]
    if (v === undefined || v === null) continue
    if (typeof v !== 'number') throw invalidType(`${name} must be a number; got ${describe(v)}`)
    batch[name] = v
  }
  let progress
  if (opts.onProgress !== undefined && opts.onProgress !== null) {
    if (typeof opts.onProgress !== 'function') {
      throw invalidType(`onProgress must be a function; got ${describe(opts.onProgress)}`)
    }
    const cb = opts.onProgress
    progress = (p) => {
      try {
        cb(p)
      } catch (e) {
        process.emitWarning(`apigw-management: onProgress threw: ${e && e.stack ? e.stack : e}`)
      }
    }
  }
  return { batch, progress, signal: checkSignal(opts.signal) }
}

const NATIVE = Symbol('apigw-management.native')

/**
 * The `retryDelay` option as the addon takes it: a number or nothing. A callback that
 * throws or answers another type keeps the default wait (as v2's `customBackoff`), never
 * an uncaught exception on the runtime's thread.
 */
function retryDelayOf(options) {
  const f = options && options.retryDelay
  if (typeof f !== 'function') return f
  return (info) => {
    try {
      const ms = f(info)
      return typeof ms === 'number' ? ms : undefined
    } catch {
      return undefined
    }
  }
}

/**
 * A client for one API's `@connections` endpoint. Cheap to build (no I/O); keeps one
 * connection pool. Every method returns a Promise.
 */
class Client {
  constructor(options) {
    const opts = nativeOptions(options, options && options[NATIVE])
    this[NATIVE] = construct(() => new native.NativeClient(opts, retryDelayOf(options)))
  }

  /**
   * A client for the API that sent a Lambda WebSocket event: the endpoint
   * `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}` (or, with
   * `{ useDomainName: true }`, `https://{domainName}/{stage}`). An
   * `AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI` variable overrides it (tests).
   */
  static fromEvent(event, options) {
    if (event === null || typeof event !== 'object') {
      throw invalidType(`event must be an API Gateway WebSocket event object; got ${describe(event)}`)
    }
    const opts = nativeOptions(options)
    const json = JSON.stringify({ requestContext: event.requestContext })
    const client = Object.create(Client.prototype)
    client[NATIVE] = construct(() =>
      native.NativeClient.fromEvent(json, Boolean(options && options.useDomainName), opts, retryDelayOf(options)),
    )
    return client
  }

  /** The endpoint URL requests go to (`https://host/stage`). */
  get endpoint() {
    return this[NATIVE].endpoint
  }

  /** The signing region, when known without reading the shared config. */
  get region() {
    return this[NATIVE].region ?? undefined
  }

  /** The largest message sent (default 131072 bytes). */
  get maxPayloadBytes() {
    return this[NATIVE].maxPayloadBytes
  }

  /** PostToConnection: sends `data` to one connection as one message; resolves to `{ $metadata }`. */
  postToConnection(connectionId, data, options) {
    let body, signal
    try {
      checkId(connectionId)
      body = toData(data)
      signal = options ? checkSignal(options.signal) : undefined
    } catch (e) {
      return Promise.reject(e)
    }
    const n = this[NATIVE]
    if (!signal) return settle(() => n.post(connectionId, body), withMetadata)
    return withSignal(signal, (t) => n.post(connectionId, body, t), withMetadata)
  }

  /** GetConnection: `{ connectedAt: Date, lastActiveAt: Date, identity: { sourceIp, userAgent }, $metadata }`. */
  getConnection(connectionId, options) {
    let signal
    try {
      checkId(connectionId)
      signal = options ? checkSignal(options.signal) : undefined
    } catch (e) {
      return Promise.reject(e)
    }
    const n = this[NATIVE]
    if (!signal) return settle(() => n.get(connectionId), toConnection)
    return withSignal(signal, (t) => n.get(connectionId, t), toConnection)
  }

  /** DeleteConnection: closes one connection; resolves to `{ $metadata }`. */
  deleteConnection(connectionId, options) {
    let signal
    try {
      checkId(connectionId)
      signal = options ? checkSignal(options.signal) : undefined
    } catch (e) {
      return Promise.reject(e)
    }
    const n = this[NATIVE]
    if (!signal) return settle(() => n.delete(connectionId), withMetadata)
    return withSignal(signal, (t) => n.delete(connectionId, t), withMetadata)
  }

  /**
   * Sends the same message to every connection, `concurrency` (default 64) at a time,
   * in the core. Resolves to `{ delivered, gone: [ids], failed: [{ connectionId, error }] }`
   * in input order; rejects only when nothing could be sent (data too large, no credentials).
   */
  broadcast(connectionIds, data, options) {
    let ids, body, args
    try {
      if (connectionIds === null || typeof connectionIds !== 'object' || typeof connectionIds[Symbol.iterator] !== 'function') {
        throw invalidType(`connectionIds must be an array of strings; got ${describe(connectionIds)}`)
      }
      ids = Array.isArray(connectionIds) ? connectionIds : Array.from(connectionIds)
      for (let i = 0; i < ids.length; i++) checkId(ids[i], `connectionIds[${i}]`)
      body = toData(data)
      args = batchArgs(options)
    } catch (e) {
      return Promise.reject(e)
    }
    const n = this[NATIVE]
    const start = (t) => n.broadcast(ids, body, args.batch, args.progress, t)
    if (!args.signal) return settle(() => start(undefined), toOutcome)
    return withSignal(args.signal, start, toOutcome)
  }

  /**
   * Sends each connection its own message: `items` is an iterable of
   * `[connectionId, data]` pairs or `{ connectionId, data }` objects (a `Map` works).
   * Same result and rules as `broadcast`; a message over the limit fails that item only.
   */
  postMany(items, options) {
    let ids, datas, args
    try {
      if (items === null || typeof items !== 'object' || typeof items[Symbol.iterator] !== 'function') {
        throw invalidType(`items must be an iterable of [connectionId, data] pairs; got ${describe(items)}`)
      }
      ids = []
      datas = []
      let i = 0
      for (const item of items) {
        let id, data
        if (Array.isArray(item)) [id, data] = item
        else if (item !== null && typeof item === 'object') ({ connectionId: id, data } = item)
        else throw invalidType(`items[${i}] must be a [connectionId, data] pair; got ${describe(item)}`)
        ids.push(checkId(id, `items[${i}] connectionId`))
        datas.push(toData(data, `items[${i}] data`))
        i++
      }
      args = batchArgs(options)
    } catch (e) {
      return Promise.reject(e)
    }
    const n = this[NATIVE]
    const start = (t) => n.postMany(ids, datas, args.batch, args.progress, t)
    if (!args.signal) return settle(() => start(undefined), toOutcome)
    return withSignal(args.signal, start, toOutcome)
  }
}

exports.Client = Client
exports.ApiGatewayManagementError = errors.ApiGatewayManagementError
exports.ServiceError = errors.ServiceError
exports.GoneException = errors.GoneException
exports.ForbiddenException = errors.ForbiddenException
exports.LimitExceededException = errors.LimitExceededException
exports.PayloadTooLargeException = errors.PayloadTooLargeException
exports.TransportError = errors.TransportError
exports.CredentialsError = errors.CredentialsError
exports.ConfigError = errors.ConfigError
exports.InvalidInputError = errors.InvalidInputError
exports.DEFAULT_MAX_PAYLOAD_BYTES = 131072
// Internal plumbing for the compat shims and the testing module (not public API).
Object.defineProperty(module.exports, '__internal', {
  value: {
    NATIVE,
    native,
    toData,
    checkId,
    describe,
    checkSignal,
    withSignal,
    settle,
    nativeOptions,
    construct,
    toMetadata,
    redactCredentials,
    redactConfig,
  },
  enumerable: false,
})
