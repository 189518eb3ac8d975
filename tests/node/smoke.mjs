// The smoke test of the installed npm packages (run-smoke.mjs copies it into a project
// that installed the packed tarballs and runs it there: here, or arm64 node under qemu).
// Loads the package both ways (`import` and `require`), posts SMOKE_DATA (hex) to SMOKE_ID,
// describes it, deletes SMOKE_GONE_ID and posts to it, against the gateway at
// AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI with the environment's keys; prints one JSON line.
import { createRequire } from 'node:module'
import { Client, GoneException } from 'apigw-management'

const require = createRequire(`${process.cwd()}/`)
const cjs = require('apigw-management')
if (cjs.Client !== Client) throw new Error('require and import give different Client classes')

const env = process.env
const client = new Client({ endpoint: env.AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI, region: 'us-east-1' })
await client.postToConnection(env.SMOKE_ID, Buffer.from(env.SMOKE_DATA, 'hex'))
const conn = await client.getConnection(env.SMOKE_ID)
await client.deleteConnection(env.SMOKE_GONE_ID)
let gone = null
try {
  await client.postToConnection(env.SMOKE_GONE_ID, 'after delete')
} catch (e) {
  if (!(e instanceof GoneException)) throw e
  gone = [e.name, e.$metadata.httpStatusCode]
}
console.log(
  JSON.stringify({
    machine: process.arch,
    module: require.resolve('apigw-management'),
    addon: Object.keys(require.cache).find((f) => f.endsWith('.node')),
    userAgent: conn.identity.userAgent,
    connectedAt: conn.connectedAt.toISOString(),
    gone,
  }),
)
