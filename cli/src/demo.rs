//! `demo`: a local gateway in this process, many real WebSocket clients in another,
//! a broadcast to all of them through the core client, a check that every client got the
//! message, a few connections deleted and shown gone, and the numbers.

use crate::args::{DemoArgs, Global, Output};
use crate::failure::{self, Failure};
use crate::progress::ProgressBar;
use crate::{output, usage};
use apigw_management::{BroadcastOptions, Client, ErrorKind};
use apigw_management_local::{
    DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, LocalGateway, Running, ensure_open_files,
};
use serde_json::{Value, json};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How long the clients may take to connect, and to receive the broadcast.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(120);
const RECEIVE_TIMEOUT: Duration = Duration::from_secs(60);

/// The client process and its stdio.
struct Clients {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Clients {
    fn spawn(url: &str, count: usize, expect: &str) -> Result<Clients, Failure> {
        let exe = std::env::current_exe().map_err(|e| {
            Failure::other(format!(
                "cannot find this program to start the clients: {e}"
            ))
        })?;
        let mut child = Command::new(exe)
            .args([
                "ws-clients",
                "--url",
                url,
                "--count",
                &count.to_string(),
                "--expect",
                expect,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Failure::other(format!("cannot start the client process: {e}")))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(Failure::other("the client process has no stdio"));
        };
        Ok(Clients {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
        })
    }

    /// Sends a command (if any) and reads one JSON answer.
    async fn ask(&mut self, command: Option<String>, field: &str) -> Result<Value, Failure> {
        if let Some(c) = command {
            self.stdin
                .write_all(format!("{c}\n").as_bytes())
                .await
                .map_err(|e| Failure::other(format!("the client process went away: {e}")))?;
        }
        let line = self
            .lines
            .next_line()
            .await
            .map_err(|e| Failure::other(format!("the client process went away: {e}")))?
            .ok_or_else(|| {
                Failure::other("the client process exited early (see its message above)")
            })?;
        let v: Value = serde_json::from_str(&line)
            .map_err(|_| Failure::other(format!("the client process said {line:?}")))?;
        if v.get(field).is_none() {
            return Err(Failure::other(format!("the client process said {line}")));
        }
        Ok(v)
    }

    async fn finish(mut self) {
        drop(self.stdin);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}

/// What the demo measured.
#[derive(Default)]
struct Report {
    clients: usize,
    connected: usize,
    connect_time: Duration,
    per_connection: Option<f64>,
    delivered: usize,
    gone: usize,
    failed: usize,
    broadcast_time: Duration,
    rate: f64,
    received: usize,
    received_time: Duration,
    cpu_per_message: Option<f64>,
    victims: usize,
    deleted: usize,
    deleted_gone: usize,
    closed: usize,
}

impl Report {
    /// Every client connected and got the message; every deleted one is gone and closed.
    fn ok(&self) -> bool {
        let n = self.clients;
        self.connected == n
            && self.delivered == n
            && self.received == n
            && self.deleted == self.victims
            && self.deleted_gone == self.victims
            && self.closed == self.victims
    }

