//! A broadcast through injected faults (20% of attempts answer 500, 5% answer 429, 2% of
//! TCP connections dropped, half before and half after the message reached the client)
//! to live WebSocket clients and to ids that are gone: every id is reported exactly once,
//! no message is lost, and duplicates come only from drops after delivery.
//!
//! `FAULT_BROADCAST_IDS` sets the number of ids (default 1,000; `make stress` runs
//! 10,000, four fifths of them live connections).

use apigw_management::{BroadcastOptions, Client, ErrorKind};
use apigw_management_local::{Faults, LocalGateway, new_connection_id};
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const MAX_ATTEMPTS: u32 = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_through_faults_loses_nothing() {
    let total: usize = std::env::var("FAULT_BROADCAST_IDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let live = total * 4 / 5;
    apigw_management_local::ensure_open_files(2 * live as u64 + 256, "the fault broadcast test")
        .expect("open files");
    let faults = Faults::none()
        .seed(20261126)
        .server_error(0.20)
        .throttle(0.05)
        .drop_before(0.01)
        .drop_after(0.01);
    let gw = LocalGateway::builder()
        .faults(faults)
        .start()
        .await
        .expect("gateway");

    // Live clients, each counting the messages it receives.
    let mut received: HashMap<String, Arc<AtomicU32>> = HashMap::new();
    let mut by_agent: HashMap<String, Arc<AtomicU32>> = HashMap::new();
    let mut connects = tokio::task::JoinSet::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(64));
    for i in 0..live {
        let agent = format!("fault-client-{i}");
        let count = Arc::new(AtomicU32::new(0));
        by_agent.insert(agent.clone(), count.clone());
        let (url, permits) = (gw.ws_url(), permits.clone());
        connects.spawn(async move {
            let mut req = url.into_client_request().unwrap();
            req.headers_mut()
                .insert("user-agent", agent.parse().unwrap());
            let ws = {
                let _permit = permits.acquire_owned().await.unwrap();
                tokio_tungstenite::connect_async(req)
                    .await
                    .expect("connect")
                    .0
            };
            tokio::spawn(async move {
                let (_write, mut read) = ws.split();
                while let Some(Ok(m)) = read.next().await {
                    if m.is_text() || m.is_binary() {
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        });
    }
    while connects.join_next().await.is_some() {}
    assert!(gw.wait_for_connections(live, Duration::from_secs(30)).await);
    for c in gw.connections() {
        received.insert(c.connection_id.clone(), by_agent[&c.user_agent].clone());
    }
    let live_ids: Vec<String> = received.keys().cloned().collect();
    let gone_ids: HashSet<String> = (0..total - live).map(|_| new_connection_id()).collect();
    let mut ids: Vec<String> = live_ids.iter().chain(gone_ids.iter()).cloned().collect();
    fastrand::Rng::with_seed(7).shuffle(&mut ids);

    let client = Client::builder()
        .endpoint(gw.endpoint())
        .region("us-east-1")
        .credentials(gw.credentials())
        .max_attempts(MAX_ATTEMPTS)
        .retry_base_delay(Duration::from_millis(2))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let started = Instant::now();
    let result = client
        .broadcast(ids.clone(), "fault-test", BroadcastOptions::default())
        .await
        .unwrap();
    let elapsed = started.elapsed();

    // Let the last frames arrive.
    let mut last = 0;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now: u32 = received.values().map(|c| c.load(Ordering::SeqCst)).sum();
        if now == last {
            break;
        }
        last = now;
    }

    // Every id exactly once.
    let gone: HashSet<&str> = result.gone.iter().map(String::as_str).collect();
    let failed: HashMap<&str, &apigw_management::Error> = result
        .failed
        .iter()
        .map(|(id, e)| (id.as_str(), e))
        .collect();
    assert_eq!(gone.len(), result.gone.len(), "an id reported gone twice");
    assert_eq!(
        failed.len(),
        result.failed.len(),
        "an id reported failed twice"
    );
    assert!(gone.is_disjoint(&failed.keys().copied().collect()));
    assert_eq!(result.delivered + gone.len() + failed.len(), total);

    // Failures used every attempt, or were stopped by the retry quota.
    for (id, e) in &failed {
        assert!(
            e.attempts() == MAX_ATTEMPTS || e.message().contains("retry quota"),
            "{id}: {e}"
        );
    }
    // Unknown ids are gone (or failed through faults on every attempt), never delivered.
    for id in &gone_ids {
        assert!(
            gone.contains(id.as_str()) || failed.contains_key(id.as_str()),
            "{id}"
        );
    }
    // No message lost: every live id that was not reported failed received it.
    let mut lost = 0;
    let mut duplicates = 0;
    for (id, count) in &received {
        let n = count.load(Ordering::SeqCst);
        assert!(!gone.contains(id.as_str()), "live {id} reported gone");
        if n == 0 && !failed.contains_key(id.as_str()) {
            lost += 1;
        }
        duplicates += n.saturating_sub(1) as u64;
    }
    let counts = gw.fault_counts();
    println!(
        "fault broadcast: {total} ids ({live} live) in {elapsed:?}: delivered {}, gone {}, \
         failed {}; injected {} x 500, {} x 429, {} dropped before, {} dropped after; \
         lost {lost}, duplicates {duplicates}",
        result.delivered,
        gone.len(),
        failed.len(),
        counts.server_errors,
        counts.throttled,
        counts.dropped_before,
        counts.dropped_after,
    );
    assert_eq!(lost, 0, "messages lost");
    assert!(
        duplicates <= counts.dropped_after,
        "{duplicates} duplicates but only {} drops after delivery",
        counts.dropped_after
    );
    assert!(counts.server_errors > 0 && counts.throttled > 0 && counts.dropped_after > 0);
    // The faults were retried through: nearly everything live was delivered.
    assert!(
        result.delivered >= live * 99 / 100,
        "delivered {}",
        result.delivered
    );
    assert!(
        result
            .failed
            .iter()
            .all(|(_, e)| e.kind() != ErrorKind::InvalidInput)
    );
    gw.stop();
}
