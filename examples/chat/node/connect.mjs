// $connect: remembers the connection id.
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';

const dynamo = new DynamoDBClient({});

export const handler = async (event) => {
  await dynamo.send(new PutItemCommand({
    TableName: process.env.TABLE_NAME,
    Item: { connectionId: { S: event.requestContext.connectionId } },
  }));
  return { statusCode: 200 };
};
