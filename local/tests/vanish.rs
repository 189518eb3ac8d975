//! Clients that vanish without closing: each gets its `$disconnect`, and the gateway
//! gives back their memory and sockets. `VANISH_CLIENTS` sets how many (default 500;
//! `make stress` runs 8,000: each needs two sockets in this one process).

// Reads /proc and trims glibc's allocator: Linux with glibc only.
#![cfg(all(target_os = "linux", target_env = "gnu"))]

#[path = "load/measure.rs"]
mod measure;

use apigw_management_local::{LocalGateway, handler_fn};
use measure::{env, open_fds, rss_kib, trim};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vanished_clients_are_disconnected_and_freed() {
    let n = env("VANISH_CLIENTS", 500) as usize;
    apigw_management_local::ensure_open_files(2 * n as u64 + 256, "the vanishing clients test")
        .expect("open files");
    let disconnects = Arc::new(AtomicUsize::new(0));
    let seen = disconnects.clone();
    let gw = LocalGateway::builder()
        .handler(handler_fn(move |event| {
            let seen = seen.clone();
            async move {
                if event["requestContext"]["routeKey"] == "$disconnect" {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
                json!({"statusCode": 200})
            }
        }))
        .start()
        .await
        .unwrap();
    trim();
    let baseline_rss = rss_kib();
    let baseline_fds = open_fds();

    let mut sockets = Vec::with_capacity(n);
    for _ in 0..n {
        let (ws, _) = tokio_tungstenite::connect_async(gw.ws_url())
            .await
            .expect("connect");
        sockets.push(ws);
    }
    assert!(gw.wait_for_connections(n, Duration::from_secs(30)).await);
    let peak_rss = rss_kib();

    // Vanish: drop every socket without a close frame.
    drop(sockets);
    let deadline = Instant::now() + Duration::from_secs(30);
    while (gw.connection_count() > 0 || disconnects.load(Ordering::SeqCst) < n)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(gw.connection_count(), 0, "connections still held");
    assert_eq!(disconnects.load(Ordering::SeqCst), n, "$disconnect events");
    tokio::time::sleep(Duration::from_millis(200)).await;
    trim();
    let after_rss = rss_kib();
    let after_fds = open_fds();
    println!(
        "vanishing clients: {n}: RSS {baseline_rss} KiB -> {peak_rss} KiB with all connected \
         -> {after_rss} KiB after; fds {baseline_fds} -> {after_fds}"
    );
    assert!(
        after_fds <= baseline_fds + 8,
        "fds {baseline_fds} -> {after_fds}"
    );
    let grown = after_rss.saturating_sub(baseline_rss);
    let held = peak_rss.saturating_sub(baseline_rss).max(1);
    assert!(
        grown <= held / 4 + 2048,
        "memory not returned: {baseline_rss} -> {peak_rss} -> {after_rss} KiB"
    );
}
