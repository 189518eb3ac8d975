'use strict'
// apigw-management/v2: a drop-in for `AWS.ApiGatewayManagementApi` of the AWS SDK for
// JavaScript v2 (`aws-sdk`), on the Rust core: the same constructor options, request
// objects with `.promise()` / `.send(cb)`, callbacks, bound params, v2's error fields,
// `maxRetries` meaning retries, `retryDelayOptions.customBackoff`, a logger line per call,
// and a module-level `config` with `update()`.

const { inspect } = require('node:util')
const { __internal } = require('./index.js')
const errors = require('./errors.js')
const { native, toData, nativeOptions, construct, describe, redactCredentials, redactConfig } = __internal

const SERVICE = 'apigatewaymanagementapi'
const DEFAULT_MAX_RETRIES = 3
const DEFAULT_RETRY_BASE = 100

/** v2's `error.code` for errors that are not the service's. */
const V2_CODE_BY_KIND = {
  Timeout: 'TimeoutError',
  Connect: 'NetworkingError',
  Tls: 'NetworkingError',
  Protocol: 'UnknownError',
  Credentials: 'CredentialsError',
  Config: 'ConfigError',
  InvalidInput: 'InvalidParameter',
}

/** `AWS.Endpoint`: `href`, `protocol`, `host`, `hostname`, `port`, `path`. */
class Endpoint {
  constructor(endpoint) {
    let s = String(endpoint)
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = `https://${s}`
    const u = new URL(s)
    this.protocol = u.protocol
    this.hostname = u.hostname
    this.port = u.port ? Number(u.port) : u.protocol === 'http:' || u.protocol === 'ws:' ? 80 : 443
    this.host = u.host
    this.path = u.pathname + u.search
    this.pathname = u.pathname
    this.search = u.search
    this.href = u.href
  }
}

/** `AWS.Credentials` (static keys). */
class Credentials {
  constructor(accessKeyId, secretAccessKey, sessionToken) {
    if (accessKeyId && typeof accessKeyId === 'object') {
      ;({ accessKeyId, secretAccessKey, sessionToken } = accessKeyId)
    }
    this.accessKeyId = accessKeyId
    this.secretAccessKey = secretAccessKey
    this.sessionToken = sessionToken
    this.expired = false
  }
  get(cb) {
    cb && cb(null)
  }
  getPromise() {
    return Promise.resolve()
  }
  // Shown (console.log, util.inspect, JSON.stringify) without the secret key and token.
  toJSON() {
    return redactCredentials(this)
  }
  [inspect.custom](depth, options, show) {
    return `Credentials ${show(redactCredentials(this), options)}`
  }
}

/** `AWS.Config`: holds options; `update()` merges more in. */
class Config {
  constructor(options = {}) {
    this.update(options, true)
  }
  update(options = {}, allowUnknownKeys) {
    void allowUnknownKeys
    for (const [k, v] of Object.entries(options || {})) {
      if (k === 'accessKeyId' || k === 'secretAccessKey' || k === 'sessionToken') {
        this.credentials = new Credentials({ ...(this.credentials || {}), [k]: v })
      } else {
        this[k] = v
      }
    }
    this._version = (this._version || 0) + 1
  }
  getCredentials(cb) {
    cb(null, this.credentials)
  }
  // Shown without secrets, whatever form the credentials were given in.
  toJSON() {
    return redactConfig(this)
  }
  [inspect.custom](depth, options, show) {
    return `Config ${show(redactConfig(this), options)}`
  }
}

/** The module-level config new clients inherit (`AWS.config`). */
const config = new Config({})

function v2Error(err, service) {
  if (!(err instanceof errors.ApiGatewayManagementError)) return err
  const code = err.kind && V2_CODE_BY_KIND[err.kind] && !err.$metadata.httpStatusCode && err.kind !== 'PayloadTooLarge'
    ? V2_CODE_BY_KIND[err.kind]
    : err.code
  err.code = code
  const own = (k, value) => Object.defineProperty(err, k, { value, writable: true, enumerable: true, configurable: true })
  own('statusCode', err.$metadata.httpStatusCode)
  own('requestId', err.$metadata.requestId)
  err.time = new Date()
  err.region = service.config.region
  err.hostname = service.endpoint.hostname
  err.retryDelay = err.$metadata.totalRetryDelay
  return err
}

function paramError(code, message) {
  const e = new Error(message)
  e.code = code
  e.name = code
  e.time = new Date()
  e.retryable = false
  return e
}

const OPERATIONS = {
  postToConnection: { required: ['ConnectionId', 'Data'], allowed: ['ConnectionId', 'Data'] },
  getConnection: { required: ['ConnectionId'], allowed: ['ConnectionId'] },
  deleteConnection: { required: ['ConnectionId'], allowed: ['ConnectionId'] },
}

