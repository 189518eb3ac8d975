//! Route events reach an in-process handler and an integration URL as complete API
//! Gateway WebSocket proxy events; `$connect`'s answer decides the handshake.

use crate::support::{Events, KEY, SECRET, client, gateway, next, open};
use apigw_management::{Client, Credentials, ErrorKind};
use bytes::Bytes;
use futures_util::SinkExt;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio_tungstenite::tungstenite::{self, Message};

/// Answers `$connect` with 401 unless `?token=good`; otherwise 200.
fn decide(event: &Value) -> Value {
    let ctx = &event["requestContext"];
    if ctx["routeKey"] == "$connect" && event["queryStringParameters"]["token"] != "good" {
        return json!({ "statusCode": 401 });
    }
    json!({ "statusCode": 200 })
}

fn assert_complete(event: &Value, route: &str, event_type: &str, id: &str) {
    let ctx = &event["requestContext"];
    assert_eq!(ctx["routeKey"], route);
    assert_eq!(ctx["eventType"], event_type);
    assert_eq!(ctx["connectionId"], id);
    assert_eq!(ctx["stage"], "prod");
    assert_eq!(ctx["messageDirection"], "IN");
    assert_eq!(ctx["identity"]["sourceIp"], "127.0.0.1");
    for field in [
        "apiId",
        "domainName",
        "requestId",
        "extendedRequestId",
        "requestTime",
    ] {
        assert!(
            ctx[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field}: {event}"
        );
    }
    for field in ["connectedAt", "requestTimeEpoch"] {
        assert!(
            ctx[field].as_u64().is_some_and(|n| n > 1_600_000_000_000),
            "{field}: {event}"
        );
    }
    assert_eq!(event["isBase64Encoded"], false);
}

