// Every result carries the core's response metadata: `$metadata` on the Client's results,
// the v3 shim's outputs, and the v2 shim's response (`requestId`, `retryCount`).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pkg, LOCAL_CREDENTIALS } from './helpers.mjs'

const api = pkg()
const v2 = pkg('v2.js')
const v3 = pkg('v3.js')
const { ScriptServer } = pkg('testing.js')

const ID = 'L0SM9cOFvHcCIhw='
const CONNECTION =
  '{"connectedAt":"2026-11-24T10:00:00.000Z","identity":{"sourceIp":"127.0.0.1","userAgent":"x"},"lastActiveAt":"2026-11-24T10:00:01.000Z"}'
// A throttled first attempt (waits the 50 ms Retry-After says), then the answer.
const THROTTLED = { status: 429, headers: { 'Retry-After': '0.05' } }
const ANSWERS = {
  post: { status: 200, headers: { 'x-amzn-RequestId': 'req-post' } },
  get: { status: 200, headers: { 'x-amzn-RequestId': 'req-get' }, body: CONNECTION },
  delete: { status: 204, headers: { 'x-amzn-RequestId': 'req-delete' } },
}

/** Runs `fn(server)` against a server that throttles once, then gives `op`'s answer. */
async function withServer(op, fn) {
  const server = new ScriptServer({ responses: { [ID]: [THROTTLED, ANSWERS[op]] } })
  try {
    return await fn(server)
  } finally {
    server.stop()
  }
}

const expected = (httpStatusCode, requestId) => ({
  httpStatusCode,
  requestId,
  extendedRequestId: undefined,
  cfId: undefined,
  attempts: 2,
  totalRetryDelay: 50,
})

const client = (s) => new api.Client({ endpoint: s.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS })

test('Client results carry $metadata from the core', async () => {
  const posted = await withServer('post', (s) => client(s).postToConnection(ID, 'hi'))
  assert.deepEqual(posted, { $metadata: expected(200, 'req-post') })
  const conn = await withServer('get', (s) => client(s).getConnection(ID))
  assert.deepEqual(conn.$metadata, expected(200, 'req-get'))
  assert.equal(conn.identity.userAgent, 'x')
  const deleted = await withServer('delete', (s) => client(s).deleteConnection(ID, { signal: new AbortController().signal }))
  assert.deepEqual(deleted, { $metadata: expected(204, 'req-delete') })
})

test('the v3 shim fills $metadata from the core', async () => {
  const send = (s, command) =>
    new v3.ApiGatewayManagementApiClient({ endpoint: s.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }).send(command)
  const posted = await withServer('post', (s) => send(s, new v3.PostToConnectionCommand({ ConnectionId: ID, Data: 'hi' })))
  assert.deepEqual(posted.$metadata, expected(200, 'req-post'))
  const got = await withServer('get', (s) => send(s, new v3.GetConnectionCommand({ ConnectionId: ID })))
  assert.deepEqual(got.$metadata, expected(200, 'req-get'))
  const deleted = await withServer('delete', (s) => send(s, new v3.DeleteConnectionCommand({ ConnectionId: ID })))
  assert.deepEqual(deleted.$metadata, expected(204, 'req-delete'))
})

test("the v2 shim's response carries requestId and retryCount from the core", async () => {
  for (const [op, method, status] of [
    ['post', 'postToConnection', 200],
    ['get', 'getConnection', 200],
    ['delete', 'deleteConnection', 204],
  ]) {
    const response = await withServer(op, async (s) => {
      const svc = new v2.ApiGatewayManagementApi({ endpoint: s.endpoint, region: 'us-east-1', ...LOCAL_CREDENTIALS })
      const request = svc[method](op === 'post' ? { ConnectionId: ID, Data: 'hi' } : { ConnectionId: ID })
      await request.promise()
      return request.response
    })
    assert.equal(response.requestId, `req-${op}`)
    assert.equal(response.retryCount, 1)
    assert.equal(response.httpResponse.statusCode, status)
  }
})

test('AWS_MAX_ATTEMPTS sets the default attempts (read by the core)', async () => {
  const server = new ScriptServer({ responses: { [ID]: [{ status: 500 }, { status: 500 }, { status: 500 }] } })
  const saved = process.env.AWS_MAX_ATTEMPTS
  process.env.AWS_MAX_ATTEMPTS = '2'
  try {
    const c = new api.Client({ endpoint: server.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, retryBaseDelay: 1 })
    const e = await c.postToConnection(ID, 'x').then(() => assert.fail('resolved'), (err) => err)
    assert.equal(e.$metadata.attempts, 2)
  } finally {
    if (saved === undefined) delete process.env.AWS_MAX_ATTEMPTS
    else process.env.AWS_MAX_ATTEMPTS = saved
    server.stop()
  }
})
