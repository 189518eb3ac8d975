//! What the gateway tests share: a gateway with test keys, a signing client, WebSocket
//! clients that know their connection id.

use apigw_management::{Client, Credentials};
use apigw_management_local::{GatewayBuilder, LocalGateway, Running};
use futures_util::StreamExt;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const KEY: &str = "AKIDGATEWAYTEST";
pub const SECRET: &str = "gateway-test-secret";
pub const WAIT: Duration = Duration::from_secs(5);

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A gateway builder that accepts the test keys.
pub fn gateway() -> GatewayBuilder {
    LocalGateway::builder().credentials(KEY, SECRET)
}

/// A client signing with the test keys, one attempt, short timeouts.
pub fn client(gw: &Running) -> Client {
    client_for(&gw.endpoint(), SECRET)
}

/// A client for `endpoint` signing with `secret`.
pub fn client_for(endpoint: &str, secret: &str) -> Client {
    Client::builder()
        .endpoint(endpoint)
        .region("us-east-1")
        .credentials(Credentials::new(KEY, secret, None))
        .max_attempts(1)
        .timeout(WAIT)
        .connect_timeout(WAIT)
        .build()
        .expect("client")
}

/// Opens a WebSocket with this User-Agent (and query string).
pub async fn open(url: &str, user_agent: &str) -> Result<Ws, tungstenite::Error> {
    let mut req = url.into_client_request()?;
    req.headers_mut()
        .insert("user-agent", user_agent.parse().expect("header value"));
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

/// Connects a client and returns it with its connection id.
pub async fn connect(gw: &Running, user_agent: &str) -> (Ws, String) {
    let ws = open(&gw.ws_url(), user_agent)
        .await
        .expect("websocket connects");
    let id = gw
        .connections()
        .into_iter()
        .find(|c| c.user_agent == user_agent)
        .map(|c| c.connection_id)
        .expect("the gateway lists the new connection");
    (ws, id)
}

/// The next data or close message (pings and pongs skipped), within [`WAIT`].
pub async fn next(ws: &mut Ws) -> Option<Message> {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await {
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(m))) => return Some(m),
            Ok(Some(Err(_)) | None) => return None,
            Err(_) => panic!("no message within {WAIT:?}"),
        }
    }
}

/// The close code the client received, if the next message is a close frame.
pub async fn close_code(ws: &mut Ws) -> Option<u16> {
    match next(ws).await {
        Some(Message::Close(Some(frame))) => Some(u16::from(frame.code)),
        _ => None,
    }
}

/// Route events collected by a handler.
#[derive(Clone, Default)]
pub struct Events(pub Arc<Mutex<Vec<Value>>>);

impl Events {
    pub fn push(&self, e: Value) {
        self.0.lock().unwrap().push(e);
    }

    /// Waits for an event matching `pred`.
    pub async fn wait_for(&self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(e) = self.0.lock().unwrap().iter().find(|e| pred(e)) {
                return e.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no such event within {WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Events of one route for one connection.
    pub fn of(&self, route: &str, id: &str) -> Vec<Value> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| {
                e["requestContext"]["routeKey"] == route
                    && e["requestContext"]["connectionId"] == id
            })
            .cloned()
            .collect()
    }
}
