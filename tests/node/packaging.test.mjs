// The npm packages install where users run them. For each Linux platform package built
// here (scripts/build-node-addon.sh TARGET, `make dist`): the addon needs no glibc symbol
// newer than 2.17 (Lambda's Amazon Linux 2 has 2.26), the platform package declares its
// os/cpu/libc and is at most 8 MB, and the packed packages (scripts/pack-npm.sh), installed
// from their tarballs into an empty project, load with `require` and `import` and post,
// describe and delete against a local gateway: linux-arm64-gnu under qemu-user in the
// arm64 userland of scripts/arm64-userland.sh. The main package ships no addon and
// depends on every platform package; the loader names the platform and the supported
// list where none fits.
// The artefact tests run under `make dist-check` and `make dist-ci` (REQUIRE_ARTEFACTS=1),
// where a missing or stale addon fails; `make test` skips them (the builds take minutes).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pkg, root } from './helpers.mjs'
import { runSmoke } from './run-smoke.mjs'

const { LocalGateway } = pkg('testing.js')
const MAX_BYTES = 8 * 1024 * 1024
const REQUIRED = process.env.REQUIRE_ARTEFACTS === '1'
const ARM64_ROOT = path.join(root, 'target', 'arm64-root')
// What the addon is built from: an addon older than any of these is stale.
const SOURCES = ['core/src', 'local/src', 'node/src', 'node/Cargo.toml', 'Cargo.toml', 'Cargo.lock']
const PLATFORMS = {
  'linux-x64-gnu': { cpu: 'x64', machine: 'X86-64' },
  'linux-arm64-gnu': { cpu: 'arm64', machine: 'AArch64' },
}
const ALL = ['linux-x64-gnu', 'linux-arm64-gnu', 'linux-x64-musl', 'linux-arm64-musl', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc']

const addonPath = (p) => path.join(root, 'npm', p, `apigw-management.${p}.node`)

function newestSource() {
  const files = execFileSync('git', ['ls-files', ...SOURCES], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean)
  return Math.max(...files.filter((f) => existsSync(path.join(root, f))).map((f) => statSync(path.join(root, f)).mtimeMs))
}

/** Why the platform's artefacts cannot be checked here, or false. */
function missing(platform) {
  if (process.platform !== 'linux') return 'the packaged addons are checked on Linux'
  const file = addonPath(platform)
  if (!existsSync(file)) return `no ${file}: run scripts/build-node-addon.sh`
  if (statSync(file).mtimeMs < newestSource()) return `${path.basename(file)} is older than its sources: rebuild it`
  if (PLATFORMS[platform].cpu !== process.arch) {
    const qemu = spawnSync('qemu-aarch64', ['--version'], { stdio: 'ignore' }).status === 0
    if (!qemu || !existsSync(path.join(ARM64_ROOT, 'usr/bin/node'))) {
      return 'no qemu-aarch64 or arm64 userland: run scripts/arm64-userland.sh'
    }
  }
  return false
}

/** `skip` option of an artefact test: run (and fail if missing) only when required. */
function skipUnless() {
  return REQUIRED ? false : 'artefact checks run under make dist-check and make dist-ci'
}

function requireArtefacts(platform) {
  const why = missing(platform)
  if (why) assert.fail(why)
}

function glibcVersions(file) {
  const out = execFileSync('readelf', ['--dyn-syms', '-W', file], { encoding: 'utf8', maxBuffer: 64 << 20 })
  return [...new Set(out.match(/@GLIBC_[0-9.]+/g) ?? [])].map((v) => v.slice('@GLIBC_'.length).split('.').map(Number))
}

function cmp(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d) return d
  }
  return 0
}

/** The packed tarballs (scripts/pack-npm.sh), packed once per run. */
let packed
function pack() {
  if (!packed) {
    execFileSync('bash', ['scripts/pack-npm.sh'], { cwd: root, stdio: 'ignore' })
    const dir = path.join(root, 'target', 'npm')
    packed = (name) => path.join(dir, `${name}-0.1.0.tgz`)
  }
  return packed
}

function tarList(tgz) {
  return execFileSync('tar', ['tzf', tgz], { encoding: 'utf8' }).split('\n').filter(Boolean).sort()
}

function tarJson(tgz, file) {
  return JSON.parse(execFileSync('tar', ['xzOf', tgz, `package/${file}`], { encoding: 'utf8' }))
}

