"""Runs a smoke program of an installed wheel (smoke.py, under any interpreter: a venv, or
arm64 Python under qemu-user) against a local gateway with real WebSocket clients, and
checks what a user would: the client received the exact bytes, the deleted connection
closed and then answered GoneException (410). Used by tests/python/test_wheel.py and, on
each platform's runner, by the release workflow (`python tests/python/run_smoke.py` with the wheel
and its `testing` extra installed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from apigw_management.testing import LocalGateway

SMOKE = Path(__file__).with_name("smoke.py")
DATA = bytes(range(256)) * 4


def run_smoke(command: List[str], cwd: Path, env: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """Runs `command` (ending with smoke.py) and returns what it printed, checked."""
    env = dict(os.environ if env is None else env)
    with LocalGateway(credentials=("AKIDSMOKE", "smoke-secret")) as gw:
        ws = gw.connect(user_agent="smoke")
        doomed = gw.connect(user_agent="doomed")
        env.update(
            AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI=gw.endpoint,
            AWS_ACCESS_KEY_ID="AKIDSMOKE",
            AWS_SECRET_ACCESS_KEY="smoke-secret",
            AWS_EC2_METADATA_DISABLED="true",
            SMOKE_ID=ws.connection_id,
            SMOKE_GONE_ID=doomed.connection_id,
            SMOKE_DATA=DATA.hex(),
        )
        out = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, f"{command} failed:\n{out.stdout}\n{out.stderr}"
        seen: Dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        assert ws.receive() == DATA, "the WebSocket client did not receive the posted bytes"
        assert doomed.wait_closed(), "the deleted connection did not close"
    assert seen["user_agent"].startswith("smoke"), seen
    assert seen["gone"] == ["GoneException", 410], seen
    return seen


if __name__ == "__main__":
    # From the home directory, so the installed package is tested, not the checkout's.
    print(json.dumps(run_smoke([sys.executable, str(SMOKE)], cwd=Path.home())))
