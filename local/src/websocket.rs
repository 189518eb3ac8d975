//! The WebSocket side: the handshake at `/{stage}` (after `$connect` accepts it), then one
//! task per connection that writes posted messages, reads the client's messages into
//! `$default` events, enforces the service's limits and ends with `$disconnect`.

use crate::answers::{self, Body};
use crate::events::EventSource;
use crate::management;
use crate::registry::{Conn, Outbound};
use crate::server::Shared;
use crate::wire::ServiceError;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{HeaderValue, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

/// The largest frame, in either direction (larger messages are sent in several frames).
pub const MAX_FRAME_BYTES: usize = 32 * 1024;
/// The largest message a client may send.
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;

/// How long a closing handshake may take before the socket is dropped.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// How long a requested close waits for a write in progress to reach a slow client.
const CLOSE_FLUSH_WAIT: Duration = Duration::from_secs(10);

/// Most queued messages written before one flush.
const WRITE_BATCH: usize = 64;

/// True for a WebSocket upgrade request.
pub(crate) fn is_upgrade<B>(req: &Request<B>) -> bool {
    req.headers()
        .get(http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// True when `path` is the WebSocket URL's path (`/{stage}` or `/{stage}/`).
pub(crate) fn is_stage_path(path: &str, stage: &str) -> bool {
    path.strip_prefix('/')
        .and_then(|p| p.strip_prefix(stage))
        .is_some_and(|rest| rest.is_empty() || rest == "/")
}

/// Answers a WebSocket handshake: runs `$connect`, then switches protocols and spawns the
/// connection's task.
pub(crate) async fn handshake<B>(
    shared: Arc<Shared>,
    mut req: Request<B>,
    peer_ip: String,
) -> Response<Body> {
    if !is_stage_path(req.uri().path(), &shared.stage) {
        return answers::error(&ServiceError::forbidden());
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let Some(key) = header("sec-websocket-key") else {
        return answers::error(&ServiceError::new(
            400,
            "BadRequestException",
            "Missing Sec-WebSocket-Key",
        ));
    };
    if header("sec-websocket-version").as_deref() != Some("13") {
        let mut resp = answers::status_only(426);
        resp.headers_mut()
            .insert("sec-websocket-version", HeaderValue::from_static("13"));
        return resp;
    }
    let user_agent = header("user-agent").unwrap_or_default();
    let headers = event_headers(&req, &peer_ip);
    let (conn, outbound) = shared.connections.register(peer_ip, user_agent);
    let source = EventSource {
        api_id: shared.api_id.clone(),
        domain_name: shared.domain_name.clone(),
        stage: shared.stage.clone(),
        connection_id: conn.id.clone(),
        connected_at: conn.connected_at,
        source_ip: conn.source_ip.clone(),
        user_agent: conn.user_agent.clone(),
    };
    let protocol = match connect_route(&shared, &source, &headers, req.uri().query()).await {
        Ok(protocol) => protocol,
        Err(status) => {
            shared.connections.remove(&conn.id);
            return answers::status_only(status);
        }
    };
    // Posts from now on are queued and written once the socket is ours.
    shared.connections.accept(&conn);
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        match upgrade.await {
            Ok(upgraded) => {
                let ws = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config()),
                )
                .await;
                run(shared, conn, outbound, ws, source).await;
            }
            Err(_) => {
                shared.connections.remove(&conn.id);
                if shared.router.is_active() {
                    let event = source.disconnect_event(1006, "Connection closed abnormally");
                    shared.router.deliver(event).await;
                }
            }
        }
    });
    switching_protocols(&key, protocol)
}

/// The request's headers as the `$connect` event carries them, with the forwarding
/// headers the service adds.
fn event_headers<B>(req: &Request<B>, peer_ip: &str) -> Vec<(String, String)> {
    let mut headers = management::header_pairs(req);
    headers.push(("x-forwarded-for".to_string(), peer_ip.to_string()));
    headers.push(("x-forwarded-proto".to_string(), "http".to_string()));
    headers
}

/// Runs `$connect` when routes are active: the subprotocol its answer chose, or the
/// refusing status.
async fn connect_route(
    shared: &Shared,
    source: &EventSource,
    headers: &[(String, String)],
    query: Option<&str>,
) -> Result<Option<HeaderValue>, u16> {
    if !shared.router.is_active() {
        return Ok(None);
    }
    let answer = shared
        .router
        .deliver(source.connect_event(headers, query))
        .await;
    if !answer.is_success() {
        return Err(answer.status);
    }
    Ok(answer
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-protocol"))
        .and_then(|(_, v)| HeaderValue::from_str(v).ok()))
}

