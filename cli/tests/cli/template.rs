//! `local --template`: the first line names the URLs and the CA, what is not emulated is
//! listed on stderr, handlers' output comes back prefixed with their function's name, and
//! a bad template is one line on stderr.

use crate::support::{TempFile, code, command, next, open, run, texts};
use futures_util::SinkExt;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../local/tests/fixtures/template/template.yaml"
);

#[tokio::test]
async fn local_runs_a_template_and_streams_its_handlers_output() {
    let mut child = command(&[
        "local",
        "--output",
        "json",
        "--no-verify",
        "--template",
        FIXTURE,
    ])
    .args(["--parameter-overrides", "Greeting=hey"])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), out.next_line())
        .await
        .expect("the first line")
        .unwrap()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    let ws_url = v["websocket_url"].as_str().unwrap();
    assert!(ws_url.ends_with("/test"), "{first}");
    assert_eq!(
        v["wss_url"].as_str().unwrap(),
        ws_url.replacen("ws://", "wss://", 1)
    );
    let ca = std::fs::read_to_string(v["ca_file"].as_str().unwrap()).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));

    let mut ws = open(&format!("{ws_url}?token=good"), "cli-template").await;
    ws.send(Message::text(r#"{"action":"echo"}"#))
        .await
        .unwrap();
    let Some(Message::Text(reply)) = next(&mut ws).await else {
        panic!("no route response");
    };
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["greeting"], "hey");

    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|l: &String| l == "[EchoFunction] echo echo")
    {
        let line = tokio::time::timeout(Duration::from_secs(10), err.next_line())
            .await
            .expect("the handler's output")
            .unwrap()
            .expect("stderr open");
        seen.push(line);
    }
    assert!(
        seen.contains(&"not emulated: Table (AWS::DynamoDB::Table)".to_string()),
        "{seen:?}"
    );
    child.start_kill().unwrap();
    let _ = child.wait().await;
}

#[tokio::test]
async fn a_bad_template_is_one_line_on_stderr() {
    let bad = TempFile::new(
        "template.yaml",
        b"Resources:\n  Api: {Type: AWS::ApiGatewayV2::Api, Properties: {ProtocolType: WEBSOCKET}}\n",
    );
    let out = run(&["local", "--template", &bad.path()], b"").await;
    let (_, stderr) = texts(&out);
    assert_ne!(code(&out), 0);
    assert!(
        stderr.contains("resource Api: RouteSelectionExpression is missing"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}
