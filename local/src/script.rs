//! The scripted server: answers the management API from a `tests/vectors` script and
//! records every request it received, so that the Rust, Python and Node suites replay
//! the same vectors against the same server.
//!
//! A script maps connection ids (as decoded from the path; `"*"` for any other) to the
//! list of answers given to successive requests for that id; the last answer repeats.
//! An answer is `{"status", "headers", "body" | "body_base64", "delay_ms"}` or an
//! `"action"`: `"hang"` (read the request, never answer), `"close"` (read it, close the
//! socket), `"raw"` (write the `"raw"` text as is), `"partial"` (a status line and half
//! the headers, then stall).

use crate::verify::{Incoming, Verifier};
use crate::wire::{ServiceError, request_id};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

/// One scripted answer.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedResponse {
    /// HTTP status (default 200).
    #[serde(default = "default_status")]
    pub status: u16,
    /// Extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Body text.
    #[serde(default)]
    pub body: Option<String>,
    /// Body bytes, base64.
    #[serde(default)]
    pub body_base64: Option<String>,
    /// Wait this long before answering.
    #[serde(default)]
    pub delay_ms: u64,
    /// `hang`, `close`, `raw`, `partial`; answers normally when absent.
    #[serde(default)]
    pub action: Option<String>,
    /// The bytes written by `"action": "raw"`.
    #[serde(default)]
    pub raw: Option<String>,
}

fn default_status() -> u16 {
    200
}

/// A script: answers per connection id, and how requests are checked.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// Connection id → successive answers (`"*"` matches any other id).
    pub responses: BTreeMap<String, Vec<ScriptedResponse>>,
    /// The stage in the path (default `prod`).
    #[serde(default)]
    pub stage: Option<String>,
    /// How far the server's clock is from the real one, in milliseconds: its `Date`
    /// headers and its signature checks use that clock.
    #[serde(default)]
    pub clock_offset_ms: i64,
    /// Answer a request whose signature fails with the service's 403 (the scripted
    /// answers are kept for the well-signed ones); by default the failure is only recorded.
    #[serde(default)]
    pub reject_bad_signatures: bool,
    /// How connects are met.
    #[serde(default)]
    pub connect: ConnectMode,
}

/// How the server meets a client's connect.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ConnectMode {
    /// Accepts and answers (the default).
    #[default]
    Accept,
    /// Never answers: the listener's backlog is full and nothing accepts, so a client's
    /// SYN goes unanswered and its connect hangs until its own timeout.
    Hang,
}

/// A request the server received.
#[derive(Clone, Debug, Serialize)]
pub struct RecordedRequest {
    /// `POST`, `GET`, `DELETE`, …
    pub method: String,
    /// The raw path as received.
    pub path: String,
    /// The connection id, percent-decoded (`None` when the path is not a connection's).
    pub connection_id: Option<String>,
    /// Headers in the order received.
    pub headers: Vec<(String, String)>,
    /// The body.
    #[serde(serialize_with = "body_json")]
    pub body: Vec<u8>,
    /// `None` when the signature verified, else the error code it failed with.
    pub signature_error: Option<String>,
    /// When it arrived: milliseconds since the server started.
    pub received_ms: u64,
}

fn body_json<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(1))?;
    match std::str::from_utf8(b) {
        Ok(t) => m.serialize_entry("utf8", t)?,
        Err(_) => m.serialize_entry(
            "base64",
            &base64::engine::general_purpose::STANDARD.encode(b),
        )?,
    }
    m.end()
}

impl RecordedRequest {
    /// The first value of a header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct State {
    script: Script,
    next: Mutex<HashMap<String, usize>>,
    requests: Mutex<Vec<RecordedRequest>>,
    verifier: Verifier,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    started: Instant,
}

impl State {
    /// The server's clock: the real one moved by the script's `clock_offset_ms`.
    fn now(&self) -> SystemTime {
        let offset = Duration::from_millis(self.script.clock_offset_ms.unsigned_abs());
        let now = SystemTime::now();
        let moved = if self.script.clock_offset_ms >= 0 {
            now.checked_add(offset)
        } else {
            now.checked_sub(offset)
        };
        moved.unwrap_or(now)
    }
}

/// A running scripted server on 127.0.0.1. Stops when dropped.
pub struct ScriptServer {
    addr: SocketAddr,
    stage: String,
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
    /// With `"connect": "hang"`: the listener and the connection that fills its backlog.
    _backlog: Option<(TcpListener, TcpStream)>,
}

