//! `local`: the first line names both URLs; the gateway serves real clients, route events
//! reach an integration URL, and SIGTERM stops it.

use crate::support::{KEY, SECRET, code, command, next, open, run, texts};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// A minimal integration endpoint: sends each `$connect` event's connection id, answers
/// `{"statusCode":200}`.
async fn integration() -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let body_start = loop {
                    let Ok(n) = stream.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..body_start]).to_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                while buf.len() < body_start + len {
                    let Ok(n) = stream.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let event: serde_json::Value =
                    serde_json::from_slice(&buf[body_start..body_start + len]).unwrap_or_default();
                if event["requestContext"]["routeKey"] == "$connect"
                    && let Some(id) = event["requestContext"]["connectionId"].as_str()
                {
                    let _ = tx.send(id.to_string());
                }
                let body = r#"{"statusCode":200}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, rx)
}

#[tokio::test]
async fn local_serves_clients_and_the_cli_reaches_them() {
    let (integration_url, mut connected) = integration().await;
    let mut child = command(&[
        "local",
        "--output",
        "json",
        "--access-key-id",
        KEY,
        "--secret-access-key",
        SECRET,
        "--integration-url",
        &integration_url,
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the first line comes quickly")
        .unwrap()
        .expect("a first line");
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    let ws_url = v["websocket_url"].as_str().unwrap().to_string();
    let endpoint = v["endpoint_url"].as_str().unwrap().to_string();
    assert!(
        ws_url.starts_with("ws://127.0.0.1:") && ws_url.ends_with("/prod"),
        "{first}"
    );
    assert_eq!(endpoint, ws_url.replacen("ws://", "http://", 1));
    assert_eq!(v["access_key_id"], KEY);

    let mut ws = open(&ws_url, "local-test").await;
    let id = tokio::time::timeout(Duration::from_secs(5), connected.recv())
        .await
        .unwrap()
        .unwrap();
    let target = ["--endpoint-url", endpoint.as_str(), "--region", "us-east-1"];
    let mut post: Vec<&str> = target.to_vec();
    // `--connection-id=ID`: an id may begin with `-`.
    let id_arg = format!("--connection-id={id}");
    post.extend(["post-to-connection", &id_arg, "--data", "through the CLI"]);
    let out = run(&post, b"").await;
    assert_eq!(code(&out), 0, "{:?}", texts(&out));
    assert_eq!(next(&mut ws).await, Some(Message::text("through the CLI")));

    let pid = child.id().expect("running");
    // SAFETY: signals the process this test started, by its id.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) }, 0);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("stops on SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(matches!(
        next(&mut ws).await,
        Some(Message::Close(_)) | None
    ));
}

#[tokio::test]
async fn the_text_first_line_names_both_urls() {
    let mut child = command(&["local", "--stage", "dev", "--no-verify"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let urls: Vec<&str> = first
        .split_whitespace()
        .filter(|w| w.starts_with("ws://") || w.starts_with("http://"))
        .collect();
    assert_eq!(urls.len(), 2, "{first}");
    assert!(
        urls[0].starts_with("ws://127.0.0.1:") && urls[0].ends_with("/dev"),
        "{first}"
    );
    assert!(
        urls[1].starts_with("http://127.0.0.1:") && urls[1].ends_with("/dev"),
        "{first}"
    );
    child.start_kill().unwrap();
    let _ = child.wait().await;
}

#[tokio::test]
async fn local_serves_a_script() {
    let script = crate::support::TempFile::new(
        "script.json",
        br#"{"script": {"responses": {"*": [{"status": 410, "headers": {"x-amzn-ErrorType": "GoneException"}}]}}}"#,
    );
    let mut child = command(&["local", "--output", "json", "--script", &script.path()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    let endpoint = v["endpoint_url"].as_str().unwrap();
    let out = run(
        &[
            "--endpoint-url",
            endpoint,
            "--region",
            "us-east-1",
            "get-connection",
            "--connection-id",
            "abc=",
        ],
        b"",
    )
    .await;
    assert_eq!(code(&out), 254);
    assert!(texts(&out).1.contains("(GoneException)"));
    let pid = child.id().expect("running");
    // SAFETY: signals the process this test started, by its id.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    let recorded = lines.next_line().await.unwrap().unwrap();
    let requests: serde_json::Value = serde_json::from_str(&recorded).unwrap();
    assert_eq!(requests[0]["connection_id"], "abc=");
    assert_eq!(requests[0]["signature_error"], serde_json::Value::Null);
    assert!(child.wait().await.unwrap().success());
}
