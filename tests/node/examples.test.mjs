// Runs examples/node against the local gateway, and type-checks a usage file with
// `tsc --strict`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { pkg, root, until, require } from './helpers.mjs'

const { LocalGateway } = pkg('testing.js')

test('examples/node/quickstart.js runs', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'examples/node/quickstart.js')], { cwd: root, encoding: 'utf8', timeout: 30_000 })
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout.trim(), 'hello 1 1 undefined')
})

test('examples/node/lambda-handler.js answers route events from the local gateway', async () => {
  const gw = new LocalGateway({
    handler: (event) => require(path.join(root, 'examples/node/lambda-handler.js')).handler(event),
  })
  await gw.start()
  const saved = process.env.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI
  process.env.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI = gw.endpoint
  try {
    const alice = await gw.connect()
    const bob = await gw.connect()
    alice.send('hi')
    assert.equal(await alice.nextMessage(), 'echo: hi')
    assert.equal(await bob.nextMessage(), `${alice.connectionId} said hi`)
    await bob.close()
    alice.send('again')
    assert.equal(await alice.nextMessage(), 'echo: again')
    await until(() => gw.connectionCount === 1, { what: 'bob to leave' })
  } finally {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI
    else process.env.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI = saved
    await gw.stop()
  }
})

test('index.d.ts, v2.d.ts, v3.d.ts and testing.d.ts compile under tsc --strict with a usage file', () => {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tests/node/types/tsconfig.json')], { cwd: root, encoding: 'utf8', timeout: 120_000 })
  assert.equal(r.status, 0, r.stdout + r.stderr)
})
