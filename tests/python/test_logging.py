"""Logging through the `apigw_management` logger, and what importing costs."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from apigw_management.testing import LocalGateway


def test_one_debug_line_per_attempt_without_secrets(gateway: LocalGateway, caplog: pytest.LogCaptureFixture) -> None:
    ws = gateway.connect()
    client = gateway.client(retry_base_delay=0.001)
    gateway.set_faults(server_error=1.0)
    with caplog.at_level(logging.DEBUG, logger="apigw_management"):
        with pytest.raises(Exception):
            client.post_to_connection(ws.connection_id, "x")
    lines = [r for r in caplog.records if r.name == "apigw_management"]
    assert len(lines) == 3
    assert all(r.levelno == logging.DEBUG for r in lines)
    assert "PostToConnection" in lines[0].getMessage() and "attempt 1" in lines[0].getMessage()
    assert "attempt 3" in lines[2].getMessage()
    assert all("local-secret" not in r.getMessage() for r in lines)
    gateway.set_faults()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="apigw_management"):
        client.post_to_connection(ws.connection_id, "quiet")
    assert [r for r in caplog.records if r.name == "apigw_management"] == []


def test_import_is_cheap() -> None:
    code = (
        "import sys, apigw_management; "
        "bad = [m for m in ('asyncio', 'logging', 'typing', 'json', 'botocore') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