for (const [platform, { cpu, machine }] of Object.entries(PLATFORMS)) {
  test(`${platform}: the addon needs glibc <= 2.17, and its package declares its platform and is small`, { skip: skipUnless() }, () => {
    requireArtefacts(platform)
    const addon = addonPath(platform)
    const header = execFileSync('readelf', ['-h', addon], { encoding: 'utf8' })
    assert.match(header, new RegExp(machine))
    const versions = glibcVersions(addon).sort(cmp)
    assert.ok(versions.length > 0, 'no GLIBC_ symbol versions found')
    assert.ok(cmp(versions.at(-1), [2, 17]) <= 0, `needs GLIBC_${versions.at(-1).join('.')}`)

    const tgz = pack()(`apigw-management-${platform}`)
    assert.deepEqual(tarList(tgz), ['package/LICENSE', 'package/README.md', `package/apigw-management.${platform}.node`, 'package/package.json'])
    const meta = tarJson(tgz, 'package.json')
    assert.equal(meta.name, `apigw-management-${platform}`)
    assert.deepEqual([meta.os, meta.cpu, meta.libc], [['linux'], [cpu], ['glibc']])
    assert.equal(meta.main, `apigw-management.${platform}.node`)
    assert.ok(statSync(addon).size <= MAX_BYTES, `${addon}: ${statSync(addon).size} bytes`)
    assert.ok(statSync(tgz).size <= MAX_BYTES, `${tgz}: ${statSync(tgz).size} bytes`)
  })

  test(`${platform}: the packed packages install into an empty project, load both ways and post`, { skip: skipUnless(), timeout: 900_000 }, async (t) => {
    requireArtefacts(platform)
    const tarball = pack()
    const app = mkdtempSync(path.join(tmpdir(), `apigw-management-${platform}-`))
    t.after(() => rmSync(app, { recursive: true, force: true }))

    // The main package and its optional platform dependency come from the tarballs, not
    // the registry (`overrides`, `--offline`); `--cpu` picks the platform as npm does on it.
    const overrides = Object.fromEntries(
      Object.keys(PLATFORMS)
        .filter((p) => existsSync(tarball(`apigw-management-${p}`)))
        .map((p) => [`apigw-management-${p}`, `file:${tarball(`apigw-management-${p}`)}`]),
    )
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', overrides }))
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', `--cpu=${cpu}`, '--os=linux', '--libc=glibc', tarball('apigw-management')], { cwd: app, stdio: 'pipe' })
    assert.ok(existsSync(path.join(app, 'node_modules', `apigw-management-${platform}`)), `npm did not install apigw-management-${platform}`)

    const node = cpu === process.arch ? [process.execPath] : ['qemu-aarch64', '-L', ARM64_ROOT, path.join(ARM64_ROOT, 'usr/bin/node')]
    const seen = await runSmoke(node[0], node.slice(1), app, LocalGateway)
    assert.equal(seen.machine, cpu)
    assert.equal(seen.addon, path.join(app, 'node_modules', `apigw-management-${platform}`, `apigw-management.${platform}.node`))
  })
}

test('the main package ships JavaScript and types, no addon, and depends on every platform package', () => {
  execFileSync('bash', ['scripts/pack-npm.sh'], { cwd: root, stdio: 'ignore' })
  const tgz = path.join(root, 'target', 'npm', 'apigw-management-0.1.0.tgz')
  const files = tarList(tgz)
  for (const f of files) {
    assert.match(f, /^package\/(package\.json|README\.md|LICENSE|node\/README\.md|node\/[\w-]+\.(js|mjs|d\.ts))$/, `ships ${f}`)
  }
  for (const want of ['package/LICENSE', 'package/node/index.js', 'package/node/index.mjs', 'package/node/index.d.ts', 'package/node/native.js']) {
    assert.ok(files.includes(want), `does not ship ${want}`)
  }
  const meta = tarJson(tgz, 'package.json')
  assert.deepEqual(Object.keys(meta.optionalDependencies).sort(), ALL.map((p) => `apigw-management-${p}`).sort())
  assert.ok(Object.values(meta.optionalDependencies).every((v) => v === meta.version))
  // The checkout's package.json has none: `npm ci` never looks them up.
  assert.equal(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).optionalDependencies, undefined)
})

test('the loader names the platform and the supported list where no addon fits', (t) => {
  // A copy of the loader outside the checkout, so no local build can be found.
  const dir = mkdtempSync(path.join(tmpdir(), 'apigw-management-loader-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const loader = path.join(dir, 'native.js')
  writeFileSync(loader, readFileSync(path.join(root, 'node', 'native.js')))

  const freebsd = `Object.defineProperty(process, 'platform', { value: 'freebsd' }); require(${JSON.stringify(loader)})`
  const run = spawnSync(process.execPath, ['-e', freebsd], { encoding: 'utf8' })
  assert.notEqual(run.status, 0)
  assert.match(
    run.stderr,
    new RegExp(`no prebuilt addon for this platform \\(freebsd-${process.arch}\\); supported platforms: ${ALL.join(', ')}`),
  )
  assert.doesNotMatch(run.stderr, /npm run build/)

  // A supported platform whose package npm did not install: says which, and why.
  const linux = spawnSync(process.execPath, [loader], { encoding: 'utf8' })
  assert.notEqual(linux.status, 0)
  assert.match(linux.stderr, new RegExp(`the addon package for linux-${process.arch}-gnu, apigw-management-linux-${process.arch}-gnu, is not installed`))
})