#[tokio::test]
async fn the_handler_sees_every_route_and_can_answer_through_the_api() {
    let events = Events::default();
    let sink = events.clone();
    let echo: Arc<Mutex<Option<Client>>> = Arc::default();
    let echo_in = echo.clone();
    let gw = gateway()
        .api_id("abcde12345")
        .handler_fn(move |event| {
            let sink = sink.clone();
            let echo = echo_in.lock().unwrap().clone();
            async move {
                sink.push(event.clone());
                let ctx = &event["requestContext"];
                let id = ctx["connectionId"].as_str().unwrap_or_default().to_string();
                if let Some(c) = echo {
                    if ctx["routeKey"] == "$connect" {
                        // Not reachable until `$connect` has answered.
                        let e = c.post_to_connection(&id, "too early").await.unwrap_err();
                        assert_eq!(e.kind(), ErrorKind::Gone);
                    }
                    if ctx["routeKey"] == "$default" {
                        let body = event["body"].as_str().unwrap_or_default();
                        c.post_to_connection(&id, format!("echo: {body}"))
                            .await
                            .unwrap();
                    }
                }
                decide(&event)
            }
        })
        .start()
        .await
        .unwrap();
    *echo.lock().unwrap() = Some(client(&gw));

    let refused = open(&format!("{}?token=bad", gw.ws_url()), "refused")
        .await
        .unwrap_err();
    match refused {
        tungstenite::Error::Http(resp) => assert_eq!(resp.status().as_u16(), 401),
        other => panic!("expected an HTTP 401 handshake answer, got {other:?}"),
    }
    assert!(gw.connections().is_empty());

    let mut ws = open(&format!("{}?token=good&x=1", gw.ws_url()), "route-test")
        .await
        .unwrap();
    let id = gw.connection_ids().pop().unwrap();
    let connect = events.of("$connect", &id).pop().unwrap();
    assert_complete(&connect, "$connect", "CONNECT", &id);
    assert_eq!(connect["requestContext"]["apiId"], "abcde12345");
    assert_eq!(
        connect["requestContext"]["domainName"],
        gw.addr().to_string()
    );
    assert_eq!(
        connect["requestContext"]["identity"]["userAgent"],
        "route-test"
    );
    assert_eq!(
        connect["queryStringParameters"],
        json!({"token": "good", "x": "1"})
    );
    assert_eq!(connect["headers"]["User-Agent"], "route-test");
    assert_eq!(
        connect["multiValueHeaders"]["User-Agent"],
        json!(["route-test"])
    );
    assert!(connect["headers"]["Sec-Websocket-Key"].is_string());

    ws.send(Message::text(r#"{"action":"hello"}"#))
        .await
        .unwrap();
    assert_eq!(
        next(&mut ws).await,
        Some(Message::text(r#"echo: {"action":"hello"}"#))
    );
    let message = events.of("$default", &id).pop().unwrap();
    assert_complete(&message, "$default", "MESSAGE", &id);
    assert_eq!(message["body"], r#"{"action":"hello"}"#);
    assert!(message["requestContext"]["messageId"].is_string());
    assert_eq!(
        message["requestContext"]["connectedAt"],
        connect["requestContext"]["connectedAt"]
    );

    ws.close(None).await.unwrap();
    let id2 = id.clone();
    let gone = events
        .wait_for(move |e| {
            e["requestContext"]["routeKey"] == "$disconnect"
                && e["requestContext"]["connectionId"] == id2.as_str()
        })
        .await;
    assert_complete(&gone, "$disconnect", "DISCONNECT", &id);
    assert_eq!(gone["requestContext"]["disconnectStatusCode"], 1005);
    assert!(gone["requestContext"]["disconnectReason"].is_string());
}

/// A stand-in Lambda behind an integration URL: records events, answers with [`decide`].
async fn integration_server(events: Events) -> String {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let url = format!("http://{}/lambda", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let events = events.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let events = events.clone();
                    async move {
                        let body = req.into_body().collect().await?.to_bytes();
                        let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        let answer = decide(&event);
                        events.push(event);
                        Ok::<_, hyper::Error>(hyper::Response::new(Full::new(Bytes::from(
                            answer.to_string(),
                        ))))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

#[tokio::test]
async fn events_reach_an_integration_url() {
    let events = Events::default();
    let url = integration_server(events.clone()).await;
    let gw = gateway().integration_url(url).start().await.unwrap();
    assert!(open(&gw.ws_url(), "no-token").await.is_err());
    let mut ws = open(&format!("{}?token=good", gw.ws_url()), "integration")
        .await
        .unwrap();
    let id = gw.connection_ids().pop().unwrap();
    ws.send(Message::text("from the client")).await.unwrap();
    let id2 = id.clone();
    let message = events
        .wait_for(move |e| {
            e["requestContext"]["routeKey"] == "$default"
                && e["requestContext"]["connectionId"] == id2.as_str()
        })
        .await;
    assert_eq!(message["body"], "from the client");
    assert_complete(&events.of("$connect", &id)[0], "$connect", "CONNECT", &id);
    let c = Client::builder()
        .endpoint(gw.endpoint())
        .region("us-east-1")
        .credentials(Credentials::new(KEY, SECRET, None))
        .build()
        .unwrap();
    c.delete_connection(&id).await.unwrap();
    let id3 = id.clone();
    let gone = events
        .wait_for(move |e| {
            e["requestContext"]["routeKey"] == "$disconnect"
                && e["requestContext"]["connectionId"] == id3.as_str()
        })
        .await;
    assert_complete(&gone, "$disconnect", "DISCONNECT", &id);
}

#[tokio::test]
async fn an_unreachable_integration_rejects_connections() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let gw = gateway().integration_url(dead).start().await.unwrap();
    match open(&gw.ws_url(), "x").await.unwrap_err() {
        tungstenite::Error::Http(resp) => assert_eq!(resp.status().as_u16(), 500),
        other => panic!("expected HTTP 500, got {other:?}"),
    }
}

#[tokio::test]
async fn a_handler_that_panics_rejects_the_connection_and_the_gateway_goes_on() {
    let gw = gateway()
        .handler_fn(|event| async move {
            if event["queryStringParameters"]["boom"] == "1" {
                panic!("handler failure");
            }
            json!({ "statusCode": 200 })
        })
        .start()
        .await
        .unwrap();
    match open(&format!("{}?boom=1", gw.ws_url()), "boom")
        .await
        .unwrap_err()
    {
        tungstenite::Error::Http(resp) => assert_eq!(resp.status().as_u16(), 500),
        other => panic!("expected HTTP 500, got {other:?}"),
    }
    let (_ws, id) = crate::support::connect(&gw, "fine").await;
    client(&gw)
        .post_to_connection(&id, "still serving")
        .await
        .unwrap();
}
