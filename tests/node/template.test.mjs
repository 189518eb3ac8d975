// Template mode from Node: `new LocalGateway({ template })` runs a SAM WebSocket API with
// its own Node and Python handlers (tests/fixtures/template), reached by `ws` clients
// over ws:// and wss:// (trusting the gateway's CA).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { root, require } from './helpers.mjs'

const { LocalGateway } = require(path.join(root, 'node', 'testing.js'))
const WebSocket = require('ws')
const template = path.join(root, 'local', 'tests', 'fixtures', 'template', 'template.yaml')

test('a template API answers through its route response, over ws:// and wss://', async () => {
  const gw = await new LocalGateway({ template, parameterOverrides: { Greeting: 'hej' }, verify: false }).start()
  try {
    assert.equal(gw.stage, 'test')
    const client = await gw.connect({ query: { token: 'good' } })
    assert.match(client.connectionId, /^[A-Za-z0-9_-]{15}=$/)
    client.send(JSON.stringify({ action: 'echo' }))
    const seen = JSON.parse(await client.nextMessage({ timeout: 20000 }))
    assert.equal(seen.routeKey, 'echo')
    assert.equal(seen.greeting, 'hej')
    assert.equal(seen.authorizer.principalId, 'user-good')

    const ws = new WebSocket(`${gw.wssUrl}?token=good`, { ca: fs.readFileSync(gw.caFile) })
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    const reply = new Promise((resolve) => ws.once('message', (m) => resolve(String(m))))
    ws.send(JSON.stringify({ action: 'echo' }))
    assert.equal(JSON.parse(await reply).routeKey, 'echo')
    ws.close()
  } finally {
    await gw.stop()
  }
})

test('a refused $connect rejects with the authorizer status; a bad template is a clear error', async () => {
  const gw = await new LocalGateway({ template, verify: false }).start()
  try {
    await assert.rejects(gw.connect({ query: { token: 'bad' } }), (e) => e.statusCode === 403)
    await assert.rejects(gw.connect({ query: { token: 'who' } }), (e) => e.statusCode === 401)
  } finally {
    await gw.stop()
  }
  const missing = path.join(root, 'local', 'tests', 'fixtures', 'template', 'nope.yaml')
  await assert.rejects(new LocalGateway({ template: missing }).start(), /cannot read the template .*nope\.yaml/)
})
