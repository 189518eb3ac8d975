// The v2 and v3 shims side by side with the real aws-sdk v2 and
// @aws-sdk/client-apigatewaymanagementapi, against the same local gateway: same results,
// same error names and codes. (This also shows the gateway works with both SDKs.)
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { pkg, require } from './helpers.mjs'

const shimV2 = pkg('v2.js')
const shimV3 = pkg('v3.js')
const { LocalGateway } = pkg('testing.js')
const AWS = require('aws-sdk')
const realV3 = require('@aws-sdk/client-apigatewaymanagementapi')

let gw
before(async () => {
  gw = await new LocalGateway().start()
})
after(async () => {
  await gw.stop()
})

const v2Options = () => ({ endpoint: gw.endpoint, region: 'us-east-1', ...gw.credentials, maxRetries: 1, retryDelayOptions: { base: 1 } })
const v3Options = () => ({ endpoint: gw.endpoint, region: 'us-east-1', credentials: gw.credentials, maxAttempts: 2 })
const GONE = 'AAAAAAAAAAAAAAA='

const v2Pair = () => ({ real: new AWS.ApiGatewayManagementApi(v2Options()), shim: new shimV2.ApiGatewayManagementApi(v2Options()) })
const v3Pair = () => ({
  real: new realV3.ApiGatewayManagementApiClient(v3Options()),
  shim: new shimV3.ApiGatewayManagementApiClient(v3Options()),
})

async function settle(p) {
  try {
    return { ok: await p }
  } catch (e) {
    return { err: e }
  }
}

test('v2: postToConnection delivers, same result', async () => {
  const ws = await gw.connect()
  const { real, shim } = v2Pair()
  const a = await real.postToConnection({ ConnectionId: ws.connectionId, Data: 'from real v2' }).promise()
  const b = await shim.postToConnection({ ConnectionId: ws.connectionId, Data: 'from shim v2' }).promise()
  assert.deepEqual(b, a)
  assert.deepEqual([await ws.nextMessage(), await ws.nextMessage()], ['from real v2', 'from shim v2'])
  await ws.close()
})

test('v2: getConnection has the same shape and values', async () => {
  const ws = await gw.connect({ userAgent: 'compat/2' })
  const { real, shim } = v2Pair()
  const a = await real.getConnection({ ConnectionId: ws.connectionId }).promise()
  const b = await shim.getConnection({ ConnectionId: ws.connectionId }).promise()
  assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort())
  assert.deepEqual(b.Identity, a.Identity)
  assert.equal(b.ConnectedAt.getTime(), a.ConnectedAt.getTime())
  assert.ok(b.LastActiveAt instanceof Date)
  await ws.close()
})

test('v2: errors have the same code, statusCode and retryable', async () => {
  const { real, shim } = v2Pair()
  const cases = [
    (api) => api.postToConnection({ ConnectionId: GONE, Data: 'x' }).promise(),
    (api) => api.getConnection({ ConnectionId: GONE }).promise(),
    (api) => api.postToConnection({ ConnectionId: GONE }).promise(),
    (api) => api.postToConnection({ ConnectionId: GONE, Data: 5 }).promise(),
    (api) => api.postToConnection({ ConnectionId: GONE, Data: 'x', Extra: 1 }).promise(),
  ]
  for (const run of cases) {
    const a = (await settle(run(real))).err
    const b = (await settle(run(shim))).err
    assert.ok(a && b)
    assert.equal(b.code, a.code, `${a.code}: ${a.message}`)
    assert.equal(b.statusCode, a.statusCode)
    assert.equal(Boolean(b.retryable), Boolean(a.retryable))
    assert.ok(b.time instanceof Date)
    if (a.statusCode) assert.equal(typeof b.requestId, 'string')
  }
  const bad = { ...v2Options(), secretAccessKey: 'wrong' }
  const a = (await settle(new AWS.ApiGatewayManagementApi(bad).postToConnection({ ConnectionId: GONE, Data: 'x' }).promise())).err
  const b = (await settle(new shimV2.ApiGatewayManagementApi(bad).postToConnection({ ConnectionId: GONE, Data: 'x' }).promise())).err
  assert.equal(b.code, a.code)
  assert.equal(b.statusCode, 403)
})