    fn json(&self, gateway: &Running) -> Value {
        json!({
            "websocket_url": gateway.ws_url(),
            "endpoint_url": gateway.endpoint(),
            "clients": self.clients,
            "connected": self.connected,
            "connect_seconds": self.connect_time.as_secs_f64(),
            "gateway_bytes_per_connection": self.per_connection,
            "delivered": self.delivered,
            "gone": self.gone,
            "failed": self.failed,
            "broadcast_seconds": self.broadcast_time.as_secs_f64(),
            "messages_per_second": self.rate,
            "received": self.received,
            "received_seconds": self.received_time.as_secs_f64(),
            "cpu_microseconds_per_message": self.cpu_per_message,
            "deleted": self.deleted,
            "deleted_reported_gone": self.deleted_gone,
            "deleted_clients_closed": self.closed,
            "ok": self.ok(),
        })
    }
}

/// Prints the demo's lines in text output only.
struct Say(Output);

impl Say {
    fn line(&self, line: String) {
        if self.0 == Output::Text {
            println!("{line}");
        }
    }
}

/// Runs the demo.
pub async fn run(global: &Global, args: DemoArgs) -> Result<(), Failure> {
    let format = global.output.unwrap_or(Output::Text);
    if args.clients == 0 {
        return Err(Failure::input("--clients must be at least 1"));
    }
    if args.concurrency == 0 {
        return Err(Failure::input("--concurrency must be at least 1"));
    }
    let n = args.clients;
    let needed = u64::try_from(n + args.concurrency)
        .unwrap_or(u64::MAX)
        .saturating_add(128);
    ensure_open_files(needed, &format!("a gateway for {n} WebSocket connections"))
        .map_err(Failure::other)?;
    let gateway = LocalGateway::builder()
        .credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY)
        .start()
        .await
        .map_err(|e| Failure::other(format!("cannot start the local gateway: {e}")))?;
    let say = Say(format);
    say.line(format!(
        "apigw-management demo: {n} WebSocket clients (in a separate process) on a local gateway"
    ));
    say.line(format!(
        "  gateway      {}  endpoint {}",
        gateway.ws_url(),
        gateway.endpoint()
    ));
    let message = format!(
        "{{\"hello\":\"from apigw-management\",\"nonce\":\"{:016x}\"}}",
        nonce()
    );
    let mut report = Report {
        clients: n,
        ..Report::default()
    };
    let mut clients = connect(&gateway, &message, &mut report, &say).await?;
    let ids = gateway.connection_ids();
    let client = Client::builder()
        .endpoint(gateway.endpoint())
        .region("us-east-1")
        .credentials(gateway.credentials())
        .build()
        .map_err(Failure::from)?;
    let failed = broadcast(
        &client,
        &mut clients,
        &ids,
        &message,
        &args,
        &mut report,
        &say,
    )
    .await?;
    delete(&client, &mut clients, &ids, args.delete, &mut report, &say).await?;
    for (id, e) in failed.iter().take(5) {
        say.line(format!(
            "  failed       {id}: {}",
            failure::one_line(&e.to_string())
        ));
    }
    clients.finish().await;
    let ok = report.ok();
    say.line(format!(
        "  result       {}",
        if ok { "OK" } else { "FAILED" }
    ));
    if format == Output::Json {
        output::print(&report.json(&gateway), Output::Json);
    }
    gateway.stop();
    if ok {
        Ok(())
    } else {
        Err(Failure::silent(failure::PARTIAL))
    }
}

/// Starts the clients and waits for them to connect; measures time and memory.
async fn connect(
    gateway: &Running,
    message: &str,
    report: &mut Report,
    say: &Say,
) -> Result<Clients, Failure> {
    let n = report.clients;
    let base_memory = usage::resident_bytes();
    let started = Instant::now();
    let mut clients = Clients::spawn(&gateway.ws_url(), n, message)?;
    let hello = clients.ask(None, "connected").await?;
    let connected = count(&hello, "connected");
    gateway
        .wait_for_connections(connected, CONNECT_TIMEOUT)
        .await;
    report.connected = connected;
    report.connect_time = started.elapsed();
    report.per_connection = match (base_memory, usage::resident_bytes()) {
        (Some(before), Some(after)) if connected > 0 => {
            Some(after.saturating_sub(before) as f64 / connected as f64)
        }
        _ => None,
    };
    say.line(format!(
        "  connected    {connected} of {n} clients in {:.2} s{}",
        report.connect_time.as_secs_f64(),
        report
            .per_connection
            .map(|b| format!("; gateway memory {:.1} KiB per connection", b / 1024.0))
            .unwrap_or_default()
    ));
    if let Some(e) = hello["error"].as_str() {
        say.line(format!("  first connect error: {e}"));
    }
    Ok(clients)
}

/// Broadcasts to every client and counts who received it; the failed posts.
async fn broadcast(
    client: &Client,
    clients: &mut Clients,
    ids: &[String],
    message: &str,
    args: &DemoArgs,
    report: &mut Report,
    say: &Say,
) -> Result<Vec<(String, apigw_management::Error)>, Failure> {
    let mut opts = BroadcastOptions::default().concurrency(args.concurrency);
    let bar = Arc::new(ProgressBar::new("  broadcast   "));
    if say.0 == Output::Text && bar.is_terminal() {
        let b = bar.clone();
        opts = opts.on_progress(move |p| b.update(p));
    }
    let cpu_before = usage::cpu_time();
    let sent_at = Instant::now();
    let result = client
        .broadcast(ids.to_vec(), message.to_string(), opts)
        .await
        .map_err(|e| Failure::call("PostToConnection", &e))?;
    report.broadcast_time = sent_at.elapsed();
    let answer = clients
        .ask(
            Some(format!("received {}", RECEIVE_TIMEOUT.as_millis())),
            "received",
        )
        .await?;
    report.received = count(&answer, "received");
    report.received_time = sent_at.elapsed();
    let cpu = usage::cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    report.delivered = result.delivered;
    report.gone = result.gone.len();
    report.failed = result.failed.len();
    report.rate = result.delivered as f64 / report.broadcast_time.as_secs_f64().max(1e-9);
    report.cpu_per_message = cpu.map(|c| c.as_secs_f64() * 1e6 / (result.delivered.max(1) as f64));
    say.line(format!(
        "  broadcast    {} delivered, {} gone, {} failed in {:.3} s: {:.0} msgs/s",
        report.delivered,
        report.gone,
        report.failed,
        report.broadcast_time.as_secs_f64(),
        report.rate
    ));
    say.line(format!(
        "  received     {} of {} clients got the message (all within {:.3} s)",
        report.received,
        report.connected,
        report.received_time.as_secs_f64()
    ));
    if let Some(cpu) = report.cpu_per_message {
        say.line(format!(
            "  CPU          {cpu:.1} µs per message (this process: gateway and client, user + system)"
        ));
    }
    Ok(result.failed)
}

/// Deletes the first `how_many` connections and checks they are gone and closed.
async fn delete(
    client: &Client,
    clients: &mut Clients,
    ids: &[String],
    how_many: usize,
    report: &mut Report,
    say: &Say,
) -> Result<(), Failure> {
    let victims = &ids[..how_many.min(ids.len())];
    let (deleted, gone) = delete_and_check(client, victims).await;
    let answer = clients
        .ask(Some(format!("closed {} 5000", victims.len())), "closed")
        .await?;
    report.victims = victims.len();
    report.deleted = deleted;
    report.deleted_gone = gone;
    report.closed = count(&answer, "closed");
    say.line(format!(
        "  deleted      {deleted} connections: {gone} now answer GoneException (410), {} clients saw the close",
        report.closed
    ));
    Ok(())
}

/// Deletes each connection, then checks that a post to it answers 410; (deleted, gone).
async fn delete_and_check(client: &Client, ids: &[String]) -> (usize, usize) {
    let (mut deleted, mut gone) = (0, 0);
    for id in ids {
        if client.delete_connection(id).await.is_ok() {
            deleted += 1;
        }
    }
    for id in ids {
        match client.post_to_connection(id, "still there?").await {
            Err(e) if e.kind() == ErrorKind::Gone => gone += 1,
            _ => {}
        }
    }
    (deleted, gone)
}

fn count(v: &Value, field: &str) -> usize {
    v[field]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0)
}

/// A value that differs between runs, so a client cannot match a stale message.
fn nonce() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    (t as u64) ^ u64::from(std::process::id()).rotate_left(32)
}
