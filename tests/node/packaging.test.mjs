// The npm package loads in a Lambda: the release addon (scripts/build-node-addon.sh) needs
// no glibc symbol newer than Amazon Linux 2's 2.26 (it is linked against 2.17), the
// unpacked package is at most 8 MB and ships only what users need, and the packed package,
// installed in a fresh node_modules, loads the release addon and posts to a LocalGateway.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, renameSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { root } from './helpers.mjs'

const ADDON = path.join(root, 'node', 'apigw-management.linux-x64-gnu.node')
const MAX_GLIBC = [2, 26] // Lambda's Amazon Linux 2; AL2023 has 2.34
const MAX_UNPACKED = 8 * 1024 * 1024

function has(tool) {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0
}

const skip =
  process.platform !== 'linux' || process.arch !== 'x64'
    ? 'the release addon is linux x64 only'
    : !existsSync(ADDON)
      ? 'no release addon node/apigw-management.linux-x64-gnu.node: run scripts/build-node-addon.sh'
      : false

/** The `GLIBC_x.y[.z]` symbol versions a shared object needs, as number arrays. */
function glibcVersions(file) {
  const out = execFileSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 << 20 })
  const seen = new Set(out.match(/GLIBC_[0-9.]+/g) ?? [])
  return [...seen].map((v) => v.slice('GLIBC_'.length).split('.').map(Number))
}

function cmp(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d) return d
  }
  return 0
}

test('the release addon needs glibc <= 2.26', { skip: skip || (!has('objdump') && 'objdump (binutils) is not installed') }, () => {
  const versions = glibcVersions(ADDON)
  assert.ok(versions.length > 0, 'no GLIBC_ symbol versions found')
  const max = versions.sort(cmp).at(-1)
  assert.ok(cmp(max, MAX_GLIBC) <= 0, `needs GLIBC_${max.join('.')}, Lambda (Amazon Linux 2) has 2.26`)
})

test('the packed package is small, ships only what users need, loads and posts', { skip, timeout: 120_000 }, async (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'apigw-management-pack-'))
  t.after(() => rmSync(tmp, { recursive: true, force: true }))

  // npm pack, as `npm publish` would ship it.
  const [info] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  )
  const files = info.files.map((f) => f.path).sort()
  assert.ok(
    info.unpackedSize <= MAX_UNPACKED,
    `unpacked package: ${info.unpackedSize} bytes > ${MAX_UNPACKED}`,
  )
  t.diagnostic(`tarball ${info.size} bytes, unpacked ${info.unpackedSize} bytes, addon ${statSync(ADDON).size} bytes`)
  for (const f of files) {
    assert.match(
      f,
      /^(package\.json|README\.md|LICENSE|node\/README\.md|node\/[\w-]+\.(js|mjs|d\.ts)|node\/apigw-management\.linux-x64-gnu\.node)$/,
      `ships ${f}`,
    )
  }
  for (const want of ['package.json', 'LICENSE', 'node/index.js', 'node/index.d.ts', 'node/apigw-management.linux-x64-gnu.node']) {
    assert.ok(files.includes(want), `does not ship ${want}`)
  }
  assert.ok(!files.includes('node/apigw-management.node'), 'ships the debug addon')

  // Install it by hand in a fresh node_modules (with `ws`, the optional peer `testing` uses).
  const modules = path.join(tmp, 'app', 'node_modules')
  mkdirSync(modules, { recursive: true })
  execFileSync('tar', ['xzf', path.join(tmp, info.filename), '-C', tmp])
  renameSync(path.join(tmp, 'package'), path.join(modules, 'apigw-management'))
  symlinkSync(path.join(root, 'node_modules', 'ws'), path.join(modules, 'ws'), 'dir')

  const script = `
    const { Client } = require('apigw-management')
    const { LocalGateway } = require('apigw-management/testing')
    ;(async () => {
      const gateway = await new LocalGateway().start()
      try {
        const ws = await gateway.connect()
        await new Client(gateway.clientOptions()).postToConnection(ws.connectionId, 'from the package')
        console.log(JSON.stringify({ got: String(await ws.nextMessage({ timeout: 5000 })), addon: require.resolve('apigw-management') }))
      } finally {
        await gateway.stop()
      }
    })().catch((e) => { console.error(e); process.exit(1) })
  `
  const run = spawnSync(process.execPath, ['-e', script], { cwd: path.join(tmp, 'app'), encoding: 'utf8', timeout: 60_000 })
  assert.equal(run.status, 0, `the packed package failed:\n${run.stdout}\n${run.stderr}`)
  const out = JSON.parse(run.stdout.trim().split('\n').at(-1))
  assert.equal(out.got, 'from the package')
  assert.ok(out.addon.startsWith(modules), out.addon)
})
