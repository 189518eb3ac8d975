'use strict'
// Loads the addon built by `napi build` (node/apigw-management.node), or the prebuilt
// one for this platform (node/apigw-management.<platform>-<arch>-<libc>.node).
const { join } = require('node:path')
const { existsSync } = require('node:fs')

function candidates() {
  const names = ['apigw-management.node']
  const { platform, arch } = process
  if (platform === 'linux') {
    names.push(`apigw-management.linux-${arch}-gnu.node`)
  } else {
    names.push(`apigw-management.${platform}-${arch}.node`)
  }
  return names.map((n) => join(__dirname, n))
}

let loaded
let firstError
for (const file of candidates()) {
  if (!existsSync(file)) continue
  try {
    loaded = require(file)
    break
  } catch (e) {
    firstError = firstError || e
  }
}
if (!loaded) {
  const e = new Error(
    `apigw-management: no native addon for ${process.platform}-${process.arch} in ${__dirname}` +
      (firstError ? `: ${firstError.message}` : ' (run `npm run build`)'),
  )
  e.cause = firstError
  throw e
}
module.exports = loaded
