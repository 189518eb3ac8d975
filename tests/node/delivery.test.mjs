// Delivery of each data type to real WebSocket clients, GetConnection, DeleteConnection,
// AbortSignal, through the local gateway.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { pkg, until } from './helpers.mjs'

const { Client } = pkg()
const { LocalGateway, ScriptServer } = pkg('testing.js')

let gw, client
before(async () => {
  gw = await new LocalGateway().start()
  client = gw.client()
})
after(async () => {
  await gw.stop()
})

const bytes = (m) => (typeof m === 'string' ? Buffer.from(m, 'utf8') : Buffer.from(m))

const cases = [
  ['string (UTF-8)', 'héllo ✓', Buffer.from('héllo ✓', 'utf8')],
  ['Buffer', Buffer.from([0, 1, 2, 255]), Buffer.from([0, 1, 2, 255])],
  ['Uint8Array', new Uint8Array([104, 105]), Buffer.from('hi')],
  ['Uint8Array view with an offset', new Uint8Array(Buffer.from('xxabcxx')).subarray(2, 5), Buffer.from('abc')],
  ['Uint16Array', new Uint16Array([0x6968]), Buffer.from(new Uint16Array([0x6968]).buffer)],
  ['Float64Array', new Float64Array([1.5]), Buffer.from(new Float64Array([1.5]).buffer)],
  ['DataView', new DataView(Uint8Array.from(Buffer.from('zzdataview')).buffer, 2), Buffer.from('dataview')],
  ['ArrayBuffer', Uint8Array.from(Buffer.from('arraybuffer')).buffer, Buffer.from('arraybuffer')],
  ['SharedArrayBuffer', (() => { const s = new SharedArrayBuffer(3); new Uint8Array(s).set([7, 8, 9]); return s })(), Buffer.from([7, 8, 9])],
  ['empty string', '', Buffer.alloc(0)],
]

for (const [name, data, expected] of cases) {
  test(`delivers a ${name}`, async () => {
    const ws = await gw.connect()
    await client.postToConnection(ws.connectionId, data)
    const got = await ws.nextMessage()
    assert.deepEqual(bytes(got), expected)
    await ws.close()
  })
}

test('text arrives as a text frame, binary as a binary frame', async () => {
  const ws = await gw.connect()
  await client.postToConnection(ws.connectionId, 'plain text')
  assert.equal(await ws.nextMessage(), 'plain text')
  await client.postToConnection(ws.connectionId, Buffer.from([0xff, 0xfe]))
  const m = await ws.nextMessage()
  assert.ok(Buffer.isBuffer(m))
  await ws.close()
})

test('a message of the service limit (128 KiB) arrives whole', async () => {
  const ws = await gw.connect()
  const big = Buffer.alloc(131072, 0x61)
  await client.postToConnection(ws.connectionId, big)
  assert.equal(bytes(await ws.nextMessage()).length, 131072)
  await ws.close()
})

test('getConnection returns Dates and the identity', async () => {
  const before = Date.now()
  const ws = await gw.connect({ userAgent: 'delivery-test/1.0' })
  const c = await client.getConnection(ws.connectionId)
  assert.ok(c.connectedAt instanceof Date && c.lastActiveAt instanceof Date)
  assert.ok(Math.abs(c.connectedAt.getTime() - before) < 10_000)
  assert.ok(c.lastActiveAt.getTime() >= c.connectedAt.getTime())
  assert.deepEqual(c.identity, { sourceIp: '127.0.0.1', userAgent: 'delivery-test/1.0' })
  await ws.close()
})

test('deleteConnection closes the client, then the id is gone', async () => {
  const ws = await gw.connect()
  await client.deleteConnection(ws.connectionId)
  await ws.closed
  await assert.rejects(client.postToConnection(ws.connectionId, 'x'), { name: 'GoneException' })
})

test('route events reach the in-process handler', async () => {
  const events = []
  const g = await new LocalGateway({
    handler: (e) => {
      events.push(e)
      if (e.requestContext.eventType === 'CONNECT' && e.queryStringParameters?.token !== 'ok') return { statusCode: 401 }
      return { statusCode: 200 }
    },
  }).start()
  try {
    await assert.rejects(g.connect({ query: { token: 'bad' } }), /401/)
    const ws = await g.connect({ query: { token: 'ok' } })
    ws.send('ping')
    await until(() => events.some((e) => e.requestContext.routeKey === '$default'), { what: '$default event' })
    const msg = events.find((e) => e.requestContext.routeKey === '$default')
    assert.equal(msg.body, 'ping')
    assert.equal(msg.requestContext.connectionId, ws.connectionId)
    await ws.close()
    await until(() => events.some((e) => e.requestContext.routeKey === '$disconnect'), { what: '$disconnect event' })
  } finally {
    await g.stop()
  }
})

test('AbortSignal: an aborted signal rejects before any request', async () => {
  const server = new ScriptServer({ responses: { '*': [{ status: 200 }] } })
  try {
    const c = new Client({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' } })
    const ac = new AbortController()
    ac.abort()
    await assert.rejects(c.postToConnection('a=', 'x', { signal: ac.signal }), { name: 'AbortError' })
    await assert.rejects(c.getConnection('a=', { signal: ac.signal }), { name: 'AbortError' })
    await assert.rejects(c.broadcast(['a='], 'x', { signal: ac.signal }), { name: 'AbortError' })
    assert.equal(server.requests().length, 0)
  } finally {
    server.stop()
  }
})

test('AbortSignal: aborting a call in flight rejects it at once with the reason', async () => {
  const server = new ScriptServer({ responses: { '*': [{ action: 'hang' }] } })
  try {
    const c = new Client({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' }, timeout: 10_000 })
    const ac = new AbortController()
    const started = Date.now()
    const p = c.postToConnection('a=', 'x', { signal: ac.signal })
    setTimeout(() => ac.abort(new Error('stop now')), 50)
    await assert.rejects(p, /stop now/)
    assert.ok(Date.now() - started < 2000)
    const timeoutSignal = AbortSignal.timeout(30)
    await assert.rejects(c.getConnection('b=', { signal: timeoutSignal }), { name: 'TimeoutError' })
  } finally {
    server.stop()
  }
})

test('fromEvent: endpoint from requestContext, overridden by AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI', () => {
  const event = { requestContext: { apiId: 'abc123', stage: 'prod', domainName: 'ws.example.com', connectionId: 'x=' } }
  const saved = process.env.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI
  const savedAll = process.env.AWS_ENDPOINT_URL
  delete process.env.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI
  delete process.env.AWS_ENDPOINT_URL
  try {
    assert.equal(Client.fromEvent(event, { region: 'eu-west-1' }).endpoint, 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod')
    assert.equal(Client.fromEvent(event, { useDomainName: true }).endpoint, 'https://ws.example.com/prod')
    assert.throws(() => Client.fromEvent({ requestContext: { stage: 'prod' } }, { region: 'eu-west-1' }), /apiId/)
    process.env.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI = 'http://127.0.0.1:9/local'
    assert.equal(Client.fromEvent(event).endpoint, 'http://127.0.0.1:9/local')
  } finally {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI
    else process.env.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI = saved
    if (savedAll !== undefined) process.env.AWS_ENDPOINT_URL = savedAll
  }
})
