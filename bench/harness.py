#!/usr/bin/env python3
"""`make bench`: apigw-management from Rust, Python and Node beside every peer, one run.

Started by bench/run.sh after the dependencies are installed and the artefacts built.
Standard library only. What it does, in order:

1. samples the host's idle CPU (nothing of ours running);
2. starts the sink (nginx, 1 worker pinned to CPU 0) on free loopback ports;
3. the ceiling: wrk (1 thread, 64 connections, unsigned 1 KiB POSTs) before, between and
   after the load rounds;
4. load rounds: every row in a fresh process pinned to CPU 1, WARMUP unmeasured calls then
   N measured ones, row order rotated each round; the sink's stub_status counter must grow
   by exactly WARMUP + N;
   Every load run is made twice, over plain HTTP and over HTTPS (the sink's TLS port,
   a certificate from a CA this run generates, trusted through each client's usual
   setting on top of the platform's roots);
5. cold rounds: a fresh process per row, from exec to one post done, credentials from
   the environment through each client's default chain; over HTTP and over HTTPS;
6. the latency run: every row posts 10,000 messages to a sink that answers after 20 ms
   (the project's scripted server, one per row), with the row's own concurrency;
7. a wire check: N=200 per row against the sink's logging port (ids, SigV4, bodies);
8. scale: a broadcast to many live WebSocket connections on the local gateway
   (bench/scale.py), when the gateway exists;
9. writes bench/RESULTS.md, bench/results.svg and bench/target/results.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
TARGET = os.path.join(BENCH, "target")
SINK_CPU, CLIENT_CPU = "0", "1"
VENV_MAIN = os.path.join(BENCH, "venv", "main", "bin", "python")
VENV_AIO = os.path.join(BENCH, "venv", "aiobotocore", "bin", "python")
NODE_PKG = os.path.join(TARGET, "npm", "apigw-management")
RUST_BIN = os.path.join(TARGET, "release")


def log(*a):
    print("[bench]", *a, file=sys.stderr, flush=True)


# --- rows ---------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    label: str
    lang: str  # rust | python | node
    ours: bool
    inflight: int
    cmd: list
    notes: str
    cpu_target: float | None = None
    cold_target: float | None = None
    env: dict = field(default_factory=dict)
    size_of: str = ""  # what the size column measures
    version: str = ""
    skip: str | None = None  # reason the row cannot run
    scale: bool = False  # has an `ids` mode for the scale part


def rows() -> list[Row]:
    py_row = os.path.join(BENCH, "py", "row.py")
    js_row = os.path.join(BENCH, "js", "row.js")
    r = [
        Row("rust", "**ours · Rust per call**", "rust", True, 64,
            [os.path.join(RUST_BIN, "bench-ours")],
            "`post_to_connection` × N, futures `buffer_unordered(64)`, tokio multi-thread (1 worker)",
            15, 8, {"ROW": "percall"}, scale=True),
        Row("rust-broadcast", "**ours · Rust broadcast**", "rust", True, 64,
            [os.path.join(RUST_BIN, "bench-ours")],
            "one `Client::broadcast(ids, data, concurrency 64)` call", 15, 8, {"ROW": "broadcast"},
            scale=True),
        Row("py-threads", "**ours · Python `Client` 32 threads**", "python", True, 32,
            [VENV_MAIN, py_row, "ours-threads"],
            "ThreadPoolExecutor(32) sharing one `Client` (GIL released during I/O)", 40, 25),
        Row("py-async", "**ours · Python `AsyncClient` 64 async**", "python", True, 64,
            [VENV_MAIN, py_row, "ours-async"],
            "64 worker coroutines on one `AsyncClient`, default asyncio loop", 40, 25),
        Row("py-broadcast", "**ours · Python broadcast**", "python", True, 64,
            [VENV_MAIN, py_row, "ours-broadcast"],
            "one `Client.broadcast(ids, data, concurrency=64)` call", 20, 25, scale=True),
        Row("node", "**ours · Node Promises**", "node", True, 64,
            ["node", js_row, "ours"],
            "64 promise workers over `postToConnection`", 40, 60),
        Row("node-broadcast", "**ours · Node broadcast**", "node", True, 64,
            ["node", js_row, "ours-broadcast"],
            "one `client.broadcast(ids, data, {concurrency: 64})` call", 20, 60, scale=True),
        Row("boto3-seq", "boto3 · sequential", "python", False, 1,
            [VENV_MAIN, py_row, "boto3-seq"], "plain for-loop, one client"),
        Row("boto3-threads", "boto3 · 32 threads", "python", False, 32,
            [VENV_MAIN, py_row, "boto3-threads"],
            "ThreadPoolExecutor(32) sharing one client, Config(max_pool_connections=32)"),
        Row("aiobotocore", "aiobotocore · 64 async", "python", False, 64,
            [VENV_AIO, py_row, "aiobotocore"],
            "64 worker coroutines, AioConfig(max_pool_connections=64); own venv"),
        Row("sdk-v2", "aws-sdk v2 (JS) · 64 async", "node", False, 64,
            ["node", js_row, "sdk-v2"], "http.Agent keepAlive maxSockets=64, 64 promise workers"),
        Row("sdk-v3", "@aws-sdk v3 (JS) · 64 async", "node", False, 64,
            ["node", js_row, "sdk-v3"],
            "requestHandler {httpAgent: keepAlive, maxSockets=64}, 64 promise workers"),
        Row("aws-lite", "aws-lite (JS) · 64 async", "node", False, 64,
            ["node", js_row, "aws-lite"],
            "ApiUrl per call, keepAlive: true, Data as string, 64 promise workers"),
        Row("rust-sdk", "aws-sdk-rust · 64 async", "rust", False, 64,
            [os.path.join(RUST_BIN, "bench-sdk")],
            "static Credentials + endpoint_url (cold: `aws_config::defaults().load()`), buffer_unordered(64), tokio multi-thread (1 worker)",
            scale=True),
    ]
    return r


def check_rows(all_rows: list[Row]) -> None:
    """Marks rows whose programs are not built or installed, with the reason."""
    status = {}
    p = os.path.join(TARGET, "build-status.json")
    if os.path.exists(p):
        with open(p) as f:
            status = json.load(f)
    for r in all_rows:
        if r.lang == "rust":
            prog = os.path.basename(r.cmd[0])
            if not os.path.exists(r.cmd[0]):
                r.skip = status.get(f"rust-{prog}", "not built (bench/build.sh builds bench/rust)")
        elif r.lang == "python":
            py = r.cmd[0]
            mod = {"aiobotocore": "aiobotocore", "boto3-seq": "boto3", "boto3-threads": "boto3"}.get(r.key, "apigw_management")
            ok = os.path.exists(py) and subprocess.run(
                [py, "-c", f"import {mod}"], capture_output=True, env=client_env()).returncode == 0
            if not ok:
                r.skip = status.get("python", f"not built ({mod} does not import in the bench venv)") if r.ours else f"{mod} not installed"
        elif r.lang == "node":
            if r.ours:
                if not os.path.exists(os.path.join(NODE_PKG, "package.json")):
                    r.skip = status.get("node", "not built (no release addon in bench/target/npm)")
            elif not os.path.isdir(os.path.join(BENCH, "js", "node_modules")):
                r.skip = "bench/js/node_modules missing (bench/setup.sh)"


# --- environment ----------------------------------------------------------------------

DUMMY_KEY = "AKIDBENCHEXAMPLE0000"
DUMMY_SECRET = "bench/secret/key/not/real/00000000000000"
_ENV: dict | None = None


def client_env() -> dict:
    """The environment every client runs in: dummy static credentials, a region, no
    instance metadata, no shared config files, no proxies."""
    global _ENV
    if _ENV is None:
        home = os.path.join(TARGET, "run", "home")
        os.makedirs(home, exist_ok=True)
        _ENV = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "LANG": "C.UTF-8",
            "AWS_ACCESS_KEY_ID": DUMMY_KEY,
            "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.path.join(home, "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "no-aws-credentials"),
            "NO_PROXY": "127.0.0.1,localhost",
            "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1",
            "APIGW_BENCH_NODE_PKG": NODE_PKG,
        }
    return dict(_ENV)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- TLS ------------------------------------------------------------------------------

SYSTEM_ROOTS = "/etc/ssl/certs/ca-certificates.crt"


class Tls:
    """A CA generated for this run (openssl, RSA 2048 as execute-api's chain) and a
    certificate for 127.0.0.1 it signs; `bundle` is the platform's roots plus that CA, so
    that a client loading it pays for the same roots as in production."""

    def __init__(self):
        self.dir = os.path.join(TARGET, "run", "tls")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        d = self.dir

        def ssl(*args):
            subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

        ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=apigw-management bench CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        with open(os.path.join(d, "server.ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
                    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1")
        ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2",
            "-days", "2", "-extfile", "server.ext", "-out", "server.pem")
        self.ca = os.path.join(d, "ca.pem")
        self.bundle = os.path.join(d, "bundle.pem")
        with open(SYSTEM_ROOTS) as f:
            roots = f.read()
        with open(self.ca) as f:
            ca = f.read()
        with open(self.bundle, "w") as f:
            f.write(roots + ("" if roots.endswith("\n") else "\n") + ca)
        self.system_roots = roots.count("BEGIN CERTIFICATE")

    def env(self, row: "Row") -> dict:
        """Each client's usual setting: the JavaScript SDKs add NODE_EXTRA_CA_CERTS to
        Node's own roots; boto3 and aiobotocore read AWS_CA_BUNDLE; ours (every language)
        and aws-sdk-rust read SSL_CERT_FILE through the platform's root loading."""
        if row.lang == "node" and not row.ours:
            return {"NODE_EXTRA_CA_CERTS": self.ca}
        if row.lang == "python" and not row.ours:
            return {"AWS_CA_BUNDLE": self.bundle}
        return {"SSL_CERT_FILE": self.bundle}


# --- host load ------------------------------------------------------------------------


def _cpu_times():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v[:8]), idle


