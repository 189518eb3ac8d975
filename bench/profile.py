#!/usr/bin/env python3
"""Where the Rust per-call path spends its CPU (`bash bench/profile.sh`).

- callgrind (instruction counts: repeatable on a noisy shared machine): instructions per
  request = (Ir at N=N2 − Ir at N=N1) / (N2 − N1), the process start and warm-up cancel
  out; then the exclusive cost of the N2 run grouped by crate / area, and the inclusive
  cost of the functions that matter (signing, URL parsing, the reqwest/hyper stack).
- perf (cpu-clock sampling, user + kernel) when `perf record` works here: the user/kernel
  split and the top symbols, which callgrind cannot see (system calls).

Writes bench/target/profile/PROFILE.md (and the raw callgrind/perf files beside it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import harness  # noqa: E402

OUT = os.path.join(harness.TARGET, "profile")
PROF_BIN = os.path.join(harness.TARGET, "release")

# Symbol prefixes → areas, first match wins (demangled Rust paths / C symbols).
AREAS = [
    ("signing: aws-sigv4", r"aws_sigv4::"),
    ("signing: sha2/hmac", r"(sha2::|hmac::|digest::|sha256|core::hash::sip)"),
    ("signing: aws-smithy/credential types", r"(aws_smithy_runtime_api::|aws_smithy_types::|aws_credential_types::)"),
    ("http: reqwest", r"reqwest::"),
    ("http: hyper", r"hyper::"),
    ("http: hyper-util", r"hyper_util::"),
    ("http: http/httparse/http-body", r"(^http::|<http::|httparse::|http_body)"),
    ("url parsing: url/idna/percent-encoding", r"(url::|idna::|percent_encoding::|form_urlencoded)"),
    ("tower layers", r"tower"),
    ("tokio runtime + io", r"tokio::"),
    ("futures", r"futures"),
    ("tracing", r"tracing"),
    ("time: SystemTime/Instant/time formatting", r"(std::time|::time::|time::|clock_gettime|__vdso)"),
    ("apigw_management (own code)", r"apigw_management::"),
    ("bytes", r"bytes::"),
    ("fmt / String", r"(core::fmt|alloc::fmt|alloc::string|<alloc::string|core::str::|alloc::str)"),
    ("allocation: malloc/free/realloc/memcpy", r"(malloc|free|realloc|_int_|memcpy|memmove|memset|alloc::alloc|__rust_alloc|__rust_dealloc|__rust_realloc|RawVec|calloc|arena)"),
    ("libc / syscalls wrappers", r"(libc|__libc|epoll|recv|send|write|read|syscall|pthread|futex|__lll)"),
    ("std / core other", r"(std::|core::|alloc::)"),
]


def area_of(sym: str) -> str:
    for name, pat in AREAS:
        if re.search(pat, sym):
            return name
    return "other"


def callgrind(cmd: list, env: dict, out_file: str) -> int:
    full = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", "--dump-instr=no",
            "--separate-threads=no"] + cmd
    p = subprocess.run(["taskset", "-c", harness.CLIENT_CPU] + full, env=env, capture_output=True, text=True, timeout=900)
    m = None
    with open(out_file) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                m = int(line.split()[1])
    if m is None:
        raise SystemExit(f"callgrind produced no total: {p.stderr[-800:]}")
    return m


def annotate(out_file: str, inclusive: bool) -> list[tuple[int, str]]:
    args = ["callgrind_annotate", "--threshold=100", f"--inclusive={'yes' if inclusive else 'no'}", out_file]
    p = subprocess.run(args, capture_output=True, text=True)
    rows = []
    for line in p.stdout.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*?)\s*$", line)
        if not m or ":" not in m.group(2):
            continue
        n = int(m.group(1).replace(",", ""))
        sym = m.group(2)
        # "file:function [object]" → function
        sym = re.sub(r"^[^:]*?:(?!:)", "", sym, count=1) if not sym.startswith("???:") else sym[4:]
        sym = re.sub(r"\s*\[[^\]]*\]\s*$", "", sym)
        rows.append((n, sym))
    return rows


def main():
    n1, n2 = 1000, 3000
    os.makedirs(OUT, exist_ok=True)
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    ours = os.path.join(PROF_BIN, "bench-ours")
    sdk = os.path.join(PROF_BIN, "bench-sdk")
    if not os.path.exists(ours):
        raise SystemExit("run `bash bench/profile.sh` (it builds the profiling binaries first)")
    sink = harness.Sink()
    report = ["# Profile of the Rust per-call path", ""]
    try:
        env = harness.client_env()
        per_req, per_req_nosha = {}, {}
        progs = [("ours per call", ours, {"ROW": "percall"}), ("ours broadcast", ours, {"ROW": "broadcast"})]
        if os.path.exists(sdk):
            progs.append(("aws-sdk-rust", sdk, {}))
        for name, prog, extra in progs:
            e = dict(env)
            e.update(extra)
            tag = name.replace(" ", "-")
            ir = {}
            for n in (n1, n2):
                f = os.path.join(OUT, f"callgrind.{tag}.{n}.out")
                ir[n] = callgrind([prog, "load", sink.endpoint, str(n), "256", "64"], e, f)
            per_req[name] = (ir[n2] - ir[n1]) / (n2 - n1)
            # valgrind's CPU has no SHA-NI, so sha2 runs its software rounds under
            # callgrind (natively it uses SHA-NI where the CPU has it): also count without.
            sha = {}
            for n in (n1, n2):
                f = os.path.join(OUT, f"callgrind.{tag}.{n}.out")
                sha[n] = sum(c for c, sym in annotate(f, inclusive=False) if "sha2::sha256" in sym)
            per_req_nosha[name] = (ir[n2] - sha[n2] - ir[n1] + sha[n1]) / (n2 - n1)
            print(f"{name}: {per_req[name]:.0f} instructions/request ({per_req_nosha[name]:.0f} without sha256 rounds)", file=sys.stderr)
        report.append("## Instructions per request (callgrind, user space only)")
        report.append("")
        report.append(f"(Ir at N={n2} − Ir at N={n1}) / {n2 - n1}: process start and the 256 warm-up calls cancel out. "
                      "Kernel work (socket syscalls) is not counted here; see the perf section.")
        report.append("")
        report.append("valgrind's virtual CPU has no SHA-NI, so under callgrind the sha2 crate runs its software rounds "
                      "(natively it detects SHA-NI and uses it where the CPU has it, see perf below): the second column leaves "
                      "the SHA-256 compression function out.")
        report.append("")
        report.append("| program | instructions / request | without SHA-256 rounds |")
        report.append("|---|---|---|")
        for k, v in per_req.items():
            report.append(f"| {k} | {v:,.0f} | {per_req_nosha[k]:,.0f} |")
        # Attribution for ours per call.
        f = os.path.join(OUT, f"callgrind.ours-per-call.{n2}.out")
        excl = annotate(f, inclusive=False)
        incl = annotate(f, inclusive=True)
        total = sum(n for n, _ in excl)
        by_area = defaultdict(int)
        for n, sym in excl:
            by_area[area_of(sym)] += n
        report.append("")
        report.append(f"## ours per call: exclusive instructions by area (N={n2} run, whole process)")
        report.append("")
        report.append("| area | share | ≈ instructions / request |")
        report.append("|---|---|---|")
        for a, n in sorted(by_area.items(), key=lambda x: -x[1]):
            report.append(f"| {a} | {n / total * 100:.1f}% | {n / total * per_req['ours per call']:,.0f} |")
        report.append("")
        report.append("## ours per call: top functions, exclusive")
        report.append("")
        report.append("| share | function |")
        report.append("|---|---|")
        for n, sym in sorted(excl, key=lambda x: -x[0])[:30]:
            report.append(f"| {n / total * 100:.1f}% | `{sym[:160]}` |")
        report.append("")
        report.append("## ours per call: inclusive cost of the functions that matter")
        report.append("")
        report.append("| share of all | ≈ instr / request | function |")
        report.append("|---|---|---|")
        keys = [r"apigw_management::signing::sign_headers", r"aws_sigv4::http_request::sign::sign",
                r"apigw_management::signing::payload_hash", r"url::Url::parse", r"url::parser::Parser::parse_with_scheme",
                r"reqwest::async_impl::client::Client::execute$", r"reqwest::async_impl::client::Client::execute_request",
                r"reqwest::async_impl::client::PendingRequest.*poll", r"hyper_util::client::legacy::client::Client.*send_request",
                r"hyper::proto::h1::dispatch", r"hyper::proto::h1::role", r"apigw_management::client::Client::execute_encoded",
                r"apigw_management::client::Client::attempt", r"apigw_management::client::read_body",
                r"apigw_management::client::Client::transport$", r"apigw_management::credentials::CredentialCache::identity",
                r"tracing::span", r"HeaderValue::from_str", r"tokio::runtime::scheduler", r"epoll_wait", r"__send|sendto|writev|__libc_write",
                r"recv|__libc_read", r"^malloc$", r"^free$", r"^realloc$", r"SystemTime::now|clock_gettime"]
        seen = set()
        for pat in keys:
            best = None
            for n, sym in incl:
                if re.search(pat, sym) and sym not in seen:
                    best = (n, sym)
                    break
            if best:
                seen.add(best[1])
                report.append(f"| {best[0] / total * 100:.1f}% | {best[0] / total * per_req['ours per call']:,.0f} | `{best[1][:150]}` |")
        # perf: user vs kernel.
        perf_ok = shutil.which("perf") and subprocess.run(["perf", "record", "-o", os.path.join(OUT, "probe.data"), "-e", "cpu-clock", "true"],
                                                          capture_output=True).returncode == 0
        if perf_ok:
            e = dict(env)
            e["ROW"] = "percall"
            data = os.path.join(OUT, "perf.ours-per-call.data")
            pr = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "20000", "-o", data, "--",
                                 "taskset", "-c", harness.CLIENT_CPU, ours, "load", sink.endpoint, "20000", "256", "64"],
                                env=e, capture_output=True, text=True, timeout=300)
            try:
                cpu_us = json.loads(pr.stdout.strip().splitlines()[-1])["cpu_s"] / 20000 * 1e6
            except (ValueError, IndexError, KeyError):
                cpu_us = None
            p = subprocess.run(["perf", "report", "-i", data, "--stdio", "--sort", "sym", "-q"], capture_output=True, text=True)
            native = defaultdict(float)
            for line in p.stdout.splitlines():
                m = re.match(r"^\s*([\d.]+)%\s+\[(.)\]\s+(.*)$", line)
                if not m:
                    continue
                pct, kind, sym = float(m.group(1)), m.group(2), m.group(3).strip()
                if kind == "k":
                    a = "kernel: TCP send/receive on loopback, epoll, futex, scheduling"
                elif "sha2::" in sym:
                    a = "signing: sha2 (SHA-NI)"
                else:
                    a = area_of(sym)
                native[a] += pct
            report.append("")
            report.append(f"## Native CPU by area (perf cpu-clock samples, self time), ours per call, N=20000; "
                          f"the run's measured loop used {cpu_us:.1f} µs CPU/request under perf" if cpu_us else
                          "## Native CPU by area (perf cpu-clock samples, self time), ours per call, N=20000")
            report.append("")
            report.append("| area | share of samples | ≈ µs / request |")
            report.append("|---|---|---|")
            for a, pct in sorted(native.items(), key=lambda x: -x[1]):
                if pct >= 0.3:
                    report.append(f"| {a} | {pct:.1f}% | {pct / 100 * cpu_us:.2f} |" if cpu_us else f"| {a} | {pct:.1f}% | — |")
            p = subprocess.run(["perf", "report", "-i", data, "--stdio", "--sort", "dso", "-q"], capture_output=True, text=True)
            report.append("")
            report.append("## perf (cpu-clock sampling, user + kernel), ours per call, N=20000 (start and warm-up included)")
            report.append("")
            report.append("By object:")
            report.append("")
            report.append("```")
            report.extend(l for l in p.stdout.splitlines()[:12] if l.strip())
            report.append("```")
            p = subprocess.run(["perf", "report", "-i", data, "--stdio", "--sort", "sym", "-q"], capture_output=True, text=True)
            report.append("")
            report.append("Top symbols:")
            report.append("")
            report.append("```")
            report.extend(l[:170] for l in p.stdout.splitlines()[:40] if l.strip())
            report.append("```")
    finally:
        sink.stop()
    path = os.path.join(OUT, "PROFILE.md")
    with open(path, "w") as f:
        f.write("\n".join(report) + "\n")
    print(path)


if __name__ == "__main__":
    main()
