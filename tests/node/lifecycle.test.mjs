// Lifecycle edges: worker threads each with their own Client, a worker terminated while
// its calls are pending, and a process that exits (process.exit, or the loop running
// dry) while calls are pending. (No dangling handle after calls: exit.test.mjs.)
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Worker } from 'node:worker_threads'
import { spawn } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { pkg, root } from './helpers.mjs'

const { LocalGateway } = pkg('testing.js')
const INDEX = path.join(root, 'node', 'index.js')

/** A server that accepts connections and never answers. */
function silentServer() {
  const sockets = new Set()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        endpoint: `http://127.0.0.1:${server.address().port}/prod`,
        connections: () => sockets.size,
        close: () => {
          for (const s of sockets) s.destroy()
          return new Promise((r) => server.close(r))
        },
      })
    })
  })
}

let gw, silent
before(async () => {
  gw = await new LocalGateway().start()
  silent = await silentServer()
})
after(async () => {
  await gw.stop()
  await silent.close()
})

function runWorker(code, workerData) {
  const worker = new Worker(`const { workerData, parentPort } = require('node:worker_threads');\n${code}`, {
    eval: true,
    workerData,
  })
  const exited = new Promise((resolve, reject) => {
    worker.on('error', reject)
    worker.on('exit', resolve)
  })
  return { worker, exited }
}

test('worker threads, each with its own Client, post to the local gateway', async () => {
  const workers = 4
  const perWorker = 50
  const sockets = await Promise.all(Array.from({ length: workers }, () => gw.connect()))
  const code = `
    const { Client } = require(workerData.index)
    const client = new Client(workerData.options)
    ;(async () => {
      const sends = []
      for (let i = 0; i < workerData.count; i++) sends.push(client.postToConnection(workerData.id, workerData.tag + ':' + i))
      await Promise.all(sends)
      parentPort.postMessage('sent')
    })().catch((e) => { parentPort.postMessage('failed: ' + e.message); process.exitCode = 1 })`
  const started = Date.now()
  const runs = sockets.map((ws, n) =>
    runWorker(code, { index: INDEX, options: gw.clientOptions(), id: ws.connectionId, tag: `w${n}`, count: perWorker }),
  )
  const replies = await Promise.all(runs.map((r) => new Promise((resolve) => r.worker.once('message', resolve))))
  assert.deepEqual(replies, Array(workers).fill('sent'))
  // Each worker exits by itself once its calls are done: nothing of ours keeps it alive.
  assert.deepEqual(await Promise.all(runs.map((r) => r.exited)), Array(workers).fill(0))
  for (const [n, ws] of sockets.entries()) {
    const got = []
    for (let i = 0; i < perWorker; i++) got.push(await ws.nextMessage())
    assert.deepEqual(got.sort(), Array.from({ length: perWorker }, (_, i) => `w${n}:${i}`).sort())
    await ws.close()
  }
  assert.ok(Date.now() - started < 10_000)
})

test('a worker terminated while its calls are pending: no crash, the process carries on', async () => {
  const initial = silent.connections()
  const code = `
    const { Client } = require(workerData.index)
    const client = new Client({ endpoint: workerData.endpoint, region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, timeout: 30000, maxAttempts: 1 })
    for (let i = 0; i < 20; i++) client.postToConnection('c' + i + '=', 'x').catch(() => {})
    client.getConnection('g=').catch(() => {})
    parentPort.postMessage('started')`
  const runs = [runWorker(code, { index: INDEX, endpoint: silent.endpoint }), runWorker(code, { index: INDEX, endpoint: silent.endpoint })]
  await Promise.all(runs.map((r) => new Promise((resolve) => r.worker.once('message', resolve))))
  // Wait until the requests are on the wire, then pull the workers' environments away.
  const deadline = Date.now() + 5000
  while (silent.connections() < initial + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  const codes = await Promise.all(runs.map((r) => r.worker.terminate()))
  // Both were still running and were ended by terminate() (exit code 1 each).
  assert.deepEqual(codes, [1, 1])
  await Promise.all(runs.map((r) => r.exited))
  // The calls are still pending on the core's runtime; let a few settle into nothing.
  await new Promise((r) => setTimeout(r, 100))
  // This thread's clients are unaffected.
  const ws = await gw.connect()
  await gw.client().postToConnection(ws.connectionId, 'after the workers')
  assert.equal(await ws.nextMessage(), 'after the workers')
  await ws.close()
})

function runNode(code, { env = {}, bound = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const child = spawn(process.execPath, ['-e', code], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the process did not exit within ${bound} ms\n${out}\n${err}`))
    }, bound)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, out, err, ms: Date.now() - started })
    })
  })
}

const PENDING_CALLS = `
  const { Client } = require(${JSON.stringify(INDEX)})
  const client = new Client({ endpoint: process.env.SILENT, region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, timeout: Number(process.env.TIMEOUT), maxAttempts: 1 })
  let settled = 0
  for (let i = 0; i < 50; i++) client.postToConnection('c' + i + '=', 'x').catch((e) => { settled++; if (e.kind !== 'Timeout') throw e })
  client.broadcast(Array.from({ length: 100 }, (_, i) => 'b' + i + '='), 'y').then(() => settled++)
  process.on('exit', () => console.log('settled ' + settled))
`

test('process.exit() while calls are pending exits at once, cleanly', async () => {
  const r = await runNode(PENDING_CALLS + "setTimeout(() => { console.log('exiting'); process.exit(0) }, 200)", {
    env: { SILENT: silent.endpoint, TIMEOUT: '60000' },
  })
  assert.equal(r.signal, null, r.err)
  assert.equal(r.code, 0, r.err)
  assert.deepEqual(r.out.trim().split('\n'), ['exiting', 'settled 0'])
  assert.ok(!/panicked|FATAL|Abort/i.test(r.err), r.err)
  assert.ok(r.ms < 5000, `${r.ms} ms`)
})

test('the loop runs dry once pending calls settle: the process then exits by itself', async () => {
  // Pending calls keep the process alive until they settle (as fetch does); with a
  // 300 ms timeout every call settles and the process exits on its own.
  const r = await runNode(PENDING_CALLS, { env: { SILENT: silent.endpoint, TIMEOUT: '300' } })
  assert.equal(r.code, 0, r.err)
  assert.equal(r.out.trim(), 'settled 51')
  assert.ok(r.ms < 5000, `${r.ms} ms`)
})
