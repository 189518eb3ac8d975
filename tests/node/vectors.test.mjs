// Replays every tests/vectors/*.json case (except signing.json) through the JS API,
// against the scripted server, as the Rust and Python suites do.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { root, pkg, LOCAL_CREDENTIALS } from './helpers.mjs'

const api = pkg()
const { ScriptServer } = pkg('testing.js')

const dir = path.join(root, 'tests', 'vectors')
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json') && f !== 'signing.json')
  .sort()

const CLASS_OF_KIND = {
  Gone: api.GoneException,
  Forbidden: api.ForbiddenException,
  LimitExceeded: api.LimitExceededException,
  PayloadTooLarge: api.PayloadTooLargeException,
  Service: api.ServiceError,
  Timeout: api.TransportError,
  Connect: api.TransportError,
  Tls: api.TransportError,
  Protocol: api.TransportError,
  Credentials: api.CredentialsError,
  Config: api.ConfigError,
  InvalidInput: api.InvalidInputError,
}

const CASE_KEYS = ['name', 'client', 'call', 'script', 'expect', 'expect_requests', 'expect_request_count', 'expect_signature_errors', 'expect_gaps_ms', 'skip']
const CLIENT_KEYS = ['max_attempts', 'retry_base_delay_ms', 'timeout_ms', 'connect_timeout_ms', 'retry_ambiguous', 'max_payload_bytes', 'endpoint', 'region', 'proxy']
const CALL_KEYS = ['op', 'connection_id', 'data', 'connection_ids', 'items', 'concurrency']
const ERROR_KEYS = ['kind', 'code', 'status', 'message', 'message_contains', 'request_id', 'attempts', 'retryable']
const CONNECTION_KEYS = ['connected_at', 'last_active_at', 'source_ip', 'user_agent']

// A key outside `allowed` fails the case (a typo must not be ignored), as does a missing
// one of `required`.
function keys(v, allowed, required, what) {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `${what} is not an object: ${JSON.stringify(v)}`)
  const unknown = Object.keys(v).filter((k) => !allowed.includes(k))
  assert.deepEqual(unknown, [], `unknown key ${unknown} in ${what}`)
  const missing = required.filter((k) => !(k in v))
  assert.deepEqual(missing, [], `${what} lacks ${missing}`)
}

function dataKeys(v, what) {
  if (v && 'repeat' in v) keys(v, ['repeat', 'times'], ['repeat', 'times'], what)
  else if (v && 'base64' in v) keys(v, ['base64'], ['base64'], what)
  else keys(v, ['utf8'], ['utf8'], what)
}

// Checks every key of a case against tests/vectors/README.md.
function validate(v) {
  keys(v, CASE_KEYS, ['name', 'client', 'call', 'script', 'expect'], 'the case')
  keys(v.client, CLIENT_KEYS, [], 'client')
  keys(v.call, CALL_KEYS, ['op'], 'call')
  if ('data' in v.call) dataKeys(v.call.data, 'call.data')
  for (const item of v.call.items || []) {
    keys(item, ['connection_id', 'data'], ['connection_id', 'data'], 'an item')
    dataKeys(item.data, "an item's data")
  }
  keys(v.expect, ['ok', 'connection', 'error', 'broadcast'], [], 'expect')
  assert.equal(Object.keys(v.expect).length, 1, 'expect needs exactly one of ok, connection, error, broadcast')
  if (v.expect.error) keys(v.expect.error, ERROR_KEYS, [], 'expect.error')
  if (v.expect.connection) keys(v.expect.connection, CONNECTION_KEYS, CONNECTION_KEYS, 'expect.connection')
  if (v.expect.broadcast) {
    const every = ['delivered', 'gone', 'failed']
    keys(v.expect.broadcast, every, every, 'expect.broadcast')
    for (const f of v.expect.broadcast.failed) keys(f, [...ERROR_KEYS, 'connection_id'], ['connection_id'], 'failed')
  }
  for (const r of v.expect_requests || []) {
    keys(r, ['method', 'path', 'body'], ['method', 'path', 'body'], 'expect_requests')
    dataKeys(r.body, "a request's body")
  }
}

