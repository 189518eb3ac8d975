//! Client behaviour that a single vector cannot express: concurrency bounds, deadlines,
//! progress, the retry quota, unreachable endpoints, and secrets kept out of every
//! message.

use apigw_management::{BroadcastOptions, Client, Credentials, ErrorKind};
use apigw_management_local::{Script, ScriptServer, ScriptedResponse, Verifier};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const KEY: &str = "AKIDLOCAL";
const SECRET: &str = "local-secret";

async fn server(answer: ScriptedResponse) -> ScriptServer {
    let mut script = Script::default();
    script.responses.insert("*".into(), vec![answer]);
    ScriptServer::start(script, Verifier::new(KEY, SECRET))
        .await
        .expect("scripted server")
}

fn client(endpoint: &str) -> apigw_management::ClientBuilder {
    Client::builder()
        .endpoint(endpoint)
        .region("us-east-1")
        .credentials(Credentials::new(KEY, SECRET, None))
        .retry_base_delay(Duration::from_millis(1))
}

fn ok_after(ms: u64) -> ScriptedResponse {
    ScriptedResponse {
        status: 200,
        delay_ms: ms,
        ..Default::default()
    }
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("conn-{i}=")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_keeps_at_most_concurrency_in_flight() {
    let srv = server(ok_after(5)).await;
    let c = client(&srv.endpoint()).build().unwrap();
    let r = c
        .broadcast(ids(200), "x", BroadcastOptions::default().concurrency(8))
        .await
        .unwrap();
    assert_eq!(r.delivered, 200);
    assert!(r.is_ok());
    assert_eq!(srv.requests().len(), 200);
    let max = srv.max_in_flight();
    assert!((2..=8).contains(&max), "max in flight {max}");
    assert!(srv.requests().iter().all(|r| r.signature_error.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_reports_progress_for_every_connection() {
    let srv = server(ok_after(0)).await;
    let c = client(&srv.endpoint()).build().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let last_done = Arc::new(AtomicUsize::new(0));
    let (calls2, last2) = (calls.clone(), last_done.clone());
    let opts = BroadcastOptions::default().on_progress(move |p| {
        calls2.fetch_add(1, Ordering::SeqCst);
        last2.fetch_max(p.done, Ordering::SeqCst);
        assert_eq!(p.total, 50);
        assert_eq!(p.done, p.delivered + p.gone + p.failed);
    });
    let r = c.broadcast(ids(50), "x", opts).await.unwrap();
    assert_eq!(r.delivered, 50);
    assert_eq!(calls.load(Ordering::SeqCst), 50);
    assert_eq!(last_done.load(Ordering::SeqCst), 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_deadline_bounds_the_call() {
    let srv = server(ScriptedResponse {
        action: Some("hang".into()),
        ..Default::default()
    })
    .await;
    let c = client(&srv.endpoint())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let started = Instant::now();
    let r = c
        .broadcast(
            ids(100),
            "x",
            BroadcastOptions::default()
                .concurrency(10)
                .deadline(Duration::from_millis(300)),
        )
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.delivered, 0);
    assert_eq!(r.failed.len(), 100);
    assert!(r.failed.iter().all(|(_, e)| e.kind() == ErrorKind::Timeout));
    // Only the first ten were sent: the rest never started.
    assert_eq!(srv.requests().len(), 10);
    let ordered: Vec<&str> = r.failed.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ordered,
        ids(100).iter().map(String::as_str).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_quota_stops_a_dead_endpoint_from_multiplying_traffic() {
    let srv = server(ScriptedResponse {
        status: 500,
        ..Default::default()
    })
    .await;
    let c = client(&srv.endpoint()).max_attempts(3).build().unwrap();
    let mut quota_stops = 0;
    for i in 0..200 {
        let e = c
            .post_to_connection(&format!("c{i}="), "x")
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(500));
        if e.message().contains("retry quota") {
            quota_stops += 1;
        }
    }
    // 500 tokens at 5 a retry: 100 retries in all, then no more.
    let sent = srv.requests().len();
    assert_eq!(sent, 200 + 100, "requests sent");
    assert_eq!(quota_stops, 200 - 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_listening_is_a_connect_error_after_all_attempts() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client(&format!("http://127.0.0.1:{port}/prod"))
        .connect_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let e = c.post_to_connection("a=", "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect);
    assert_eq!(e.attempts(), 3);
    assert!(e.is_retryable());
    assert_eq!(e.status(), None);
    assert!(e.to_string().contains(&format!("127.0.0.1:{port}")), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_appear_in_no_message() {
    let secret = "wJalrXUtnFEMI-SECRET-VALUE";
    let token = "FwoGZXIvYXdzEXAMPLE-SESSION-TOKEN";
    let mut texts = Vec::new();
    for answer in [
        ScriptedResponse {
            status: 403,
            headers: [(
                "x-amzn-ErrorType".to_string(),
                "InvalidSignatureException".to_string(),
            )]
            .into(),
            body: Some(
                r#"{"message":"The request signature we calculated does not match"}"#.into(),
            ),
            ..Default::default()
        },
        ScriptedResponse {
            status: 500,
            ..Default::default()
        },
        ScriptedResponse {
            status: 410,
            ..Default::default()
        },
        ScriptedResponse {
            action: Some("hang".into()),
            ..Default::default()
        },
        ScriptedResponse {
            action: Some("close".into()),
            ..Default::default()
        },
        ScriptedResponse {
            action: Some("raw".into()),
            raw: Some("nonsense\r\n\r\n".into()),
            ..Default::default()
        },
    ] {
        let srv = server(answer).await;
        let c = Client::builder()
            .endpoint(srv.endpoint())
            .region("us-east-1")
            .credentials(Credentials::new(KEY, secret, Some(token.to_string())))
            .timeout(Duration::from_millis(200))
            .retry_base_delay(Duration::from_millis(1))
            .max_attempts(2)
            .build()
            .unwrap();
        texts.push(format!("{c:?}"));
        for e in [
            c.post_to_connection("a=", "x").await.unwrap_err(),
            c.get_connection("a=").await.unwrap_err(),
            c.post_to_connection("", "x").await.unwrap_err(),
        ] {
            texts.push(format!("{e} {e:?} {:?}", std::error::Error::source(&e)));
        }
        // The server did receive the token: the client signs with it.
        assert!(
            srv.requests()
                .iter()
                .all(|r| r.header("x-amz-security-token") == Some(token))
        );
    }
    for t in &texts {
        assert!(!t.contains(secret), "secret in {t}");
        assert!(!t.contains(token), "token in {t}");
        assert!(!t.contains("Signature="), "signature in {t}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_go_through_a_configured_proxy() {
    let proxy = server(ok_after(0)).await;
    let c = client("http://127.0.0.1:9/prod")
        .proxy(format!("http://{}", proxy.addr()))
        .max_attempts(1)
        .build()
        .unwrap();
    // The proxy (a scripted server) answers 403 to a path that is not its own.
    let e = c.post_to_connection("a=", "via proxy").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "http://127.0.0.1:9/prod/@connections/a%3D");
    assert_eq!(seen[0].header("host"), Some("127.0.0.1:9"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_reports_status_request_id_and_attempts() {
    let mut script = Script::default();
    script.responses.insert(
        "a=".into(),
        vec![
            ScriptedResponse {
                status: 503,
                ..Default::default()
            },
            ScriptedResponse {
                status: 200,
                headers: [("x-amzn-RequestId".to_string(), "req-ok".to_string())].into(),
                ..Default::default()
            },
        ],
    );
    script.responses.insert(
        "b=".into(),
        vec![ScriptedResponse {
            status: 204,
            ..Default::default()
        }],
    );
    let srv = ScriptServer::start(script, Verifier::new(KEY, SECRET))
        .await
        .unwrap();
    let c = client(&srv.endpoint()).build().unwrap();
    let m = c.post_to_connection("a=", "x").await.unwrap();
    assert_eq!(
        (m.status, m.request_id.as_deref(), m.attempts),
        (200, Some("req-ok"), 2)
    );
    let m = c.delete_connection("b=").await.unwrap();
    assert_eq!((m.status, m.attempts), (204, 1));
    assert!(m.request_id.is_some());
}
