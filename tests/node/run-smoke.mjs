// Runs the smoke program of installed npm packages (smoke.mjs, under any node: this one,
// or arm64 node under qemu-user) against a local gateway with real WebSocket clients, and
// checks what a user would: the client received the exact bytes, the deleted connection
// closed and then answered GoneException (410). Used by packaging.test.mjs and, on each
// platform's runner, by the release workflow (`node run-smoke.mjs` inside a project that
// installed the packages and `ws`).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { copyFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const SMOKE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'smoke.mjs')
const DATA = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256))

/**
 * Runs smoke.mjs with `[node, ...args]` in `cwd`, a project that installed the packages
 * (copied there: inside the checkout, `apigw-management` would resolve to the checkout),
 * against a gateway of `LocalGateway`.
 */
export async function runSmoke(node, args, cwd, LocalGateway) {
  copyFileSync(SMOKE, path.join(cwd, 'smoke.mjs'))
  const gateway = await new LocalGateway().start()
  try {
    const ws = await gateway.connect({ userAgent: 'smoke' })
    const doomed = await gateway.connect({ userAgent: 'doomed' })
    const run = spawnSync(node, [...args, 'smoke.mjs'], {
      cwd,
      encoding: 'utf8',
      timeout: 600_000,
      env: {
        PATH: process.env.PATH,
        SystemRoot: process.env.SystemRoot,
        AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI: gateway.endpoint,
        AWS_ACCESS_KEY_ID: gateway.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: gateway.credentials.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: path.join(cwd, 'no-aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(cwd, 'no-aws-credentials'),
        SMOKE_ID: ws.connectionId,
        SMOKE_GONE_ID: doomed.connectionId,
        SMOKE_DATA: DATA.toString('hex'),
      },
    })
    assert.equal(run.status, 0, `the installed package failed:\n${run.stdout}\n${run.stderr}`)
    const seen = JSON.parse(run.stdout.trim().split('\n').at(-1))
    assert.deepEqual(Buffer.from(await ws.nextMessage({ timeout: 10_000 })), DATA, 'the client did not receive the posted bytes')
    await doomed.closed
    assert.ok(seen.userAgent.startsWith('smoke'), seen.userAgent)
    assert.deepEqual(seen.gone, ['GoneException', 410])
    return seen
  } finally {
    await gateway.stop()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  // In a project that installed the packages: the installed package's own gateway.
  const { LocalGateway } = createRequire(path.join(process.cwd(), 'package.json'))('apigw-management/testing')
  console.log(JSON.stringify(await runSmoke(process.execPath, [], process.cwd(), LocalGateway)))
}