function data(d) {
  if (!d) return ''
  if ('utf8' in d) return d.utf8
  if ('base64' in d) return Buffer.from(d.base64, 'base64')
  if ('repeat' in d) return d.repeat.repeat(d.times)
  throw new Error(`unknown data ${JSON.stringify(d)}`)
}

// The case's options in Node's names and units (milliseconds); a value of another type
// is passed as it is: the binding must reject it, not the runner. A case may replace the
// endpoint (`{server}` there is the server's `http://127.0.0.1:PORT`), region and proxy.
function clientOptions(c = {}, endpoint) {
  const o = { endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }
  const origin = endpoint.slice(0, endpoint.lastIndexOf('/'))
  if (c.endpoint !== undefined) o.endpoint = typeof c.endpoint === 'string' ? c.endpoint.replaceAll('{server}', origin) : c.endpoint
  if (c.region !== undefined) o.region = c.region
  if (c.proxy !== undefined) o.proxy = c.proxy
  if (c.max_attempts !== undefined) o.maxAttempts = c.max_attempts
  if (c.retry_base_delay_ms !== undefined) o.retryBaseDelay = c.retry_base_delay_ms
  if (c.timeout_ms !== undefined) o.timeout = c.timeout_ms
  if (c.connect_timeout_ms !== undefined) o.connectTimeout = c.connect_timeout_ms
  if (c.retry_ambiguous !== undefined) o.retryAmbiguous = c.retry_ambiguous
  if (c.max_payload_bytes !== undefined) o.maxPayloadBytes = c.max_payload_bytes
  return o
}

async function call(client, c) {
  switch (c.op) {
    case 'post_to_connection':
      return client.postToConnection(c.connection_id, data(c.data))
    case 'get_connection':
      return client.getConnection(c.connection_id)
    case 'delete_connection':
      return client.deleteConnection(c.connection_id)
    case 'broadcast':
      return client.broadcast(c.connection_ids, data(c.data), c.concurrency !== undefined ? { concurrency: c.concurrency } : {})
    case 'post_many':
      return client.postMany(
        c.items.map((i) => [i.connection_id, data(i.data)]),
        c.concurrency !== undefined ? { concurrency: c.concurrency } : {},
      )
    default:
      throw new Error(`unknown op ${c.op}`)
  }
}

// A value of the wrong type is a TypeError (as Node's own ERR_INVALID_ARG_TYPE) of kind
// InvalidInput, the README's "TypeError-like" error; every other error is one of ours.
const isTypeError = (err) => (err instanceof TypeError || err instanceof RangeError) && err.kind === 'InvalidInput'

// Option names in messages: the core says max_attempts, the binding maxAttempts.
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase())

// What a user reads off an error, in the vectors' names. A TypeError is thrown in JS
// before any I/O: it has no status, request id or attempts of its own, and its `code` is
// Node's ERR_INVALID_ARG_TYPE, which is no service error name.
function errorView(err) {
  if (isTypeError(err)) {
    return { kind: err.kind, code: null, status: null, message: err.message, request_id: null, attempts: 0, retryable: false }
  }
  const m = err.$metadata
  return {
    kind: err.kind,
    code: err.code === undefined ? null : err.code,
    status: m.httpStatusCode === undefined ? null : m.httpStatusCode,
    message: err.message,
    request_id: m.requestId === undefined ? null : m.requestId,
    attempts: m.attempts,
    retryable: err.retryable,
  }
}

function checkError(err, want, where = 'error') {
  const typeError = isTypeError(err)
  assert.ok(typeError || err instanceof api.ApiGatewayManagementError, `${where}: not an ApiGatewayManagementError: ${err && err.stack}`)
  if (want.kind !== undefined && !typeError) {
    assert.ok(err instanceof CLASS_OF_KIND[want.kind], `${where}: class ${err.constructor.name} for kind ${want.kind}`)
  }
  const got = errorView(err)
  for (const [k, w] of Object.entries(want)) {
    if (k === 'connection_id') continue
    if (k === 'message_contains') {
      const found = [w, camel(w)].some((m) => got.message.includes(m))
      assert.ok(found, `${where}: message ${JSON.stringify(got.message)} lacks ${w}`)
      continue
    }
    assert.deepEqual(got[k], w, `${where}: ${k} (${got.message})`)
  }
}

