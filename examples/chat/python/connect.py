"""$connect: remembers the connection id."""
import os

import boto3

dynamo = boto3.client("dynamodb")


def handler(event, context):
    dynamo.put_item(
        TableName=os.environ["TABLE_NAME"],
        Item={"connectionId": {"S": event["requestContext"]["connectionId"]}},
    )
    return {"statusCode": 200}
