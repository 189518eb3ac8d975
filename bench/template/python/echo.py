"""Answers with the message's body."""


def handler(event, context):
    return {"statusCode": 200, "body": event["body"]}