function checkResult(result, error, expect) {
  if (expect.error) {
    assert.ok(error, `expected an error, got ${JSON.stringify(result)}`)
    checkError(error, expect.error)
    return
  }
  if (error) throw error
  if (expect.ok) {
    assert.equal(result, undefined)
  } else if (expect.connection) {
    const w = expect.connection
    assert.ok(result.connectedAt instanceof Date)
    assert.equal(result.connectedAt.toISOString(), w.connected_at)
    assert.equal(result.lastActiveAt.toISOString(), w.last_active_at)
    assert.equal(result.identity.sourceIp, w.source_ip)
    assert.equal(result.identity.userAgent, w.user_agent)
  } else if (expect.broadcast) {
    const w = expect.broadcast
    assert.equal(result.delivered, w.delivered, 'delivered')
    assert.deepEqual(result.gone, w.gone, 'gone')
    assert.deepEqual(
      result.failed.map((f) => f.connectionId),
      w.failed.map((f) => f.connection_id),
      'failed ids',
    )
    w.failed.forEach((f, i) => checkError(result.failed[i].error, f, `failed[${i}]`))
  } else {
    throw new Error(`unknown expectation ${JSON.stringify(expect)}`)
  }
}

// Milliseconds a call may take at most: every attempt using its whole connect and
// response timeouts, plus 1 s for backoff and scheduling (the faults must fail within the
// configured timeouts, never the 10 s defaults or not at all).
function timeBound(c = {}) {
  const nums = [c.max_attempts, c.timeout_ms, c.connect_timeout_ms]
  if (!nums.every((n) => typeof n === 'number' && n >= 0 && n < 1e6)) return undefined
  const [attempts, timeout, connect] = nums
  return attempts * (timeout + connect) + 1000
}

// Compares the requests the server saw with the case: count, bytes, signatures, gaps.
function checkRequests(v, requests) {
  if (v.expect_request_count !== undefined) assert.equal(requests.length, v.expect_request_count, 'request count')
  if (v.expect_requests) {
    assert.deepEqual(
      requests.map((r) => ({ method: r.method, path: r.path, body: r.body })),
      v.expect_requests,
    )
  }
  // Every request verifies unless the case names the ones that must not (in order).
  const signatures = requests.map((r) => r.signature_error)
  assert.deepEqual(signatures, v.expect_signature_errors || requests.map(() => null), 'signature errors')
  if (v.expect_gaps_ms) {
    const gaps = requests.slice(1).map((r, i) => r.received_ms - requests[i].received_ms)
    const fits = gaps.length === v.expect_gaps_ms.length && gaps.every((g, i) => g >= v.expect_gaps_ms[i][0] && g <= v.expect_gaps_ms[i][1])
    assert.ok(fits, `gaps between requests ${JSON.stringify(gaps)} ms, expected within ${JSON.stringify(v.expect_gaps_ms)}`)
  }
}

let count = 0
for (const file of files) {
  const doc = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))
  const cases = Array.isArray(doc) ? doc : doc.cases
  for (const v of cases) {
    count++
    const skip = (v.skip || []).includes('node') && 'the case cannot be expressed in Node'
    test(`${file}: ${v.name}`, { skip }, async () => {
      validate(v)
      const server = new ScriptServer(v.script)
      try {
        let result, error
        let started
        try {
          // A client that cannot be built is the outcome to compare, as a failed call is.
          const client = new api.Client(clientOptions(v.client, server.endpoint))
          started = Date.now()
          result = await call(client, v.call)
        } catch (e) {
          error = e
        }
        const took = started === undefined ? 0 : Date.now() - started
        const bound = timeBound(v.client)
        assert.ok(bound === undefined || took <= bound, `took ${took} ms, bound ${bound} ms`)
        checkResult(result, error, v.expect)
        checkRequests(v, server.requests())
      } finally {
        server.stop()
      }
    })
  }
}

test('the vector files hold cases', () => {
  assert.ok(files.length > 0 && count > 0, 'no vector cases found')
  assert.ok(files.includes('bad_input.json'), 'bad_input.json is replayed')
})
