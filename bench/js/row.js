'use strict'
// The Node rows of the bench: one program, the row named on the command line.
//
//   node row.js ROW load ENDPOINT N WARMUP CONCURRENCY
//   node row.js ROW cold ENDPOINT
//   node row.js ROW ids  ENDPOINT FILE CONCURRENCY
//   node row.js floor floor N CONCURRENCY     (promise workers with no client)
//
// Rows: ours (Promises), ours-broadcast (the project's addon, loaded from the package
// directory in APIGW_BENCH_NODE_PKG), sdk-v2, sdk-v3, aws-lite. Only Node's built-ins are
// loaded before the row's own require, so a cold run's require time is the client's
// alone. Prints one JSON line. Credentials and region come from the environment through
// each client's default chain.

const [row, mode, endpoint, ...rest] = process.argv.slice(2)
const BODY = Buffer.alloc(1024)
for (let i = 0; i < 1024; i++) BODY[i] = '0123456789abcdef'.charCodeAt(i % 16)
const BODY_STR = BODY.toString('latin1')

const ids = (start, n) => Array.from({ length: n }, (_, i) => `conn-${start + i}=`)
const cpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}
const now = () => Number(process.hrtime.bigint()) / 1e9
/** A keep-alive agent for the endpoint's scheme (the TLS rows use https). */
const agent = (endpoint, maxSockets) =>
  endpoint.startsWith('https:')
    ? new (require('node:https').Agent)({ keepAlive: true, maxSockets })
    : new (require('node:http').Agent)({ keepAlive: true, maxSockets })

/** `concurrency` promise workers pulling ids from one iterator. */
async function workers(send, list, concurrency) {
  const t = { ok: 0, errors: 0, first_error: undefined }
  let next = 0
  async function worker() {
    while (next < list.length) {
      const id = list[next++]
      try {
        await send(id)
        t.ok++
      } catch (e) {
        t.errors++
        if (t.first_error === undefined) t.first_error = `${e && e.name}: ${e && e.message}`
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker))
  return t
}

function loadOurs() {
  const pkg = process.env.APIGW_BENCH_NODE_PKG
  if (!pkg) throw new Error('APIGW_BENCH_NODE_PKG is not set (bench/build.sh sets it)')
  return require(pkg)
}

/** Returns { send(id), batch(list, concurrency)?, close() } for a row. */
async function makeClient(row, endpoint, concurrency, cold) {
  if (row === 'ours' || row === 'ours-broadcast') {
    const { Client } = loadOurs()
    const c = new Client({ endpoint })
    return {
      send: (id) => c.postToConnection(id, BODY),
      get: (id) => c.getConnection(id),
      batch: async (list, conc) => {
        const r = await c.broadcast(list, BODY, { concurrency: conc })
        const failed = list.length - r.delivered
        return {
          ok: r.delivered,
          errors: failed,
          first_error: failed ? JSON.stringify({ gone: r.gone.slice(0, 1), failed: r.failed.slice(0, 1).map((f) => `${f.connectionId}: ${f.error}`) }) : undefined,
        }
      },
    }
  }
  if (row === 'sdk-v2') {
    const AWS = require('aws-sdk')
    const opts = { endpoint }
    if (!cold) opts.httpOptions = { agent: agent(endpoint, concurrency) }
    const c = new AWS.ApiGatewayManagementApi(opts)
    return { send: (id) => c.postToConnection({ ConnectionId: id, Data: BODY }).promise() }
  }
  if (row === 'sdk-v3') {
    const { ApiGatewayManagementApiClient, PostToConnectionCommand } = require('@aws-sdk/client-apigatewaymanagementapi')
    const opts = { endpoint }
    if (!cold) {
      const a = agent(endpoint, concurrency)
      opts.requestHandler = endpoint.startsWith('https:') ? { httpsAgent: a } : { httpAgent: a }
    }
    const c = new ApiGatewayManagementApiClient(opts)
    return { send: (id) => c.send(new PostToConnectionCommand({ ConnectionId: id, Data: BODY })) }
  }
  if (row === 'aws-lite') {
    const awsLite = require('@aws-lite/client')
    const aws = await awsLite({ plugins: [import('@aws-lite/apigatewaymanagementapi')], keepAlive: true })
    return {
      send: (id) => aws.ApiGatewayManagementApi.PostToConnection({ ApiUrl: endpoint, ConnectionId: id, Data: BODY_STR }),
    }
  }
  throw new Error(`unknown row ${row}`)
}

async function main() {
  if (mode === 'floor') {
    // The row's concurrency with no client: promise workers awaiting a promise settled
    // on a later turn of the loop. What a per-call row cannot go below.
    const [n, conc] = [Number(endpoint), Number(rest[0])]
    const send = () => new Promise((resolve) => setImmediate(resolve))
    await workers(send, ids(0, 256), conc)
    const c0 = cpu()
    const t = await workers(send, ids(0, n), conc)
    console.log(JSON.stringify({ ok: t.ok, errors: t.errors, cpu_s: cpu() - c0 }))
    return
  }
  if (mode === 'cold') {
    const t0 = now()
    let imported
    let ok = 1
    let err
    try {
      // The require is the first thing makeClient does; time it on its own.
      if (row.startsWith('ours')) loadOurs()
      else if (row === 'sdk-v2') require('aws-sdk')
      else if (row === 'sdk-v3') require('@aws-sdk/client-apigatewaymanagementapi')
      else if (row === 'aws-lite') {
        require('@aws-lite/client')
        await import('@aws-lite/apigatewaymanagementapi')
      }
      imported = now()
      const c = await makeClient(row, endpoint, 1, true)
      await c.send('conn-0=')
    } catch (e) {
      ok = 0
      err = `${e && e.name}: ${e && e.message}`
      imported = imported || now()
    }
    const ready = process.hrtime.bigint()
    const out = { ok, errors: 1 - ok, ready_ns: ready.toString(), import_ms: (imported - t0) * 1e3 }
    if (err) out.first_error = err
    console.log(JSON.stringify(out))
    return
  }
  let warm, measured, conc
  if (mode === 'load') {
    const [n, warmup, c] = rest.map(Number)
    warm = ids(0, warmup)
    measured = ids(0, n)
    conc = c
  } else if (mode === 'ids') {
    const text = require('node:fs').readFileSync(rest[0], 'utf8')
    measured = text.split('\n').filter(Boolean)
    warm = []
    conc = Number(rest[1])
  } else {
    throw new Error(`unknown mode ${mode}`)
  }
  const c = await makeClient(row, endpoint, conc, false)
  const useBatch = row === 'ours-broadcast'
  const run = (list) => (useBatch ? c.batch(list, conc) : workers(c.send, list, conc))
  if (mode === 'ids') {
    // Credentials, region and one connection before the clock starts; nothing delivered.
    if (!c.get) throw new Error(`row ${row} has no ids mode`)
    await c.get(measured[0]).catch(() => {})
  } else if (warm.length) {
    await run(warm)
  }
  const c0 = cpu()
  const w0 = now()
  const t = await run(measured)
  const wall = now() - w0
  const used = cpu() - c0
  const out = { ok: t.ok, errors: t.errors, n: measured.length, wall_s: wall, cpu_s: used, process_cpu_s: cpu() }
  if (t.first_error) out.first_error = t.first_error
  console.log(JSON.stringify(out))
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  },
)
