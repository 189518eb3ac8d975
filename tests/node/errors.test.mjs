// Each error class with its fields, against the local gateway; nothing is sent on bad
// input.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { pkg, root, LOCAL_CREDENTIALS } from './helpers.mjs'

const api = pkg()
const { Client } = api
const { LocalGateway, ScriptServer } = pkg('testing.js')

let gw
before(async () => {
  gw = await new LocalGateway().start()
})
after(async () => {
  await gw.stop()
})

function checkShape(e, { Class, name, kind, status, fault, retryable, attempts }) {
  assert.ok(e instanceof Class, `${e && e.constructor.name} is not a ${Class.name}`)
  assert.ok(e instanceof api.ApiGatewayManagementError)
  assert.ok(e instanceof Error)
  if (name) assert.equal(e.name, name)
  if (kind) assert.equal(e.kind, kind)
  assert.equal(typeof e.message, 'string')
  assert.equal(e.$metadata.httpStatusCode, status)
  if (fault) assert.equal(e.$fault, fault)
  if (retryable !== undefined) assert.equal(e.retryable, retryable)
  if (attempts !== undefined) assert.equal(e.$metadata.attempts, attempts)
  assert.equal(typeof e.$metadata.totalRetryDelay, 'number')
  if (status) assert.match(e.$metadata.requestId, /^[0-9a-f-]{36}$/)
  assert.ok(!String(e.message).includes('local-secret'))
}

test('GoneException: unknown connection', async () => {
  const e = await gw.client().postToConnection('AAAAAAAAAAAAAAA=', 'x').catch((x) => x)
  checkShape(e, { Class: api.GoneException, name: 'GoneException', kind: 'Gone', status: 410, fault: 'client', retryable: false, attempts: 1 })
  assert.equal(e.code, 'GoneException')
})

test('ForbiddenException: wrong stage', async () => {
  const c = new Client({ ...gw.clientOptions(), endpoint: gw.endpoint.replace(/\/prod$/, '/nope') })
  const e = await c.getConnection('AAAAAAAAAAAAAAA=').catch((x) => x)
  checkShape(e, { Class: api.ForbiddenException, name: 'ForbiddenException', status: 403, retryable: false, attempts: 1 })
})

test('ForbiddenException: bad signature keeps the code InvalidSignatureException', async () => {
  const c = new Client({ ...gw.clientOptions(), credentials: { accessKeyId: gw.credentials.accessKeyId, secretAccessKey: 'wrong' } })
  const e = await c.postToConnection('AAAAAAAAAAAAAAA=', 'x').catch((x) => x)
  checkShape(e, { Class: api.ForbiddenException, name: 'InvalidSignatureException', kind: 'Forbidden', status: 403, retryable: false })
  assert.equal(e.code, 'InvalidSignatureException')
})

test('PayloadTooLargeException: before sending, and from the service', async () => {
  const ws = await gw.connect()
  const local = await gw.client().postToConnection(ws.connectionId, Buffer.alloc(131073)).catch((x) => x)
  checkShape(local, { Class: api.PayloadTooLargeException, status: undefined, attempts: 0 })
  assert.match(local.message, /131073/)
  const c = gw.client({ maxPayloadBytes: 200_000 })
  const remote = await c.postToConnection(ws.connectionId, Buffer.alloc(131073)).catch((x) => x)
  checkShape(remote, { Class: api.PayloadTooLargeException, name: 'PayloadTooLargeException', status: 413, attempts: 1 })
  await ws.close()
})

test('LimitExceededException and ServiceError from injected faults', async () => {
  const g = await new LocalGateway({ faults: { throttle: 1 } }).start()
  try {
    const ws = await g.connect()
    const c = g.client({ maxAttempts: 2, retryBaseDelay: 1 })
    const e = await c.postToConnection(ws.connectionId, 'x').catch((x) => x)
    checkShape(e, { Class: api.LimitExceededException, name: 'LimitExceededException', status: 429, retryable: true, attempts: 2 })
    g.setFaults({ serverError: 1 })
    const s = await c.postToConnection(ws.connectionId, 'x').catch((x) => x)
    checkShape(s, { Class: api.ServiceError, status: 500, fault: 'server', retryable: true, attempts: 2 })
    assert.ok(!(s instanceof api.GoneException))
    g.setFaults({})
    await c.postToConnection(ws.connectionId, 'ok')
    assert.equal(await ws.nextMessage(), 'ok')
  } finally {
    await g.stop()
  }
})

test('the account rate limit: 429 for every request past the burst', async () => {
  const g = await new LocalGateway({ faults: { rateLimit: 0.001, burst: 2 } }).start()
  try {
    const ws = await g.connect()
    const c = g.client({ maxAttempts: 1 })
    const outcomes = []
    for (const id of [ws.connectionId, 'R29uZUdvbmVHb25lMQ=', ws.connectionId]) {
      const r = await c.postToConnection(id, 'x').then(() => 'delivered', (e) => e.name)
      outcomes.push(r)
    }
    assert.deepEqual(outcomes, ['delivered', 'GoneException', 'LimitExceededException'])
    await ws.close()
  } finally {
    await g.stop()
  }
})

