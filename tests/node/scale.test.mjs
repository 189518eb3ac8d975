// 1,000 concurrent calls, and a broadcast to 1,000 live WebSocket connections with
// some of them closed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pkg, until } from './helpers.mjs'

const { LocalGateway } = pkg('testing.js')

test('1,000 concurrent postToConnection calls all arrive', async () => {
  const gw = await new LocalGateway().start()
  try {
    const clients = await gw.connectMany(10)
    const client = gw.client()
    const calls = []
    for (let i = 0; i < 1000; i++) calls.push(client.postToConnection(clients[i % 10].connectionId, `m${i}`))
    const results = await Promise.allSettled(calls)
    assert.deepEqual(results.filter((r) => r.status === 'rejected').map((r) => r.reason.message), [])
    await until(() => clients.every((c) => c.messages.length === 100), { timeout: 10_000, what: 'all messages' })
    const all = new Set(clients.flatMap((c) => c.messages))
    assert.equal(all.size, 1000)
  } finally {
    await gw.stop()
  }
})

test('broadcast to 1,000 live connections, 50 of them closed', async () => {
  const gw = await new LocalGateway().start()
  try {
    const clients = await gw.connectMany(1000)
    const closed = clients.filter((_, i) => i % 20 === 7)
    await Promise.all(closed.map((c) => c.close()))
    await until(() => gw.connectionCount === 950, { timeout: 10_000, what: 'closes to register' })
    const progress = []
    const ids = clients.map((c) => c.connectionId)
    const result = await gw.client().broadcast(ids, Buffer.from('news'), { concurrency: 64, onProgress: (p) => progress.push(p) })
    assert.equal(result.delivered, 950)
    assert.deepEqual(result.gone, closed.map((c) => c.connectionId))
    assert.deepEqual(result.failed, [])
    const open = clients.filter((_, i) => i % 20 !== 7)
    await until(() => open.every((c) => c.messages.length === 1), { timeout: 10_000, what: 'every open client to get the message' })
    assert.ok(open.every((c) => Buffer.from(c.messages[0]).toString() === 'news'))
    await until(() => progress.length === 1000, { timeout: 5000, what: 'progress reports' })
    assert.equal(Math.max(...progress.map((p) => p.done)), 1000)
  } finally {
    await gw.stop()
  }
})

test('postMany: each connection its own message', async () => {
  const gw = await new LocalGateway().start()
  try {
    const clients = await gw.connectMany(20)
    const items = new Map(clients.map((c, i) => [c.connectionId, `for ${i}`]))
    const r = await gw.client().postMany(items)
    assert.equal(r.delivered, 20)
    await until(() => clients.every((c) => c.messages.length === 1), { what: 'messages' })
    clients.forEach((c, i) => assert.equal(c.messages[0], `for ${i}`))
  } finally {
    await gw.stop()
  }
})
