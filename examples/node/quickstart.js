// Ten lines: a local gateway, a WebSocket client, a post and a broadcast.
const { Client } = require('apigw-management')
const { LocalGateway } = require('apigw-management/testing')
;(async () => {
  const gateway = await new LocalGateway().start() // or your API's https://…/stage endpoint
  const ws = await gateway.connect()
  const client = new Client(gateway.clientOptions()) // { endpoint, region, credentials }
  await client.postToConnection(ws.connectionId, 'hello')
  const { delivered, gone } = await client.broadcast([ws.connectionId, 'AAAAAAAAAAAAAAA='], 'to all')
  console.log(await ws.nextMessage(), delivered, gone.length, await gateway.stop())
})()
