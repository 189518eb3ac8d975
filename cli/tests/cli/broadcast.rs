//! broadcast: ids from a file or stdin, a summary, progress lines, exit 1 on failures.

use crate::support::{TempFile, code, connect, gateway, next, run, target, texts};
use apigw_management_local::Faults;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn broadcast_from_a_file_reports_delivered_and_gone() {
    let gw = gateway().start().await.unwrap();
    let mut clients = Vec::new();
    for i in 0..3 {
        clients.push(connect(&gw, &format!("bc{i}")).await);
    }
    let mut list = String::from("# connection ids\n\n");
    for (_, id) in &clients {
        list.push_str(&format!("{id}\n"));
    }
    list.push_str("AAAAAAAAAAAAAAA=\n");
    let file = TempFile::new("ids.txt", list.as_bytes());
    let t = target(&gw);
    let mut args: Vec<&str> = t.iter().map(String::as_str).collect();
    let path = file.path();
    args.extend(["broadcast", "--connection-ids", &path, "--data", "news"]);
    let out = run(&args, b"").await;
    let (stdout, stderr) = texts(&out);
    assert_eq!(code(&out), 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("delivered 3, gone 1, failed 0 in "),
        "{stdout}"
    );
    assert!(stdout.contains("GONE\tAAAAAAAAAAAAAAA="), "{stdout}");
    assert!(
        stderr.contains("broadcast: 4/4 done, 3 delivered, 1 gone, 0 failed"),
        "{stderr}"
    );
    for (ws, _) in &mut clients {
        assert_eq!(next(ws).await, Some(Message::text("news")));
    }
}

#[tokio::test]
async fn broadcast_from_stdin_prints_json() {
    let gw = gateway().start().await.unwrap();
    let (mut ws, id) = connect(&gw, "bc-stdin").await;
    let t = target(&gw);
    let mut args: Vec<&str> = t.iter().map(String::as_str).collect();
    args.extend(["--output", "json", "broadcast", "--data", "piped"]);
    let out = run(&args, format!("{id}\n").as_bytes()).await;
    let (stdout, stderr) = texts(&out);
    assert_eq!(code(&out), 0, "{stdout}{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["Delivered"], 1);
    assert_eq!(v["Failed"], serde_json::json!([]));
    assert_eq!(next(&mut ws).await, Some(Message::text("piped")));
}

#[tokio::test]
async fn failures_are_listed_and_exit_one() {
    let gw = gateway()
        .faults(Faults::none().server_error(1.0))
        .start()
        .await
        .unwrap();
    let (_ws, id) = connect(&gw, "bc-fail").await;
    let t = target(&gw);
    let mut args: Vec<&str> = t.iter().map(String::as_str).collect();
    args.extend(["broadcast", "--data", "x"]);
    let out = run(&args, id.as_bytes()).await;
    let (stdout, stderr) = texts(&out);
    assert_eq!(code(&out), 1, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("delivered 0, gone 0, failed 1"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("FAILED\t{id}\t")), "{stdout}");
    assert!(stdout.contains("InternalServerErrorException"), "{stdout}");
}

#[tokio::test]
async fn stdin_cannot_hold_both_ids_and_data() {
    let out = run(
        &[
            "--endpoint-url",
            "http://127.0.0.1:9/prod",
            "broadcast",
            "--data",
            "-",
        ],
        b"",
    )
    .await;
    assert_eq!(code(&out), 252);
    assert!(texts(&out).1.contains("stdin"));
}
