//! Running the built binary with test credentials, and a gateway to point it at.

use apigw_management_local::{GatewayBuilder, LocalGateway, Running};
use futures_util::StreamExt;
use std::process::{Output, Stdio};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const KEY: &str = "AKIDCLITEST";
pub const SECRET: &str = "cli-test-secret";
pub const BIN: &str = env!("CARGO_BIN_EXE_apigw-management");

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The binary with a clean AWS environment: test keys, no profiles, no IMDS.
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_ACCESS_KEY_ID", KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env(
            "AWS_CONFIG_FILE",
            "/nonexistent/apigw-management-test/config",
        )
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/apigw-management-test/credentials",
        )
        .kill_on_drop(true);
    cmd
}

/// Runs the binary to completion, feeding `stdin`.
pub async fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin).await.expect("stdin");
    }
    tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the binary finishes within a minute")
        .expect("output")
}

/// stdout and stderr as text.
pub fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The exit status (panics have none of ours).
pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// A gateway that accepts the test keys.
pub fn gateway() -> GatewayBuilder {
    LocalGateway::builder().credentials(KEY, SECRET)
}

/// `--endpoint-url URL --region us-east-1` for `gw`.
pub fn target(gw: &Running) -> [String; 4] {
    [
        "--endpoint-url".into(),
        gw.endpoint(),
        "--region".into(),
        "us-east-1".into(),
    ]
}

/// Connects a WebSocket client with this User-Agent; the client and its connection id.
pub async fn connect(gw: &Running, user_agent: &str) -> (Ws, String) {
    let ws = open(&gw.ws_url(), user_agent).await;
    let id = gw
        .connections()
        .into_iter()
        .find(|c| c.user_agent == user_agent)
        .map(|c| c.connection_id)
        .expect("the gateway lists the connection");
    (ws, id)
}

/// Opens a WebSocket.
pub async fn open(url: &str, user_agent: &str) -> Ws {
    let mut req = url.into_client_request().expect("request");
    req.headers_mut()
        .insert("user-agent", user_agent.parse().expect("header"));
    tokio_tungstenite::connect_async(req)
        .await
        .expect("connects")
        .0
}

/// The next data or close message.
pub async fn next(ws: &mut Ws) -> Option<Message> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(m))) => return Some(m),
            Ok(_) => return None,
            Err(_) => panic!("no message within 5 s"),
        }
    }
}

/// A temporary file removed on drop.
pub struct TempFile(pub std::path::PathBuf);

impl TempFile {
    pub fn new(name: &str, contents: &[u8]) -> TempFile {
        let path = std::env::temp_dir().join(format!(
            "apigw-cli-test-{}-{}-{name}",
            std::process::id(),
            apigw_management_local::new_connection_id().replace(['=', '-', '_'], "")
        ));
        std::fs::write(&path, contents).expect("temp file");
        TempFile(path)
    }

    pub fn path(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
