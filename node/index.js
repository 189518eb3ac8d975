'use strict'
// apigw-management: a fast client for the AWS API Gateway Management API (WebSocket
// @connections), on a Rust core. This file only converts types and maps errors.

const native = require('./native.js')
const errors = require('./errors.js')
const { fromNative, decode } = errors

const toUndefined = () => undefined
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
  throw new TypeError(
    `${what} must be a string, Buffer, Uint8Array (or another TypedArray or DataView) or ArrayBuffer; got ${describe(data)}`,
  )
}

function checkId(id, what = 'connectionId') {
  if (typeof id !== 'string') throw new TypeError(`${what} must be a string; got ${describe(id)}`)
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
    throw new TypeError(`signal must be an AbortSignal; got ${describe(signal)}`)
  }
  return signal
}

/** Runs `start(token)` so that `signal` aborts it. */
function withSignal(signal, start, map) {
  if (signal.aborted) return Promise.reject(abortReason(signal))
  const token = new native.AbortToken()
  const onAbort = () => token.abort()
  signal.addEventListener('abort', onAbort, { once: true })
  return start(token).then(
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

/** Public options -> the addon's. */
function nativeOptions(o, extra) {
  if (o === undefined || o === null) o = {}
  if (typeof o !== 'object') throw new TypeError(`options must be an object; got ${describe(o)}`)
  const out = {}
  const copy = (from, to = from) => {
    if (o[from] !== undefined && o[from] !== null) out[to] = o[from]
  }
  copy('endpoint')
  copy('region')
  copy('profile')
  copy('maxAttempts')
  copy('retryBaseDelay')
  copy('retryAmbiguous')
  copy('connectTimeout')
  copy('timeout')
  copy('maxPayloadBytes')
  copy('proxy')
  copy('clockOffset')
  copy('userAgentSuffix')
  const c = o.credentials
  if (c !== undefined && c !== null) {
    if (typeof c !== 'object') {
      throw new TypeError(
        `credentials must be { accessKeyId, secretAccessKey, sessionToken? }; got ${describe(c)}` +
          (typeof c === 'function' ? ' (a provider function is accepted by apigw-management/v3)' : ''),
      )
    }
    out.accessKeyId = c.accessKeyId
    out.secretAccessKey = c.secretAccessKey
    if (c.sessionToken) out.sessionToken = c.sessionToken
  }
  if (o.endpoint !== undefined && o.endpoint !== null && typeof o.endpoint === 'object' && o.endpoint.href) {
    out.endpoint = o.endpoint.href
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
  if (typeof opts !== 'object') throw new TypeError(`options must be an object; got ${describe(opts)}`)
  const batch = {}
  if (opts.concurrency !== undefined) batch.concurrency = opts.concurrency
  if (opts.deadline !== undefined) batch.deadline = opts.deadline
  let progress
  if (opts.onProgress !== undefined && opts.onProgress !== null) {
    if (typeof opts.onProgress !== 'function') {
      throw new TypeError(`onProgress must be a function; got ${describe(opts.onProgress)}`)
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
 * A client for one API's `@connections` endpoint. Cheap to build (no I/O); keeps one
 * connection pool. Every method returns a Promise.
 */
class Client {
  constructor(options) {
    const opts = nativeOptions(options, options && options[NATIVE])
    this[NATIVE] = construct(() => new native.NativeClient(opts, options && options.retryDelay))
  }

  /**
   * A client for the API that sent a Lambda WebSocket event: the endpoint
   * `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}` (or, with
   * `{ useDomainName: true }`, `https://{domainName}/{stage}`). An
   * `AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI` variable overrides it (tests).
   */
  static fromEvent(event, options) {
    if (event === null || typeof event !== 'object') {
      throw new TypeError(`event must be an API Gateway WebSocket event object; got ${describe(event)}`)
    }
    const opts = nativeOptions(options)
    const json = JSON.stringify({ requestContext: event.requestContext })
    const client = Object.create(Client.prototype)
    client[NATIVE] = construct(() =>
      native.NativeClient.fromEvent(json, Boolean(options && options.useDomainName), opts, null),
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

  /** PostToConnection: sends `data` to one connection as one message. */
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
    if (!signal) return n.post(connectionId, body).then(toUndefined, rethrow)
    return withSignal(signal, (t) => n.post(connectionId, body, t), toUndefined)
  }

  /** GetConnection: `{ connectedAt: Date, lastActiveAt: Date, identity: { sourceIp, userAgent } }`. */
  getConnection(connectionId, options) {
    let signal
    try {
      checkId(connectionId)
      signal = options ? checkSignal(options.signal) : undefined
    } catch (e) {
      return Promise.reject(e)
    }
    const n = this[NATIVE]
    if (!signal) return n.get(connectionId).then(toConnection, rethrow)
    return withSignal(signal, (t) => n.get(connectionId, t), toConnection)
  }

  /** DeleteConnection: closes one connection. */
  deleteConnection(connectionId, options) {
    let signal
    try {
      checkId(connectionId)
      signal = options ? checkSignal(options.signal) : undefined
    } catch (e) {
      return Promise.reject(e)
    }
    const n = this[NATIVE]
    if (!signal) return n.delete(connectionId).then(toUndefined, rethrow)
    return withSignal(signal, (t) => n.delete(connectionId, t), toUndefined)
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
        throw new TypeError(`connectionIds must be an array of strings; got ${describe(connectionIds)}`)
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
    if (!args.signal) return start(undefined).then(toOutcome, rethrow)
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
        throw new TypeError(`items must be an iterable of [connectionId, data] pairs; got ${describe(items)}`)
      }
      ids = []
      datas = []
      let i = 0
      for (const item of items) {
        let id, data
        if (Array.isArray(item)) [id, data] = item
        else if (item !== null && typeof item === 'object') ({ connectionId: id, data } = item)
        else throw new TypeError(`items[${i}] must be a [connectionId, data] pair; got ${describe(item)}`)
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
    if (!args.signal) return start(undefined).then(toOutcome, rethrow)
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
  value: { NATIVE, native, toData, checkId, describe, checkSignal, withSignal, nativeOptions, construct },
  enumerable: false,
})
