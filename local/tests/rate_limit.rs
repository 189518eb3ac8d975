//! Broadcasts at the account's rate limit and at a long round trip, with default
//! options: nothing lost, nothing failed, and the throttled requests a bounded share.
//!
//! `RATE_LIMIT_IDS`, `RATE_LIMIT_RPS` and `RATE_LIMIT_BURST` set the rate-limited
//! broadcast (default 600 ids at 100 requests/s with a burst of 50, which a debug build
//! exceeds; `make stress` runs 20,000 at 2,000/s with a burst of 500, 5 ms of latency
//! each); `LONG_RTT_IDS` the one at 20 ms (default 1,000; `make stress` 10,000). The
//! figures (time, achieved rate) are printed for RELIABILITY.md; the tests assert counts.

use apigw_management::{BroadcastOptions, Client};
use apigw_management_local::{Faults, LocalGateway, Running, new_connection_id};
use std::time::{Duration, Instant};

fn count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn gateway(faults: Faults) -> Running {
    LocalGateway::builder()
        .faults(faults)
        .start()
        .await
        .expect("gateway")
}

/// Ids of no connection: each answers 410.
fn gone_ids(n: usize) -> Vec<String> {
    (0..n).map(|_| new_connection_id()).collect()
}

fn client(gw: &Running) -> Client {
    Client::builder()
        .endpoint(gw.endpoint())
        .region("us-east-1")
        .credentials(gw.credentials())
        .build()
        .expect("client")
}

/// A gateway with WebSocket clients that read everything: `live` ids that get posts
/// delivered, `gone` ids that answer 410.
async fn targets(
    gw: &Running,
    live: usize,
    gone: usize,
) -> (Vec<String>, Vec<tokio::task::JoinHandle<()>>) {
    use futures_util::StreamExt;
    let mut readers = Vec::new();
    for _ in 0..live {
        let (ws, _) = tokio_tungstenite::connect_async(gw.ws_url())
            .await
            .expect("connect");
        readers.push(tokio::spawn(async move {
            let (_, mut read) = ws.split();
            while let Some(Ok(_)) = read.next().await {}
        }));
    }
    assert!(gw.wait_for_connections(live, Duration::from_secs(10)).await);
    let mut ids = gw.connection_ids();
    ids.extend(gone_ids(gone));
    (ids, readers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_at_the_accounts_rate_limit_loses_nothing() {
    let total = count("RATE_LIMIT_IDS", 600);
    let (rate, burst) = (
        count("RATE_LIMIT_RPS", 100) as f64,
        count("RATE_LIMIT_BURST", 50) as u64,
    );
    let faults = Faults::none()
        .rate_limit(rate, burst)
        .latency(Duration::from_millis(5), Duration::ZERO);
    let gw = LocalGateway::builder()
        .faults(faults)
        .start()
        .await
        .unwrap();
    let (ids, _readers) = targets(&gw, 100, total - 100).await;
    let started = Instant::now();
    let r = client(&gw)
        .broadcast(ids, "tick", BroadcastOptions::default())
        .await
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let counts = gw.fault_counts();
    let allowed = burst as f64 + rate * elapsed;
    eprintln!(
        "rate-limited broadcast: {total} ids, delivered {}, gone {}, failed {}, {:.2} s, \
         {:.0} answered/s ({:.0}% of the {allowed:.0} allowed), {} requests, {} throttled",
        r.delivered,
        r.gone.len(),
        r.failed.len(),
        elapsed,
        total as f64 / elapsed,
        100.0 * total as f64 / allowed,
        counts.requests,
        counts.rate_limited,
    );
    assert_eq!(
        (r.delivered, r.gone.len(), r.failed.len()),
        (100, total - 100, 0)
    );
    // Every id answered once; fewer throttled requests than ids.
    assert_eq!(counts.requests - counts.rate_limited, total as u64);
    assert!(
        counts.rate_limited <= total as u64,
        "{} throttled requests for {total} ids",
        counts.rate_limited
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_flight_count_follows_a_long_round_trip() {
    let total = count("LONG_RTT_IDS", 1_000);
    let faults = Faults::none().latency(Duration::from_millis(20), Duration::ZERO);
    let gw = LocalGateway::builder()
        .faults(faults)
        .start()
        .await
        .unwrap();
    let ids: Vec<String> = (0..total).map(|_| new_connection_id()).collect();
    let started = Instant::now();
    let r = client(&gw)
        .broadcast(ids, "tick", BroadcastOptions::default())
        .await
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "20 ms round trip: {total} ids in {elapsed:.2} s ({:.0}/s), at most {} in flight",
        total as f64 / elapsed,
        gw.fault_counts().max_in_flight
    );
    assert_eq!((r.gone.len(), r.failed.len()), (total, 0));
    // 64 in flight at 20 ms would be 3,200 requests/s; the count follows the round trip.
    assert!(
        gw.fault_counts().max_in_flight > 64,
        "{}",
        gw.fault_counts().max_in_flight
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_retry_quota_fails_no_message_that_the_pace_is_handling() {
    // Every request throttled until 80 were (more than 3 attempts for each of 20 ids),
    // then none: the throttled messages wait for the pace instead of spending their
    // attempts and the client's retry quota.
    let gw = gateway(Faults::none().throttle(1.0)).await;
    let ids = gone_ids(20);
    let c = client(&gw);
    let call =
        tokio::spawn(async move { c.broadcast(ids, "x", BroadcastOptions::default()).await });
    for _ in 0..1_000 {
        if gw.fault_counts().throttled >= 80 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    gw.set_faults(Faults::none()).unwrap();
    let r = call.await.unwrap().unwrap();
    assert_eq!(
        (r.gone.len(), r.failed.len()),
        (20, 0),
        "{:?}",
        r.failed.first()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_endpoint_still_stops_early() {
    let gw = gateway(Faults::none().server_error(1.0)).await;
    let ids = gone_ids(300);
    let r = client(&gw)
        .broadcast(ids, "x", BroadcastOptions::default())
        .await
        .unwrap();
    assert_eq!(r.failed.len(), 300);
    // 3 attempts each would be 900; the retry quota allows 100 retries in all.
    assert_eq!(gw.fault_counts().requests, 300 + 100);
}
