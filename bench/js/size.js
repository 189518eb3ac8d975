'use strict'
// Installed size of each JS row's packages and everything they depend on, from
// bench/js/node_modules; the project's own package from the directory given.
//   node size.js OURS_PKG_DIR -> {"name": {"bytes": N, "packages": K, "version": V}}
const fs = require('node:fs')
const path = require('node:path')
const NM = path.join(__dirname, 'node_modules')

function dirSize(p) {
  let total = 0
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    const q = path.join(p, e.name)
    if (e.isDirectory()) {
      if (e.name === 'node_modules') continue
      total += dirSize(q)
    } else if (e.isFile()) total += fs.statSync(q).size
  }
  return total
}

function resolve(name, from) {
  let dir = from
  for (;;) {
    const p = path.join(dir, 'node_modules', name)
    if (fs.existsSync(path.join(p, 'package.json'))) return p
    const up = path.dirname(dir)
    if (up === dir) return null
    dir = up
  }
}

function closure(names) {
  const seen = new Map()
  const stack = names.map((n) => resolve(n, __dirname)).filter(Boolean)
  while (stack.length) {
    const p = stack.pop()
    if (seen.has(p)) continue
    const pkg = JSON.parse(fs.readFileSync(path.join(p, 'package.json'), 'utf8'))
    seen.set(p, pkg)
    for (const d of Object.keys(pkg.dependencies || {})) {
      const q = resolve(d, p)
      if (q) stack.push(q)
    }
  }
  let bytes = 0
  for (const p of seen.keys()) bytes += dirSize(p)
  return { bytes, packages: seen.size }
}

const out = {}
const ver = (n) => JSON.parse(fs.readFileSync(path.join(NM, n, 'package.json'), 'utf8')).version
if (fs.existsSync(NM)) {
  out['aws-sdk'] = { ...closure(['aws-sdk']), version: `aws-sdk ${ver('aws-sdk')}` }
  out['@aws-sdk/client-apigatewaymanagementapi'] = {
    ...closure(['@aws-sdk/client-apigatewaymanagementapi']),
    version: `@aws-sdk/client-apigatewaymanagementapi ${ver('@aws-sdk/client-apigatewaymanagementapi')}`,
  }
  out['@aws-lite/client+@aws-lite/apigatewaymanagementapi'] = {
    ...closure(['@aws-lite/client', '@aws-lite/apigatewaymanagementapi']),
    version: `@aws-lite/client ${ver('@aws-lite/client')} + apigatewaymanagementapi ${ver('@aws-lite/apigatewaymanagementapi')}`,
  }
}
const ours = process.argv[2]
if (ours && fs.existsSync(path.join(ours, 'package.json'))) {
  const pkg = JSON.parse(fs.readFileSync(path.join(ours, 'package.json'), 'utf8'))
  out['apigw-management'] = { bytes: dirSize(ours), packages: 1, version: `apigw-management ${pkg.version} (release addon)` }
}
console.log(JSON.stringify(out))
