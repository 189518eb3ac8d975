//! How connections end: DeleteConnection, the client's own close, a binary frame, the
//! idle timeout, the maximum duration, the gateway stopping; each followed by
//! `$disconnect`.

use crate::support::{Events, client, close_code, connect, gateway, next};
use apigw_management::ErrorKind;
use apigw_management_local::Running;
use futures_util::SinkExt;
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

async fn recording(builder: apigw_management_local::GatewayBuilder) -> (Running, Events) {
    let events = Events::default();
    let sink = events.clone();
    let gw = builder
        .handler_fn(move |e| {
            let sink = sink.clone();
            async move {
                sink.push(e);
                json!({ "statusCode": 200 })
            }
        })
        .start()
        .await
        .unwrap();
    (gw, events)
}

fn disconnect_of(id: &str) -> impl Fn(&serde_json::Value) -> bool {
    let id = id.to_string();
    move |e| {
        e["requestContext"]["routeKey"] == "$disconnect"
            && e["requestContext"]["connectionId"] == id.as_str()
    }
}

#[tokio::test]
async fn delete_closes_the_client_and_emits_disconnect() {
    let (gw, events) = recording(gateway()).await;
    let (mut ws, id) = connect(&gw, "delete").await;
    let c = client(&gw);
    c.delete_connection(&id).await.unwrap();
    assert_eq!(close_code(&mut ws).await, Some(1000));
    let e = c.post_to_connection(&id, "after").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Gone);
    assert_eq!(
        c.delete_connection(&id).await.unwrap_err().kind(),
        ErrorKind::Gone
    );
    let d = events.wait_for(disconnect_of(&id)).await;
    assert_eq!(d["requestContext"]["eventType"], "DISCONNECT");
    assert_eq!(d["requestContext"]["disconnectStatusCode"], 1000);
    assert!(gw.connections().is_empty());
    assert_eq!(events.of("$connect", &id).len(), 1);
}

#[tokio::test]
async fn a_client_close_emits_disconnect_with_its_code() {
    let (gw, events) = recording(gateway()).await;
    let (mut ws, id) = connect(&gw, "bye").await;
    ws.close(Some(CloseFrame {
        code: CloseCode::Away,
        reason: "leaving".into(),
    }))
    .await
    .unwrap();
    let d = events.wait_for(disconnect_of(&id)).await;
    assert_eq!(d["requestContext"]["disconnectStatusCode"], 1001);
    assert_eq!(d["requestContext"]["disconnectReason"], "leaving");
    let e = client(&gw).get_connection(&id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Gone);
}

#[tokio::test]
async fn a_binary_frame_from_the_client_closes_it_with_1003() {
    let (gw, events) = recording(gateway()).await;
    let (mut ws, id) = connect(&gw, "binary").await;
    ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(close_code(&mut ws).await, Some(1003));
    let d = events.wait_for(disconnect_of(&id)).await;
    assert_eq!(d["requestContext"]["disconnectStatusCode"], 1003);
    assert!(events.of("$default", &id).is_empty());
}

#[tokio::test]
async fn a_frame_over_32_kib_closes_the_client_with_1009() {
    let (gw, events) = recording(gateway()).await;
    let (mut ws, id) = connect(&gw, "huge").await;
    let within = "a".repeat(20 * 1024);
    ws.send(Message::text(within.clone())).await.unwrap();
    // A 20 KiB frame is within the limit: it arrives whole as a $default event.
    let arrived = events
        .wait_for(|e| e["requestContext"]["routeKey"] == "$default")
        .await;
    assert_eq!(arrived["requestContext"]["connectionId"], id.as_str());
    assert_eq!(arrived["body"], within.as_str());
    // 32 KiB frames are the limit: a 40 KiB frame is refused.
    let _ = ws.send(Message::text("a".repeat(40 * 1024))).await;
    assert_eq!(close_code(&mut ws).await, Some(1009));
    assert_eq!(events.of("$default", &id).len(), 1);
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let (gw, events) = recording(gateway().idle_timeout(Duration::from_millis(300))).await;
    let (mut busy, busy_id) = connect(&gw, "busy").await;
    let (mut idle, idle_id) = connect(&gw, "idle").await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        busy.send(Message::text("still here")).await.unwrap();
    }
    assert_eq!(close_code(&mut idle).await, Some(1001));
    let d = events.wait_for(disconnect_of(&idle_id)).await;
    assert_eq!(d["requestContext"]["disconnectStatusCode"], 1001);
    assert!(gw.connections().iter().any(|c| c.connection_id == busy_id));
    assert_eq!(close_code(&mut busy).await, Some(1001));
}

#[tokio::test]
async fn connections_end_at_the_maximum_duration() {
    let gw = gateway()
        .max_duration(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let (mut ws, _id) = connect(&gw, "short").await;
    ws.send(Message::text("hi")).await.unwrap();
    assert_eq!(close_code(&mut ws).await, Some(1001));
}

#[tokio::test]
async fn stopping_the_gateway_closes_every_client() {
    let (gw, events) = recording(gateway()).await;
    let (mut a, a_id) = connect(&gw, "a").await;
    let (mut b, _) = connect(&gw, "b").await;
    let addr = gw.addr();
    drop(gw);
    assert_eq!(close_code(&mut a).await, Some(1001));
    assert_eq!(close_code(&mut b).await, Some(1001));
    events.wait_for(disconnect_of(&a_id)).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still listening"
    );
    assert!(next(&mut a).await.is_none());
}

#[tokio::test]
async fn delete_closes_a_client_that_is_not_reading_with_1000_after_its_messages() {
    let gw = gateway()
        .client_buffer_bytes(256 * 1024)
        .start()
        .await
        .unwrap();
    let (mut ws, id) = connect(&gw, "not-reading").await;
    let c = client(&gw);
    // Fill the socket and the gateway's queue until the client's buffer is full.
    let chunk = vec![b'x'; 128 * 1024];
    let mut accepted = 0usize;
    loop {
        match c.post_to_connection(&id, chunk.clone()).await {
            Ok(_) => accepted += 1,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
                break;
            }
        }
        assert!(accepted < 10_000, "the client's buffer never filled");
    }
    c.delete_connection(&id).await.unwrap();
    // The client starts reading only now: messages, then the close frame with 1000.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut messages = 0usize;
    let code = loop {
        match next(&mut ws).await {
            Some(Message::Close(frame)) => {
                break frame.map(|f| u16::from(f.code));
            }
            Some(_) => messages += 1,
            None => break None,
        }
    };
    assert_eq!(code, Some(1000), "after {messages} of {accepted} messages");
    assert!(messages >= 1, "{messages} of {accepted}");
}
