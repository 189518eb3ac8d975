"""An API Gateway WebSocket route handler for AWS Lambda: echoes each message back to its
sender and forwards it to the connections listed in the message.

Deploy with the package in the function's layer or zip (``pip install apigw-management
-t package/``). Lambda sets ``AWS_REGION`` and the credentials; the endpoint comes from the
event (``requestContext.apiId`` and ``stage``). Tests point it at a local gateway with
``AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI``.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from apigw_management import Client, GoneException

_client: Optional[Client] = None  # one client per container: reused across invocations


def client_for(event: Dict[str, Any]) -> Client:
    global _client
    if _client is None:
        _client = Client.from_event(event, timeout=2.0)
    return _client


def handler(event: Dict[str, Any], context: object = None) -> Dict[str, Any]:
    ctx = event["requestContext"]
    if ctx["routeKey"] != "$default":  # $connect / $disconnect: accept
        return {"statusCode": 200}
    client = client_for(event)
    body = event.get("body") or ""
    try:
        client.post_to_connection(ctx["connectionId"], f"echo: {body}")
    except GoneException:
        return {"statusCode": 410}
    try:
        targets = json.loads(body).get("forward_to", [])
    except (ValueError, AttributeError):
        targets = []
    if targets:
        result = client.broadcast(targets, body)
        print(f"forwarded to {result.delivered}, {len(result.gone)} gone, {len(result.failed)} failed")
    return {"statusCode": 200}
