//! Error answers as the service gives them: 410, 413, 403 (Forbidden and the signature
//! errors), 429 for a client that does not read; headers and bodies on the wire.

use crate::support::{KEY, SECRET, WAIT, client, client_for, connect, gateway, open};
use apigw_management::{AttemptInfo, Client, Credentials, ErrorKind};
use std::sync::{Arc, Mutex};

#[tokio::test]
async fn unknown_ids_are_gone() {
    let gw = gateway().start().await.unwrap();
    let c = client(&gw);
    for e in [
        c.post_to_connection("AAAAAAAAAAAAAAA=", "x")
            .await
            .unwrap_err(),
        c.get_connection("AAAAAAAAAAAAAAA=").await.unwrap_err(),
        c.delete_connection("AAAAAAAAAAAAAAA=").await.unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::Gone, "{e}");
        assert_eq!(e.status(), Some(410));
        assert_eq!(e.code(), Some("GoneException"));
        assert!(e.request_id().is_some());
    }
}

#[tokio::test]
async fn a_bare_410_carries_only_the_error_type_header() {
    let gw = gateway().verify(false).start().await.unwrap();
    let url = format!("{}/@connections/AAAAAAAAAAAAAAA%3D", gw.endpoint());
    let resp = reqwest::Client::new()
        .post(url)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 410);
    assert_eq!(resp.headers()["x-amzn-ErrorType"], "GoneException");
    assert!(resp.headers().contains_key("x-amzn-RequestId"));
    assert!(resp.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn bodies_over_131072_bytes_are_too_large() {
    let gw = gateway().start().await.unwrap();
    let (_ws, id) = connect(&gw, "big").await;
    let c = Client::builder()
        .endpoint(gw.endpoint())
        .region("us-east-1")
        .credentials(Credentials::new(KEY, SECRET, None))
        .max_attempts(1)
        .max_payload_bytes(1 << 20)
        .build()
        .unwrap();
    let e = c
        .post_to_connection(&id, vec![b'a'; 131_073])
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PayloadTooLarge, "{e}");
    assert_eq!(e.status(), Some(413));
    assert_eq!(e.code(), Some("PayloadTooLargeException"));
    c.post_to_connection(&id, vec![b'a'; 131_072])
        .await
        .unwrap();
}

#[tokio::test]
async fn unknown_stages_and_paths_are_forbidden() {
    let gw = gateway().start().await.unwrap();
    let (_ws, id) = connect(&gw, "stage").await;
    let wrong_stage = format!("http://{}/dev", gw.addr());
    let e = client_for(&wrong_stage, SECRET)
        .post_to_connection(&id, "x")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e}");
    assert_eq!(e.code(), Some("ForbiddenException"));
    assert_eq!(e.message(), "Forbidden");
    let resp = reqwest::get(format!("{}/nothing/here", gw.endpoint()))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(resp.headers()["x-amzn-ErrorType"], "ForbiddenException");
    assert!(resp.headers().contains_key("x-amzn-RequestId"));
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.text().await.unwrap(), r#"{"message":"Forbidden"}"#);
    assert!(open(&format!("ws://{}/dev", gw.addr()), "x").await.is_err());
}

