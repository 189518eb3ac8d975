//! Cancelling a broadcast stops the work: once the cancelled future is dropped (a
//! timeout, an aborted task), no new request reaches the gateway beyond those already in
//! flight, and the progress callback is not called again.

use apigw_management::{BroadcastOptions, Client, Progress};
use apigw_management_local::{Faults, LocalGateway, Running, new_connection_id};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const IN_FLIGHT: usize = 8;

/// A gateway answering every request after 50 ms (the ids are unknown: 410 each).
async fn slow_gateway() -> Running {
    LocalGateway::builder()
        .faults(Faults::none().latency(Duration::from_millis(50), Duration::ZERO))
        .start()
        .await
        .expect("gateway")
}

fn client(gw: &Running) -> Client {
    Client::builder()
        .endpoint(gw.endpoint())
        .region("us-east-1")
        .credentials(gw.credentials())
        .build()
        .expect("client")
}

/// Requests received so far, then again after the broadcast had time to go on.
async fn requests_after(gw: &Running) -> (u64, u64) {
    let at_cancel = gw.fault_counts().requests;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = gw.fault_counts().requests;
    eprintln!(
        "requests after the cancel: {} ({IN_FLIGHT} in flight)",
        later - at_cancel
    );
    (at_cancel, later)
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|_| new_connection_id()).collect()
}

fn counting() -> (Arc<AtomicUsize>, BroadcastOptions) {
    let reports = Arc::new(AtomicUsize::new(0));
    let r = reports.clone();
    let opts = BroadcastOptions::default()
        .concurrency(IN_FLIGHT)
        .on_progress(move |_: &Progress| {
            r.fetch_add(1, Ordering::SeqCst);
        });
    (reports, opts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_broadcast_sends_nothing_more() {
    let gw = slow_gateway().await;
    let c = client(&gw);
    let (reports, opts) = counting();
    let call = c.broadcast(ids(2_000), "x", opts);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), call)
            .await
            .is_err(),
        "the broadcast should still be running"
    );
    let reports_at_cancel = reports.load(Ordering::SeqCst);
    let (at_cancel, later) = requests_after(&gw).await;
    assert!(
        at_cancel >= IN_FLIGHT as u64,
        "{at_cancel} requests before the cancel"
    );
    assert!(
        later - at_cancel <= IN_FLIGHT as u64,
        "{} requests arrived after the cancel",
        later - at_cancel
    );
    assert_eq!(reports.load(Ordering::SeqCst), reports_at_cancel);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_task_sends_nothing_more() {
    let gw = slow_gateway().await;
    let c = client(&gw);
    let (reports, opts) = counting();
    let task = tokio::spawn(async move {
        c.post_many(ids(2_000).into_iter().map(|id| (id, "x")), opts)
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let reports_at_cancel = reports.load(Ordering::SeqCst);
    let (at_cancel, later) = requests_after(&gw).await;
    assert!(
        later - at_cancel <= IN_FLIGHT as u64,
        "{} requests arrived after the cancel",
        later - at_cancel
    );
    assert_eq!(reports.load(Ordering::SeqCst), reports_at_cancel);
}