/// The 101 answer that completes the handshake.
fn switching_protocols(key: &str, protocol: Option<HeaderValue>) -> Response<Body> {
    let mut resp = Response::new(http_body_util::Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = resp.headers_mut();
    h.insert(http::header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(
        http::header::CONNECTION,
        HeaderValue::from_static("Upgrade"),
    );
    if let Ok(v) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        h.insert(http::header::SEC_WEBSOCKET_ACCEPT, v);
    }
    if let Some(p) = protocol {
        h.insert(http::header::SEC_WEBSOCKET_PROTOCOL, p);
    }
    resp
}

/// Small buffers (thousands of connections), the service's frame and message limits.
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_frame_size(Some(MAX_FRAME_BYTES))
        .max_message_size(Some(MAX_MESSAGE_BYTES))
}

/// The connection's life, from accepted to `$disconnect`.
async fn run<S>(
    shared: Arc<Shared>,
    conn: Arc<Conn>,
    mut outbound: mpsc::UnboundedReceiver<Outbound>,
    mut ws: WebSocketStream<S>,
    source: EventSource,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (code, reason) = session(&shared, &conn, &mut outbound, &mut ws, &source).await;
    shared.connections.remove(&conn.id);
    drop(outbound);
    if shared.router.is_active() {
        shared
            .router
            .deliver(source.disconnect_event(code, &reason))
            .await;
    }
}

/// Serves one connection until it closes; the close code and reason.
async fn session<S>(
    shared: &Shared,
    conn: &Conn,
    outbound: &mut mpsc::UnboundedReceiver<Outbound>,
    ws: &mut WebSocketStream<S>,
    source: &EventSource,
) -> (u16, String)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let limits = &shared.limits;
    let mut stop = shared.stop.clone();
    if *stop.borrow_and_update() {
        return close(ws, 1001, "Going away").await;
    }
    let idle = tokio::time::sleep(limits.idle_timeout);
    let max = tokio::time::sleep(limits.max_duration);
    tokio::pin!(idle, max);
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => return close(ws, 1001, "Going away").await,
            (code, reason) = conn.close_requested() => return close(ws, code, &reason).await,
            _ = &mut max => return close(ws, 1001, "Going away").await,
            _ = &mut idle => return close(ws, 1001, "Going away").await,
            frame = ws.next() => {
                idle.as_mut().reset(tokio::time::Instant::now() + limits.idle_timeout);
                match frame {
                    None => return (1006, "Connection closed abnormally".into()),
                    Some(Ok(Message::Text(text))) => {
                        conn.touch();
                        if shared.router.is_active() {
                            let answer = shared.router.deliver(source.message_event(&text)).await;
                            if let Some(reply) = answer.reply {
                                let _ = conn.post(Bytes::from(reply), usize::MAX, None);
                            }
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        return close(ws, 1003, "Binary frames are not supported").await;
                    }
                    Some(Ok(Message::Close(frame))) => {
                        let (code, reason) = match frame {
                            Some(f) => (u16::from(f.code), f.reason.to_string()),
                            None => (1005, "Client-side close frame status not set".to_string()),
                        };
                        finish_close(ws).await;
                        return (code, reason);
                    }
                    Some(Ok(_)) => {}
                    Some(Err(WsError::Capacity(_))) => return close(ws, 1009, "Message too big").await,
                    Some(Err(WsError::Protocol(_) | WsError::Utf8(_))) => {
                        return close(ws, 1002, "Protocol error").await;
                    }
                    Some(Err(_)) => return (1006, "Connection closed abnormally".into()),
                }
            }
            message = outbound.recv() => {
                let Some(first) = message else {
                    return close(ws, 1001, "Going away").await;
                };
                idle.as_mut().reset(tokio::time::Instant::now() + limits.idle_timeout);
                match write_or_close(&mut stop, conn, ws, first, outbound).await {
                    Written::Done => {}
                    Written::Failed => return (1006, "Connection closed abnormally".into()),
                    Written::Stopped => return (1001, "Going away".into()),
                    Written::Closing(code, reason, true) => return close(ws, code, &reason).await,
                    Written::Closing(code, reason, false) => return (code, reason),
                }
            }
        }
    }
}

/// How a write that may be interrupted ended.
enum Written {
    Done,
    Failed,
    Stopped,
    /// A close was requested; true when what was being written got out first (the close
    /// frame can follow it).
    Closing(u16, String, bool),
}

