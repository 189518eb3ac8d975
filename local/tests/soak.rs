//! A steady soak: a broadcast to 100 live clients every 50 ms, with the process's memory
//! and open files sampled each second; both stay flat and no message is lost.
//! `SOAK_SECONDS` sets the length (default 4, the least that gives three samples after
//! the first second; `make stress` runs 600).

// Reads /proc and trims glibc's allocator: Linux with glibc only.
#![cfg(all(target_os = "linux", target_env = "gnu"))]

#[path = "load/measure.rs"]
mod measure;

use apigw_management::{BroadcastOptions, Client};
use apigw_management_local::LocalGateway;
use futures_util::StreamExt;
use measure::{env, open_fds, rss_kib, trim};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_soak_keeps_memory_and_files_flat() {
    let seconds = env("SOAK_SECONDS", 4);
    let clients = 100;
    let gw = LocalGateway::builder().start().await.unwrap();
    let mut readers = Vec::new();
    let received = Arc::new(AtomicUsize::new(0));
    for _ in 0..clients {
        let (ws, _) = tokio_tungstenite::connect_async(gw.ws_url()).await.unwrap();
        let received = received.clone();
        readers.push(tokio::spawn(async move {
            let (_w, mut r) = ws.split();
            while let Some(Ok(m)) = r.next().await {
                if m.is_text() {
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    assert!(
        gw.wait_for_connections(clients, Duration::from_secs(10))
            .await
    );
    let ids = gw.connection_ids();
    let client = Client::builder()
        .endpoint(gw.endpoint())
        .region("us-east-1")
        .credentials(gw.credentials())
        .build()
        .unwrap();
    let started = Instant::now();
    let mut samples: Vec<(u64, u64, usize)> = Vec::new();
    let mut sent = 0usize;
    let mut next_sample = Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        // A steady rate: one broadcast to every client each 50 ms, with a fixed in-flight
        // count (by default it follows the round trip, and the pool's size with it), so
        // that a leak of sockets shows.
        let tick = Instant::now();
        let opts = BroadcastOptions::default().concurrency(64);
        let r = client.broadcast(ids.clone(), "soak", opts).await.unwrap();
        assert!(r.is_ok() && r.gone.is_empty());
        sent += r.delivered;
        if Instant::now() >= next_sample {
            trim();
            samples.push((started.elapsed().as_secs(), rss_kib(), open_fds()));
            next_sample += Duration::from_secs(1);
        }
        tokio::time::sleep(Duration::from_millis(50).saturating_sub(tick.elapsed())).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    println!("soak: {sent} messages in {seconds} s; samples (s, RSS KiB, fds): {samples:?}");
    assert_eq!(received.load(Ordering::Relaxed), sent, "messages lost");
    // Flat: after the first second, every sample's RSS stays within 20% (+4 MiB) of the
    // first settled one and fds do not grow; three settled samples at least, so that a
    // steady climb shows and is not hidden by two points.
    let settled = &samples[1.min(samples.len())..];
    assert!(settled.len() >= 3, "too few samples to judge: {samples:?}");
    let first = settled[0];
    for s in settled {
        assert!(s.1 <= first.1 + first.1 / 5 + 4096, "RSS grew: {samples:?}");
        assert!(s.2 <= first.2 + 4, "fds grew: {samples:?}");
    }
    gw.stop();
}