test('v2: callbacks, send(cb), bound params, makeRequest, endpoint property', async () => {
  const ws = await gw.connect()
  const opts = { ...v2Options(), params: { ConnectionId: ws.connectionId } }
  const real = new AWS.ApiGatewayManagementApi(opts)
  const shim = new shimV2.ApiGatewayManagementApi(opts)
  for (const k of ['href', 'protocol', 'host', 'hostname', 'port', 'path']) assert.equal(shim.endpoint[k], real.endpoint[k], k)
  await new Promise((resolve, reject) => shim.postToConnection({ Data: 'cb' }, (err, data) => (err ? reject(err) : resolve(data))))
  await new Promise((resolve, reject) => shim.postToConnection({ Data: 'send' }).send((err) => (err ? reject(err) : resolve())))
  await shim.makeRequest('postToConnection', { Data: 'make' }).promise()
  assert.deepEqual([await ws.nextMessage(), await ws.nextMessage(), await ws.nextMessage()], ['cb', 'send', 'make'])
  const retryCounts = await new Promise((resolve) =>
    shim.postToConnection({ ConnectionId: GONE, Data: 'x' }, function (err) {
      resolve({ code: err.code, retryCount: this.retryCount })
    }),
  )
  assert.deepEqual(retryCounts, { code: 'GoneException', retryCount: 0 })
  await ws.close()
})

