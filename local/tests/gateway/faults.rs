//! Injected faults change what the caller and the WebSocket client see, reproducibly.

use crate::support::{KEY, SECRET, client, connect, gateway, next};
use apigw_management::{Client, Credentials, ErrorKind};
use apigw_management_local::Faults;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn throttling_and_server_errors_are_answered_as_the_service_does() {
    let gw = gateway()
        .faults(Faults::none().throttle(1.0))
        .start()
        .await
        .unwrap();
    let (_ws, id) = connect(&gw, "faults").await;
    let c = client(&gw);
    let e = c.post_to_connection(&id, "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
    assert_eq!(e.code(), Some("LimitExceededException"));
    assert!(e.is_retryable());
    gw.set_faults(Faults::none().server_error(1.0)).unwrap();
    let e = c.get_connection(&id).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::Service, Some(500)),
        "{e}"
    );
    assert_eq!(e.code(), Some("InternalServerErrorException"));
    gw.set_faults(Faults::none()).unwrap();
    c.post_to_connection(&id, "x").await.unwrap();
    assert!(gw.set_faults(Faults::none().throttle(2.0)).is_err());
}

#[tokio::test]
async fn a_drop_before_delivery_loses_the_message_and_a_drop_after_does_not() {
    let gw = gateway()
        .faults(Faults::none().drop_before(1.0))
        .start()
        .await
        .unwrap();
    let (mut ws, id) = connect(&gw, "drops").await;
    let c = client(&gw);
    let e = c.post_to_connection(&id, "lost").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    gw.set_faults(Faults::none().drop_after(1.0)).unwrap();
    let e = c.post_to_connection(&id, "delivered").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    // Only the second message reached the client.
    assert_eq!(next(&mut ws).await, Some(Message::text("delivered")));
    gw.set_faults(Faults::none()).unwrap();
    c.post_to_connection(&id, "after").await.unwrap();
    assert_eq!(next(&mut ws).await, Some(Message::text("after")));
}

#[tokio::test]
async fn added_latency_delays_answers() {
    let faults = Faults::none().latency(Duration::from_millis(150), Duration::ZERO);
    let gw = gateway().faults(faults).start().await.unwrap();
    let (_ws, id) = connect(&gw, "slow").await;
    let started = Instant::now();
    client(&gw).get_connection(&id).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
}

/// The outcomes of 40 posts, one at a time, under a seeded schedule.
async fn outcomes(seed: u64) -> Vec<Option<ErrorKind>> {
    let faults = Faults::none().seed(seed).throttle(0.3).server_error(0.2);
    let gw = gateway().faults(faults).start().await.unwrap();
    let (_ws, id) = connect(&gw, "seeded").await;
    let c = client(&gw);
    let mut out = Vec::new();
    for i in 0..40 {
        out.push(
            c.post_to_connection(&id, format!("{i}"))
                .await
                .err()
                .map(|e| e.kind()),
        );
    }
    out
}

#[tokio::test]
async fn the_schedule_is_the_same_for_the_same_seed() {
    let a = outcomes(7).await;
    assert_eq!(a, outcomes(7).await);
    assert_ne!(a, outcomes(8).await);
    assert!(a.contains(&Some(ErrorKind::LimitExceeded)));
    assert!(a.contains(&Some(ErrorKind::Service)));
    assert!(a.contains(&None));
}

#[tokio::test]
async fn retries_carry_a_broadcast_through_throttling() {
    let gw = gateway()
        .faults(Faults::none().seed(3).throttle(0.3))
        .start()
        .await
        .unwrap();
    let mut clients = Vec::new();
    for i in 0..10 {
        clients.push(connect(&gw, &format!("r{i}")).await);
    }
    let c = Client::builder()
        .endpoint(gw.endpoint())
        .region("us-east-1")
        .credentials(Credentials::new(KEY, SECRET, None))
        .max_attempts(8)
        .retry_base_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    let ids: Vec<String> = clients.iter().map(|(_, id)| id.clone()).collect();
    let result = c
        .broadcast(ids, "through", Default::default())
        .await
        .unwrap();
    assert_eq!(result.delivered, 10, "{:?}", result.failed);
    for (ws, _) in &mut clients {
        assert_eq!(next(ws).await, Some(Message::text("through")));
    }
}

#[tokio::test]
async fn the_rate_limit_throttles_every_request_past_the_burst_whatever_its_answer() {
    // A bucket of 5 that refills at one token per 1,000 s: 5 requests pass, then 429s.
    let gw = gateway()
        .faults(Faults::none().rate_limit(0.001, 5))
        .start()
        .await
        .unwrap();
    let (_ws, id) = connect(&gw, "limited").await;
    let c = client(&gw);
    let mut kinds = std::collections::BTreeMap::new();
    for n in 0..12 {
        // Live and gone ids alike: the limit is the account's, not the connection's.
        let target = if n % 2 == 0 {
            id.as_str()
        } else {
            "R29uZUdvbmVHb25lMQ="
        };
        let kind = match c.post_to_connection(target, "x").await {
            Ok(_) => "delivered".to_string(),
            Err(e) => format!("{:?}", e.kind()),
        };
        *kinds.entry(kind).or_insert(0) += 1;
    }
    let want = [("Gone", 2), ("LimitExceeded", 7), ("delivered", 3)];
    assert_eq!(kinds, want.map(|(k, n)| (k.to_string(), n)).into());
    let counts = gw.fault_counts();
    assert_eq!((counts.requests, counts.rate_limited), (12, 7));
    // A bad signature is throttled too once the bucket is empty.
    let wrong = crate::support::client_for(&gw.endpoint(), "not-the-secret");
    let e = wrong.get_connection(&id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
    gw.set_faults(Faults::none()).unwrap();
    c.post_to_connection(&id, "x").await.unwrap();
}
