// A Lambda handler for an API Gateway WebSocket API's `$default` route: echoes each
// message to its sender and tells everyone else. The client is built once per container
// from the first event (its endpoint comes from requestContext.apiId + stage; region and
// credentials from the Lambda environment).
const { Client, GoneException } = require('apigw-management')

let client
const connections = new Set() // a real app keeps these in DynamoDB

exports.handler = async (event) => {
  const { routeKey, connectionId } = event.requestContext
  client ??= Client.fromEvent(event)
  if (routeKey === '$connect') connections.add(connectionId)
  if (routeKey === '$disconnect') connections.delete(connectionId)
  if (routeKey === '$default') {
    try {
      await client.postToConnection(connectionId, `echo: ${event.body}`)
    } catch (e) {
      if (!(e instanceof GoneException)) throw e
    }
    const others = [...connections].filter((id) => id !== connectionId)
    const { gone } = await client.broadcast(others, `${connectionId} said ${event.body}`)
    for (const id of gone) connections.delete(id)
  }
  return { statusCode: 200 }
}
