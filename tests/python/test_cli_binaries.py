"""The static musl CLIs (scripts/build-cli.sh TARGET, `make dist`) run on any Linux of
their architecture: no program interpreter, no shared library, and they post, describe
and delete against a local gateway (aarch64 under qemu-user). These run under
`make dist-check` (REQUIRE_ARTEFACTS=1), where a missing or stale binary fails."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path

import pytest

from apigw_management.testing import LocalGateway
from conftest import ROOT
from test_wheel import NOT_REQUIRED, REQUIRED, newest_source, runner

ARCHES = ["x86_64", "aarch64"]
SOURCES = ["cli/src", "cli/Cargo.toml"]


def binary(arch: str) -> Path:
    if not REQUIRED:
        pytest.skip(NOT_REQUIRED)
    path = ROOT / "target" / "cli" / f"apigw-management-{arch}-unknown-linux-musl"
    problem = None
    if not path.exists():
        problem = f"no {path.name}: run scripts/build-cli.sh {arch}-unknown-linux-musl"
    elif path.stat().st_mtime < max(newest_source(), newest_source(SOURCES)):
        problem = f"{path.name} is older than its sources: rebuild it"
    if problem:
        pytest.fail(problem)
    return path


@pytest.mark.parametrize("arch", ARCHES)
def test_cli_is_static(arch: str) -> None:
    cli = binary(arch)
    headers = subprocess.run(["readelf", "-hld", "-W", str(cli)], capture_output=True, text=True, check=True).stdout
    assert {"x86_64": "X86-64", "aarch64": "AArch64"}[arch] in headers
    assert "Requesting program interpreter" not in headers
    assert "(NEEDED)" not in headers


@pytest.mark.parametrize("arch", ARCHES)
def test_cli_posts_describes_and_deletes(arch: str, tmp_path: Path) -> None:
    cli = [*runner(arch), str(binary(arch))]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with LocalGateway(credentials=("AKIDSMOKE", "smoke-secret")) as gw:
        env.update(
            AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI=gw.endpoint,
            AWS_ACCESS_KEY_ID="AKIDSMOKE",
            AWS_SECRET_ACCESS_KEY="smoke-secret",
            AWS_REGION="us-east-1",
            AWS_EC2_METADATA_DISABLED="true",
            AWS_CONFIG_FILE=str(tmp_path / "none"),
            AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        )
        ws = gw.connect(user_agent=f"cli {arch}")
        doomed = gw.connect(user_agent="doomed")

        def call(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([*cli, *args], env=env, capture_output=True, text=True, timeout=300)

        post = call("post-to-connection", "--connection-id", ws.connection_id, "--data", f"from the {arch} CLI")
        assert post.returncode == 0, post.stderr
        assert ws.receive() == f"from the {arch} CLI"
        got = call("get-connection", "--connection-id", ws.connection_id)
        assert got.returncode == 0, got.stderr
        assert json.loads(got.stdout)["Identity"]["UserAgent"].startswith(f"cli {arch}")
        assert call("delete-connection", "--connection-id", doomed.connection_id).returncode == 0
        assert doomed.wait_closed()
        gone = call("post-to-connection", "--connection-id", doomed.connection_id, "--data", "late")
        assert gone.returncode == 254 and "(GoneException)" in gone.stderr, gone.stderr


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the demo runs natively only")
def test_x86_64_cli_demo() -> None:
    demo = subprocess.run([str(binary("x86_64")), "demo", "--clients", "50"], capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "result       OK" in demo.stdout