function validate(operation, params) {
  const op = OPERATIONS[operation]
  for (const k of op.required) {
    if (params[k] === undefined || params[k] === null) {
      throw paramError('MissingRequiredParameter', `Missing required key '${k}' in params`)
    }
  }
  for (const k of Object.keys(params)) {
    if (!op.allowed.includes(k)) throw paramError('UnexpectedParameter', `Unexpected key '${k}' found in params`)
  }
  if (typeof params.ConnectionId !== 'string') {
    throw paramError('InvalidParameterType', `Expected params.ConnectionId to be a string`)
  }
  if ('Data' in params) {
    const d = params.Data
    if (!(typeof d === 'string' || ArrayBuffer.isView(d) || d instanceof ArrayBuffer)) {
      throw paramError('InvalidParameterType', 'Expected params.Data to be a string, Buffer, Stream, Blob, or typed array object')
    }
  }
}

function logLine(service, operation, params, status, started, retries, err) {
  const shown = { ...params }
  if (shown.Data !== undefined && typeof shown.Data !== 'string') shown.Data = `<Buffer ${Buffer.byteLength(shown.Data)} bytes>`
  const secs = ((Date.now() - started) / 1000).toFixed(3)
  let line = `[AWS ${SERVICE} ${status === undefined ? '-' : status} ${secs}s ${retries} retries] ${operation}(${inspect(shown, { depth: 3, breakLength: Infinity })})`
  if (err) line += ` ${err.code || err.name}: ${err.message}`
  return line
}

/** A v2 AWS.Response. */
class Response {
  constructor(request) {
    this.request = request
    this.data = null
    this.error = null
    this.retryCount = 0
    this.requestId = undefined
    this.httpResponse = { statusCode: undefined, headers: {} }
  }
}

/** A v2 AWS.Request: sent by `.send(cb)`, `.promise()`, or when made with a callback. */
class Request {
  constructor(service, operation, params) {
    this.service = service
    this.operation = operation
    this.params = params
    this.response = new Response(this)
    this.httpRequest = {
      method: operation === 'postToConnection' ? 'POST' : operation === 'getConnection' ? 'GET' : 'DELETE',
      endpoint: service.endpoint,
      path: `${service.endpoint.pathname.replace(/\/$/, '')}/@connections/${encodeURIComponent(params.ConnectionId || '')}`,
    }
    this._listeners = {}
    this._promise = undefined
    this._abort = undefined
  }

  on(event, fn) {
    ;(this._listeners[event] = this._listeners[event] || []).push(fn)
    return this
  }

  _emit(event, ...args) {
    for (const fn of this._listeners[event] || []) fn.apply(this.response, args)
  }

  _run() {
    if (!this._promise) {
      this._promise = this.service._execute(this).then(
        (data) => {
          this.response.data = data
          this._emit('success', this.response)
          this._emit('complete', this.response)
          return data
        },
        (err) => {
          this.response.error = err
          this._emit('error', err, this.response)
          this._emit('complete', this.response)
          throw err
        },
      )
    }
    return this._promise
  }

  /** Sends the request; `callback(err, data)` is called with `this` = the response. */
  send(callback) {
    const p = this._run()
    p.then(
      (data) => callback && callback.call(this.response, null, data),
      (err) => callback && callback.call(this.response, err, null),
    )
    return this
  }

  /** Sends the request (once) and returns a Promise of its data. */
  promise() {
    return this._run()
  }

  /** Aborts the request (the message may already have been delivered). */
  abort() {
    if (!this._abort) this._abort = new AbortController()
    this._abort.abort()
    return this
  }
}

