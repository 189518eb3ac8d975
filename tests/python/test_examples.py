"""The examples in examples/python run against the local gateway."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from types import ModuleType

import pytest

from apigw_management.testing import LocalGateway

from conftest import ROOT

EXAMPLES = ROOT / "examples" / "python"


def test_hello_example_runs() -> None:
    env = dict(os.environ, AWS_EC2_METADATA_DISABLED="true")
    out = subprocess.run([sys.executable, str(EXAMPLES / "hello.py")], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[:2] == ["hello", "127.0.0.1"]
    assert lines[2] == "BroadcastResult(delivered=1, gone=0, failed=0)"


def load_handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lambda_handler_example", EXAMPLES / "lambda_handler.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lambda_handler_example_behind_the_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local-secret")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    module = load_handler()
    with LocalGateway(handler=module.handler) as gw:
        monkeypatch.setenv("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", gw.endpoint)
        sender, other = gw.connect_many(2)
        sender.send(json.dumps({"forward_to": [other.connection_id, "AAAAAAAAAAAAAAA="]}))
        assert str(sender.receive()).startswith("echo: ")
        assert json.loads(other.receive()) == {"forward_to": [other.connection_id, "AAAAAAAAAAAAAAA="]}
        sender.send("plain text")
        assert sender.receive() == "echo: plain text"
