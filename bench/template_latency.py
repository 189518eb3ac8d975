"""Template mode's cost per message: route selection plus a warm handler.

Starts ``apigw-management local --template bench/template/template.yaml`` (a release
build), connects one WebSocket client and sends N messages one at a time to a route
whose handler (Node, then Python) answers at once through a route response. The
gateway's own WebSocket round trip (a ping and its pong, which touch neither route
selection nor a handler) is the baseline; the difference is what template mode adds.
Also reports the time from start to the first line: with this template (the gateway
ready and both workers warm), and with a template that has no function (the template
read, the CA generated, the port bound: template mode's own start).

    .venv/bin/python bench/template_latency.py [--n 2000] [--binary target/release/apigw-management]

Prints one JSON line; bench/TEMPLATE.md keeps the figures measured on the project's host.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
    }


async def measure(ws_url: str, n: int) -> dict[str, object]:
    async with connect(ws_url, ping_interval=None, max_size=None) as ws:
        pings = []
        for _ in range(n):
            start = time.perf_counter()
            await (await ws.ping())
            pings.append(time.perf_counter() - start)
        out: dict[str, object] = {"ping": summary(pings)}
        for route in ("node", "python"):
            message = json.dumps({"action": route})
            for _ in range(50):  # warm the worker and the path
                await ws.send(message)
                await ws.recv()
            trips = []
            for _ in range(n):
                start = time.perf_counter()
                await ws.send(message)
                await ws.recv()
                trips.append(time.perf_counter() - start)
            s = summary(trips)
            s["adds_median_ms"] = round(s["median_ms"] - out["ping"]["median_ms"], 3)  # type: ignore[index]
            out[route] = s
        return out


def start(binary: str, template: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], dict[str, object], float]:
    """Starts the gateway; the process, its first line and the seconds it took."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "local", "--output", "json", "--template", str(template)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
    )
    assert proc.stdout is not None
    first = json.loads(proc.stdout.readline())
    return proc, first, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--binary", default=str(ROOT / "target" / "release" / "apigw-management"))
    args = parser.parse_args()
    if not Path(args.binary).exists():
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "apigw-management-cli"], cwd=ROOT, check=True)
    env = dict(os.environ, AWS_EC2_METADATA_DISABLED="true", AWS_REGION="us-east-1",
               AWS_ACCESS_KEY_ID="AKIDLOCAL", AWS_SECRET_ACCESS_KEY="local-secret")
    empty = ROOT / "target" / "bench-template-empty.yaml"
    empty.write_text(
        "Resources:\n  Api: {Type: AWS::ApiGatewayV2::Api, "
        "Properties: {ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}}\n"
    )
    proc, _, own_start = start(args.binary, empty, env)
    proc.terminate()
    proc.wait(10)
    proc, first, ready = start(args.binary, ROOT / "bench" / "template" / "template.yaml", env)
    try:
        result = asyncio.run(measure(str(first["websocket_url"]), args.n))
        result["ready_ms"] = round(ready * 1000, 1)
        result["ready_without_workers_ms"] = round(own_start * 1000, 1)
        result["n"] = args.n
        print(json.dumps(result))
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