#[tokio::test]
async fn percent_encoded_connections_segment_routes_the_same() {
    let gw = gateway().verify(false).start().await.unwrap();
    let (_ws, id) = connect(&gw, "pct").await;
    let encoded = id.replace('=', "%3D");
    let url = format!("{}/%40connections/{encoded}", gw.endpoint());
    let resp = reqwest::get(url).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(body["identity"]["userAgent"], "pct");
    assert!(body["connectedAt"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn a_wrong_secret_is_an_invalid_signature() {
    let gw = gateway().start().await.unwrap();
    let (_ws, id) = connect(&gw, "sig").await;
    let e = client_for(&gw.endpoint(), "not-the-secret")
        .post_to_connection(&id, "x")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e}");
    assert_eq!(e.status(), Some(403));
    assert_eq!(e.code(), Some("InvalidSignatureException"));
    assert!(
        e.message()
            .contains("signature we calculated does not match"),
        "{e}"
    );
}

#[tokio::test]
async fn unsigned_requests_are_refused_unless_verification_is_off() {
    let gw = gateway().start().await.unwrap();
    let (_ws, id) = connect(&gw, "unsigned").await;
    let url = format!("{}/@connections/{}", gw.endpoint(), id.replace('=', "%3D"));
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(
        resp.headers()["x-amzn-ErrorType"],
        "MissingAuthenticationTokenException"
    );
    let open_gw = gateway().verify(false).start().await.unwrap();
    let (_ws, id) = connect(&open_gw, "unsigned").await;
    let url = format!(
        "{}/@connections/{}",
        open_gw.endpoint(),
        id.replace('=', "%3D")
    );
    assert_eq!(
        reqwest::Client::new()
            .post(url)
            .body("hi")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
}

/// Runs one call with the client's clock off by `offset_ms`; the messages of the failed
/// attempts.
async fn skewed(offset_ms: i64) -> Vec<String> {
    let gw = gateway().start().await.unwrap();
    let (_ws, id) = connect(&gw, "skew").await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let c = Client::builder()
        .endpoint(gw.endpoint())
        .region("us-east-1")
        .credentials(Credentials::new(KEY, SECRET, None))
        .max_attempts(1)
        .clock_offset(offset_ms)
        .on_attempt(Arc::new(move |a: &AttemptInfo<'_>| {
            if let Some(e) = a.error {
                log.lock().unwrap().push(e.message().to_string());
            }
        }))
        .build()
        .unwrap();
    // The core corrects its clock from the answer's Date and tries once more.
    c.get_connection(&id).await.unwrap();
    seen.lock().unwrap().clone()
}

#[tokio::test]
async fn skewed_signatures_get_the_service_messages() {
    let late = skewed(-10 * 60 * 1000).await;
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(late[0].starts_with("Signature expired: "), "{late:?}");
    assert!(late[0].ends_with(" - 5 min.)"), "{late:?}");
    let early = skewed(10 * 60 * 1000).await;
    assert_eq!(early.len(), 1, "{early:?}");
    assert!(
        early[0].starts_with("Signature not yet current: "),
        "{early:?}"
    );
    assert!(early[0].ends_with(" + 5 min.)"), "{early:?}");
}

#[tokio::test]
async fn a_client_that_does_not_read_gets_429_buffer_full() {
    let gw = gateway()
        .client_buffer_bytes(256 * 1024)
        .start()
        .await
        .unwrap();
    // Connected, never read from.
    let (_ws, id) = connect(&gw, "slow").await;
    let c = client(&gw);
    let chunk = vec![b'x'; 128 * 1024];
    let deadline = tokio::time::Instant::now() + WAIT * 4;
    let e = loop {
        match c.post_to_connection(&id, chunk.clone()).await {
            Ok(_) => assert!(tokio::time::Instant::now() < deadline, "never refused"),
            Err(e) => break e,
        }
    };
    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
    assert_eq!(e.status(), Some(429));
    assert_eq!(e.code(), Some("LimitExceededException"));
    assert!(e.message().to_lowercase().contains("buffer is full"), "{e}");
    // Other connections are not affected.
    let (_other, other) = connect(&gw, "fast").await;
    c.post_to_connection(&other, "fine").await.unwrap();
}

#[tokio::test]
async fn a_signature_without_host_is_refused_with_403_and_the_gateway_keeps_serving() {
    let gw = gateway().start().await.unwrap();
    let (_ws, id) = connect(&gw, "no-host").await;
    let url = format!("{}/@connections/{}", gw.endpoint(), id.replace('=', "%3D"));
    let now = apigw_management_local::format_amz_date(std::time::SystemTime::now());
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={KEY}/{}/us-east-1/execute-api/aws4_request, \
         SignedHeaders=x-amz-date, Signature={}",
        &now[..8],
        "0".repeat(64)
    );
    let http = reqwest::Client::new();
    for _ in 0..3 {
        let resp = http
            .get(&url)
            .header("x-amz-date", &now)
            .header("authorization", &auth)
            .send()
            .await
            .expect("an answer, not a dropped connection");
        assert_eq!(resp.status().as_u16(), 403);
        assert_eq!(
            resp.headers()["x-amzn-ErrorType"],
            "InvalidSignatureException"
        );
    }
    client(&gw).get_connection(&id).await.unwrap();
}

#[tokio::test]
async fn a_credential_scope_for_another_region_is_refused_with_403() {
    let gw = gateway().region("us-east-1").start().await.unwrap();
    let (_ws, id) = connect(&gw, "region").await;
    client(&gw).get_connection(&id).await.unwrap();
    let elsewhere = Client::builder()
        .endpoint(gw.endpoint())
        .region("eu-west-1")
        .credentials(Credentials::new(KEY, SECRET, None))
        .max_attempts(1)
        .build()
        .unwrap();
    let e = elsewhere.post_to_connection(&id, "x").await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::Forbidden, Some(403)),
        "{e}"
    );
    assert_eq!(e.code(), Some("InvalidSignatureException"));
    assert!(e.message().contains("valid region"), "{e}");
}
