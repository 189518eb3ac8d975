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

function data(d) {
  if (!d) return ''
  if ('utf8' in d) return d.utf8
  if ('base64' in d) return Buffer.from(d.base64, 'base64')
  if ('repeat' in d) return d.repeat.repeat(d.times)
  throw new Error(`unknown data ${JSON.stringify(d)}`)
}

// The case's options in Node's names and units (milliseconds); a value of another type
// is passed as it is: the binding must reject it, not the runner. A case may replace the
// endpoint, region and proxy.
function clientOptions(c = {}, endpoint) {
  const o = { endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }
  if (c.endpoint !== undefined) o.endpoint = c.endpoint
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

function checkError(err, want, where = 'error') {
  const typeError = isTypeError(err)
  assert.ok(typeError || err instanceof api.ApiGatewayManagementError, `${where}: not an ApiGatewayManagementError: ${err && err.stack}`)
  if (want.kind !== undefined) {
    assert.equal(err.kind, want.kind, `${where}: kind (${err.message})`)
    if (!typeError) {
      assert.ok(err instanceof CLASS_OF_KIND[want.kind], `${where}: class ${err.constructor.name} for kind ${want.kind}`)
    }
  }
  if (typeError) {
    // Raised in JS before any I/O: no status, no code, no attempts.
    if (want.message_contains !== undefined) {
      const found = [want.message_contains, camel(want.message_contains)].some((m) => err.message.includes(m))
      assert.ok(found, `${where}: message ${JSON.stringify(err.message)} lacks ${want.message_contains}`)
    }
    if (want.status !== undefined) assert.equal(want.status, null, `${where}: status`)
    if (want.attempts !== undefined) assert.equal(want.attempts, 0, `${where}: attempts`)
    return
  }
  if (want.code !== undefined) assert.equal(err.code, want.code, `${where}: code`)
  if (want.status !== undefined) {
    assert.equal(err.$metadata.httpStatusCode, want.status === null ? undefined : want.status, `${where}: status`)
  }
  if (want.message !== undefined) assert.equal(err.message, want.message, `${where}: message`)
  if (want.message_contains !== undefined) {
    const found = [want.message_contains, camel(want.message_contains)].some((m) => err.message.includes(m))
    assert.ok(found, `${where}: message ${JSON.stringify(err.message)} lacks ${want.message_contains}`)
  }
  if (want.request_id !== undefined) assert.equal(err.$metadata.requestId, want.request_id, `${where}: request id`)
  if (want.attempts !== undefined) assert.equal(err.$metadata.attempts, want.attempts, `${where}: attempts`)
  if (want.retryable !== undefined) assert.equal(err.retryable, want.retryable, `${where}: retryable`)
}

function checkResult(result, error, expect) {
  if (expect.error) {
    assert.ok(error, `expected an error, got ${JSON.stringify(result)}`)
    checkError(error, expect.error)
    return
  }
  if (error) throw error
  if (expect.ok) {
    assert.ok([200, 204].includes(result.$metadata.httpStatusCode), JSON.stringify(result))
  } else if (expect.connection) {
    const w = expect.connection
    assert.ok(result.connectedAt instanceof Date)
    assert.equal(result.connectedAt.toISOString(), w.connected_at)
    assert.equal(result.lastActiveAt.toISOString(), w.last_active_at)
    if (w.source_ip !== undefined) assert.equal(result.identity.sourceIp, w.source_ip)
    if (w.user_agent !== undefined) assert.equal(result.identity.userAgent, w.user_agent)
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

let count = 0
for (const file of files) {
  const doc = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))
  const cases = Array.isArray(doc) ? doc : doc.cases
  for (const v of cases) {
    count++
    const skip = (v.skip || []).includes('node') && 'the case cannot be expressed in Node'
    test(`${file}: ${v.name}`, { skip }, async () => {
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
        const requests = server.requests()
        if (!v.allow_signature_errors) {
          for (const r of requests) assert.equal(r.signature_error, null, `signature of ${r.method} ${r.path}`)
        }
        if (v.expect_requests) {
          assert.deepEqual(
            requests.map((r) => ({ method: r.method, path: r.path, body: r.body })),
            v.expect_requests,
          )
        }
        if (v.expect_request_count !== undefined) assert.equal(requests.length, v.expect_request_count, 'request count')
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
