// Compiled with `tsc --strict --noEmit` by tests/node/types.test.mjs: every export used
// as a TypeScript user would.
import {
  Client,
  ApiGatewayManagementError,
  GoneException,
  ServiceError,
  TransportError,
  type Connection,
  type BroadcastResult,
} from 'apigw-management'
import type { native } from 'apigw-management'
import { ApiGatewayManagementApi as V2, config as v2config } from 'apigw-management/v2'
import {
  ApiGatewayManagementApiClient,
  ApiGatewayManagementApi as V3,
  PostToConnectionCommand,
  GetConnectionCommand,
  ApiGatewayManagementApiServiceException,
} from 'apigw-management/v3'
import { LocalGateway } from 'apigw-management/testing'

async function main(): Promise<void> {
  const gw = await new LocalGateway({ faults: { throttle: 0 }, handler: (e) => ({ statusCode: e.requestContext.routeKey === '$connect' ? 200 : 200 }) }).start()
  try {
    const client = new Client({ ...gw.clientOptions(), maxAttempts: 2, timeout: 1000 })
    const ws = await gw.connect({ userAgent: 'ts' })
    await client.postToConnection(ws.connectionId, 'text')
    await client.postToConnection(ws.connectionId, new Uint8Array([1]), { signal: AbortSignal.timeout(1000) })
    await client.postToConnection(ws.connectionId, new ArrayBuffer(2))
    const c: Connection = await client.getConnection(ws.connectionId)
    const when: Date = c.connectedAt
    const ip: string = c.identity.sourceIp
    const r: BroadcastResult = await client.broadcast([ws.connectionId], Buffer.from('x'), { concurrency: 8, onProgress: (p) => p.done })
    const n: number = r.delivered + r.gone.length
    for (const f of r.failed) {
      const code: string = f.error.code
      void code
    }
    await client.postMany([[ws.connectionId, 'a'], { connectionId: ws.connectionId, data: 'b' }])
    try {
      await client.deleteConnection(ws.connectionId)
    } catch (e) {
      if (e instanceof GoneException) {
        const status: number | undefined = e.$metadata.httpStatusCode
        void status
      } else if (e instanceof ServiceError || e instanceof TransportError) {
        const retry: boolean = e.retryable
        const fault: 'client' | 'server' = e.$fault
        void retry, fault
      } else if (e instanceof ApiGatewayManagementError) {
        void e.kind
      }
    }
    const fromEvent: Client = Client.fromEvent({ requestContext: { apiId: 'a', stage: 'b' } }, { region: 'us-east-1' })
    void fromEvent, when, ip, n
    type Progress = native.ProgressInfo
    const p: Progress = { done: 1, total: 1, delivered: 1, gone: 0, failed: 0 }
    void p

    v2config.update({ region: 'us-east-1' })
    const v2 = new V2({ endpoint: gw.endpoint, maxRetries: 3, retryDelayOptions: { customBackoff: (n) => n * 10 } })
    const out = await v2.getConnection({ ConnectionId: ws.connectionId }).promise()
    const sourceIp: string | undefined = out.Identity?.SourceIp
    v2.postToConnection({ ConnectionId: 'x', Data: 'y' }, function (err, data) {
      if (err) console.log(err.code, err.statusCode, this.retryCount)
      else void data
    })
    void sourceIp, v2.endpoint.hostname

    const v3 = new ApiGatewayManagementApiClient({ endpoint: gw.endpoint, region: 'us-east-1', credentials: async () => gw.credentials })
    const o = await v3.send(new PostToConnectionCommand({ ConnectionId: ws.connectionId, Data: new Uint8Array([1]) }))
    const attempts: number = o.$metadata.attempts
    const g = await v3.send(new GetConnectionCommand({ ConnectionId: ws.connectionId }))
    const at: Date | undefined = g.ConnectedAt
    const agg = new V3({ endpoint: gw.endpoint, region: 'us-east-1', credentials: gw.credentials })
    await agg.postToConnection({ ConnectionId: ws.connectionId, Data: 'z' }).catch((e: unknown) => {
      if (e instanceof ApiGatewayManagementApiServiceException) console.log(e.name, e.$metadata.httpStatusCode)
    })
    void attempts, at
  } finally {
    await gw.stop()
  }
}

void main()