test('v2: maxRetries means retries (3 -> 4 attempts), customBackoff is asked, one log line per call', async () => {
  const g = await new LocalGateway({ faults: { serverError: 1 } }).start()
  try {
    const ws = await g.connect()
    const backoffReal = []
    const backoffShim = []
    const lines = []
    const base = { endpoint: g.endpoint, region: 'us-east-1', ...g.credentials, maxRetries: 3 }
    const real = new AWS.ApiGatewayManagementApi({ ...base, retryDelayOptions: { customBackoff: (n) => (backoffReal.push(n), 1) } })
    const shim = new shimV2.ApiGatewayManagementApi({
      ...base,
      retryDelayOptions: { customBackoff: (n, err) => (backoffShim.push([n, err && err.code]), 1) },
      logger: { log: (l) => lines.push(l) },
    })
    const a = await settle(real.postToConnection({ ConnectionId: ws.connectionId, Data: 'x' }).promise())
    const b = await settle(shim.postToConnection({ ConnectionId: ws.connectionId, Data: 'x' }).promise())
    assert.equal(b.err.statusCode, a.err.statusCode)
    assert.equal(b.err.statusCode, 500)
    assert.equal(b.err.$metadata.attempts, 4)
    assert.deepEqual(backoffShim.map(([n]) => n), backoffReal)
    assert.deepEqual(backoffShim.map(([, c]) => c), ['InternalServerErrorException', 'InternalServerErrorException', 'InternalServerErrorException'])
    assert.equal(lines.length, 1)
    assert.match(lines[0], /^\[AWS apigatewaymanagementapi 500 [\d.]+s 3 retries\] postToConnection\(/)
  } finally {
    await g.stop()
  }
})

test('v2: module config.update() is inherited by new clients', async () => {
  const ws = await gw.connect()
  shimV2.config.update({ region: 'us-east-1', accessKeyId: gw.credentials.accessKeyId, secretAccessKey: gw.credentials.secretAccessKey })
  try {
    const api = new shimV2.ApiGatewayManagementApi({ endpoint: gw.endpoint, apiVersion: '2018-11-29', s3ForcePathStyle: true })
    await api.postToConnection({ ConnectionId: ws.connectionId, Data: 'inherited' }).promise()
    assert.equal(await ws.nextMessage(), 'inherited')
    assert.equal(api.config.region, 'us-east-1')
  } finally {
    shimV2.config.update({ region: undefined, credentials: undefined })
    await ws.close()
  }
})

test('v3: send() of each command gives the same outputs as the real SDK', async () => {
  const ws = await gw.connect({ userAgent: 'compat/3' })
  const { real, shim } = v3Pair()
  const a = await real.send(new realV3.PostToConnectionCommand({ ConnectionId: ws.connectionId, Data: 'real v3' }))
  const b = await shim.send(new shimV3.PostToConnectionCommand({ ConnectionId: ws.connectionId, Data: Buffer.from('shim v3') }))
  assert.deepEqual([await ws.nextMessage(), await ws.nextMessage()], ['real v3', 'shim v3'])
  assert.deepEqual(Object.keys(b), Object.keys(a))
  assert.equal(b.$metadata.httpStatusCode, a.$metadata.httpStatusCode)
  assert.equal(b.$metadata.attempts, a.$metadata.attempts)
  const ga = await real.send(new realV3.GetConnectionCommand({ ConnectionId: ws.connectionId }))
  const gb = await shim.send(new shimV3.GetConnectionCommand({ ConnectionId: ws.connectionId }))
  assert.deepEqual(gb.Identity, ga.Identity)
  assert.equal(gb.ConnectedAt.getTime(), ga.ConnectedAt.getTime())
  assert.deepEqual(Object.keys(gb).sort(), Object.keys(ga).sort())
  const ws2 = await gw.connect()
  const da = await real.send(new realV3.DeleteConnectionCommand({ ConnectionId: ws.connectionId }))
  const db = await shim.send(new shimV3.DeleteConnectionCommand({ ConnectionId: ws2.connectionId }))
  assert.equal(db.$metadata.httpStatusCode, da.$metadata.httpStatusCode)
  await Promise.all([ws.closed, ws2.closed])
})

test('v3: errors have the same name, $fault and $metadata.httpStatusCode', async () => {
  const { real, shim } = v3Pair()
  const runs = [
    (m, c) => c.send(new m.PostToConnectionCommand({ ConnectionId: GONE, Data: 'x' })),
    (m, c) => c.send(new m.GetConnectionCommand({ ConnectionId: GONE })),
    (m, c) => c.send(new m.DeleteConnectionCommand({ ConnectionId: GONE })),
  ]
  for (const run of runs) {
    const a = (await settle(run(realV3, real))).err
    const b = (await settle(run(shimV3, shim))).err
    assert.equal(b.name, a.name)
    assert.equal(b.$fault, a.$fault)
    assert.equal(b.$metadata.httpStatusCode, a.$metadata.httpStatusCode)
    assert.equal(b.$metadata.attempts, a.$metadata.attempts)
    assert.ok(a instanceof realV3.ApiGatewayManagementApiServiceException)
    assert.ok(b instanceof shimV3.ApiGatewayManagementApiServiceException)
    assert.ok(b instanceof shimV3.GoneException)
  }
  const bad = { ...v3Options(), credentials: { ...gw.credentials, secretAccessKey: 'wrong' } }
  const a = (await settle(new realV3.ApiGatewayManagementApiClient(bad).send(new realV3.GetConnectionCommand({ ConnectionId: GONE })))).err
  const b = (await settle(new shimV3.ApiGatewayManagementApiClient(bad).send(new shimV3.GetConnectionCommand({ ConnectionId: GONE })))).err
  assert.equal(b.name, a.name)
  assert.equal(b.$metadata.httpStatusCode, a.$metadata.httpStatusCode)
})

test('v3: aggregated class, async credential provider, callback style', async () => {
  const ws = await gw.connect()
  let calls = 0
  const provider = async () => {
    calls++
    return { ...gw.credentials, expiration: new Date(Date.now() + 3600_000) }
  }
  const real = new realV3.ApiGatewayManagementApi({ ...v3Options(), credentials: provider })
  const shim = new shimV3.ApiGatewayManagementApi({ ...v3Options(), credentials: provider })
  await real.postToConnection({ ConnectionId: ws.connectionId, Data: 'agg real' })
  await shim.postToConnection({ ConnectionId: ws.connectionId, Data: 'agg shim' })
  await shim.postToConnection({ ConnectionId: ws.connectionId, Data: 'agg shim 2' })
  await new Promise((resolve, reject) => shim.send(new shimV3.PostToConnectionCommand({ ConnectionId: ws.connectionId, Data: 'cb' }), (err) => (err ? reject(err) : resolve())))
  assert.deepEqual(
    [await ws.nextMessage(), await ws.nextMessage(), await ws.nextMessage(), await ws.nextMessage()],
    ['agg real', 'agg shim', 'agg shim 2', 'cb'],
  )
  assert.ok(calls >= 2)
  await ws.close()
})
