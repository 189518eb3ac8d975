// sendmessage: posts `data` to every connection; forgets those that are gone.
import { DynamoDBClient, ScanCommand, DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';

const dynamo = new DynamoDBClient({});
const table = process.env.TABLE_NAME;

export const handler = async (event) => {
  const { domainName, stage } = event.requestContext;
  const api = new ApiGatewayManagementApiClient({ endpoint: `https://${domainName}/${stage}` });
  const { data } = JSON.parse(event.body);
  const { Items = [] } = await dynamo.send(new ScanCommand({ TableName: table }));
  await Promise.all(Items.map(async (item) => {
    const connectionId = item.connectionId.S;
    try {
      await api.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
    } catch (e) {
      if (!(e instanceof GoneException)) throw e;
      await dynamo.send(new DeleteItemCommand({ TableName: table, Key: { connectionId: { S: connectionId } } }));
    }
  }));
  return { statusCode: 200 };
};
