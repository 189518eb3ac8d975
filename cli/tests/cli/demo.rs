//! `demo`: clients in a second process, a broadcast through the core client, every check
//! passing, the numbers printed.

use crate::support::{code, run, texts};

#[tokio::test]
async fn the_demo_passes_and_prints_its_numbers() {
    let out = run(&["demo", "--clients", "30", "--delete", "3"], b"").await;
    let (stdout, stderr) = texts(&out);
    assert_eq!(code(&out), 0, "{stdout}{stderr}");
    for expected in [
        "connected    30 of 30 clients",
        "30 delivered, 0 gone, 0 failed",
        "msgs/s",
        "received     30 of 30 clients got the message",
        "µs per message",
        "deleted      3 connections: 3 now answer GoneException (410), 3 clients saw the close",
        "result       OK",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[tokio::test]
async fn the_demo_reports_json() {
    let out = run(&["demo", "--clients", "10", "--output", "json"], b"").await;
    let (stdout, stderr) = texts(&out);
    assert_eq!(code(&out), 0, "{stdout}{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["received"], 10);
    assert!(v["messages_per_second"].as_f64().unwrap() > 0.0);
}
