'use strict'
// Loads the native addon: a build in this checkout (`napi build` writes
// node/apigw-management.node; the release scripts write npm/<platform>/), else the
// platform package npm installed from `optionalDependencies`
// (apigw-management-<platform>, e.g. apigw-management-linux-arm64-gnu).
const { join } = require('node:path')
const { existsSync, readFileSync } = require('node:fs')

/** The platforms with a prebuilt addon package, as napi-rs names them. */
const SUPPORTED = [
  'linux-x64-gnu',
  'linux-arm64-gnu',
  'linux-x64-musl',
  'linux-arm64-musl',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64-msvc',
]

/** Whether this Linux runs on musl (Alpine) rather than glibc. */
function isMusl() {
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
  } catch {
    const header = process.report?.getReport?.()?.header
    return !header?.glibcVersionRuntime
  }
}

/** This process's platform as the packages name it: `linux-arm64-gnu`, `win32-x64-msvc`... */
function platformName() {
  const { platform, arch } = process
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

function load() {
  const platform = platformName()
  const file = `apigw-management.${platform}.node`
  const local = [join(__dirname, 'apigw-management.node'), join(__dirname, '..', 'npm', platform, file)]
  for (const path of local) {
    if (existsSync(path)) return require(path)
  }
  if (!SUPPORTED.includes(platform)) {
    throw new Error(
      `apigw-management: no prebuilt addon for this platform (${platform}); ` +
        `supported platforms: ${SUPPORTED.join(', ')}`,
    )
  }
  const pkg = `apigw-management-${platform}`
  let cause
  try {
    return require(pkg)
  } catch (e) {
    cause = e
  }
  const missing = cause.code === 'MODULE_NOT_FOUND' && String(cause.message).includes(pkg)
  const e = new Error(
    missing
      ? `apigw-management: the addon package for ${platform}, ${pkg}, is not installed ` +
          '(npm skips optional dependencies with --omit=optional or --no-optional; ' +
          `install it, or reinstall apigw-management without that flag)`
      : `apigw-management: the addon package ${pkg} did not load: ${cause.message}`,
  )
  e.cause = cause
  throw e
}

module.exports = load()
