'use strict'
// apigw-management/testing: the local API Gateway WebSocket stand-in (the Rust
// `apigw-management-local` crate, in this process), test WebSocket clients (the `ws`
// package), and the scripted server the shared test vectors replay against.

const { Client, __internal } = require('./index.js')
const { native, describe, construct } = __internal

const TAG_HEADER = 'x-apigw-management-test-client'
const REGION = 'us-east-1'

let nextTag = 0

function requireWs() {
  try {
    return require('ws')
  } catch (e) {
    const err = new Error("apigw-management/testing: test clients need the 'ws' package (npm install --save-dev ws)")
    err.cause = e
    throw err
  }
}

function header(event, name) {
  const h = event && event.headers
  if (!h) return undefined
  for (const k of Object.keys(h)) if (k.toLowerCase() === name) return h[k]
  return undefined
}

const FAULT_KEYS = {
  seed: 'seed',
  throttle: 'throttle',
  serverError: 'server_error',
  dropBefore: 'drop_before',
  dropAfter: 'drop_after',
  latencyMs: 'latency_ms',
  latencyJitterMs: 'latency_jitter_ms',
  rateLimit: 'rate_limit',
  burst: 'burst',
}

function faultsJson(faults) {
  if (faults === undefined || faults === null) return JSON.stringify({})
  if (typeof faults !== 'object') throw new TypeError(`faults must be an object; got ${describe(faults)}`)
  const out = {}
  for (const [k, v] of Object.entries(faults)) {
    if (v === undefined) continue
    const key = FAULT_KEYS[k] || k
    out[key] = v
  }
  return JSON.stringify(out)
}

/** A WebSocket client connected to a LocalGateway (a `ws` WebSocket underneath). */
class TestClient {
  constructor(ws, connectionId) {
    /** The `ws` WebSocket. */
    this.ws = ws
    /** The connection id the gateway gave this client. */
    this.connectionId = connectionId
    /** Every message received so far (string for text frames, Buffer for binary). */
    this.messages = []
    this._unread = []
    this._waiting = []
    /** Resolves to `{ code, reason }` when the connection closes. */
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        const waiting = this._waiting.splice(0)
        for (const w of waiting) w.reject(new Error(`the connection closed (${code})`))
        resolve({ code, reason: reason ? reason.toString() : '' })
      })
    })
    ws.on('message', (data, isBinary) => {
      const msg = isBinary ? Buffer.from(data) : data.toString('utf8')
      this.messages.push(msg)
      const w = this._waiting.shift()
      if (w) w.resolve(msg)
      else this._unread.push(msg)
    })
  }

  /** The next message not yet taken (string or Buffer); rejects after `timeout` ms. */
  nextMessage({ timeout = 5000 } = {}) {
    if (this._unread.length) return Promise.resolve(this._unread.shift())
    if (this.ws.readyState > 1) return Promise.reject(new Error('the connection is closed'))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this._waiting.indexOf(entry)
        if (i >= 0) this._waiting.splice(i, 1)
        reject(new Error(`no message within ${timeout} ms`))
      }, timeout)
      const entry = {
        resolve: (m) => {
          clearTimeout(timer)
          resolve(m)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      }
      this._waiting.push(entry)
    })
  }

  /** Sends a text message (a `$default` route event). */
  send(text) {
    this.ws.send(String(text))
  }

  /** Closes the connection and waits for it to be closed. */
  close(code = 1000, reason = '') {
    if (this.ws.readyState < 2) this.ws.close(code, reason)
    return this.closed
  }
}

/**
 * The local API Gateway WebSocket stand-in, in-process.
 *
 *   const gw = await new LocalGateway().start()
 *   try { ... } finally { await gw.stop() }
 */
