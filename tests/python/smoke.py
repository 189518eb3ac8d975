"""The smoke test of an installed wheel (tests/python/test_wheel.py runs it with the
wheel's interpreter: a fresh venv here, or arm64 Python under qemu-user).

Posts SMOKE_DATA (hex) to SMOKE_ID, describes it, deletes SMOKE_GONE_ID and posts to it,
against the gateway at AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI with the environment's
keys; prints what it saw as one JSON line. Needs nothing but the package.
"""

import json
import os
import platform

import apigw_management
from apigw_management import Client, GoneException

client = Client(os.environ["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"], region="us-east-1")
client.post_to_connection(os.environ["SMOKE_ID"], bytes.fromhex(os.environ["SMOKE_DATA"]))
conn = client.get_connection(os.environ["SMOKE_ID"])
gone = os.environ["SMOKE_GONE_ID"]
client.delete_connection(gone)
try:
    client.post_to_connection(gone, b"after delete")
    raised = None
except GoneException as e:
    raised = [type(e).__name__, e.status_code]
print(
    json.dumps(
        {
            "machine": platform.machine(),
            "module": apigw_management.__file__,
            "version": apigw_management.__version__,
            "user_agent": conn.identity.user_agent,
            "connected_at": conn.connected_at.isoformat(),
            "gone": raised,
        }
    )
)
