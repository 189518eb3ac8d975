"""sendmessage: posts ``data`` to every connection; forgets those that are gone."""
import json
import os

import boto3

dynamo = boto3.client("dynamodb")
TABLE = os.environ["TABLE_NAME"]


def handler(event, context):
    ctx = event["requestContext"]
    api = boto3.client("apigatewaymanagementapi", endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}")
    data = json.loads(event["body"])["data"]
    for item in dynamo.scan(TableName=TABLE)["Items"]:
        connection_id = item["connectionId"]["S"]
        try:
            api.post_to_connection(ConnectionId=connection_id, Data=data.encode())
        except api.exceptions.GoneException:
            dynamo.delete_item(TableName=TABLE, Key={"connectionId": {"S": connection_id}})
    return {"statusCode": 200}
