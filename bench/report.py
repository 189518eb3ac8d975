"""Writes bench/RESULTS.md and bench/results.svg from the harness's data (also usable on
its own: `python3 bench/report.py bench/target/results.json`)."""

from __future__ import annotations

import json
import os
import statistics
import sys
from html import escape


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, digits=0, dash="—"):
    if x is None:
        return dash
    if digits == 0:
        return f"{x:.0f}"
    return f"{x:.{digits}f}"


def spread(xs, digits=0):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "—"
    return f"{fmt(min(xs), digits)} – {fmt(max(xs), digits)}"


def summarize(data: dict, proto: str = "http") -> list[dict]:
    """Medians per row of the load and cold runs over one protocol (`http`, `https`)."""
    runs = [x for x in data["runs"] if x.get("proto", "http") == proto]
    floor = med(data.get("floors_ms") or [])
    out = []
    for r in data["rows"]:
        loads = [x for x in runs if x.get("kind") == "load" and x.get("row") == r["key"]]
        colds = [x for x in runs if x.get("kind") == "cold" and x.get("row") == r["key"]]
        good_loads = [x for x in loads if x.get("verified")]
        use = good_loads or loads
        good_colds = [x for x in colds if x.get("ok") == 1 and x.get("rc") == 0]
        cold = med([x.get("cold_ms") for x in good_colds])
        s = {
            "row": r,
            "loads": loads,
            "colds": colds,
            "verified": len(good_loads),
            "req_s": med([x.get("req_s") for x in use]),
            "cpu": med([x.get("cpu_us_per_req") for x in use]),
            "rss": med([x.get("max_rss_mb") for x in use]),
            "wall": med([x.get("wall_s") for x in use]),
            "proc_cpu": med([x.get("process_cpu_total_s") for x in use]),
            "cold": cold,
            "cold_floor": cold - floor if cold is not None and floor is not None else None,
            "cold_wall": med([x.get("process_wall_ms") for x in good_colds]),
            "cold_rss": med([x.get("max_rss_mb") for x in good_colds]),
            "import": med([x.get("import_ms") for x in good_colds]) if r["lang"] != "rust" else None,
            "cold_ok": f"{len(good_colds)}/{len(colds)}",
            "errors": sorted({str(x.get("first_error"))[:160] for x in loads + colds if x.get("first_error")}),
        }
        out.append(s)
    return out


def limit_of(data):
    c = [v.get("req_s") for _, v in data.get("ceilings", []) if v.get("req_s")]
    return med(c)


def target_mark(value, target):
    if target is None or value is None:
        return "—"
    return f"≤ {target:g} {'✅' if value <= target else '❌ missed'}"


def _by_key(rows):
    return {s["row"]["key"]: s for s in rows if not s["row"].get("skip")}


def _ratio(a, b):
    return a / b if a is not None and b else None