def _proc_ticks():
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                s = f.read()
            name = s[s.index("(") + 1:s.rindex(")")]
            rest = s[s.rindex(")") + 2:].split()
            out[int(pid)] = (name, int(rest[11]) + int(rest[12]))
        except (OSError, ValueError, IndexError):
            pass
    return out


def sample_idle(seconds=3.0) -> dict:
    """How busy the host is with nothing of ours running: % of one core over `seconds`,
    and the busiest processes."""
    t0, i0 = _cpu_times()
    p0 = _proc_ticks()
    time.sleep(seconds)
    t1, i1 = _cpu_times()
    p1 = _proc_ticks()
    ncpu = os.cpu_count() or 1
    busy = (1 - (i1 - i0) / max(1, t1 - t0)) * 100 * ncpu
    hz = os.sysconf("SC_CLK_TCK")
    me = os.getpid()
    top = []
    for pid, (name, ticks) in p1.items():
        if pid == me or pid not in p0:
            continue
        d = ticks - p0[pid][1]
        if d > 0:
            top.append((d / hz / seconds * 100, name))
    top.sort(reverse=True)
    return {"busy_pct_of_one_core": round(busy, 1), "seconds": seconds,
            "top": [f"{n} {p:.0f}%" for p, n in top[:3]]}


