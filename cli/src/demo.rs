//! `demo`: a local gateway in this process, many real WebSocket clients in another,
//! a broadcast to all of them through the core client, a check that every client got the
//! message, a few connections deleted and shown gone, and the numbers.

use crate::args::{DemoArgs, Global, Output};
use crate::failure::{self, Failure};
use crate::progress::ProgressBar;
use crate::{output, usage};
use apigw_management::{BroadcastOptions, Client, ErrorKind};
use apigw_management_local::{
    DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, LocalGateway, ensure_open_files,
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
    let say = |line: String| {
        if format == Output::Text {
            println!("{line}");
        }
    };
    say(format!(
        "apigw-management demo: {n} WebSocket clients (in a separate process) on a local gateway"
    ));
    say(format!(
        "  gateway      {}  endpoint {}",
        gateway.ws_url(),
        gateway.endpoint()
    ));
    let base_memory = usage::resident_bytes();
    let message = format!(
        "{{\"hello\":\"from apigw-management\",\"nonce\":\"{:016x}\"}}",
        nonce()
    );

    let started = Instant::now();
    let mut clients = Clients::spawn(&gateway.ws_url(), n, &message)?;
    let hello = clients.ask(None, "connected").await?;
    let connected = count(&hello, "connected");
    gateway
        .wait_for_connections(connected, CONNECT_TIMEOUT)
        .await;
    let connect_time = started.elapsed();
    let per_connection = match (base_memory, usage::resident_bytes()) {
        (Some(before), Some(after)) if connected > 0 => {
            Some(after.saturating_sub(before) as f64 / connected as f64)
        }
        _ => None,
    };
    say(format!(
        "  connected    {connected} of {n} clients in {:.2} s{}",
        connect_time.as_secs_f64(),
        per_connection
            .map(|b| format!("; gateway memory {:.1} KiB per connection", b / 1024.0))
            .unwrap_or_default()
    ));
    if let Some(e) = hello["error"].as_str() {
        say(format!("  first connect error: {e}"));
    }

    let ids = gateway.connection_ids();
    let client = Client::builder()
        .endpoint(gateway.endpoint())
        .region("us-east-1")
        .credentials(gateway.credentials())
        .build()
        .map_err(Failure::from)?;
    let mut opts = BroadcastOptions::default().concurrency(args.concurrency);
    let bar = Arc::new(ProgressBar::new("  broadcast   "));
    if format == Output::Text && bar.is_terminal() {
        let b = bar.clone();
        opts = opts.on_progress(move |p| b.update(p));
    }
    let cpu_before = usage::cpu_time();
    let sent_at = Instant::now();
    let result = client
        .broadcast(ids.clone(), message.clone(), opts)
        .await
        .map_err(|e| Failure::call("PostToConnection", &e))?;
    let broadcast_time = sent_at.elapsed();
    let received = count(
        &clients
            .ask(
                Some(format!("received {}", RECEIVE_TIMEOUT.as_millis())),
                "received",
            )
            .await?,
        "received",
    );
    let received_time = sent_at.elapsed();
    let cpu = usage::cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let rate = result.delivered as f64 / broadcast_time.as_secs_f64().max(1e-9);
    let cpu_per_message = cpu.map(|c| c.as_secs_f64() * 1e6 / (result.delivered.max(1) as f64));
    say(format!(
        "  broadcast    {} delivered, {} gone, {} failed in {:.3} s: {:.0} msgs/s",
        result.delivered,
        result.gone.len(),
        result.failed.len(),
        broadcast_time.as_secs_f64(),
        rate
    ));
    say(format!(
        "  received     {received} of {connected} clients got the message (all within {:.3} s)",
        received_time.as_secs_f64()
    ));
    if let Some(cpu) = cpu_per_message {
        say(format!(
            "  CPU          {cpu:.1} µs per message (this process: gateway and client, user + system)"
        ));
    }

    let victims: Vec<String> = ids
        .iter()
        .take(args.delete.min(ids.len()))
        .cloned()
        .collect();
    let (deleted, gone) = delete_and_check(&client, &victims).await;
    let closed = count(
        &clients
            .ask(Some(format!("closed {} 5000", victims.len())), "closed")
            .await?,
        "closed",
    );
    say(format!(
        "  deleted      {deleted} connections: {gone} now answer GoneException (410), {closed} clients saw the close"
    ));
    for (id, e) in result.failed.iter().take(5) {
        say(format!(
            "  failed       {id}: {}",
            failure::one_line(&e.to_string())
        ));
    }
    clients.finish().await;

    let ok = connected == n
        && result.delivered == n
        && received == n
        && deleted == victims.len()
        && gone == victims.len()
        && closed == victims.len();
    say(format!(
        "  result       {}",
        if ok { "OK" } else { "FAILED" }
    ));
    if format == Output::Json {
        let report = json!({
            "websocket_url": gateway.ws_url(),
            "endpoint_url": gateway.endpoint(),
            "clients": n,
            "connected": connected,
            "connect_seconds": connect_time.as_secs_f64(),
            "gateway_bytes_per_connection": per_connection,
            "delivered": result.delivered,
            "gone": result.gone.len(),
            "failed": result.failed.len(),
            "broadcast_seconds": broadcast_time.as_secs_f64(),
            "messages_per_second": rate,
            "received": received,
            "received_seconds": received_time.as_secs_f64(),
            "cpu_microseconds_per_message": cpu_per_message,
            "deleted": deleted,
            "deleted_reported_gone": gone,
            "deleted_clients_closed": closed,
            "ok": ok,
        });
        output::print(&report, Output::Json);
    }
    gateway.stop();
    if ok {
        Ok(())
    } else {
        Err(Failure::silent(failure::PARTIAL))
    }
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
