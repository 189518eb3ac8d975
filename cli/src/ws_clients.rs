//! The demo's WebSocket clients, in a process of their own (one process may hold only so
//! many sockets, and the gateway holds one per client too).
//!
//! Talks to the demo over stdio, one JSON object a line: it prints
//! `{"connected": n, "failed": n}` once every client has tried to connect, then answers
//! `received TIMEOUT_MS` with `{"received": n}` (clients that got the expected message)
//! and `closed N TIMEOUT_MS` with `{"closed": n}` (clients the server closed). It exits
//! when stdin closes.

use crate::args::WsClientsArgs;
use crate::failure::Failure;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Handshakes in flight at once (the listen backlog is finite).
const PARALLEL_CONNECTS: usize = 128;
/// Tries per client.
const CONNECT_TRIES: u32 = 3;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Default)]
struct Counts {
    received: AtomicUsize,
    closed: AtomicUsize,
}

/// Runs the client process.
pub async fn run(args: WsClientsArgs) -> Result<(), Failure> {
    let needed = u64::try_from(args.count)
        .unwrap_or(u64::MAX)
        .saturating_add(64);
    apigw_management_local::ensure_open_files(needed, &format!("{} WebSocket clients", args.count))
        .map_err(Failure::other)?;
    let counts = Arc::new(Counts::default());
    let expect: Arc<str> = args.expect.into();
    let permits = Arc::new(Semaphore::new(PARALLEL_CONNECTS));
    let mut connects = JoinSet::new();
    for i in 0..args.count {
        let (url, permits) = (args.url.clone(), permits.clone());
        connects.spawn(async move {
            let _permit = permits.acquire_owned().await;
            connect(&url, i).await
        });
    }
    let (mut connected, mut failed, mut first_error) = (0usize, 0usize, None);
    while let Some(joined) = connects.join_next().await {
        match joined {
            Ok(Ok(ws)) => {
                connected += 1;
                tokio::spawn(read(ws, counts.clone(), expect.clone()));
            }
            Ok(Err(e)) => {
                failed += 1;
                first_error.get_or_insert(e.to_string());
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    emit(&json!({ "connected": connected, "failed": failed, "error": first_error }));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["received", ms] => {
                let n = wait(&counts.received, connected, millis(ms)).await;
                emit(&json!({ "received": n }));
            }
            ["closed", target, ms] => {
                let target = target.parse().unwrap_or(0);
                let n = wait(&counts.closed, target, millis(ms)).await;
                emit(&json!({ "closed": n }));
            }
            _ => emit(&json!({ "error": format!("unknown command {line:?}") })),
        }
    }
    Ok(())
}

async fn connect(url: &str, index: usize) -> Result<Ws, tungstenite::Error> {
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let mut last = None;
    for attempt in 0..CONNECT_TRIES {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
        }
        let mut req = url.into_client_request()?;
        if let Ok(ua) = format!("apigw-management-demo/{index}").parse() {
            req.headers_mut().insert("user-agent", ua);
        }
        match tokio_tungstenite::connect_async_with_config(req, Some(config), true).await {
            Ok((ws, _)) => return Ok(ws),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or(tungstenite::Error::ConnectionClosed))
}

async fn read(mut ws: Ws, counts: Arc<Counts>, expect: Arc<str>) {
    while let Some(Ok(message)) = ws.next().await {
        match message {
            Message::Text(t) if t.as_str() == &*expect => {
                counts.received.fetch_add(1, Ordering::Relaxed);
            }
            Message::Close(_) => {
                counts.closed.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

/// Waits until `counter` reaches `target` or `timeout` passes; the count then.
async fn wait(counter: &AtomicUsize, target: usize, timeout: Duration) -> usize {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let n = counter.load(Ordering::Relaxed);
        if n >= target || tokio::time::Instant::now() >= deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn millis(s: &str) -> Duration {
    Duration::from_millis(s.parse().unwrap_or(10_000))
}

fn emit(v: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}
