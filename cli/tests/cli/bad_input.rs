//! Bad input: one line naming the problem, a non-zero exit, never a panic.

use crate::support::{code, run, texts};

async fn refused(args: &[&str], mentions: &str) {
    let out = run(args, b"").await;
    let (stdout, stderr) = texts(&out);
    assert_eq!(code(&out), 252, "{args:?}: {stderr}");
    assert!(stdout.is_empty(), "{args:?}: {stdout}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    assert!(
        stderr.contains(mentions),
        "{args:?} should mention {mentions:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn bad_input_is_one_line_and_exit_252() {
    let endpoint = [
        "--endpoint-url",
        "http://127.0.0.1:9/prod",
        "--region",
        "us-east-1",
    ];
    let with = |rest: &[&'static str]| -> Vec<&'static str> {
        endpoint.iter().chain(rest).copied().collect()
    };
    refused(&["--bogus", "get-connection"], "--bogus").await;
    refused(&["get-connection"], "--connection-id").await;
    refused(&["post-to-connection", "--connection-id", "a="], "--data").await;
    refused(&["frobnicate"], "frobnicate").await;
    refused(
        &[
            "get-connection",
            "--connection-id",
            "a=",
            "--output",
            "yaml",
        ],
        "yaml",
    )
    .await;
    refused(
        &with(&[
            "post-to-connection",
            "--connection-id",
            "a=",
            "--data",
            "fileb:///nonexistent/data.bin",
        ]),
        "/nonexistent/data.bin",
    )
    .await;
    refused(
        &with(&[
            "post-to-connection",
            "--connection-id",
            "a=",
            "--data",
            "%%%",
            "--cli-binary-format",
            "base64",
        ]),
        "base64",
    )
    .await;
    refused(
        &[
            "--endpoint-url",
            "127.0.0.1:9/prod",
            "--region",
            "us-east-1",
            "get-connection",
            "--connection-id",
            "a=",
        ],
        "scheme",
    )
    .await;
    refused(
        &with(&["get-connection", "--connection-id", ""]),
        "connection",
    )
    .await;
    refused(
        &with(&[
            "broadcast",
            "--data",
            "x",
            "--connection-ids",
            "/nonexistent/ids.txt",
        ]),
        "/nonexistent/ids.txt",
    )
    .await;
    refused(&["local", "--stage", "no/slashes"], "stage").await;
    refused(&["local", "--faults", "{\"throttle\": 3}"], "throttle").await;
    refused(&["demo", "--clients", "0"], "--clients").await;
}

#[tokio::test]
async fn help_and_version_exit_zero() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["post-to-connection", "--help"],
    ] {
        let out = run(args, b"").await;
        assert_eq!(code(&out), 0, "{args:?}");
        assert!(!out.stdout.is_empty());
    }
    let (stdout, _) = texts(&run(&["--help"], b"").await);
    for command in [
        "post-to-connection",
        "get-connection",
        "delete-connection",
        "broadcast",
        "local",
        "demo",
    ] {
        assert!(stdout.contains(command), "{command} missing from --help");
    }
    assert!(!stdout.contains("ws-clients"));
}
