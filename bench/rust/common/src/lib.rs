//! What every Rust row of the bench shares: its arguments, the process's CPU time, the
//! system-wide monotonic clock (the harness reads the same clock just before exec), and
//! the one JSON line a run prints.
//!
//! Every row program takes the same arguments:
//!
//! ```text
//! PROG load  ENDPOINT N WARMUP CONCURRENCY   # N posts after WARMUP, CONCURRENCY in flight
//! PROG cold  ENDPOINT                        # one post from a fresh process, default chain
//! PROG ids   ENDPOINT FILE CONCURRENCY       # one broadcast to the ids in FILE (scale)
//! ```

use std::fmt::Write as _;
use std::time::Instant;

/// The 1 KiB message every row sends.
pub fn body() -> Vec<u8> {
    let mut b = Vec::with_capacity(1024);
    while b.len() < 1024 {
        b.extend_from_slice(b"0123456789abcdef");
    }
    b.truncate(1024);
    b
}

/// `conn-<i>=` for `i` in `from..from + n`.
pub fn ids(from: usize, n: usize) -> Vec<String> {
    (from..from + n).map(|i| format!("conn-{i}=")).collect()
}

/// User + system CPU of the whole process (all threads), in seconds.
pub fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the struct we pass.
    unsafe {
        let mut r: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut r);
        tv(r.ru_utime) + tv(r.ru_stime)
    }
}

fn tv(t: libc::timeval) -> f64 {
    t.tv_sec as f64 + t.tv_usec as f64 / 1e6
}

/// CLOCK_MONOTONIC in nanoseconds: the same clock as Python's `time.monotonic_ns()`.
pub fn monotonic_ns() -> u128 {
    // SAFETY: clock_gettime writes into the struct we pass.
    unsafe {
        let mut t: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t);
        t.tv_sec as u128 * 1_000_000_000 + t.tv_nsec as u128
    }
}

/// The parsed command line.
pub enum Mode {
    Load {
        endpoint: String,
        n: usize,
        warmup: usize,
        concurrency: usize,
    },
    Cold {
        endpoint: String,
    },
    Ids {
        endpoint: String,
        file: String,
        concurrency: usize,
    },
}

pub fn args() -> Mode {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| -> usize {
        a.get(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| usage())
    };
    match a.first().map(String::as_str) {
        Some("load") if a.len() == 5 => Mode::Load {
            endpoint: a[1].clone(),
            n: num(2),
            warmup: num(3),
            concurrency: num(4),
        },
        Some("cold") if a.len() == 2 => Mode::Cold {
            endpoint: a[1].clone(),
        },
        Some("ids") if a.len() == 4 => Mode::Ids {
            endpoint: a[1].clone(),
            file: a[2].clone(),
            concurrency: num(3),
        },
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: PROG load ENDPOINT N WARMUP CONCURRENCY | cold ENDPOINT | ids ENDPOINT FILE CONCURRENCY"
    );
    std::process::exit(2)
}

/// The runtime every Rust row uses: tokio multi-thread with one worker (the process is
/// pinned to one core), as the peers' aws-sdk-rust row was measured.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Counts of a measured loop.
#[derive(Default)]
pub struct Outcome {
    pub ok: usize,
    pub errors: usize,
    pub first_error: Option<String>,
}

impl Outcome {
    pub fn record<E: std::fmt::Display>(&mut self, r: Result<(), E>) {
        match r {
            Ok(()) => self.ok += 1,
            Err(e) => {
                self.errors += 1;
                if self.first_error.is_none() {
                    self.first_error = Some(e.to_string());
                }
            }
        }
    }
}

/// Times a measured section: wall (monotonic) and process CPU.
pub struct Meter {
    wall: Instant,
    cpu: f64,
}

impl Meter {
    pub fn start() -> Self {
        Meter {
            cpu: cpu_seconds(),
            wall: Instant::now(),
        }
    }

    /// Prints the JSON line of a load run.
    pub fn report(self, n: usize, outcome: &Outcome, extra: &[(&str, String)]) {
        let wall = self.wall.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - self.cpu;
        let mut s = format!(
            "{{\"ok\":{},\"errors\":{},\"n\":{n},\"wall_s\":{wall:.6},\"cpu_s\":{cpu:.6},\"process_cpu_s\":{:.6}",
            outcome.ok,
            outcome.errors,
            cpu_seconds()
        );
        if let Some(e) = &outcome.first_error {
            let _ = write!(s, ",\"first_error\":{}", json_str(e));
        }
        for (k, v) in extra {
            let _ = write!(s, ",\"{k}\":{v}");
        }
        s.push('}');
        println!("{s}");
    }
}

/// Prints the JSON line of a cold run: the monotonic time at which the first post was done.
pub fn report_cold<E: std::fmt::Display>(r: Result<(), E>) {
    let ready = monotonic_ns();
    match r {
        Ok(()) => println!("{{\"ok\":1,\"errors\":0,\"ready_ns\":{ready}}}"),
        Err(e) => println!(
            "{{\"ok\":0,\"errors\":1,\"ready_ns\":{ready},\"first_error\":{}}}",
            json_str(&e.to_string())
        ),
    }
}

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}
