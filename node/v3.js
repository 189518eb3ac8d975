'use strict'
// apigw-management/v3: the shape of @aws-sdk/client-apigatewaymanagementapi (SDK v3) on
// the Rust core: ApiGatewayManagementApiClient + commands + send(), the aggregated
// ApiGatewayManagementApi class, and the service exception classes.

const { __internal } = require('./index.js')
const errors = require('./errors.js')
const { native, toData, checkSignal, withSignal, nativeOptions, construct, describe, redactConfig, toMetadata } = __internal
const { inspect } = require('node:util')

const OP = Symbol('apigw-management.v3.operation')
/** Refresh provider credentials this long before they expire. */
const REFRESH_MS = 5 * 60 * 1000

class Command {
  constructor(input) {
    this.input = input === undefined ? {} : input
    this.middlewareStack = { add() {}, addRelativeTo() {}, use() {}, remove() {}, clone() { return this } }
  }
  resolveMiddleware() {
    throw new Error('apigw-management/v3: commands run through client.send() only')
  }
}

class PostToConnectionCommand extends Command {}
PostToConnectionCommand.prototype[OP] = 'post'
class GetConnectionCommand extends Command {}
GetConnectionCommand.prototype[OP] = 'get'
class DeleteConnectionCommand extends Command {}
DeleteConnectionCommand.prototype[OP] = 'delete'

function endpointUrl(e) {
  if (e === undefined || e === null) return undefined
  if (typeof e === 'string') return e
  if (e instanceof URL) return e.href
  if (typeof e === 'object') {
    if (e.url) return endpointUrl(e.url)
    if (e.hostname) {
      const port = e.port ? `:${e.port}` : ''
      return `${e.protocol || 'https:'}//${e.hostname}${port}${e.path || ''}`
    }
  }
  throw new TypeError(`endpoint must be a URL string or an Endpoint; got ${describe(e)}`)
}

async function resolveValue(v) {
  return typeof v === 'function' ? await v() : v
}

class ApiGatewayManagementApiClient {
  /**
   * @param {object} [config] `{ endpoint, region, credentials (object or async provider),
   *   maxAttempts, requestHandler: { requestTimeout, connectionTimeout }, ... }`;
   *   options that do not apply here are accepted and ignored.
   */
  constructor(config = {}) {
    if (config === null || typeof config !== 'object') {
      throw new TypeError(`config must be an object; got ${describe(config)}`)
    }
    this.config = { ...config }
    this.middlewareStack = { add() {}, addRelativeTo() {}, use() {}, remove() {}, clone() { return this } }
    this._native = undefined
    this._expires = Infinity
    this._building = undefined
  }

  async _client() {
    if (this._native && Date.now() < this._expires) return this._native
    if (!this._building) {
      this._building = this._build().finally(() => {
        this._building = undefined
      })
    }
    return this._building
  }

  async _build() {
    const c = this.config
    const [region, credentials, maxAttempts] = await Promise.all([
      resolveValue(c.region),
      resolveValue(c.credentials),
      resolveValue(c.maxAttempts),
    ])
    const endpoint = endpointUrl(await resolveValue(c.endpoint))
    const rh = c.requestHandler && typeof c.requestHandler === 'object' ? c.requestHandler : {}
    const opts = nativeOptions(
      {
        endpoint,
        region,
        credentials: credentials ? { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken } : undefined,
        maxAttempts,
        timeout: rh.requestTimeout || c.requestTimeout,
        connectTimeout: rh.connectionTimeout || c.connectionTimeout,
        maxPayloadBytes: c.maxPayloadBytes,
        retryAmbiguous: c.retryAmbiguous,
      },
    )
    this._native = construct(() => new native.NativeClient(opts, null))
    const exp = credentials && credentials.expiration
    this._expires = exp ? new Date(exp).getTime() - REFRESH_MS : Infinity
    return this._native
  }

  /** Runs a command: `send(command, { abortSignal }?, callback?)`. */
  send(command, options, callback) {
    if (typeof options === 'function') {
      callback = options
      options = undefined
    }
    const p = this._send(command, options || {})
    if (typeof callback === 'function') {
      p.then((out) => callback(null, out), (err) => callback(err))
      return undefined
    }
    return p
  }

  async _send(command, options) {
    const op = command && command[OP]
    if (!op) throw new TypeError(`send() takes a PostToConnectionCommand, GetConnectionCommand or DeleteConnectionCommand; got ${describe(command)}`)
    const input = command.input || {}
    const id = input.ConnectionId
    if (id === undefined || id === null || id === '') {
      throw new Error('No value provided for input HTTP label: ConnectionId.')
    }
    if (typeof id !== 'string') throw new TypeError(`ConnectionId must be a string; got ${describe(id)}`)
    const body = op === 'post' ? toData(input.Data === undefined ? '' : input.Data, 'Data') : undefined
    const signal = checkSignal(options.abortSignal)
    const n = await this._client()
    const start = (t) => (op === 'post' ? n.post(id, body, t) : op === 'get' ? n.get(id, t) : n.delete(id, t))
    const map = (r) => {
      if (op === 'get') {
        return {
          $metadata: toMetadata(r.metadata),
          ConnectedAt: new Date(r.connectedAt),
          Identity: { SourceIp: r.sourceIp, UserAgent: r.userAgent },
          LastActiveAt: new Date(r.lastActiveAt),
        }
      }
      return { $metadata: toMetadata(r) }
    }
    if (signal) return withSignal(signal, start, map)
    return start(undefined).then(map, (e) => {
      throw errors.fromNative(e)
    })
  }

  destroy() {}

  // Shown (console.log, util.inspect, JSON.stringify) without the secret key and token.
  toJSON() {
    return { config: redactConfig(this.config) }
  }

  [inspect.custom](depth, options, show) {
    return `${this.constructor.name} ${show({ config: redactConfig(this.config) }, options)}`
  }
}

/** The aggregated client: `await api.postToConnection({ ConnectionId, Data })`. */
class ApiGatewayManagementApi extends ApiGatewayManagementApiClient {
  postToConnection(args, options, cb) {
    return this.send(new PostToConnectionCommand(args), options, cb)
  }
  getConnection(args, options, cb) {
    return this.send(new GetConnectionCommand(args), options, cb)
  }
  deleteConnection(args, options, cb) {
    return this.send(new DeleteConnectionCommand(args), options, cb)
  }
}

exports.ApiGatewayManagementApiClient = ApiGatewayManagementApiClient
exports.ApiGatewayManagementApi = ApiGatewayManagementApi
exports.PostToConnectionCommand = PostToConnectionCommand
exports.GetConnectionCommand = GetConnectionCommand
exports.DeleteConnectionCommand = DeleteConnectionCommand
exports.ApiGatewayManagementApiServiceException = errors.ServiceError
exports.GoneException = errors.GoneException
exports.ForbiddenException = errors.ForbiddenException
exports.LimitExceededException = errors.LimitExceededException
exports.PayloadTooLargeException = errors.PayloadTooLargeException
// Not in SDK v3 (whose transport errors are plain Errors), exported for instanceof checks.
exports.TransportError = errors.TransportError
exports.ApiGatewayManagementError = errors.ApiGatewayManagementError