/// Writes a batch unless the gateway stops. A close requested meanwhile (DeleteConnection)
/// lets the batch finish first, for up to [`CLOSE_FLUSH_WAIT`], so that a client slow to
/// read still gets its close frame after the messages instead of a dropped connection.
async fn write_or_close<S>(
    stop: &mut watch::Receiver<bool>,
    conn: &Conn,
    ws: &mut WebSocketStream<S>,
    first: Outbound,
    outbound: &mut mpsc::UnboundedReceiver<Outbound>,
) -> Written
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let write = write_batch(ws, conn, first, outbound);
    tokio::pin!(write);
    let (code, reason) = tokio::select! {
        biased;
        _ = stop.changed() => return Written::Stopped,
        requested = conn.close_requested() => requested,
        written = &mut write => {
            return if written.is_ok() { Written::Done } else { Written::Failed };
        }
    };
    let flushed = tokio::time::timeout(CLOSE_FLUSH_WAIT, &mut write).await;
    Written::Closing(code, reason, matches!(flushed, Ok(Ok(()))))
}

/// Writes `first` and whatever else is queued (up to a batch), then flushes.
async fn write_batch<S>(
    ws: &mut WebSocketStream<S>,
    conn: &Conn,
    first: Outbound,
    outbound: &mut mpsc::UnboundedReceiver<Outbound>,
) -> Result<(), WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut acks = Vec::new();
    let mut next = Some(first);
    let mut count = 0;
    while let Some(m) = next.take() {
        let len = m.data.len();
        for frame in frames(m.data, m.text) {
            ws.feed(frame).await?;
        }
        conn.written(len);
        if let Some(ack) = m.ack {
            acks.push(ack);
        }
        count += 1;
        if count < WRITE_BATCH {
            next = outbound.try_recv().ok();
        }
    }
    ws.flush().await?;
    for ack in acks {
        let _ = ack.send(());
    }
    Ok(())
}

/// One message as frames of at most [`MAX_FRAME_BYTES`].
fn frames(data: Bytes, text: bool) -> Vec<Message> {
    if data.len() <= MAX_FRAME_BYTES {
        if text && let Ok(t) = Utf8Bytes::try_from(data.clone()) {
            return vec![Message::Text(t)];
        }
        return vec![Message::Binary(data)];
    }
    let kind = if text { Data::Text } else { Data::Binary };
    let count = data.len().div_ceil(MAX_FRAME_BYTES);
    (0..count)
        .map(|i| {
            let start = i * MAX_FRAME_BYTES;
            let end = (start + MAX_FRAME_BYTES).min(data.len());
            let opcode = OpCode::Data(if i == 0 { kind } else { Data::Continue });
            Message::Frame(Frame::message(
                data.slice(start..end),
                opcode,
                i + 1 == count,
            ))
        })
        .collect()
}

/// Sends a close frame and waits (briefly) for the client's.
async fn close<S>(ws: &mut WebSocketStream<S>, code: u16, reason: &str) -> (u16, String)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: Utf8Bytes::from(reason),
    };
    if tokio::time::timeout(CLOSE_WAIT, ws.send(Message::Close(Some(frame))))
        .await
        .is_ok_and(|r| r.is_ok())
    {
        finish_close(ws).await;
    }
    (code, reason.to_string())
}

/// Reads until the closing handshake completes (or briefly gives up).
async fn finish_close<S>(ws: &mut WebSocketStream<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_messages_are_split_into_frames() {
        let data = Bytes::from(vec![b'a'; MAX_FRAME_BYTES * 2 + 1]);
        let f = frames(data, true);
        assert_eq!(f.len(), 3);
        assert!(
            matches!(&f[0], Message::Frame(fr) if fr.header().opcode == OpCode::Data(Data::Text) && !fr.header().is_final)
        );
        assert!(
            matches!(&f[2], Message::Frame(fr) if fr.header().opcode == OpCode::Data(Data::Continue) && fr.header().is_final)
        );
        assert!(matches!(
            &frames(Bytes::from_static(b"hi"), true)[0],
            Message::Text(_)
        ));
        assert!(matches!(
            &frames(Bytes::from_static(&[0xff]), false)[0],
            Message::Binary(_)
        ));
    }

    #[test]
    fn stage_paths() {
        assert!(is_stage_path("/prod", "prod"));
        assert!(is_stage_path("/prod/", "prod"));
        assert!(!is_stage_path("/prod/x", "prod"));
        assert!(!is_stage_path("/production", "prod"));
    }
}