test('TransportError: connection refused', async () => {
  const server = new ScriptServer({ responses: {} })
  const endpoint = server.endpoint
  server.stop()
  await new Promise((r) => setTimeout(r, 50))
  const c = new Client({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 2, retryBaseDelay: 1 })
  const e = await c.deleteConnection('a=').catch((x) => x)
  checkShape(e, { Class: api.TransportError, kind: 'Connect', status: undefined, retryable: true, attempts: 2 })
})

test('TransportError: timeout', async () => {
  const server = new ScriptServer({ responses: { '*': [{ action: 'hang' }] } })
  try {
    const c = new Client({ endpoint: server.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1, timeout: 100 })
    const e = await c.getConnection('a=').catch((x) => x)
    checkShape(e, { Class: api.TransportError, kind: 'Timeout', status: undefined, attempts: 1 })
  } finally {
    server.stop()
  }
})

test('ConfigError: invalid options, at construction', () => {
  assert.throws(() => new Client({ endpoint: 'ftp://x/prod', region: 'us-east-1' }), api.ConfigError)
  assert.throws(() => new Client({ endpoint: 'https://x/prod', region: 'us-east-1', maxAttempts: 0 }), api.ConfigError)
  assert.throws(() => new Client({ endpoint: 'https://x/prod', region: 'us-east-1', timeout: -1 }), api.ConfigError)
  assert.throws(() => new Client({ endpoint: 'https://x/prod', credentials: { accessKeyId: 'a' } }), api.ConfigError)
  const e = (() => {
    try {
      new Client({ endpoint: 'not a url' })
    } catch (x) {
      return x
    }
  })()
  assert.equal(e.kind, 'Config')
  assert.equal(e.$metadata.attempts, 0)
})

test('CredentialsError: no credentials anywhere', () => {
  const env = { PATH: process.env.PATH, HOME: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/nonexistent/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials' }
  const code = `
    const { Client, CredentialsError } = require(${JSON.stringify(root + '/node')})
    new Client({ endpoint: 'http://127.0.0.1:9/prod', region: 'us-east-1', maxAttempts: 1 })
      .postToConnection('a=', 'x')
      .then(() => { console.log('resolved'); process.exit(1) }, (e) => {
        console.log(JSON.stringify({ cls: e instanceof CredentialsError, name: e.name, kind: e.kind, attempts: e.$metadata.attempts }))
      })`
  const r = spawnSync(process.execPath, ['-e', code], { env, encoding: 'utf8', timeout: 30_000 })
  assert.equal(r.status, 0, r.stderr)
  const got = JSON.parse(r.stdout.trim())
  // Raised before any request: 0 attempts, as in Rust and Python.
  assert.deepEqual(got, { cls: true, name: 'CredentialsError', kind: 'Credentials', attempts: 0 })
})

test('bad input: TypeError naming the type, InvalidInputError for an empty id; nothing sent', async () => {
  const server = new ScriptServer({ responses: { '*': [{ status: 200 }] } })
  try {
    const c = new Client({ endpoint: server.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS })
    for (const [bad, type] of [[42, 'number'], [null, 'null'], [undefined, 'undefined'], [{ a: 1 }, 'Object'], [[1, 2], 'Array'], [new Map(), 'Map'], [Symbol('s'), 'symbol'], [true, 'boolean']]) {
      await assert.rejects(c.postToConnection('a=', bad), (e) => e instanceof TypeError && e.message.includes(type))
      await assert.rejects(c.broadcast(['a='], bad), TypeError)
    }
    await assert.rejects(c.postToConnection(7, 'x'), (e) => e instanceof TypeError && /connectionId.*number/.test(e.message))
    await assert.rejects(c.broadcast('abc', 'x'), TypeError)
    await assert.rejects(c.broadcast(['a=', 3], 'x'), /connectionIds\[1\]/)
    await assert.rejects(c.postMany([['a=', 5]]), /items\[0\] data/)
    await assert.rejects(c.postToConnection('a=', 'x', { signal: 'nope' }), TypeError)
    const empty = await c.postToConnection('', 'x').catch((x) => x)
    assert.ok(empty instanceof api.InvalidInputError)
    assert.equal(empty.kind, 'InvalidInput')
    assert.equal(empty.$metadata.attempts, 0)
    await assert.rejects(c.getConnection(''), api.InvalidInputError)
    await assert.rejects(c.deleteConnection(''), api.InvalidInputError)
    assert.equal(server.requests().length, 0)
  } finally {
    server.stop()
  }
})

test('error classes are constructible as SDK v3 users do in mocks', () => {
  const e = new api.GoneException({ message: 'gone', $metadata: { httpStatusCode: 410 } })
  assert.equal(e.name, 'GoneException')
  assert.equal(e.message, 'gone')
  assert.equal(e.$metadata.httpStatusCode, 410)
  assert.equal(e.$fault, 'client')
  assert.ok(e instanceof api.ServiceError)
})
