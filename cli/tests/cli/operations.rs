//! post-to-connection, get-connection, delete-connection: the AWS CLI's names, inputs and
//! output shapes.

use crate::support::{TempFile, code, connect, gateway, next, run, target, texts};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn post_sends_text_files_stdin_and_base64() {
    let gw = gateway().start().await.unwrap();
    let (mut ws, id) = connect(&gw, "cli-post").await;
    let t = target(&gw);
    let base: Vec<&str> = t.iter().map(String::as_str).collect();
    let post = |data: &str, extra: &[&str]| {
        let mut args = base.clone();
        args.extend(["post-to-connection", "--connection-id", &id, "--data"]);
        args.push(data);
        args.extend(extra);
        args.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let call = |args: Vec<String>, stdin: &'static [u8]| async move {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&refs, stdin).await
    };

    let out = call(post("hello, world", &[]), b"").await;
    assert_eq!(code(&out), 0, "{:?}", texts(&out));
    assert!(out.stdout.is_empty());
    assert_eq!(next(&mut ws).await, Some(Message::text("hello, world")));

    let bin = TempFile::new("data.bin", &[0, 159, 146, 150]);
    let out = call(post(&format!("fileb://{}", bin.path()), &[]), b"").await;
    assert_eq!(code(&out), 0, "{:?}", texts(&out));
    assert_eq!(
        next(&mut ws).await,
        Some(Message::binary(vec![0, 159, 146, 150]))
    );

    let txt = TempFile::new("data.txt", "from a file".as_bytes());
    let out = call(post(&format!("file://{}", txt.path()), &[]), b"").await;
    assert_eq!(code(&out), 0, "{:?}", texts(&out));
    assert_eq!(next(&mut ws).await, Some(Message::text("from a file")));

    let out = call(post("-", &[]), b"from stdin").await;
    assert_eq!(code(&out), 0, "{:?}", texts(&out));
    assert_eq!(next(&mut ws).await, Some(Message::text("from stdin")));

    let out = call(post("aGVsbG8=", &["--cli-binary-format", "base64"]), b"").await;
    assert_eq!(code(&out), 0, "{:?}", texts(&out));
    assert_eq!(next(&mut ws).await, Some(Message::text("hello")));

    let out = call(
        post("aGVsbG8=", &["--cli-binary-format", "raw-in-base64-out"]),
        b"",
    )
    .await;
    assert_eq!(code(&out), 0, "{:?}", texts(&out));
    assert_eq!(next(&mut ws).await, Some(Message::text("aGVsbG8=")));
}

#[tokio::test]
async fn a_connection_id_may_start_with_a_hyphen() {
    // Real ids are URL-safe base64 and one in 64 starts with `-`: it is an id, not a flag.
    let gw = gateway().start().await.unwrap();
    let t = target(&gw);
    let mut args: Vec<&str> = t.iter().map(String::as_str).collect();
    args.extend(["get-connection", "--connection-id", "-GAAAAAAAAAAAAA="]);
    let out = run(&args, b"").await;
    let (_, stderr) = texts(&out);
    assert!(stderr.contains("GoneException"), "{stderr}");
}

#[tokio::test]
async fn get_prints_the_aws_cli_shape_in_json_and_text() {
    let gw = gateway().start().await.unwrap();
    let (_ws, id) = connect(&gw, "cli-get/1.0").await;
    let t = target(&gw);
    let mut args: Vec<&str> = t.iter().map(String::as_str).collect();
    args.extend(["get-connection", "--connection-id", &id]);
    let out = run(&args, b"").await;
    assert_eq!(code(&out), 0, "{:?}", texts(&out));
    let (stdout, _) = texts(&out);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["Identity"]["SourceIp"], "127.0.0.1");
    assert_eq!(v["Identity"]["UserAgent"], "cli-get/1.0");
    for field in ["ConnectedAt", "LastActiveAt"] {
        assert!(v[field].as_str().unwrap().ends_with("+00:00"), "{stdout}");
    }
    assert!(
        stdout.contains("\n    \"ConnectedAt\": "),
        "four-space indent: {stdout}"
    );

    args.extend(["--output", "text"]);
    let out = run(&args, b"").await;
    let (stdout, _) = texts(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0].split('\t').count(), 2);
    assert_eq!(lines[1], "IDENTITY\t127.0.0.1\tcli-get/1.0");
}

#[tokio::test]
async fn delete_closes_and_later_calls_fail_as_gone() {
    let gw = gateway().start().await.unwrap();
    let (mut ws, id) = connect(&gw, "cli-delete").await;
    let t = target(&gw);
    let base: Vec<&str> = t.iter().map(String::as_str).collect();
    let mut delete = base.clone();
    delete.extend(["delete-connection", "--connection-id", &id]);
    let out = run(&delete, b"").await;
    assert_eq!(code(&out), 0, "{:?}", texts(&out));
    assert!(out.stdout.is_empty());
    assert!(matches!(next(&mut ws).await, Some(Message::Close(_))));

    let mut post = base.clone();
    post.extend(["post-to-connection", "--connection-id", &id, "--data", "x"]);
    let out = run(&post, b"").await;
    assert_eq!(code(&out), 254);
    let (_, stderr) = texts(&out);
    assert!(
        stderr.starts_with(
            "An error occurred (GoneException) when calling the PostToConnection operation"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}

#[tokio::test]
async fn a_wrong_secret_is_reported_as_the_service_reports_it() {
    let gw = apigw_management_local::LocalGateway::builder()
        .credentials(crate::support::KEY, "another-secret")
        .start()
        .await
        .unwrap();
    let t = target(&gw);
    let mut args: Vec<&str> = t.iter().map(String::as_str).collect();
    args.extend(["get-connection", "--connection-id", "AAAAAAAAAAAAAAA="]);
    let out = run(&args, b"").await;
    assert_eq!(code(&out), 254);
    let (_, stderr) = texts(&out);
    assert!(stderr.contains("(InvalidSignatureException)"), "{stderr}");
    assert!(stderr.contains("GetConnection"), "{stderr}");
}
