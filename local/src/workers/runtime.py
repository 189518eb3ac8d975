"""The Python runtime of template mode's workers.

Loads one Lambda handler (``module.function``) and runs the events the gateway writes on
stdin, one JSON line each, answering one JSON line each on stdout. The handler's own
output goes to stderr, which the gateway prints prefixed with the function's name.
"""

import importlib
import json
import os
import socket
import sys
import time

protocol = sys.stdout
sys.stdout = sys.stderr

# The API's own host name (https://{apiId}.execute-api.{region}.amazonaws.com) reaches
# the gateway: port 443 of those names is the gateway's port on 127.0.0.1.
GATEWAY_HOST, GATEWAY_PORT = os.environ["APIGW_LOCAL_GATEWAY"].rsplit(":", 1)
API_HOSTS = set(filter(None, os.environ.get("APIGW_LOCAL_API_HOSTS", "").split(",")))
_getaddrinfo = socket.getaddrinfo


def _local_getaddrinfo(host, port, *args, **kwargs):
    if host in API_HOSTS and str(port) in ("443", "https", "None"):
        return _getaddrinfo(GATEWAY_HOST, int(GATEWAY_PORT), *args, **kwargs)
    return _getaddrinfo(host, port, *args, **kwargs)


socket.getaddrinfo = _local_getaddrinfo


def send(message):
    try:
        line = json.dumps(message)
    except (TypeError, ValueError) as e:
        line = json.dumps({"error": error_of(e)})
    protocol.write(line + "\n")
    protocol.flush()


def error_of(e):
    return {"errorType": type(e).__name__, "errorMessage": str(e)}


class Context:
    """The Lambda context object."""

    def __init__(self, request):
        name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.aws_request_id = request["requestId"]
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = request["functionArn"]
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = "/aws/lambda/" + name
        self.log_stream_name = "local"
        self._deadline = request["deadline"]

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline - time.time() * 1000))


def main():
    code_dir, module_name, function_name = sys.argv[1:4]
    sys.path.insert(0, code_dir)
    try:
        handler = getattr(importlib.import_module(module_name.replace("/", ".")), function_name)
        if not callable(handler):
            raise TypeError(f"{module_name}.{function_name} is not a function")
    except Exception as e:  # the init error is the invocation's answer, as in Lambda
        send({"initError": error_of(e)})
        sys.exit(1)
    send({"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        try:
            send({"result": handler(request["event"], Context(request))})
        except Exception as e:
            send({"error": error_of(e)})


main()