def tls_section(L, rows, tls_rows, data):
    """The TLS figures beside the plain-HTTP ones."""
    t = _by_key(tls_rows)
    L.append("")
    L.append("## Over TLS")
    L.append("")
    L.append("Every load and cold run is made a second time against the sink's TLS port (nginx, TLS 1.2 and 1.3, "
             "an RSA 2048 certificate for 127.0.0.1 signed by a CA the harness generates for the run). Each client "
             f"trusts the platform's {data['tls']['system_roots']} roots ({data['tls']['roots_file']}) plus that CA "
             "through its usual setting: `SSL_CERT_FILE` (ours in Rust, Python and Node; aws-sdk-rust), "
             "`AWS_CA_BUNDLE` (boto3, aiobotocore), `NODE_EXTRA_CA_CERTS` (the JavaScript SDKs, on top of Node's "
             "built-in roots). Cold start over TLS therefore includes loading the roots and a full handshake.")
    L.append("")
    L.append("| row | CPU µs/req HTTP | CPU µs/req TLS | TLS ÷ HTTP | req/s TLS | cold start ms HTTP | cold start ms TLS | cold TLS ÷ HTTP | peak RSS MB TLS | sink-verified TLS |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for s in rows:
        r = s["row"]
        if r.get("skip") or r["key"] not in t:
            continue
        x = t[r["key"]]
        cr, kr = _ratio(x["cpu"], s["cpu"]), _ratio(x["cold"], s["cold"])
        L.append(f"| {r['label']} | {fmt(s['cpu'], 1)} | {fmt(x['cpu'], 1)} | {fmt(cr, 2)}× | {fmt(x['req_s'])} | "
                 f"{fmt(s['cold'], 1)} | {fmt(x['cold'], 1)} | {fmt(kr, 2)}× | {fmt(x['rss'])} | "
                 f"{x['verified']}/{len(x['loads'])} runs, cold {x['cold_ok']} |")


def latency_section(L, data):
    """The 20 ms run: wall time and CPU per row."""
    lat = data.get("latency") or {}
    if not lat.get("n"):
        return
    L.append("")
    L.append(f"## Latency run: the sink answers after {lat['ms']} ms")
    L.append("")
    if lat.get("error"):
        L.append(f"Not run: {escape(lat['error'])}")
        return
    L.append(f"Each row posts {lat['n']} messages (after up to 64 unmeasured warm-up calls) to the project's scripted "
             f"server (`apigw-management local --script`, pinned to CPU 0, signatures not checked), which answers every "
             f"request after {lat['ms']} ms, a same-region round trip; one run per row, plain HTTP, the row's own "
             f"concurrency. The floor is {lat['n']} × {lat['ms']} ms ÷ in flight. **served** = requests the server "
             "counted (warm-up included).")
    L.append("")
    L.append("| row | in flight | wall s | floor s | msgs/s | CPU s | CPU µs/msg | ok / errors | served | verified |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in data["rows"]:
        if r.get("skip"):
            continue
        if r["key"] in lat.get("skipped", {}):
            L.append(f"| {r['label']} | {r['inflight']} | — | — | — | — | — | — | — | not run: {lat['skipped'][r['key']]} |")
            continue
        x = next((x for x in data["runs"] if x.get("kind") == "latency" and x.get("row") == r["key"]), None)
        if x is None:
            continue
        floor = lat["n"] * lat["ms"] / 1000 / max(1, r["inflight"])
        L.append(f"| {r['label']} | {r['inflight']} | {fmt(x.get('wall_s'), 2)} | {floor:.2f} | {fmt(x.get('req_s'))} | "
                 f"{fmt(x.get('cpu_s'), 3)} | {fmt(x.get('cpu_us_per_req'), 1)} | {x.get('ok')} / {x.get('errors')} | "
                 f"{x.get('sink_requests')} | {'yes' if x.get('verified') else 'NO: ' + escape(str(x.get('first_error', ''))[:120])} |")


RATIO_TARGETS = [
    # (row, reference row, what is compared, target)
    ("rust", "rust-sdk", "cpu", 0.20),
    ("py-threads", "rust", "cpu", 1.5),
    ("py-async", "rust", "cpu", 1.5),
    ("node", "rust", "cpu", 1.5),
    ("py-broadcast", "rust-broadcast", "cpu", 1.1),
    ("node-broadcast", "rust-broadcast", "cpu", 1.1),
]


def ratio_targets(L, rows, tls_rows, floors=()):
    """Issue 15's targets: ratios within this run."""
    h, t = _by_key(rows), _by_key(tls_rows)
    L.append("")
    L.append("## Targets (issue 15): ratios within this run")
    L.append("")
    L.append("| row | compared with | CPU µs/msg ratio, HTTP | ratio, TLS | target |")
    L.append("|---|---|---|---|---|")
    for key, ref, what, target in RATIO_TARGETS:
        if key not in h or ref not in h:
            continue
        a = _ratio(h[key][what], h[ref][what])
        b = _ratio(t[key][what], t[ref][what]) if key in t and ref in t else None
        met = " ".join("✅" if v <= target else "❌ missed" for v in (a, b) if v is not None)
        L.append(f"| {h[key]['row']['label']} | {h[ref]['row']['label']} | {fmt(a, 2)}× | {fmt(b, 2)}× | ≤ {target}× {met} |")
    fl = [f for f in floors if f["row"] in h and f.get("cpu_us_per_msg")]
    if fl and "rust" in h:
        L.append("")
        L.append("What each per-call row's own concurrency costs with no client (the same program, the client's call "
                 "replaced by a no-op; pinned to the clients' CPU): the part of its CPU µs/msg no binding can remove.")
        L.append("")
        L.append("| row | concurrency with no client | CPU µs/msg | the row | ÷ Rust per call | the row minus it, ÷ Rust per call |")
        L.append("|---|---|---|---|---|---|")
        for f in fl:
            row = h[f["row"]]
            L.append(f"| {row['row']['label']} | {f['what']} | {fmt(f['cpu_us_per_msg'], 1)} | {fmt(row['cpu'], 1)} | "
                     f"{fmt(_ratio(f['cpu_us_per_msg'], h['rust']['cpu']), 2)}× | "
                     f"{fmt(_ratio(row['cpu'] - f['cpu_us_per_msg'], h['rust']['cpu']), 2)}× |")
    if not t:
        return
    peers = [x["cold"] for x in t.values() if not x["row"]["ours"] and x["cold"] is not None]
    best = min(peers) if peers else None
    L.append("")
    L.append(f"Cold start over TLS: each of ours ≤ 1.3× its plain-HTTP cold start, and below every peer's TLS cold start "
             f"(the fastest peer: {fmt(best, 1)} ms).")
    L.append("")
    L.append("| row | cold ms HTTP | cold ms TLS | TLS ÷ HTTP | ≤ 1.3× | below every peer |")
    L.append("|---|---|---|---|---|---|")
    for key, x in t.items():
        if not x["row"]["ours"] or key not in h:
            continue
        k = _ratio(x["cold"], h[key]["cold"])
        below = "—" if best is None or x["cold"] is None else ("✅" if x["cold"] < best else "❌ missed")
        L.append(f"| {x['row']['label']} | {fmt(h[key]['cold'], 1)} | {fmt(x['cold'], 1)} | {fmt(k, 2)}× | "
                 f"{'—' if k is None else ('✅' if k <= 1.3 else '❌ missed')} | {below} |")


def profile_section(L, out_dir):
    """The per-call profile (bench/profile_bindings.py), when it was run."""
    p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "target", "profile", "bindings.json")
    if not os.path.exists(p):
        return
    with open(p) as f:
        prof = json.load(f)
    L.append("")
    L.append("## Where the per-call rows spend their CPU (`python3 bench/profile_bindings.py`)")
    L.append("")
    L.append(f"Each row once more, N={prof['n']} against the plain-HTTP sink, pinned as above; counts are for the "
             "whole process (start and 256 warm-up calls included) ÷ N. A context switch on one pinned CPU is a "
             "hand-off between threads (the GIL, a runtime thread waking a caller); `perf record` samples user space only.")
    L.append("")
    L.append("| row | CPU µs/msg | context switches/msg | system calls/msg | most frequent system calls /msg | user-space samples by object |")
    L.append("|---|---|---|---|---|---|")
    for key, e in prof["rows"].items():
        if "skipped" in e:
            continue
        top = ", ".join(f"{k} {v:.2f}" for k, v in e["top_syscalls_per_msg"].items())
        dso = ", ".join(f"{k} {v:.0f}%" for k, v in e["dso_share_pct"].items())
        L.append(f"| {e['label']} | {fmt(e['cpu_us_per_msg'], 1)} | {fmt(e['context_switches_per_msg'], 2)} | "
                 f"{fmt(e['syscalls_per_msg'], 2)} | {top} | {dso} |")


def write(data: dict, out_dir: str) -> None:
    rows = summarize(data)
    limit = limit_of(data)
    peers = [s["cpu"] for s in rows if not s["row"]["ours"] and s["cpu"] is not None]
    best_peer = min(peers) if peers else None
    best_peer_name = next((s["row"]["label"] for s in rows if s["cpu"] == best_peer and not s["row"]["ours"]), "")
    p = data["params"]
    m = data["machine"]
    L = []
    L.append("# Benchmark: apigw-management beside its peers")
    L.append("")
    L.append(f"Command: `{data['command']}` (`make bench`; `make bench-quick` is `--quick`). "
             f"Run on {data['started_utc']} (UTC), {data['elapsed_s']} s end to end"
             + (f"; load average at the start {' / '.join(f'{v:.2f}' for v in data['load_avg_start'])} (1 / 5 / 15 min, `uptime`)."
                if data.get("load_avg_start") else "."))
    L.append("")
    L.append(f"Machine: {m['cores']} cores ({m['model']}, {m['memory']} RAM, {m['os']}, kernel {m['kernel']}).")
    ib, ia = data["idle_before"], data["idle_after"]
    L.append("")
    L.append(f"Host load from other processes (sampled with nothing of ours running, {ib['seconds']:.0f} s): "
             f"before the runs {ib['busy_pct_of_one_core']}% of one core busy (top: {', '.join(ib['top']) or '—'}); "
             f"after {ia['busy_pct_of_one_core']}% (top: {', '.join(ia['top']) or '—'}). "
             "A busy host slows every row; CPU µs/req and its ratios are the stable figures.")
    L.append("")
    L.append(f"Workload: N={p['n']} PostToConnection calls per run, 1 KiB body, connection ids `conn-<i>=`, "
             f"after {p['warmup']} unmeasured warm-up calls on the same client; {p['runs']} load runs per row "
             f"(a fresh process each, row order rotated between rounds); cold start: {p['cold_runs']} fresh processes per row "
             "(after one unmeasured pass). Sink: nginx, 1 worker pinned to CPU 0; every client (and wrk) pinned to CPU 1. "
             "Every client gets dummy static credentials from the environment (AWS_ACCESS_KEY_ID …), AWS_REGION=us-east-1, "
             "AWS_EC2_METADATA_DISABLED=true, no shared config files, and the endpoint http://127.0.0.1:PORT/prod. "
             "All figures are medians.")
    L.append("")
    L.append("## Results")
    L.append("")
    cs = ", ".join(f"{fmt(v.get('req_s'))} {k}" for k, v in data.get("ceilings", []) if v.get("req_s"))
    wrk_cpu = med([v.get("cpu_us_per_req") for _, v in data.get("ceilings", [])])
    L.append(f"**Limit (wrk, no signing):** {fmt(limit)} req/s, median of {len(data.get('ceilings', []))} × {p['wrk_seconds']} s runs ({cs}); "
             f"wrk {data['versions'].get('wrk', '?')}, 1 thread, 64 connections, the same 1 KiB POST to distinct `conn-<i>=` paths; "
             f"wrk's own CPU: {fmt(wrk_cpu, 1)} µs/req.")
    L.append("")
    L.append("| row | version | in flight | req/s | % of limit | CPU µs/req | CPU vs best peer | CPU target | peak RSS MB | cold start ms | cold start − floor ms | cold target | cold process wall ms | cold RSS MB | import ms | load wall s | size | sink-verified | notes |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    L.append(f"| **limit: wrk** | {data['versions'].get('wrk', '?')} | 64 | {fmt(limit)} | 100% | {fmt(wrk_cpu, 1)} | — | — | — | — | — | — | — | — | — | {p['wrk_seconds']} s | — | — | no SigV4, no SDK: the sink's ceiling on this machine |")
    for s in rows:
        r = s["row"]
        if r.get("skip"):
            L.append(f"| {r['label']} | {r.get('version') or '—'} | {r['inflight']} | — | — | — | — | {target_mark(None, r.get('cpu_target'))} | — | — | — | — | — | — | — | — | {r.get('size_of') or '—'} | — | **not run: {escape(r['skip'])}** |")
            continue
        ratio = f"{s['cpu'] / best_peer:.2f}×" if s["cpu"] and best_peer else "—"
        pct = f"{s['req_s'] / limit * 100:.1f}%" if s["req_s"] and limit else "—"
        L.append("| " + " | ".join([
            r["label"], r.get("version") or "—", str(r["inflight"]), fmt(s["req_s"]), pct,
            fmt(s["cpu"], 1), ratio,
            target_mark(s["cpu"], r.get("cpu_target")) if r["ours"] else "—",
            fmt(s["rss"]), fmt(s["cold"], 1), fmt(s["cold_floor"], 1),
            target_mark(s["cold"], r.get("cold_target")) if r["ours"] else "—",
            fmt(s["cold_wall"]), fmt(s["cold_rss"]), fmt(s["import"], 1), fmt(s["wall"], 2),
            r.get("size_of") or "—", f"{s['verified']}/{len(s['loads'])} runs", r["notes"],
        ]) + " |")
    L.append("")
    L.append(f"Best peer by CPU: {best_peer_name} ({fmt(best_peer, 1)} µs/req). "
             "Columns: **req/s** = N / wall time of the measured loop (in-process monotonic clock). "
             "**CPU µs/req** = user+sys CPU of the whole client process (all threads) during the measured loop "
             "(getrusage / os.times / process.cpuUsage) ÷ N. **CPU vs best peer** = CPU µs/req ÷ the lowest peer's. "
             "**peak RSS** = max RSS of the load process (GNU time). **cold start** = ms from the harness's timestamp "
             "just before exec to \"client constructed and one PostToConnection completed\" in a fresh process "
             "(runtime start, imports, client construction, credential resolution through the default chain, TCP connect, signing). "
             "**cold process wall** = exec to exit. **import** = the bare `import`/`require` of the client (in the cold process). "
             "**size** = installed size of the package and everything it requires (Python: the venv's files of the "
             "distribution closure; JS: the node_modules closure; ours Node: the package directory with the release addon; "
             "Rust: the stripped release binary of the whole bench program). "
             f"**sink-verified** = runs where the client reported N ok / 0 errors and nginx's stub_status request "
             f"counter grew by exactly N + warm-up ({p['n'] + p['warmup']}).")
    floor = med(data.get("floors_ms") or [])
    L.append("")
    L.append(f"Harness floor: the exec chain `timeout → time → taskset → /bin/true` takes {fmt(floor, 1)} ms "
             f"(median of {len(data.get('floors_ms') or [])}, one sample per cold round); it is included in every cold-start "
             "figure and subtracted in the \"cold start − floor\" column.")
    tls_rows = summarize(data, "https")
    if "https" in p.get("protos", []):
        tls_section(L, rows, tls_rows, data)
    latency_section(L, data)
    ratio_targets(L, rows, tls_rows, data.get("concurrency_floors") or [])
    profile_section(L, out_dir)
    # Targets.
    L.append("")
    L.append("## Targets (issue 7)")
    L.append("")
    L.append("| row | CPU µs/msg | target | cold start ms | target |")
    L.append("|---|---|---|---|---|")
    for s in rows:
        r = s["row"]
        if not r["ours"]:
            continue
        if r.get("skip"):
            L.append(f"| {r['label']} | not run | ≤ {r.get('cpu_target')} | not run | ≤ {r.get('cold_target')} |")
            continue
        L.append(f"| {r['label']} | {fmt(s['cpu'], 1)} | {target_mark(s['cpu'], r.get('cpu_target'))} | "
                 f"{fmt(s['cold'], 1)} | {target_mark(s['cold'], r.get('cold_target'))} |")
    # Spread.
    L.append("")
    L.append("### Spread of the load runs (min – max over runs)")
    L.append("")
    L.append("| row | runs | req/s | CPU µs/req | cold start ms | whole-process CPU s (incl. start + warm-up) |")
    L.append("|---|---|---|---|---|---|")
    for s in rows:
        if s["row"].get("skip"):
            continue
        L.append(f"| {s['row']['label']} | {len(s['loads'])} | {spread([x.get('req_s') for x in s['loads']])} | "
                 f"{spread([x.get('cpu_us_per_req') for x in s['loads']], 1)} | {spread([x.get('cold_ms') for x in s['colds']], 1)} | {fmt(s['proc_cpu'], 2)} |")
    # Wire.
    wire = data.get("wire") or {}
    if wire:
        L.append("")
        L.append("## What each row puts on the wire (verification pass)")
        L.append("")
        L.append("Each row once more with N=200, no warm-up, against the sink's second port, which logs every request "
                 "(`$connection`, `$request_uri`, body length, Authorization, User-Agent).")
        L.append("")
        L.append("| row | POSTs seen / sent | ids exact | 200s | 1 KiB bodies | SigV4 (execute-api, us-east-1) | TCP conns | max reqs/conn | `=` on the wire | Content-Type | SignedHeaders | User-Agent |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for s in rows:
            w = wire.get(s["row"]["key"])
            if not w:
                continue
            L.append(f"| {s['row']['label']} | {w['posts']} / {w['sent']} | {'yes' if w['ids_exact'] else 'NO'} | {w['status_200']} | "
                     f"{w['bodies_1k']} | {w['sigv4']} | {w['tcp_conns']} | {w['max_reqs_per_conn']} | `{w['eq_on_wire']}` | "
                     f"`{w['content_type']}` | `{w['signed_headers']}` | `{w['user_agent']}` |")
    # Scale.
    L.append("")
    L.append("## Scale: one broadcast to many live WebSocket connections on the local gateway")
    L.append("")
    sc = data.get("scale")
    if not sc:
        L.append("Not run (`--no-scale`).")
    elif sc.get("error") or sc.get("skipped"):
        L.append(f"Not run: {escape(sc.get('error') or sc.get('skipped'))}")
    else:
        L.append(sc.get("description", ""))
        L.append("")
        L.append("| row | connections | runs | wall s | msgs/s | CPU s | CPU µs/msg | peak RSS MB | delivered (client) | received (WebSocket clients) | notes |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for e in sc.get("rows", []):
            L.append(f"| {e['label']} | {e['connections']} | {e['runs']} | {fmt(e.get('wall_s'), 2)} | {fmt(e.get('msgs_s'))} | "
                     f"{fmt(e.get('cpu_s'), 3)} | {fmt(e.get('cpu_us_per_msg'), 1)} | {fmt(e.get('rss_mb'))} | {e.get('delivered', '—')} | "
                     f"{e.get('received', '—')} | {escape(e.get('notes', ''))} |")
    # Notes.
    notes = []
    ref = {"rust-sdk": 49, "aws-lite": 173, "sdk-v2": 216, "boto3-seq": 417}
    for s in rows:
        k = s["row"]["key"]
        if k in ref and s["cpu"]:
            notes.append(f"{s['row']['label']}: {fmt(s['cpu'], 1)} µs/req here vs {ref[k]} in shared/peer-results.md "
                         f"({s['cpu'] / ref[k]:.2f}×): this host ran that much slower than on the peers' day; compare rows within this run.")
    for s in rows:
        if s["loads"] and s["verified"] < len(s["loads"]):
            notes.append(f"{s['row']['label']}: {len(s['loads']) - s['verified']} of {len(s['loads'])} load runs not verified "
                         "(the medians use the verified ones; see Errors seen).")
    if notes:
        L.append("")
        L.append("## Notes")
        L.append("")
        for n in notes:
            L.append(f"- {n}")
    # Errors.
    errs = [(s["row"]["label"], e) for s in rows for e in s["errors"]]
    if errs:
        L.append("")
        L.append("## Errors seen")
        L.append("")
        for label, e in errs:
            L.append(f"- {label}: `{e}`")
    # All runs.
    L.append("")
    L.append("## All runs")
    L.append("")
    L.append("| kind | row | protocol | run | rc | ok | errors | sink requests | wall s | req/s | CPU µs/req | max RSS MB | cold ms | import ms |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for x in data["runs"]:
        L.append(f"| {x['kind']} | {x['row']} | {x.get('proto', 'http')} | {x['run']} | {x.get('rc')} | {x.get('ok')} | {x.get('errors')} | "
                 f"{x.get('sink_requests', '')} | {fmt(x.get('wall_s'), 3)} | {fmt(x.get('req_s'))} | {fmt(x.get('cpu_us_per_req'), 1)} | "
                 f"{fmt(x.get('max_rss_mb'))} | {fmt(x.get('cold_ms'), 1)} | {fmt(x.get('import_ms'), 1)} |")
    # Versions.
    L.append("")
    L.append("## Versions")
    L.append("")
    v = data["versions"]
    L.append(f"- project source measured: {v.get('source', '?')}")
    for k in ("nginx", "wrk", "python", "node", "rustc", "kernel"):
        L.append(f"- {k}: {v.get(k)}")
    for k, val in v.items():
        if k.endswith("venv"):
            L.append(f"- {k}: {val}")
    L.append("- JS peers: " + ", ".join(f"{k} {val}" for k, val in (v.get("js") or {}).items()))
    L.append("- Rust crates (bench/rust/Cargo.lock): " + ", ".join(f"{k} {val}" for k, val in (v.get("rust crates") or {}).items()))
    L.append("")
    L.append("Raw data: `bench/target/results.json` (not committed). The chart: ![CPU µs per message and cold start per row](results.svg)")
    L.append("")
    with open(os.path.join(out_dir, "RESULTS.md"), "w") as f:
        f.write("\n".join(L))
    with open(os.path.join(out_dir, "results.svg"), "w") as f:
        f.write(svg(rows, data))


def svg(rows: list[dict], data: dict) -> str:
    """Two horizontal bar charts, CPU µs per message and cold start ms: per row one bar
    over plain HTTP and, when measured, one over TLS beneath it."""
    tls = _by_key(summarize(data, "https"))
    shown = [s for s in rows if not s["row"].get("skip") and s["cpu"] is not None]
    label_w, bar_w, gap, row_h = 300, 330, 60, 30 if tls else 22
    top = 70
    h = top + row_h * len(shown) + 50
    w = label_w + 2 * bar_w + gap + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">apigw-management vs peers: PostToConnection, 1 KiB, {data["params"]["n"]} calls, 64 in flight (lower is better)</text>',
           f'<text x="{w / 2}" y="40" text-anchor="middle" fill="#555">{escape(data["machine"]["cores"].__str__())} cores ({escape(data["machine"]["model"])}), {escape(data["started_utc"])} UTC, medians; bench/RESULTS.md has every figure</text>']

    def bars(s):
        pairs = [(s, 1.0)]
        if tls:
            pairs.append((tls.get(s["row"]["key"]), 0.45))
        return pairs

    def panel(x0, key, title, unit):
        vals = [x[key] for s in shown for x, _ in bars(s) if x and x[key] is not None]
        vmax = max(vals) if vals else 1
        out.append(f'<text x="{x0}" y="{top - 10}" font-weight="bold">{title}</text>')
        sub = (row_h - 6) / (2 if tls else 1)
        for i, s in enumerate(shown):
            for j, (x, opacity) in enumerate(bars(s)):
                y = top + i * row_h + 2 + j * sub
                v = x[key] if x else None
                if v is None:
                    out.append(f'<text x="{x0}" y="{y + sub - 2:.1f}" fill="#999" font-size="10">—</text>')
                    continue
                bw = max(1.5, v / vmax * (bar_w - 90))
                color = "#d9480f" if s["row"]["ours"] else "#868e96"
                out.append(f'<rect x="{x0}" y="{y:.1f}" width="{bw:.1f}" height="{sub - 1:.1f}" fill="{color}" fill-opacity="{opacity}"/>')
                tag = " TLS" if j else (" HTTP" if tls else "")
                out.append(f'<text x="{x0 + bw + 4:.1f}" y="{y + sub - 2:.1f}" font-size="10">{v:.1f} {unit}{tag}</text>')

    for i, s in enumerate(shown):
        y = top + i * row_h
        lbl = s["row"]["label"].replace("**", "").replace("`", "")
        weight = "bold" if s["row"]["ours"] else "normal"
        out.append(f'<text x="{label_w - 8}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end" font-weight="{weight}">{escape(lbl)}</text>')
    panel(label_w, "cpu", "CPU µs per message (user+sys, whole process)", "µs")
    panel(label_w + bar_w + gap, "cold", "cold start ms (exec → first post done)", "ms")
    legend = "orange: this project (Rust core; Python and Node bindings) · grey: peers at pinned versions"
    if tls:
        legend += " · solid: plain HTTP, light: TLS"
    out.append(f'<text x="{label_w}" y="{h - 15}" fill="#555">{legend}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    with open(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "target", "results.json")) as f:
        d = json.load(f)
    write(d, sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__)))
