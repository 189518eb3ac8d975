// Every JavaScript block of the READMEs and docs/ runs against a local gateway, as a
// CommonJS file in its own process (so a top-level `await` is the error it would be for
// a user). A block's example endpoint and connection id are replaced by a fresh gateway's
// and one of its live connections'; an `exports.handler` it defines is called with a
// route event.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import fs from 'node:fs'
import path from 'node:path'
import { pkg, root, LOCAL_CREDENTIALS } from './helpers.mjs'

const { LocalGateway } = pkg('testing.js')
const run = promisify(execFile)

const EXAMPLE_ENDPOINT = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod'
const EXAMPLE_ID = 'L0SM9cOFvHcCIhw='
const PAGES = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]
// Inside the package, so that `require('apigw-management')` resolves to it.
const DIR = path.join(root, 'target', 'docs-snippets')

function blocks() {
  const out = []
  for (const page of PAGES) {
    const text = fs.readFileSync(path.join(root, page), 'utf8')
    for (const m of text.matchAll(/^```(js|javascript)\n([\s\S]*?)^```/gm)) {
      out.push({ name: `${page}:${text.slice(0, m.index).split('\n').length}`, code: m[2] })
    }
  }
  return out
}

const BLOCKS = blocks()

test('the docs have JavaScript blocks', () => {
  assert.ok(BLOCKS.length >= 8, BLOCKS.map((b) => b.name).join(' '))
})

for (const block of BLOCKS) {
  test(`${block.name} runs against the local gateway`, async () => {
    const gw = await new LocalGateway().start()
    try {
      const ws = await gw.connect()
      const code = block.code.replaceAll(EXAMPLE_ENDPOINT, gw.endpoint).replaceAll(EXAMPLE_ID, ws.connectionId)
      fs.mkdirSync(DIR, { recursive: true })
      const file = path.join(DIR, `${block.name.replace(/[^A-Za-z0-9]+/g, '_')}.cjs`)
      const event = {
        requestContext: { routeKey: '$default', connectionId: ws.connectionId, apiId: gw.apiId, stage: gw.stage, domainName: `127.0.0.1:${gw.port}` },
        body: 'hi',
      }
      // A handler module is loaded and called in the child too: the same process a user runs.
      const runner = `const m = require(${JSON.stringify(file)});
if (typeof m.handler === 'function') m.handler(${JSON.stringify(event)}).then((a) => { if (a.statusCode !== 200) throw new Error('handler answered ' + a.statusCode) })`
      fs.writeFileSync(file, code)
      const env = {
        ...process.env,
        AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI: gw.endpoint,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_REGION: 'us-east-1',
      }
      await run(process.execPath, ['-e', runner], { cwd: root, env, timeout: 60_000 }).catch((e) => {
        throw new Error(`${block.name} failed:\n${e.stderr || e.message}`)
      })
      if (block.code.includes(EXAMPLE_ID) && /postToConnection|broadcast|handler|PostToConnectionCommand/.test(block.code)) {
        assert.ok((await ws.nextMessage()) !== undefined, `${block.name}: nothing reached the client`)
      }
    } finally {
      await gw.stop()
    }
  })
}
