// Reliability and security from Node: a Rust panic is an ordinary error (debug builds),
// the transport faults the vectors cannot script (nothing listening, a self-signed TLS
// certificate; the others are in tests/vectors/transport.json and wire.json), and no
// secret in any error, inspect() output or log line after every error path.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { inspect } from 'node:util'
import { pkg, root } from './helpers.mjs'

const api = pkg()
const native = pkg('native.js')
const { fromNative } = pkg('errors.js')
const { LocalGateway, ScriptServer } = pkg('testing.js')
const v2 = pkg('v2.js')
const v3 = pkg('v3.js')

const ID = 'L0SM9cOFvHcCIhw='
const FAST = { region: 'us-east-1', retryBaseDelay: 1, timeout: 2000, connectTimeout: 2000 }

// --- panics -------------------------------------------------------------------------

const release = !native._debugPanic && 'a release build has no _debugPanic'

test('a core panic is a thrown Error, and the addon keeps working', { skip: release }, async () => {
  assert.throws(
    () => native._debugPanic(),
    (e) => e instanceof Error && /deliberate panic/.test(e.message),
  )
  // Hidden: not part of the package's API or typings.
  assert.ok(!Object.keys(api).some((k) => /panic/i.test(k)))
  assert.ok(!fs.readFileSync(path.join(root, 'node', 'napi.d.ts'), 'utf8').includes('debugPanic'))
  const server = new ScriptServer({ responses: { '*': [{ status: 200 }] } })
  try {
    await new api.Client({ ...FAST, endpoint: server.endpoint, credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' } })
      .postToConnection(ID, 'after the panic')
  } finally {
    server.stop()
  }
})

test('a core panic on the path of every call (the runtime) rejects its promise', { skip: release }, async () => {
  for (let i = 0; i < 3; i++) {
    await assert.rejects(
      native._debugPanicAsync().catch((e) => {
        throw fromNative(e)
      }),
      (e) => e instanceof api.ApiGatewayManagementError && e.kind === 'Internal' && /deliberate panic/.test(e.message),
    )
  }
})

// --- bad input the vectors cannot express (tests/vectors/bad_input.json has the rest) ---

const badOptions = [
  ['timeout', NaN, 'ConfigError'],
  ['timeout', Infinity, 'ConfigError'],
  ['connectTimeout', 1e300, 'ConfigError'],
  ['retryBaseDelay', -0.5, 'ConfigError'],
  ['maxAttempts', NaN, 'ConfigError'],
  ['maxAttempts', 2 ** 40, 'ConfigError'],
  ['maxPayloadBytes', -1, 'ConfigError'],
  ['clockOffset', 1e300, 'ConfigError'],
  ['maxAttempts', '3', 'TypeError'],
  ['maxAttempts', 3n, 'TypeError'],
  ['timeout', true, 'TypeError'],
  ['retryAmbiguous', 'false', 'TypeError'],
  ['region', 5, 'TypeError'],
  ['proxy', {}, 'TypeError'],
  ['endpoint', 42, 'TypeError'],
]

for (const [name, value, cls] of badOptions) {
  test(`option ${name} = ${typeof value === 'bigint' ? `${value}n` : JSON.stringify(value) ?? String(value)} is a ${cls} naming it`, () => {
    const server = new ScriptServer({ responses: { '*': [{ status: 200 }] } })
    try {
      assert.throws(
        () => new api.Client({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' }, [name]: value }),
        (e) => {
          if (cls === 'TypeError') {
            assert.ok(e instanceof TypeError && e.kind === 'InvalidInput' && e.code === 'ERR_INVALID_ARG_TYPE', e.stack)
          } else {
            assert.ok(e instanceof api.ConfigError && e.kind === 'Config' && e.$metadata.attempts === 0, e.stack)
          }
          assert.ok(e.message.includes(name), e.message)
          return true
        },
      )
      assert.equal(server.requests().length, 0)
    } finally {
      server.stop()
    }
  })
}

test('bad call arguments reject (never throw) with InvalidInput, nothing sent', async () => {
  const server = new ScriptServer({ responses: { '*': [{ status: 200 }] } })
  try {
    const c = new api.Client({ ...FAST, endpoint: server.endpoint, credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' } })
    const calls = {
      'concurrency -1': () => c.broadcast([ID], 'x', { concurrency: -1 }),
      'concurrency 2.5': () => c.postMany([[ID, 'x']], { concurrency: 2.5 }),
      'deadline NaN': () => c.broadcast([ID], 'x', { deadline: NaN }),
      'deadline 1e300': () => c.broadcast([ID], 'x', { deadline: 1e300 }),
      'lone surrogate id': () => c.postToConnection('\ud800abc', 'x'),
      'concurrency "4"': () => c.broadcast([ID], 'x', { concurrency: '4' }),
      'id 7': () => c.getConnection(7),
    }
    for (const [what, call] of Object.entries(calls)) {
      let promise
      assert.doesNotThrow(() => (promise = call()), what)
      await assert.rejects(promise, (e) => {
        assert.equal(e.kind, 'InvalidInput', `${what}: ${e.stack}`)
        assert.ok(e instanceof api.InvalidInputError || e instanceof TypeError, what)
        return true
      })
    }
    assert.equal(server.requests().length, 0)
  } finally {
    server.stop()
  }
})

test('a retryDelay callback answering NaN, -1 or 1e300 keeps the default backoff', async () => {
  for (const answer of [NaN, -1, 1e300, Infinity]) {
    const server = new ScriptServer({ responses: { [ID]: [{ status: 500 }, { status: 200 }] } })
    try {
      const c = new api.Client({ ...FAST, endpoint: server.endpoint, maxAttempts: 2, credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' }, retryDelay: () => answer })
      await c.postToConnection(ID, 'x')
      assert.equal(server.requests().length, 2, String(answer))
    } finally {
      server.stop()
    }
  }
})

// --- transport faults ---------------------------------------------------------------

async function freePort() {
  const s = net.createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address()
  await new Promise((r) => s.close(r))
  return port
}

test('a port where nothing listens: a Connect TransportError after all attempts', async () => {
  const client = new api.Client({ ...FAST, endpoint: `http://127.0.0.1:${await freePort()}/prod`, maxAttempts: 3, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
  const started = Date.now()
  await assert.rejects(client.getConnection(ID), (e) => {
    assert.ok(e instanceof api.TransportError, e.stack)
    assert.deepEqual([e.kind, e.$metadata.httpStatusCode, e.$metadata.attempts, e.retryable], ['Connect', undefined, 3, true])
    return true
  })
  assert.ok(Date.now() - started < 2000)
})

let certDir
function selfSigned() {
  if (!certDir) {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'apigw-tls-'))
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem'), '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:FALSE',
    ], { stdio: 'ignore', timeout: 30_000 })
  }
  return { key: fs.readFileSync(path.join(certDir, 'key.pem')), cert: fs.readFileSync(path.join(certDir, 'cert.pem')) }
}

/** A TLS server (node:tls) with a self-signed certificate; counts requests that got through. */
async function tlsServer() {
  const state = { requests: 0, clientErrors: 0 }
  const server = tls.createServer(selfSigned(), (socket) => {
    socket.on('error', () => {})
    socket.once('data', () => {
      state.requests++
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')
    })
  })
  server.on('tlsClientError', () => state.clientErrors++)
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  state.endpoint = `https://127.0.0.1:${server.address().port}/prod`
  state.close = () => new Promise((r) => server.close(r))
  return state
}

after(() => {
  if (certDir) fs.rmSync(certDir, { recursive: true, force: true })
})

test('a self-signed TLS certificate is refused by default: a Tls TransportError, not retried', async () => {
  const server = await tlsServer()
  try {
    const client = new api.Client({ ...FAST, endpoint: server.endpoint, maxAttempts: 3, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
    const started = Date.now()
    await assert.rejects(client.postToConnection(ID, 'secret payload'), (e) => {
      assert.ok(e instanceof api.TransportError, e.stack)
      assert.deepEqual([e.kind, e.$metadata.httpStatusCode, e.$metadata.attempts, e.retryable], ['Tls', undefined, 1, false])
      assert.match(e.message, /certificate/)
      return true
    })
    assert.ok(Date.now() - started < 2000)
    assert.equal(server.requests, 0)
    assert.ok(server.clientErrors >= 1)
  } finally {
    await server.close()
  }
})

// --- secrets ------------------------------------------------------------------------

const KEY = 'AKIDLEAKCHECK0000002'
const SECRET = 'sEcReT/NodeLeakCheck+4h7Tq2Zp9Xc3Vb6Nm1'
const TOKEN = 'ToKeN//NodeLeakCheck+IQoJb3JpZ2luX2VjEHcaCXVzLWVhc3QtMSJHMEUCIQ=='
const OTHER_SECRET = 'gAtEwAySeCrEt/NodeServerOnly+8k2w'
const CREDS = { accessKeyId: KEY, secretAccessKey: SECRET, sessionToken: TOKEN }

test('no secret in any error, inspect() output or log line, after every error path', async () => {
  const texts = []
  const kinds = []
  const seen = (x) => {
    texts.push(inspect(x, { depth: 8, showHidden: false }), String(x))
    try {
      texts.push(JSON.stringify(x))
    } catch {}
    if (x instanceof Error) texts.push(x.stack, inspect(x, { depth: 8, showHidden: true }))
  }
  const fail = async (promiseOrFn) => {
    try {
      await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn)
    } catch (e) {
      seen(e)
      kinds.push(e.kind || e.code || e.name)
      return e
    }
    throw new Error('no error')
  }
  const logLines = []
  const logger = { log: (line) => logLines.push(line) }
  const warnings = []
  const onWarning = (w) => warnings.push(String(w.stack))
  process.on('warning', onWarning)

  const script = {
    responses: {
      'five=': [{ status: 500, body: '{"message":"Internal server error"}' }],
      'hang=': [{ action: 'hang' }],
      'half=': [{ action: 'partial' }],
      'bad=': [{ action: 'raw', raw: 'HTTP/1.1 banana\r\n\r\n' }],
      'close=': [{ action: 'close' }],
      'json=': [{ status: 200, body: '<html>' }],
      'gone=': [{ status: 410 }],
    },
  }
  const server = new ScriptServer(script, { accessKeyId: KEY, secretAccessKey: SECRET })
  let sent
  try {
    const opts = { ...FAST, endpoint: server.endpoint, credentials: CREDS, timeout: 200, maxAttempts: 2 }
    const client = new api.Client(opts)
    seen(client)
    for (const id of ['five=', 'hang=', 'half=', 'bad=', 'close=', 'gone=']) await fail(client.postToConnection(id, 'payload'))
    await fail(client.getConnection('json='))
    const result = await client.broadcast(['five=', 'gone=', 'hang='], 'payload')
    seen(result)
    // The v2 shim (with its logger) and the v3 shim.
    const svc = new v2.ApiGatewayManagementApi({ endpoint: server.endpoint, region: 'us-east-1', ...CREDS, logger, maxRetries: 1, httpOptions: { timeout: 200 } })
    seen(svc)
    await fail(svc.postToConnection({ ConnectionId: 'five=', Data: 'payload' }).promise())
    await fail(svc.getConnection({ ConnectionId: 'hang=' }).promise())
    await fail(svc.deleteConnection({ ConnectionId: 'gone=' }).promise())
    const v3client = new v3.ApiGatewayManagementApiClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: CREDS, maxAttempts: 1 })
    seen(v3client)
    await fail(v3client.send(new v3.PostToConnectionCommand({ ConnectionId: 'five=', Data: 'payload' })))
    await fail(v3client.send(new v3.GetConnectionCommand({ ConnectionId: 'gone=' })))
    seen(v3client)
    sent = server.requests()
  } finally {
    server.stop()
  }

  // 403: the gateway knows another secret (InvalidSignatureException), also via v2's logger.
  const gw = await new LocalGateway({ credentials: { accessKeyId: KEY, secretAccessKey: OTHER_SECRET } }).start()
  try {
    const ws = await gw.connect()
    await fail(new api.Client({ ...FAST, endpoint: gw.endpoint, credentials: CREDS }).postToConnection(ws.connectionId, 'payload'))
    const svc = new v2.ApiGatewayManagementApi({ endpoint: gw.endpoint, region: 'us-east-1', ...CREDS, logger })
    await fail(svc.postToConnection({ ConnectionId: ws.connectionId, Data: 'payload' }).promise())
    await ws.close()
  } finally {
    await gw.stop()
  }
  // Connect refused, TLS refused, bad configuration, bad input.
  const refused = new api.Client({ ...FAST, endpoint: `http://127.0.0.1:${await freePort()}/prod`, credentials: CREDS, maxAttempts: 2 })
  await fail(refused.deleteConnection(ID))
  const tlsServerState = await tlsServer()
  try {
    await fail(new api.Client({ ...FAST, endpoint: tlsServerState.endpoint, credentials: CREDS }).postToConnection(ID, 'x'))
  } finally {
    await tlsServerState.close()
  }
  await fail(() => new api.Client({ ...FAST, endpoint: 'ftp://example.com/prod', credentials: CREDS }))
  await fail(() => new api.Client({ ...FAST, endpoint: 'http://127.0.0.1:1/prod', credentials: CREDS, timeout: '1' }))
  await fail(() => new api.Client({ ...FAST, endpoint: 'http://127.0.0.1:1/prod', credentials: { ...CREDS, sessionToken: 7 } }))
  await fail(() => new api.Client({ ...FAST, endpoint: 'http://127.0.0.1:1/prod', credentials: { accessKeyId: '', secretAccessKey: SECRET, sessionToken: TOKEN } }))
  await fail(() => new api.Client({ ...FAST, endpoint: 'http://127.0.0.1:1/prod', credentials: { secretAccessKey: SECRET } }))
  await fail(refused.postToConnection('', 'x'))
  await fail(refused.postToConnection(ID, 'x'.repeat(200_000)))
  await fail(refused.postToConnection(ID, 3))
  seen(refused)
  process.off('warning', onWarning)

  for (const kind of ['Service', 'Timeout', 'Protocol', 'Connect', 'Gone', 'Forbidden', 'Tls', 'Config', 'InvalidInput', 'PayloadTooLarge']) {
    assert.ok(kinds.includes(kind), `${kind} not reached: ${kinds}`)
  }
  assert.ok(logLines.some((l) => l.includes('500')) && logLines.some((l) => l.includes('InvalidSignatureException')), logLines.join('\n'))
  texts.push(...logLines, ...warnings)

  const signatures = []
  for (const r of sent) {
    for (const [name, value] of r.headers) {
      if (name.toLowerCase() === 'authorization') signatures.push(value.split('Signature=')[1])
      if (name.toLowerCase() === 'x-amz-security-token') assert.equal(value, TOKEN)
    }
  }
  assert.ok(signatures.length > 0)
  const everything = texts.join('\n')
  for (const needle of [SECRET, TOKEN, OTHER_SECRET, ...signatures]) {
    const at = everything.indexOf(needle)
    assert.ok(at < 0, `${needle.slice(0, 12)}… leaked after: ${everything.slice(Math.max(0, at - 300), at)}`)
  }
  for (const needle of [SECRET, TOKEN]) {
    for (const piece of [needle.slice(0, 16), needle.slice(-16), encodeURIComponent(needle).slice(0, 20)]) {
      assert.ok(!everything.includes(piece), `a piece of ${needle.slice(0, 8)}… leaked`)
    }
  }
})
