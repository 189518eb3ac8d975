"""Scale: one broadcast to many live WebSocket connections on the project's local gateway.

The gateway (`apigw-management local`, signatures checked) and the WebSocket clients
(`apigw-management ws-clients`, a process of its own: one process may hold at most 20,000
open files here) run pinned to CPU 0; each language's broadcast runs in a fresh process
pinned to CPU 1, so its CPU and RSS are the sender's alone. The connection ids come from
the gateway's `$connect` events, sent to a small integration server in this process.
"""

from __future__ import annotations

import json
import os
import select
import statistics
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BENCH = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(BENCH, "target")
CLI = os.path.join(TARGET, "release", "apigw-management")
BODY = ("0123456789abcdef" * 64)[:1024]


class _Ids:
    def __init__(self):
        self.lock = threading.Lock()
        self.ids: list[str] = []


def _integration(store: _Ids):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                ev = json.loads(body)
                rc = ev.get("requestContext", {})
                if rc.get("routeKey") == "$connect" or rc.get("eventType") == "CONNECT":
                    with store.lock:
                        store.ids.append(rc["connectionId"])
            except (ValueError, KeyError):
                pass
            out = b'{"statusCode":200}'
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *a):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 1024

        def handle_error(self, request, client_address):
            pass  # the gateway closing its keep-alive connections at the end

    srv = Server(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def _readline(proc, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([proc.stdout], [], [], max(0.0, end - time.monotonic()))
        if r:
            line = proc.stdout.readline()
            if not line:
                return None
            line = line.strip()
            if line.startswith("{"):
                return json.loads(line)
    return None


def run(all_rows, env: dict, connections: int, runs: int, log) -> dict:
    if not os.path.exists(CLI):
        status = {}
        p = os.path.join(TARGET, "build-status.json")
        if os.path.exists(p):
            with open(p) as f:
                status = json.load(f)
        return {"skipped": status.get("cli", "the CLI (apigw-management local / ws-clients) is not built")}
    help_text = subprocess.run([CLI, "--help"], capture_output=True, text=True).stdout
    if "local" not in help_text:
        return {"skipped": "the CLI has no `local` subcommand yet"}
    scale_rows = [r for r in all_rows if r.scale and not r.skip]
    if not scale_rows:
        return {"skipped": "no row with a broadcast mode was built"}
    store = _Ids()
    integ = _integration(store)
    run_dir = os.path.join(TARGET, "run", "scale")
    os.makedirs(run_dir, exist_ok=True)
    gw = clients = None
    results = []
    try:
        gw = subprocess.Popen(
            ["taskset", "-c", "0", CLI, "--output", "json", "local", "--port", "0",
             "--integration-url", f"http://127.0.0.1:{integ.server_port}/events"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=open(os.path.join(run_dir, "gateway.err"), "w"),
            text=True)
        first = _readline(gw, 30)
        if not first or "endpoint_url" not in first:
            return {"error": f"the local gateway did not announce its URLs (see bench/target/run/scale/gateway.err): {first}"}
        endpoint, ws_url = first["endpoint_url"], first["websocket_url"]
        log(f"scale: gateway {endpoint}; connecting {connections} WebSocket clients")
        t0 = time.monotonic()
        clients = subprocess.Popen(
            ["taskset", "-c", "0", CLI, "ws-clients", "--url", ws_url, "--count", str(connections), "--expect", BODY],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=open(os.path.join(run_dir, "clients.err"), "w"),
            text=True)
        c = _readline(clients, 300)
        if not c or "connected" not in c:
            return {"error": f"the WebSocket clients did not report (bench/target/run/scale/clients.err): {c}"}
        connected = c["connected"]
        connect_s = time.monotonic() - t0
        for _ in range(600):
            with store.lock:
                if len(store.ids) >= connected:
                    break
            time.sleep(0.05)
        with store.lock:
            ids = list(store.ids)
        log(f"scale: {connected} connected ({c.get('failed')} failed) in {connect_s:.1f} s; {len(ids)} ids from $connect")
        ids_file = os.path.join(run_dir, "ids.txt")
        with open(ids_file, "w") as f:
            f.write("\n".join(ids) + "\n")
        import harness  # run_one

        sent_total = 0
        per_row = {r.key: [] for r in scale_rows}
        for rnd in range(runs):
            for row in scale_rows[rnd % len(scale_rows):] + scale_rows[:rnd % len(scale_rows)]:
                e = dict(env)
                e.update(row.env)
                res = harness.run_one(row.cmd + ["ids", endpoint, ids_file, 64], e, timeout=600)
                sent_total += 1
                # Every client counts each copy of the message it receives.
                want = sent_total * len(ids)
                got = None
                for _ in range(50):
                    clients.stdin.write("received 200\n")
                    clients.stdin.flush()
                    r = _readline(clients, 10)
                    got = r.get("received") if r else None
                    if got is not None and got >= want:
                        break
                    time.sleep(0.2)
                res["received_total"] = got
                res["received_expected"] = want
                per_row[row.key].append(res)
                log(f"scale {rnd + 1}/{runs} {row.key}: {res.get('wall_s', 0):.2f} s, ok={res.get('ok')} "
                    f"errors={res.get('errors')} received {got}/{want} {str(res.get('first_error', ''))[:160]}")
        for row in scale_rows:
            rs = [x for x in per_row[row.key] if x.get("wall_s")]
            med = (lambda k: statistics.median([x[k] for x in rs if x.get(k) is not None]) if rs else None)
            wall, cpu = med("wall_s"), med("cpu_s")
            results.append({
                "key": row.key, "label": row.label, "connections": len(ids), "runs": len(rs),
                "wall_s": wall, "msgs_s": len(ids) / wall if wall else None, "cpu_s": cpu,
                "cpu_us_per_msg": cpu / len(ids) * 1e6 if cpu else None,
                "rss_mb": med("max_rss_mb"),
                "delivered": " / ".join(str(x.get("ok")) for x in per_row[row.key]),
                "received": "all" if all((x.get("received_total") or 0) >= x["received_expected"] for x in per_row[row.key]) else
                            "; ".join(f"{x.get('received_total')}/{x['received_expected']} cumulative" for x in per_row[row.key]),
                "notes": "; ".join(sorted({str(x.get("first_error"))[:120] for x in per_row[row.key] if x.get("first_error")})),
                "runs_raw": per_row[row.key],
            })
        desc = (f"{len(ids)} WebSocket clients connected to `apigw-management local` (signatures checked) in {connect_s:.1f} s "
                f"from a separate `ws-clients` process; gateway and clients pinned to CPU 0, the sender (a fresh process per run) "
                f"to CPU 1; one 1 KiB text message per connection, 64 in flight; medians of {runs} runs, rows rotated. "
                "**delivered** = the sender's count of 200 answers per run; **received** = every WebSocket client got the message "
                "(the clients' cumulative count after each run).")
        return {"rows": results, "description": desc, "connections": len(ids), "connect_s": connect_s}
    finally:
        for p in (clients, gw):
            if p and p.poll() is None:
                if p is clients:
                    try:
                        p.stdin.close()
                    except OSError:
                        pass
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        integ.shutdown()