impl ScriptServer {
    /// Starts a server for `script` on `127.0.0.1:0`, checking signatures made with
    /// `verifier`'s keys (a failed check is recorded, and the script still answers).
    pub async fn start(script: Script, verifier: Verifier) -> io::Result<ScriptServer> {
        let hang = script.connect == ConnectMode::Hang;
        let socket = TcpSocket::new_v4()?;
        socket.bind((Ipv4Addr::LOCALHOST, 0).into())?;
        // Backlog 0 holds one unaccepted connection; the next SYN is dropped.
        let listener = socket.listen(if hang { 0 } else { 1024 })?;
        let addr = listener.local_addr()?;
        let stage = script.stage.clone().unwrap_or_else(|| "prod".into());
        let state = Arc::new(State {
            script,
            next: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
            verifier,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            started: Instant::now(),
        });
        let (shutdown, rx) = watch::channel(false);
        let backlog = if hang {
            Some(fill_backlog(listener).await?)
        } else {
            tokio::spawn(accept_loop(listener, state.clone(), rx));
            None
        };
        Ok(ScriptServer {
            addr,
            stage,
            state,
            shutdown,
            _backlog: backlog,
        })
    }

    /// Starts a server from a script's JSON text (for the bindings).
    pub async fn start_json(script_json: &str, verifier: Verifier) -> io::Result<ScriptServer> {
        let script: Script = serde_json::from_str(script_json).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("invalid script: {e}"))
        })?;
        Self::start(script, verifier).await
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint URL to give a client: `http://127.0.0.1:PORT/{stage}`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/{}", self.addr, self.stage)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The requests as JSON (bodies as `{"utf8": …}` or `{"base64": …}`).
    pub fn requests_json(&self) -> String {
        serde_json::to_string(&self.requests()).unwrap_or_else(|_| "[]".into())
    }

    /// The most requests the server was answering at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// Stops accepting and closes every connection (also done on drop).
    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
    }
}

impl Drop for ScriptServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Fills a backlog-0 listener's queue with one connection that is never accepted, and
/// checks that a further connect now goes unanswered. Both stay open until dropped.
async fn fill_backlog(listener: TcpListener) -> io::Result<(TcpListener, TcpStream)> {
    let addr = listener.local_addr()?;
    let filler = TcpStream::connect(addr).await?;
    let probe = tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await;
    if probe.is_ok() {
        return Err(io::Error::other(
            "a full backlog still answered a connect (is tcp_abort_on_overflow set?)",
        ));
    }
    Ok((listener, filler))
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream, state.clone(), stop.clone()));
            }
        }
    }
}

async fn serve(mut stream: TcpStream, state: Arc<State>, mut stop: watch::Receiver<bool>) {
    let mut buf = Vec::with_capacity(4096);
    loop {
        let req = tokio::select! {
            _ = stop.changed() => return,
            r = read_request(&mut stream, &mut buf) => r,
        };
        let Ok(Some(req)) = req else { return };
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let _done = InFlight(&state.in_flight);
        let answer = answer_for(&state, req);
        if let Some(d) = answer.delay {
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(d) => {}
            }
        }
        let write = match answer.action {
            Act::Respond(bytes) => stream.write_all(&bytes).await,
            Act::Raw(bytes) => {
                let _ = stream.write_all(&bytes).await;
                return;
            }
            Act::Close => return,
            Act::Hang | Act::Partial(_) => {
                if let Act::Partial(bytes) = answer.action {
                    let _ = stream.write_all(&bytes).await;
                }
                let mut sink = [0u8; 1024];
                loop {
                    tokio::select! {
                        _ = stop.changed() => return,
                        n = stream.read(&mut sink) => if matches!(n, Ok(0) | Err(_)) { return },
                    }
                }
            }
        };
        if write.is_err() {
            return;
        }
    }
}

