// Shared helpers of the Node suite.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

export const require = createRequire(import.meta.url)
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const pkg = (sub = '') => require(path.join(root, 'node', sub || 'index.js'))

export const LOCAL_CREDENTIALS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' }

/** Waits until `check()` is truthy (polling), or throws after `timeout` ms. */
export async function until(check, { timeout = 5000, every = 10, what = 'condition' } = {}) {
  const end = Date.now() + timeout
  for (;;) {
    if (await check()) return
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, every))
  }
}