/** `AWS.ApiGatewayManagementApi`. */
class ApiGatewayManagementApi {
  constructor(options = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`options must be an object; got ${describe(options)}`)
    }
    const inherited = { ...config }
    delete inherited._version
    this.config = new Config({ ...inherited, ...options })
    if (!this.config.endpoint) {
      throw paramError('ConfigError', 'apigw-management/v2: an endpoint is required (https://{api}.execute-api.{region}.amazonaws.com/{stage})')
    }
    this.endpoint = this.config.endpoint instanceof Endpoint ? this.config.endpoint : new Endpoint(this.config.endpoint.href || this.config.endpoint)
    this.apiVersions = ['2018-11-29']
    this.serviceIdentifier = SERVICE
    this._native = undefined
    this._nativeVersion = -1
  }

  async _client() {
    const c = this.config
    if (this._native && this._nativeVersion === c._version) return this._native
    const version = c._version
    let creds = c.credentials
    if (creds && typeof creds.getPromise === 'function' && !creds.accessKeyId) {
      await creds.getPromise()
    }
    const http = c.httpOptions || {}
    const retry = c.retryDelayOptions || {}
    const maxRetries = typeof c.maxRetries === 'number' ? c.maxRetries : DEFAULT_MAX_RETRIES
    const opts = nativeOptions(
      {
        endpoint: this.endpoint.href,
        region: c.region,
        credentials: creds && creds.accessKeyId ? { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken } : undefined,
        maxAttempts: maxRetries + 1,
        retryBaseDelay: typeof retry.base === 'number' ? retry.base : DEFAULT_RETRY_BASE,
        timeout: http.timeout || undefined,
        connectTimeout: http.connectTimeout || undefined,
        proxy: typeof http.proxy === 'string' ? http.proxy : undefined,
        clockOffset: c.systemClockOffset || undefined,
      },
    )
    let retryDelay = null
    if (typeof retry.customBackoff === 'function') {
      const backoff = retry.customBackoff
      retryDelay = (info) => {
        try {
          const err = v2Error(errors.decode(info.error), this)
          const ms = backoff(info.retry - 1, err)
          return typeof ms === 'number' && ms >= 0 ? ms : undefined
        } catch {
          return undefined
        }
      }
    }
    this._native = construct(() => new native.NativeClient(opts, retryDelay))
    this._nativeVersion = version
    return this._native
  }

  async _execute(request) {
    const { operation, params } = request
    const started = Date.now()
    const logger = this.config.logger
    let status, retries = 0
    try {
      if (this.config.paramValidation !== false) validate(operation, params)
      const n = await this._client()
      const id = params.ConnectionId
      const token = new native.AbortToken()
      if (!request._abort) request._abort = new AbortController()
      if (request._abort.signal.aborted) token.abort()
      else request._abort.signal.addEventListener('abort', () => token.abort(), { once: true })
      let r
      try {
        if (operation === 'postToConnection') r = await n.post(id, toData(params.Data, 'Data'), token)
        else if (operation === 'getConnection') r = await n.get(id, token)
        else r = await n.delete(id, token)
      } catch (e) {
        const info = errors.nativeInfo(e)
        if (info && info.kind === 'Aborted') {
          throw paramError('RequestAbortedError', 'Request aborted by user')
        }
        throw v2Error(errors.fromNative(e), this)
      }
      const meta = operation === 'getConnection' ? r.metadata : r
      status = meta.httpStatusCode
      retries = meta.attempts - 1
      request.response.retryCount = retries
      request.response.requestId = meta.requestId ?? undefined
      request.response.httpResponse.statusCode = status
      if (logger) log(logger, logLine(this, operation, params, status, started, retries))
      if (operation === 'getConnection') {
        return {
          ConnectedAt: new Date(r.connectedAt),
          Identity: { SourceIp: r.sourceIp, UserAgent: r.userAgent },
          LastActiveAt: new Date(r.lastActiveAt),
        }
      }
      return {}
    } catch (err) {
      if (err && err.$metadata) {
        status = err.$metadata.httpStatusCode
        retries = Math.max(0, err.$metadata.attempts - 1)
        request.response.requestId = err.$metadata.requestId
      }
      request.response.retryCount = retries
      request.response.httpResponse.statusCode = status
      if (logger) log(logger, logLine(this, operation, params, status, started, retries, err))
      throw err
    }
  }

  /** `makeRequest(operation, params, callback)`: any of the three operations by name. */
  makeRequest(operation, params, callback) {
    if (typeof params === 'function') {
      callback = params
      params = {}
    }
    if (!OPERATIONS[operation]) {
      throw paramError('UnknownOperation', `apigw-management/v2: unknown operation ${operation}`)
    }
    const merged = { ...(this.config.params || {}), ...(params || {}) }
    const req = new Request(this, operation, merged)
    if (typeof callback === 'function') req.send(callback)
    return req
  }

  postToConnection(params, callback) {
    return this.makeRequest('postToConnection', params, callback)
  }

  getConnection(params, callback) {
    return this.makeRequest('getConnection', params, callback)
  }

  deleteConnection(params, callback) {
    return this.makeRequest('deleteConnection', params, callback)
  }
}

function log(logger, line) {
  if (typeof logger.log === 'function') logger.log(line)
  else if (typeof logger.write === 'function') logger.write(line + '\n')
}

ApiGatewayManagementApi.prototype.api = { apiVersion: '2018-11-29', serviceId: 'ApiGatewayManagementApi', endpointPrefix: 'execute-api' }

exports.ApiGatewayManagementApi = ApiGatewayManagementApi
exports.config = config
exports.Config = Config
exports.Credentials = Credentials
exports.Endpoint = Endpoint
// The package's classes, for instanceof checks (v2 errors are these, with v2's fields).
exports.ApiGatewayManagementError = errors.ApiGatewayManagementError
exports.GoneException = errors.GoneException