/// Counts a request as answered when dropped.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Parsed {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Reads one HTTP/1.1 request (Content-Length bodies); `None` at a clean end of stream.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<Option<Parsed>> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too large"));
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let len = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    buf.drain(..head_end + 4);
    while buf.len() < len {
        let mut chunk = vec![0u8; (len - buf.len()).min(64 * 1024)];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body: Vec<u8> = buf.drain(..len).collect();
    Ok(Some(Parsed {
        method,
        path,
        headers,
        body,
    }))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

enum Act {
    Respond(Vec<u8>),
    Raw(Vec<u8>),
    Close,
    Hang,
    Partial(Vec<u8>),
}

struct Answer {
    delay: Option<Duration>,
    action: Act,
}

fn answer_for(state: &State, req: Parsed) -> Answer {
    let stage = state.script.stage.as_deref().unwrap_or("prod");
    let connection_id = connection_id_of(&req.path, stage);
    let now = state.now();
    let incoming = Incoming {
        method: &req.method,
        raw_path: &req.path,
        headers: &req.headers,
        body: &req.body,
    };
    let signature = state.verifier.verify(&incoming, now);
    state
        .requests
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(RecordedRequest {
            method: req.method,
            path: req.path,
            connection_id: connection_id.clone(),
            headers: req.headers,
            body: req.body,
            signature_error: signature.as_ref().err().map(|e| e.code.to_string()),
            received_ms: state.started.elapsed().as_millis() as u64,
        });
    let respond = |e: &ServiceError| Answer {
        delay: None,
        action: Act::Respond(error_response(e, now)),
    };
    match (signature, connection_id) {
        (Err(e), _) if state.script.reject_bad_signatures => respond(&e),
        (_, None) => respond(&ServiceError::forbidden()),
        (_, Some(id)) => scripted_answer(state, id, now).unwrap_or_else(|e| respond(&e)),
    }
}

/// The next scripted answer for `id`, or the server error explaining why there is none.
fn scripted_answer(state: &State, id: String, now: SystemTime) -> Result<Answer, ServiceError> {
    let responses = &state.script.responses;
    let (key, list) = match responses.get(&id) {
        Some(list) => (id, list),
        None => match responses.get("*") {
            Some(list) => ("*".to_string(), list),
            None => {
                return Err(ServiceError::new(
                    500,
                    "InternalServerErrorException",
                    format!("the script has no answer for connection id {id:?}"),
                ));
            }
        },
    };
    let index = {
        let mut next = state.next.lock().unwrap_or_else(|p| p.into_inner());
        let n = next.entry(key).or_insert(0);
        let i = (*n).min(list.len().saturating_sub(1));
        *n += 1;
        i
    };
    let r = list.get(index).ok_or_else(|| {
        ServiceError::new(
            500,
            "InternalServerErrorException",
            "the script's answer list is empty",
        )
    })?;
    let delay = (r.delay_ms > 0).then(|| Duration::from_millis(r.delay_ms));
    let action = match r.action.as_deref() {
        Some("hang") => Act::Hang,
        Some("close") => Act::Close,
        Some("raw") => Act::Raw(r.raw.clone().unwrap_or_default().into_bytes()),
        Some("partial") => Act::Partial(b"HTTP/1.1 200 OK\r\nContent-Ty".to_vec()),
        _ => Act::Respond(scripted_response(r, now)),
    };
    Ok(Answer { delay, action })
}

/// The decoded connection id of `/{stage}/@connections/{id}`.
fn connection_id_of(path: &str, stage: &str) -> Option<String> {
    let rest = path.strip_prefix('/')?.strip_prefix(stage)?;
    let rest = rest
        .strip_prefix("/@connections/")
        .or_else(|| rest.strip_prefix("/%40connections/"))?;
    if rest.is_empty() || rest.contains('/') || rest.contains('?') {
        return None;
    }
    Some(percent_decode(rest))
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn scripted_response(r: &ScriptedResponse, now: SystemTime) -> Vec<u8> {
    let body = match (&r.body, &r.body_base64) {
        (Some(b), _) => b.clone().into_bytes(),
        (None, Some(b64)) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("x-amzn-requestid"))
    {
        headers.push(("x-amzn-RequestId".into(), request_id()));
    }
    http_response(r.status, &headers, &body, now)
}

/// A complete response for a service error, as the service shapes it.
fn error_response(e: &ServiceError, now: SystemTime) -> Vec<u8> {
    let headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("x-amzn-ErrorType".to_string(), e.code.to_string()),
        ("x-amzn-RequestId".to_string(), request_id()),
    ];
    http_response(e.status, &headers, &e.body(), now)
}

/// A complete response; `Date` is `now` unless the headers give one.
fn http_response(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    now: SystemTime,
) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    let date = aws_smithy_types::DateTime::from(now)
        .fmt(aws_smithy_types::date_time::Format::HttpDate)
        .unwrap_or_default();
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("date")) {
        out.push_str(&format!("Date: {date}\r\n"));
    }
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
