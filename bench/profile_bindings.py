#!/usr/bin/env python3
"""Where the per-call rows of the bindings spend their CPU beside the Rust per-call row
(`python3 bench/profile_bindings.py`, after `make bench` built the artefacts).

For each row, N posts against the nginx sink, pinned to the clients' CPU as in the bench:
- `perf stat`: task-clock and context switches per message (a hand-off between threads
  pinned to one CPU is a context switch, so this counts the GIL and runtime hand-offs);
- `strace -f -c`: system calls per message, by call (futex = a thread waking or waiting);
- `perf record` (user space): the share of samples in each shared object (the
  interpreter, the extension or addon, libc, node).

Writes bench/target/profile/bindings.json, which bench/report.py adds to RESULTS.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import harness  # noqa: E402

OUT = os.path.join(harness.TARGET, "profile")
ROWS = ["rust", "py-threads", "py-async", "node"]


def command(row: harness.Row, sink: harness.Sink, n: int) -> list[str]:
    return [str(c) for c in row.cmd + ["load", sink.endpoint, n, 256, row.inflight]]


def perf_stat(cmd, env, n) -> dict:
    p = subprocess.run(["perf", "stat", "-x", ",", "-e", "task-clock,context-switches",
                        "taskset", "-c", harness.CLIENT_CPU, *cmd], env=env, capture_output=True, text=True)
    out = {}
    for line in p.stderr.splitlines():
        f = line.split(",")
        if len(f) > 2 and f[2] in ("task-clock", "context-switches"):
            try:
                out[f[2]] = float(f[0])
            except ValueError:
                pass
    return {"context_switches_per_msg": out.get("context-switches", 0) / n}


def strace_counts(cmd, env, n) -> dict:
    path = os.path.join(OUT, "strace.txt")
    subprocess.run(["strace", "-f", "-c", "-o", path, "taskset", "-c", harness.CLIENT_CPU, *cmd],
                   env=env, capture_output=True, text=True)
    calls = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$", line)
            if m:
                calls[m.group(2)] = int(m.group(1)) / n
    top = dict(sorted(calls.items(), key=lambda kv: -kv[1])[:6])
    return {"syscalls_per_msg": sum(calls.values()), "top_syscalls_per_msg": top}


def dso_split(cmd, env) -> dict:
    data = os.path.join(OUT, "bindings-perf.data")
    subprocess.run(["perf", "record", "-q", "-F", "2000", "-o", data, "taskset", "-c", harness.CLIENT_CPU, *cmd],
                   env=env, capture_output=True, text=True)
    p = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "dso"],
                       capture_output=True, text=True)
    shares = Counter()
    for line in p.stdout.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)", line)
        if m:
            shares[os.path.basename(m.group(2))] += float(m.group(1))
    return {"dso_share_pct": dict(shares.most_common(6))}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    os.makedirs(OUT, exist_ok=True)
    rows = {r.key: r for r in harness.rows()}
    harness.check_rows(list(rows.values()))
    tls = harness.Tls()
    sink = harness.Sink(tls)
    result = {"n": n, "rows": {}}
    try:
        for key in ROWS:
            row = rows[key]
            if row.skip:
                result["rows"][key] = {"skipped": row.skip}
                continue
            env = harness.client_env()
            env.update(row.env)
            cmd = command(row, sink, n)
            load = harness.run_one(cmd, env, 300)
            entry = {"label": row.label, "cpu_us_per_msg": load.get("cpu_s", 0) / n * 1e6}
            entry.update(perf_stat(cmd, env, n))
            entry.update(strace_counts(cmd, env, n))
            entry.update(dso_split(cmd, env))
            result["rows"][key] = entry
            harness.log(f"profile {key}: {json.dumps(entry)}")
    finally:
        sink.stop()
    with open(os.path.join(OUT, "bindings.json"), "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
