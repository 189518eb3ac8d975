//! Failures before anything was written are safe to retry: a TLS handshake the server
//! cuts short, and a handshake that never completes (bounded by `connect_timeout`, which
//! covers DNS, TCP and TLS together), even for a post with `retry_ambiguous` off.

use apigw_management::{Client, Credentials, ErrorKind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;

/// A listener on 127.0.0.1:0 that counts connections and closes each at once (`hold`
/// false) or keeps it open without a word (`hold` true); stops with the test.
async fn listener(hold: bool) -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("https://{}/prod", l.local_addr().expect("addr"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        for _ in 0..100 {
            let Ok((stream, _)) = l.accept().await else {
                return;
            };
            count.fetch_add(1, Ordering::SeqCst);
            if hold {
                held.push(stream);
            }
        }
    });
    (endpoint, accepted)
}

fn client(endpoint: &str, connect_timeout_ms: u64, timeout_ms: u64) -> Client {
    Client::builder()
        .endpoint(endpoint)
        .region("us-east-1")
        .credentials(Credentials::new("AKIDLOCAL", "local-secret", None))
        .retry_base_delay(Duration::from_millis(1))
        .retry_ambiguous(false)
        .connect_timeout(Duration::from_millis(connect_timeout_ms))
        .timeout(Duration::from_millis(timeout_ms))
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_handshake_cut_short_is_retried_as_safe() {
    let (endpoint, accepted) = listener(false).await;
    let c = client(&endpoint, 200, 10_000);
    let e = c.post_to_connection("abc=", "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    assert_eq!(e.attempts(), 3, "{e}");
    assert!(e.is_retryable());
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_handshake_that_never_completes_is_bounded_by_the_connect_timeout() {
    let (endpoint, accepted) = listener(true).await;
    let c = client(&endpoint, 200, 10_000);
    let e = c.post_to_connection("abc=", "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.message().contains("could not connect"), "{e}");
    assert!(!e.message().contains("may have been delivered"), "{e}");
    assert_eq!(e.attempts(), 3, "{e}");
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_timeout_before_the_request_was_written_is_not_possibly_delivered() {
    let (endpoint, accepted) = listener(true).await;
    // The call's timeout fires while the handshake still waits.
    let c = client(&endpoint, 10_000, 200);
    let e = c.post_to_connection("abc=", "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(!e.message().contains("may have been delivered"), "{e}");
    assert_eq!(e.attempts(), 3, "{e}");
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}
