// The `retryDelay` option, both ways: a valid answer is the wait before the retry, and a
// bad one keeps the default wait (here the server's `Retry-After: 1`). The waits are a
// second, so a client that ignores the answer, or takes a bad one for zero, is told apart
// by when the retry reaches the scripted server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pkg, LOCAL_CREDENTIALS } from './helpers.mjs'

const api = pkg()
const { ScriptServer } = pkg('testing.js')
const ID = 'L0SM9cOFvHcCIhw='

/**
 * Posts through a first answer `first`, then a 200: the callback's calls and the gap.
 * `build(options)` makes the client (a plain `new Client` by default).
 */
async function retryGap(first, retryDelay, build = (o) => new api.Client(o)) {
  const server = new ScriptServer({ responses: { [ID]: [first, { status: 200 }] } })
  try {
    const retries = []
    const client = build({
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 2,
      retryBaseDelay: 1,
      retryDelay: (info) => {
        retries.push(info.retry)
        return retryDelay(info)
      },
    })
    await client.postToConnection(ID, 'x')
    const requests = server.requests()
    assert.equal(requests.length, 2, 'one retry')
    return { retries, gap: requests[1].received_ms - requests[0].received_ms }
  } finally {
    server.stop()
  }
}

test('retryDelay: a valid answer is waited before the retry', async () => {
  // The default wait would be under 1 ms (retryBaseDelay 1, no Retry-After).
  const { retries, gap } = await retryGap({ status: 500 }, () => 1000)
  assert.deepEqual(retries, [1])
  assert.ok(gap >= 1000 && gap <= 2500, `the retry came ${gap} ms after the first attempt`)
})

test('retryDelay: a bad answer keeps the default wait (Retry-After 1 s)', async () => {
  const throttled = { status: 429, headers: { 'x-amzn-ErrorType': 'LimitExceededException', 'Retry-After': '1' } }
  const answers = {
    NaN: () => NaN,
    '-1': () => -1,
    '1e300': () => 1e300,
    Infinity: () => Infinity,
    'a string': () => 'soon',
    'a throw': () => {
      throw new Error('no answer')
    },
  }
  // Concurrently: each waits a second.
  const gaps = await Promise.all(
    Object.entries(answers).map(async ([what, answer]) => {
      const { retries, gap } = await retryGap(throttled, answer)
      assert.deepEqual(retries, [1], what)
      return [what, gap]
    }),
  )
  for (const [what, gap] of gaps) {
    assert.ok(gap >= 1000 && gap <= 2500, `${what}: the retry came ${gap} ms after the first attempt`)
  }
})

test('retryDelay: a client from a Lambda event takes it too', async () => {
  const event = { requestContext: { apiId: 'abc123', stage: 'prod', domainName: 'abc123.example.com' } }
  const saved = process.env.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI
  try {
    const { retries, gap } = await retryGap({ status: 500 }, () => 1000, ({ endpoint, ...options }) => {
      process.env.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI = endpoint
      return api.Client.fromEvent(event, options)
    })
    assert.deepEqual(retries, [1])
    assert.ok(gap >= 1000 && gap <= 2500, `the retry came ${gap} ms after the first attempt`)
  } finally {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI
    else process.env.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI = saved
  }
})
