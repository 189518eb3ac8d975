// The process exits by itself after using the client: the addon keeps no handle alive
// once no call is in flight. And CommonJS and ESM both load the package.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { root } from './helpers.mjs'

function run(args, { timeout = 20_000, cwd = root } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the process did not exit within ${timeout} ms (a dangling handle?)\n${out}\n${err}`))
    }, timeout)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out, err })
    })
  })
}

test('exits by itself after calls, a broadcast, an error and a local gateway', async () => {
  const code = `
    const { Client } = require('apigw-management')
    const { LocalGateway } = require('apigw-management/testing')
    ;(async () => {
      const gw = await new LocalGateway().start()
      const ws = await gw.connect()
      const c = new Client(gw.clientOptions())
      await c.postToConnection(ws.connectionId, 'x')
      await c.getConnection(ws.connectionId)
      await c.broadcast([ws.connectionId, 'AAAAAAAAAAAAAAA='], 'y', { onProgress: () => {} })
      await c.postToConnection('AAAAAAAAAAAAAAA=', 'z').catch(() => {})
      await gw.stop()
      console.log('done')
    })()`
  const r = await run(['-e', code])
  assert.equal(r.code, 0, r.err)
  assert.equal(r.out.trim(), 'done')
})

test('exits by itself when a client was only constructed', async () => {
  const r = await run(['-e', "const { Client } = require('apigw-management'); new Client({ endpoint: 'https://abc.execute-api.us-east-1.amazonaws.com/prod' }); console.log('ok')"])
  assert.equal(r.code, 0, r.err)
})

test('CommonJS require and ESM import give the same classes; subpaths resolve', async () => {
  const code = `
    import { Client, GoneException } from 'apigw-management'
    import def from 'apigw-management'
    import { createRequire } from 'node:module'
    import * as v2 from 'apigw-management/v2'
    import * as v3 from 'apigw-management/v3'
    import * as testing from 'apigw-management/testing'
    const require = createRequire(import.meta.url)
    const cjs = require('apigw-management')
    if (cjs.Client !== Client || def.GoneException !== GoneException) throw new Error('different objects')
    if (typeof v2.ApiGatewayManagementApi !== 'function' || typeof v3.PostToConnectionCommand !== 'function') throw new Error('subpaths')
    if (typeof testing.LocalGateway !== 'function') throw new Error('testing')
    if (v3.GoneException !== GoneException) throw new Error('v3 classes')
    console.log('ok')`
  const r = await run(['--input-type=module', '-e', code])
  assert.equal(r.code, 0, r.err)
  assert.equal(r.out.trim(), 'ok')
})