# --- the sink -------------------------------------------------------------------------


class Sink:
    def __init__(self, tls: Tls):
        self.run = os.path.join(TARGET, "run", "nginx")
        shutil.rmtree(self.run, ignore_errors=True)
        os.makedirs(os.path.join(self.run, "tmp"), exist_ok=True)
        self.port, self.wire_port, self.tls_port = free_port(), free_port(), free_port()
        with open(os.path.join(BENCH, "sink", "nginx.conf.in")) as f:
            conf = f.read()
        conf = conf.replace("@RUN@", self.run).replace("@PORT@", str(self.port)).replace(
            "@WIRE_PORT@", str(self.wire_port)).replace("@TLS_PORT@", str(self.tls_port)).replace(
            "@TLS_DIR@", tls.dir)
        self.conf = os.path.join(self.run, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen(
            ["taskset", "-c", SINK_CPU, nginx, "-p", self.run, "-c", self.conf, "-e", os.path.join(self.run, "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                self.requests()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit(f"nginx did not start; see {self.run}/error.log")
        self.endpoint = f"http://127.0.0.1:{self.port}/prod"
        self.wire_endpoint = f"http://127.0.0.1:{self.wire_port}/prod"
        self.tls_endpoint = f"https://127.0.0.1:{self.tls_port}/prod"
        self.wire_log = os.path.join(self.run, "wire.log")

    def requests(self) -> int:
        """nginx's total request counter (this status request included)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/nginx_status", timeout=5) as r:
            text = r.read().decode()
        return int(text.splitlines()[2].split()[2])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # taskset exec'd nginx: this is the master's pid
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# --- running one process --------------------------------------------------------------


def run_one(cmd: list, env: dict, timeout: int) -> dict:
    """Runs `timeout → time → taskset -c 1 → cmd`; returns its JSON line plus the exec
    timestamp (t0_ns), the wall of the whole process and GNU time's figures."""
    tf = os.path.join(TARGET, "run", "time.out")
    full = ["timeout", str(timeout), "/usr/bin/time", "-f", "%M %e %U %S", "-o", tf,
            "taskset", "-c", CLIENT_CPU] + [str(c) for c in cmd]
    t0 = time.monotonic_ns()
    p = subprocess.run(full, env=env, capture_output=True, text=True)
    t1 = time.monotonic_ns()
    out = {}
    for line in reversed(p.stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                out = json.loads(line)
                break
            except ValueError:
                pass
    out["rc"] = p.returncode
    out["t0_ns"] = t0
    out["process_wall_ms"] = (t1 - t0) / 1e6
    try:
        with open(tf) as f:
            last = f.read().strip().splitlines()[-1].split()
        out["max_rss_mb"] = int(last[0]) / 1024
        out["process_cpu_total_s"] = float(last[2]) + float(last[3])
    except (OSError, IndexError, ValueError):
        pass
    if p.returncode != 0 or "ok" not in out:
        why = f"exit code {p.returncode}" + (" (killed by a signal, or timed out)" if p.returncode > 128 else "")
        tail = (p.stderr or ("" if "ok" in out else p.stdout)).strip()[-500:]
        out["first_error"] = why + (f": {tail}" if tail else " with nothing on stderr") + (
            " (after printing its result)" if "ok" in out else "")
    return out


# --- the parts of a run ---------------------------------------------------------------


def ceiling(sink: Sink, seconds: int) -> dict:
    tf = os.path.join(TARGET, "run", "wrk-time.out")
    before = sink.requests()
    p = subprocess.run(
        ["timeout", str(seconds + 15), "/usr/bin/time", "-f", "%M %e %U %S", "-o", tf,
         "taskset", "-c", CLIENT_CPU, "wrk", "-t1", "-c64", f"-d{seconds}s",
         "-s", os.path.join(BENCH, "sink", "post.lua"), f"http://127.0.0.1:{sink.port}"],
        capture_output=True, text=True, cwd=os.path.join(BENCH, "sink"))
    after = sink.requests()
    m = re.search(r"WRK_JSON (\{.*\})", p.stdout)
    if not m:
        return {"error": (p.stderr or p.stdout)[-400:]}
    w = json.loads(m.group(1))
    with open(tf) as f:
        last = f.read().strip().splitlines()[-1].split()
    cpu = float(last[2]) + float(last[3])
    errors = sum(w[k] for k in w if k.endswith("errors") or k == "timeouts")
    return {"req_s": w["requests"] / (w["duration_us"] / 1e6), "requests": w["requests"],
            "cpu_us_per_req": cpu / max(1, w["requests"]) * 1e6, "errors": errors,
            "sink_requests": after - before - 1, "seconds": seconds}


def endpoint_env(row: Row, sink: Sink, proto: str, tls: Tls | None) -> tuple[str, dict]:
    """The endpoint and environment of one run: `http` (the load port), `https` (the TLS
    port, the run's CA trusted through the row's usual setting) or `wire` (logging port)."""
    env = client_env()
    env.update(row.env)
    if proto == "https":
        env.update(tls.env(row))
        return sink.tls_endpoint, env
    return (sink.wire_endpoint if proto == "wire" else sink.endpoint), env


def load_run(row: Row, sink: Sink, n: int, warmup: int, proto="http", tls=None) -> dict:
    endpoint, env = endpoint_env(row, sink, proto, tls)
    before = sink.requests()
    res = run_one(row.cmd + ["load", endpoint, n, warmup, row.inflight], env, timeout=300)
    after = sink.requests()
    res["sink_requests"] = after - before - 1
    res["proto"] = proto
    res["verified"] = (res.get("rc") == 0 and res.get("ok") == n and res.get("errors") == 0
                       and (proto == "wire" or res["sink_requests"] == n + warmup))
    if res.get("ok") is not None and res.get("wall_s"):
        res["req_s"] = n / res["wall_s"]
        res["cpu_us_per_req"] = res["cpu_s"] / n * 1e6
    return res


def cold_run(row: Row, sink: Sink, proto="http", tls=None) -> dict:
    endpoint, env = endpoint_env(row, sink, proto, tls)
    res = run_one(row.cmd + ["cold", endpoint], env, timeout=60)
    res["proto"] = proto
    if "ready_ns" in res:
        res["cold_ms"] = (int(res["ready_ns"]) - res["t0_ns"]) / 1e6
    return res


LATENCY_MS = 20


def latency_run(row: Row, n: int, warmup: int) -> dict:
    """N posts to the project's scripted server answering every request after 20 ms
    (pinned to the sink's CPU, a fresh one per row, signatures not checked); verified by
    the requests it reports when stopped."""
    cli = os.path.join(RUST_BIN, "apigw-management")
    script = os.path.join(TARGET, "run", "latency-script.json")
    with open(script, "w") as f:
        json.dump({"responses": {"*": [{"status": 200, "delay_ms": LATENCY_MS}]}}, f)
    out_path = os.path.join(TARGET, "run", "latency-server.out")
    with open(out_path, "w") as out:
        srv = subprocess.Popen(["taskset", "-c", SINK_CPU, cli, "--output", "json", "local", "--port", "0",
                                "--no-verify", "--script", script], stdout=out, stderr=subprocess.STDOUT)
    try:
        endpoint = None
        for _ in range(200):
            with open(out_path) as f:
                first = f.readline()
            if first.endswith("\n"):
                endpoint = json.loads(first)["endpoint_url"]
                break
            if srv.poll() is not None:
                break
            time.sleep(0.05)
        if endpoint is None:
            return {"rc": None, "verified": False, "first_error": "the scripted server did not start"}
        env = client_env()
        env.update(row.env)
        res = run_one(row.cmd + ["load", endpoint, n, warmup, row.inflight], env, timeout=600)
    finally:
        srv.terminate()
        try:
            srv.wait(10)
        except subprocess.TimeoutExpired:
            srv.kill()
    with open(out_path) as f:
        lines = f.read().splitlines()
    try:
        served = len(json.loads(lines[-1]))
    except (ValueError, IndexError, TypeError):
        served = None
    res["sink_requests"] = served
    res["verified"] = (res.get("rc") == 0 and res.get("ok") == n and res.get("errors") == 0
                       and served == n + warmup)
    if res.get("ok") is not None and res.get("wall_s"):
        res["req_s"] = n / res["wall_s"]
        res["cpu_us_per_req"] = res["cpu_s"] / n * 1e6
    return res


FLOORS = [
    ("py-threads", "ThreadPoolExecutor(32), a GIL-releasing no-op (`time.sleep(0)`)", "floor-threads", 32),
    ("py-async", "64 coroutines awaiting futures resolved in batches by the loop", "floor-async", 64),
    ("node", "64 promise workers awaiting `setImmediate`", "floor", 64),
]


def concurrency_floors(n: int, runs: int) -> list[dict]:
    """What each per-call row's own concurrency costs with no client at all (pinned to
    the clients' CPU): the part of its CPU µs/msg no binding can remove."""
    out = []
    for key, what, mode_row, conc in FLOORS:
        if key.startswith("py"):
            cmd = [VENV_MAIN, os.path.join(BENCH, "py", "row.py"), mode_row, "floor", n, conc]
        else:
            cmd = ["node", os.path.join(BENCH, "js", "row.js"), "floor", "floor", n, conc]
        cpus = []
        for _ in range(runs):
            r = run_one(cmd, client_env(), timeout=120)
            if r.get("ok") == n:
                cpus.append(r["cpu_s"] / n * 1e6)
        out.append({"row": key, "what": what, "cpu_us_per_msg": med(cpus), "runs": len(cpus)})
    return out


def floor_run() -> float:
    """The harness's exec chain alone: timeout → time → taskset → /bin/true."""
    r = run_one(["/bin/true"], client_env(), timeout=10)
    return r["process_wall_ms"]


def wire_check(row: Row, sink: Sink, n=200) -> dict:
    """N posts, no warm-up, against the logging port: what is on the wire."""
    start = os.path.getsize(sink.wire_log) if os.path.exists(sink.wire_log) else 0
    res = load_run(row, sink, n, 0, proto="wire")
    time.sleep(0.2)  # nginx writes its log line after the response
    with open(sink.wire_log) as f:
        f.seek(start)
        lines = f.read().splitlines()
    pat = re.compile(r'^(\d+) (\d+) (\S+) "([^"]*)" (\d+) (\S+) "([^"]*)" "([^"]*)" "([^"]*)"$')
    posts = [m.groups() for m in map(pat.match, lines) if m and m.group(3) == "POST"]
    uris = [p[3] for p in posts]
    expected = {f"/prod/@connections/conn-{i}%3D" for i in range(n)}
    sig = re.compile(r"^AWS4-HMAC-SHA256 Credential=" + DUMMY_KEY + r"/\d{8}/us-east-1/execute-api/aws4_request, ?SignedHeaders=([^,]+), ?Signature=[0-9a-f]{64}$")
    signed = [sig.match(p[6]) for p in posts]
    conns = {}
    for p in posts:
        conns[p[0]] = max(conns.get(p[0], 0), int(p[1]))
    return {
        "client_ok": res.get("ok"), "posts": len(posts), "sent": n,
        "ids_exact": sorted(uris) == sorted(expected) and len(uris) == n,
        "status_200": sum(1 for p in posts if p[4] == "200"),
        "bodies_1k": sum(1 for p in posts if p[5] == "1024"),
        "sigv4": sum(1 for s in signed if s),
        "signed_headers": signed[0].group(1) if signed and signed[0] else "-",
        "tcp_conns": len(conns), "max_reqs_per_conn": max(conns.values()) if conns else 0,
        "eq_on_wire": "%3D" if uris and all(u.endswith("%3D") for u in uris) else (uris[0][-3:] if uris else "-"),
        "user_agent": posts[0][7][:90] if posts else "-",
        "content_type": posts[0][8] if posts else "-",
    }


# --- sizes and versions ---------------------------------------------------------------


def dir_size(path: str) -> int:
    total = 0
    for dp, _, files in os.walk(path):
        for f in files:
            fp = os.path.join(dp, f)
            if not os.path.islink(fp):
                total += os.path.getsize(fp)
    return total


def sizes(all_rows: list[Row]) -> None:
    py_sizes = {}
    for venv, dists in ((VENV_MAIN, ["apigw-management", "boto3"]), (VENV_AIO, ["aiobotocore"])):
        if not os.path.exists(venv):
            continue
        p = subprocess.run([venv, os.path.join(BENCH, "py", "size.py")] + dists,
                           capture_output=True, text=True)
        if p.returncode == 0:
            py_sizes.update(json.loads(p.stdout))
    js_sizes = {}
    p = subprocess.run(["node", os.path.join(BENCH, "js", "size.js"), NODE_PKG],
                       capture_output=True, text=True)
    if p.returncode == 0:
        js_sizes = json.loads(p.stdout)
    lock = cargo_lock_versions(["apigw-management", "aws-sdk-apigatewaymanagement"])
    for r in all_rows:
        if r.lang == "rust":
            r.version = (f"apigw-management {lock.get('apigw-management', '?')} (core, release)" if r.ours
                         else f"aws-sdk-apigatewaymanagement {lock.get('aws-sdk-apigatewaymanagement', '?')}")
        stripped = os.path.join(TARGET, "stripped", os.path.basename(r.cmd[0]))
        if r.lang == "rust" and os.path.exists(stripped):
            r.size_of = f"{os.path.getsize(stripped) / 1e6:.1f} MB binary (stripped, whole program)"
        elif r.lang == "python":
            d = "apigw-management" if r.ours else ("aiobotocore" if r.key == "aiobotocore" else "boto3")
            s = py_sizes.get(d)
            if s:
                r.size_of = f"{s['bytes'] / 1e6:.1f} MB installed ({s['dists']} dists)"
                r.version = r.version or f"{d} {s['version']}"
        elif r.lang == "node":
            name = {"sdk-v2": "aws-sdk", "sdk-v3": "@aws-sdk/client-apigatewaymanagementapi",
                    "aws-lite": "@aws-lite/client+@aws-lite/apigatewaymanagementapi"}.get(r.key, "apigw-management")
            s = js_sizes.get(name)
            if s:
                r.size_of = f"{s['bytes'] / 1e6:.1f} MB installed ({s['packages']} packages)"
                r.version = r.version or s.get("version", "")


def cargo_lock_versions(names: list[str]) -> dict:
    out = {}
    p = os.path.join(BENCH, "rust", "Cargo.lock")
    if not os.path.exists(p):
        return out
    with open(p) as f:
        text = f.read()
    for m in re.finditer(r'name = "([^"]+)"\nversion = "([^"]+)"', text):
        if m.group(1) in names:
            out.setdefault(m.group(1), []).append(m.group(2))
    return {k: "/".join(v) for k, v in out.items()}


def cmd_version(cmd: list) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return (p.stdout + p.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def machine() -> dict:
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    osname = "?"
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"')
    return {"cores": os.cpu_count(), "model": model, "memory": mem, "os": osname,
            "kernel": platform.release()}


# --- statistics -----------------------------------------------------------------------


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def rotate(xs, k):
    k %= max(1, len(xs))
    return xs[k:] + xs[:k]


# --- main -----------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer runs, smaller N (a smoke run)")
    ap.add_argument("--rows", help="comma-separated row keys to run (default: all)")
    ap.add_argument("--n", type=int)
    ap.add_argument("--warmup", type=int)
    ap.add_argument("--runs", type=int)
    ap.add_argument("--cold-runs", type=int)
    ap.add_argument("--wrk-seconds", type=int)
    ap.add_argument("--no-scale", action="store_true")
    ap.add_argument("--no-tls", action="store_true", help="plain HTTP rows only")
    ap.add_argument("--latency-n", type=int, help="messages per row in the 20 ms latency run (0: skip it)")
    ap.add_argument("--latency-rows", help="comma-separated row keys for the latency run (default: every row)")
    ap.add_argument("--head", action="store_true", help="(run.sh) build the project from its last commit")
    ap.add_argument("--scale-connections", type=int)
    ap.add_argument("--out", default=BENCH, help="where RESULTS.md and results.svg go")
    ap.add_argument("--command", default="bash bench/run.sh", help="the command shown at the top")
    a = ap.parse_args()
    q = a.quick
    n = a.n or (1000 if q else 5000)
    warmup = a.warmup if a.warmup is not None else (64 if q else 256)
    runs = a.runs or (3 if q else 5)
    cold_runs = a.cold_runs or (3 if q else 5)
    wrk_s = a.wrk_seconds or (3 if q else 10)
    scale_n = a.scale_connections or (1000 if q else 10000)
    latency_n = a.latency_n if a.latency_n is not None else (2000 if q else 10000)
    protos = ["http"] if a.no_tls else ["http", "https"]
    started = time.time()
    load_avg_start = os.getloadavg()
    os.makedirs(os.path.join(TARGET, "run"), exist_ok=True)

    all_rows = rows()
    if a.rows:
        keep = set(a.rows.split(","))
        all_rows = [r for r in all_rows if r.key in keep]
    check_rows(all_rows)
    live = [r for r in all_rows if not r.skip]
    for r in all_rows:
        if r.skip:
            log(f"skipping {r.key}: {r.skip}")

    log("sampling host load (3 s, nothing of ours running)")
    idle_before = sample_idle()
    log(f"host busy: {idle_before['busy_pct_of_one_core']}% of one core; top: {idle_before['top']}")
    tls = Tls()
    sink = Sink(tls)
    log(f"sink: nginx on 127.0.0.1:{sink.port} (wire log on {sink.wire_port})")
    runs_log = []
    ceilings = []
    try:
        log(f"ceiling: wrk {wrk_s} s")
        ceilings.append(("before the rows", ceiling(sink, wrk_s)))
        # Load rounds.
        for rnd in range(runs):
            for row in rotate(live, rnd):
                for proto in protos:
                    res = load_run(row, sink, n, warmup, proto, tls)
                    res.update(kind="load", row=row.key, run=rnd + 1)
                    runs_log.append(res)
                    log(f"load {rnd + 1}/{runs} {row.key} {proto}: {res.get('req_s', 0):.0f} req/s, "
                        f"{res.get('cpu_us_per_req', 0):.1f} µs CPU/req, ok={res.get('ok')} "
                        f"sink={res['sink_requests']} {'' if res['verified'] else 'NOT VERIFIED: ' + str(res.get('first_error', ''))[:200]}")
            if runs > 2 and rnd == runs // 2 - 1 and not q:
                log(f"ceiling: wrk {wrk_s} s")
                ceilings.append(("between load rounds", ceiling(sink, wrk_s)))
        if not q:
            log(f"ceiling: wrk {wrk_s} s")
            ceilings.append(("after the rows", ceiling(sink, wrk_s)))
        # Cold rounds: one unmeasured pass first (page cache, .pyc files).
        for row in live:
            for proto in protos:
                cold_run(row, sink, proto, tls)
        floors = []
        for rnd in range(cold_runs):
            floors.append(floor_run())
            for row in rotate(live, rnd):
                for proto in protos:
                    res = cold_run(row, sink, proto, tls)
                    res.update(kind="cold", row=row.key, run=rnd + 1)
                    runs_log.append(res)
            log(f"cold round {rnd + 1}/{cold_runs} done")
        # What is on the wire.
        wire = {}
        for row in live:
            wire[row.key] = wire_check(row, sink)
        log("wire check done")
    finally:
        sink.stop()

    # The latency run: a sequential row would take N × 20 ms (boto3's concurrent form is
    # its 32-thread row).
    latency = {"n": latency_n, "ms": LATENCY_MS, "skipped": {}}
    if latency_n:
        if not os.path.exists(os.path.join(RUST_BIN, "apigw-management")):
            latency["error"] = "the CLI (its scripted server) is not built"
        for row in live if "error" not in latency else []:
            if row.inflight <= 1:
                latency["skipped"][row.key] = f"sequential: {latency_n} × {LATENCY_MS} ms"
                continue
            if a.latency_rows and row.key not in a.latency_rows.split(","):
                latency["skipped"][row.key] = "left out of this run (--latency-rows)"
                continue
            res = latency_run(row, latency_n, min(warmup, 64))
            res.update(kind="latency", row=row.key, run=1, proto="http")
            runs_log.append(res)
            log(f"latency {row.key}: {res.get('wall_s', 0):.2f} s, {res.get('cpu_us_per_req', 0):.1f} µs CPU/msg, "
                f"ok={res.get('ok')} served={res.get('sink_requests')} {'' if res['verified'] else 'NOT VERIFIED: ' + str(res.get('first_error', ''))[:200]}")

    floors_conc = concurrency_floors(n, runs)
    log("concurrency floors: " + ", ".join(f"{f['row']} {f['cpu_us_per_msg'] or 0:.1f} µs" for f in floors_conc))

    # Scale.
    scale = None
    if not a.no_scale:
        try:
            import scale as scale_mod  # bench/scale.py
            scale = scale_mod.run(all_rows, client_env(), scale_n, 1 if q else 3, log)
        except Exception as e:  # noqa: BLE001 - reported in RESULTS.md
            scale = {"error": f"{type(e).__name__}: {e}"}
            log(f"scale: {scale['error']}")

    log("sampling host load again (3 s)")
    idle_after = sample_idle()
    sizes(all_rows)
    finished = time.time()

    data = {
        "started_utc": dt.datetime.fromtimestamp(started, dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "elapsed_s": round(finished - started),
        "command": a.command + (" --quick" if q and "--quick" not in a.command else ""),
        "params": {"n": n, "warmup": warmup, "runs": runs, "cold_runs": cold_runs,
                   "wrk_seconds": wrk_s, "quick": q, "protos": protos},
        "tls": {"system_roots": tls.system_roots, "roots_file": SYSTEM_ROOTS},
        "latency": latency,
        "concurrency_floors": floors_conc,
        "load_avg_start": load_avg_start,
        "machine": machine(),
        "idle_before": idle_before, "idle_after": idle_after,
        "ceilings": ceilings,
        "floors_ms": floors,
        "rows": [r.__dict__ for r in all_rows],
        "runs": runs_log,
        "wire": wire,
        "scale": scale,
        "versions": versions(),
    }
    with open(os.path.join(TARGET, "results.json"), "w") as f:
        json.dump(data, f, indent=1, default=str)
    import report  # bench/report.py
    report.write(data, a.out)
    log(f"wrote {os.path.join(a.out, 'RESULTS.md')} and results.svg in {data['elapsed_s']} s")


def _source() -> str:
    """The checkout the artefacts were built from (bench/build.sh records it)."""
    p = os.path.join(TARGET, "build-source.txt")
    if not os.path.exists(p):
        return "?"
    with open(p) as f:
        lines = f.read().split("\n")
    head, dirty = lines[0], [ln.strip() for ln in lines[1:] if ln.strip()]
    if "git archive" in head:
        return f"commit {head}"
    return f"commit {head} (working tree)" + (f" with uncommitted changes in {len(dirty)} files ({', '.join(d.split()[-1] for d in dirty[:12])}{' …' if len(dirty) > 12 else ''})" if dirty else " (clean)")


def versions() -> dict:
    v = {
        "nginx": cmd_version(["nginx", "-v"]).replace("nginx version: ", ""),
        "wrk": cmd_version(["wrk", "-v"]).split(" [")[0],
        "python": cmd_version([VENV_MAIN, "--version"]) if os.path.exists(VENV_MAIN) else "?",
        "node": cmd_version(["node", "--version"]),
        "rustc": cmd_version(["rustc", "--version"]),
        "kernel": platform.release(),
        "source": _source(),
        "rust crates": cargo_lock_versions(["aws-sdk-apigatewaymanagement", "aws-config", "aws-smithy-runtime",
                                            "aws-smithy-http-client", "aws-sigv4", "reqwest", "hyper", "tokio"]),
    }
    for venv, pkgs in ((VENV_MAIN, "apigw-management boto3 botocore urllib3"), (VENV_AIO, "aiobotocore botocore aiohttp")):
        if os.path.exists(venv):
            p = subprocess.run([venv, "-c", "import importlib.metadata as m,sys\nfor d in sys.argv[1:]:\n try: print(d, m.version(d))\n except Exception: print(d, 'not installed')", *pkgs.split()],
                               capture_output=True, text=True)
            v[os.path.basename(os.path.dirname(os.path.dirname(venv))) + " venv"] = ", ".join(p.stdout.split("\n")).strip(", ")
    js = {}
    for name in ("aws-sdk", "@aws-sdk/client-apigatewaymanagementapi", "@smithy/node-http-handler",
                 "@aws-lite/client", "@aws-lite/apigatewaymanagementapi"):
        p = os.path.join(BENCH, "js", "node_modules", name, "package.json")
        if os.path.exists(p):
            with open(p) as f:
                js[name] = json.load(f).get("version")
    v["js"] = js
    return v


if __name__ == "__main__":
    sys.path.insert(0, BENCH)
    main()