class LocalGateway {
  /**
   * @param {object} [options] `{ port, stage, verify, credentials: { accessKeyId, secretAccessKey },
   *   integrationUrl, handler(event) -> answer | Promise<answer>, faults: { seed, throttle,
   *   serverError, dropBefore, dropAfter, latencyMs, latencyJitterMs }, idleTimeout,
   *   maxDuration (ms), clientBufferBytes, apiId, template, parameterOverrides: {K: V},
   *   envVars, region }` (`template`: a SAM/CloudFormation WebSocket API run with its own
   *   Node and Python handlers; `handler` is then unused)
   */
  constructor(options = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`options must be an object; got ${describe(options)}`)
    }
    if (options.handler !== undefined && typeof options.handler !== 'function') {
      throw new TypeError(`handler must be a function; got ${describe(options.handler)}`)
    }
    this._options = options
    this._native = undefined
    this._clients = new Set()
    this._tags = new Map()
  }

  /** Starts serving on 127.0.0.1 (resolves to this gateway). */
  async start() {
    if (this._native) return this
    const o = this._options
    const opts = {}
    for (const k of ['port', 'stage', 'verify', 'integrationUrl', 'idleTimeout', 'maxDuration', 'clientBufferBytes', 'apiId',
      'template', 'parameterOverrides', 'envVars', 'region']) {
      if (o[k] !== undefined && o[k] !== null) opts[k] = o[k]
    }
    if (o.credentials) {
      opts.accessKeyId = o.credentials.accessKeyId
      opts.secretAccessKey = o.credentials.secretAccessKey
    }
    if (o.faults) opts.faultsJson = faultsJson(o.faults)
    const user = o.handler
    const onEvent = (route) => {
      let event
      try {
        event = JSON.parse(route.event)
      } catch {
        this._native.reply(route.id, '{"statusCode":500}')
        return
      }
      const rc = event.requestContext || {}
      if (rc.eventType === 'CONNECT') {
        const tag = header(event, TAG_HEADER)
        const waiter = tag && this._tags.get(tag)
        if (waiter) waiter.connectionId = rc.connectionId
      }
      if (!user) {
        this._native.reply(route.id, '{"statusCode":200}')
        return
      }
      Promise.resolve()
        .then(() => user(event))
        .then(
          (answer) => this._native && this._native.reply(route.id, JSON.stringify(answer ?? { statusCode: 200 })),
          (err) => {
            process.emitWarning(`apigw-management LocalGateway: the handler threw: ${err && err.stack ? err.stack : err}`)
            if (this._native) this._native.reply(route.id, '{"statusCode":500}')
          },
        )
    }
    this._native = construct(() => native.NativeGateway.start(opts, onEvent))
    return this
  }

  _running() {
    if (!this._native) throw new Error('the LocalGateway is not started: await gateway.start() first')
    return this._native
  }

  /** The management endpoint: `http://127.0.0.1:PORT/{stage}`. */
  get endpoint() {
    return this._running().endpoint
  }

  /** Where WebSocket clients connect: `ws://127.0.0.1:PORT/{stage}`. */
  get wsUrl() {
    return this._running().wsUrl
  }

  /** Template mode: `wss://127.0.0.1:PORT/{stage}` (else undefined). */
  get wssUrl() {
    return this._running().wssUrl ?? undefined
  }

  /** Template mode: the generated CA (PEM file) that `wss://` clients trust (else undefined). */
  get caFile() {
    return this._running().caFile ?? undefined
  }

  get port() {
    return this._running().port
  }

  get stage() {
    return this._running().stage
  }

  get apiId() {
    return this._running().apiId
  }

  /** The region clients should sign for (any works; `us-east-1` by convention). */
  get region() {
    return REGION
  }

  /** The key pair requests must be signed with (local test keys). */
  get credentials() {
    const n = this._running()
    return { accessKeyId: n.accessKeyId, secretAccessKey: n.secretAccessKey }
  }

  /** `{ endpoint, region, credentials }` for `new Client(...)` (and the SDK shims). */
  clientOptions() {
    return { endpoint: this.endpoint, region: REGION, credentials: this.credentials }
  }

  /** A Client for this gateway (`options` override the defaults). */
  client(options = {}) {
    return new Client({ ...this.clientOptions(), ...options })
  }

  /**
   * Connects a WebSocket client (`ws`); resolves once `$connect` was accepted.
   * @param {object} [options] `{ query: {k: v} | 'k=v', headers, userAgent, timeout }`
   */
  async connect(options = {}) {
    const WebSocket = requireWs()
    const n = this._running()
    const tag = `${process.pid}-${++nextTag}`
    const waiter = { connectionId: undefined }
    this._tags.set(tag, waiter)
    let url = n.wsUrl
    if (options.query) {
      url += '?' + (typeof options.query === 'string' ? options.query : new URLSearchParams(options.query).toString())
    }
    const headers = { ...(options.headers || {}), [TAG_HEADER]: tag }
    if (options.userAgent) headers['User-Agent'] = options.userAgent
    // Template mode sends no events to JS: the client is found by its User-Agent.
    else if (this._options.template) headers['User-Agent'] = `apigw-test-client ${tag}`
    const ws = new WebSocket(url, { headers, handshakeTimeout: options.timeout || 10000 })
    try {
      await new Promise((resolve, reject) => {
        ws.once('open', resolve)
        ws.once('error', reject)
        ws.once('unexpected-response', (_req, res) => {
          const e = new Error(`the gateway refused the connection: HTTP ${res.statusCode}`)
          e.statusCode = res.statusCode
          reject(e)
        })
      })
    } finally {
      this._tags.delete(tag)
    }
    ws.on('error', () => {})
    if (!waiter.connectionId) {
      const found = this.connections().find((c) => c.identity.userAgent === headers['User-Agent'])
      waiter.connectionId = found && found.connectionId
    }
    const client = new TestClient(ws, waiter.connectionId)
    this._clients.add(client)
    client.closed.then(() => this._clients.delete(client))
    return client
  }

  /** Connects `count` clients, `parallel` at a time. */
  async connectMany(count, options = {}) {
    const parallel = options.parallel || 50
    const out = new Array(count)
    let next = 0
    const worker = async () => {
      while (next < count) {
        const i = next++
        out[i] = await this.connect(options)
      }
    }
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker))
    return out
  }

  /** Open connections: `[{ connectionId, connectedAt: Date, lastActiveAt: Date, identity }]`. */
  connections() {
    return JSON.parse(this._running().connectionsJson()).map((c) => ({
      connectionId: c.connectionId,
      connectedAt: new Date(c.connectedAt),
      lastActiveAt: new Date(c.lastActiveAt),
      identity: c.identity,
    }))
  }

  /** Ids of the open connections, oldest first. */
  connectionIds() {
    return this._running().connectionIds()
  }

  get connectionCount() {
    return this._running().connectionCount
  }

  /** Closes one connection from the server side (as DeleteConnection); false if not open. */
  disconnect(connectionId) {
    return this._running().disconnect(connectionId)
  }

  /** Replaces the injected faults (see the constructor); `{}` removes them. */
  setFaults(faults) {
    const n = this._running()
    construct(() => n.setFaults(faultsJson(faults)))
  }

  /** Stops serving and closes every test client. Idempotent. */
  async stop() {
    const n = this._native
    if (!n) return
    const closing = []
    for (const c of this._clients) {
      c.ws.terminate()
      closing.push(c.closed)
    }
    n.stop()
    await Promise.all(closing)
  }

  [Symbol.asyncDispose || Symbol.for('Symbol.asyncDispose')]() {
    return this.stop()
  }
}

/** The scripted server of `tests/vectors` (see tests/vectors/README.md). */
class ScriptServer {
  /**
   * @param {object|string} script `{ responses: { id: [answer, ...] }, stage? }`
   * @param {object} [credentials] the keys signatures are checked against (default AKIDLOCAL / local-secret)
   */
  constructor(script, credentials) {
    const json = typeof script === 'string' ? script : JSON.stringify(script)
    this._native = construct(
      () => new native.ScriptServer(json, credentials && credentials.accessKeyId, credentials && credentials.secretAccessKey),
    )
  }

  /** `http://127.0.0.1:PORT/{stage}`. */
  get endpoint() {
    return this._native.endpoint
  }

  /** Every request received so far: `[{ method, path, connection_id, headers, body, signature_error, received_ms }]`. */
  requests() {
    return JSON.parse(this._native.requestsJson())
  }

  stop() {
    this._native.stop()
  }

  [Symbol.asyncDispose || Symbol.for('Symbol.asyncDispose')]() {
    this.stop()
    return Promise.resolve()
  }
}

exports.LocalGateway = LocalGateway
exports.TestClient = TestClient
exports.ScriptServer = ScriptServer
