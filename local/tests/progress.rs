//! Progress reports of a broadcast: the last one always says `done == total`, and a
//! callback that panics loses no outcome.

use apigw_management::{BroadcastOptions, Client, Progress};
use apigw_management_local::{LocalGateway, Running, new_connection_id};
use std::sync::{Arc, Mutex};

fn client(gw: &Running) -> Client {
    Client::builder()
        .endpoint(gw.endpoint())
        .region("us-east-1")
        .credentials(gw.credentials())
        .max_payload_bytes(4)
        .build()
        .expect("client")
}

fn recording() -> (Arc<Mutex<Vec<Progress>>>, BroadcastOptions) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let opts = BroadcastOptions::default().on_progress(move |p| s.lock().unwrap().push(p.clone()));
    (seen, opts)
}

#[tokio::test]
async fn the_last_report_says_done_when_no_request_was_needed() {
    let gw = LocalGateway::builder().start().await.expect("gateway");
    let (seen, opts) = recording();
    // Every message is over the client's limit: no request, every id failed.
    let items = (0..5).map(|_| (new_connection_id(), "too long"));
    let result = client(&gw).post_many(items, opts).await.unwrap();
    assert_eq!(result.failed.len(), 5);
    let seen = seen.lock().unwrap();
    let last = seen.last().expect("a final report");
    assert_eq!((last.done, last.total, last.failed), (5, 5, 5));
    assert_eq!(gw.fault_counts().requests, 0);
}

#[tokio::test]
async fn the_final_report_comes_once_after_every_outcome() {
    let gw = LocalGateway::builder().start().await.expect("gateway");
    let (seen, opts) = recording();
    let mut items: Vec<(String, &str)> = (0..20).map(|_| (new_connection_id(), "x")).collect();
    items.push((new_connection_id(), "too long"));
    let result = client(&gw).post_many(items, opts).await.unwrap();
    assert_eq!((result.gone.len(), result.failed.len()), (20, 1));
    let seen = seen.lock().unwrap();
    let finals = seen.iter().filter(|p| p.done == p.total).count();
    assert_eq!(finals, 1, "{seen:?}");
    assert_eq!(seen.last().map(|p| (p.done, p.gone)), Some((21, 20)));
}

#[tokio::test]
async fn a_panicking_callback_loses_no_outcome() {
    let gw = LocalGateway::builder().start().await.expect("gateway");
    let opts = BroadcastOptions::default().on_progress(|p| panic!("callback fails at {}", p.done));
    let ids: Vec<String> = (0..10).map(|_| new_connection_id()).collect();
    let result = client(&gw).broadcast(ids.clone(), "x", opts).await.unwrap();
    assert_eq!(result.gone, ids);
    assert_eq!((result.delivered, result.failed.len()), (0, 0));
}
