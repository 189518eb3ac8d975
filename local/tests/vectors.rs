//! Replays every `tests/vectors/*.json` case through the Rust client against the
//! scripted server (the Python and Node suites replay the same files).

use apigw_management::{BroadcastOptions, Client, Connection, Credentials, Error};
use apigw_management_local::{ScriptServer, Verifier};
use base64::Engine as _;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

const KEY: &str = "AKIDLOCAL";
const SECRET: &str = "local-secret";

const CASE_KEYS: &[&str] = &[
    "name",
    "client",
    "call",
    "script",
    "expect",
    "expect_requests",
    "expect_request_count",
    "expect_signature_errors",
    "expect_gaps_ms",
    "skip",
];
const CLIENT_KEYS: &[&str] = &[
    "max_attempts",
    "retry_base_delay_ms",
    "timeout_ms",
    "connect_timeout_ms",
    "retry_ambiguous",
    "max_payload_bytes",
    "endpoint",
    "region",
    "proxy",
];
const CALL_KEYS: &[&str] = &[
    "op",
    "connection_id",
    "data",
    "connection_ids",
    "items",
    "concurrency",
];
const ERROR_KEYS: &[&str] = &[
    "kind",
    "code",
    "status",
    "message",
    "message_contains",
    "request_id",
    "attempts",
    "retryable",
];
const CONNECTION_KEYS: &[&str] = &["connected_at", "last_active_at", "source_ip", "user_agent"];

/// Fails on a key outside `allowed` (a typo must fail the case, not be ignored), and on a
/// missing one of `required`.
fn keys(v: &Value, allowed: &[&str], required: &[&str], what: &str) -> Result<(), String> {
    let map = v
        .as_object()
        .ok_or_else(|| format!("{what} is not an object: {v}"))?;
    if let Some(k) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!("unknown key {k:?} in {what}"));
    }
    match required.iter().find(|k| !map.contains_key(**k)) {
        Some(k) => Err(format!("{what} lacks {k:?}")),
        None => Ok(()),
    }
}

fn data_keys(v: &Value, what: &str) -> Result<(), String> {
    match v.get("repeat") {
        Some(_) => keys(v, &["repeat", "times"], &["repeat", "times"], what),
        None if v.get("base64").is_some() => keys(v, &["base64"], &["base64"], what),
        None => keys(v, &["utf8"], &["utf8"], what),
    }
}

/// Checks every key of a case against tests/vectors/README.md.
fn validate(case: &Value) -> Result<(), String> {
    keys(
        case,
        CASE_KEYS,
        &["name", "client", "call", "script", "expect"],
        "the case",
    )?;
    keys(&case["client"], CLIENT_KEYS, &[], "client")?;
    let call = &case["call"];
    keys(call, CALL_KEYS, &["op"], "call")?;
    if let Some(d) = call.get("data") {
        data_keys(d, "call.data")?;
    }
    for item in call["items"].as_array().into_iter().flatten() {
        keys(
            item,
            &["connection_id", "data"],
            &["connection_id", "data"],
            "an item",
        )?;
        data_keys(&item["data"], "an item's data")?;
    }
    let expect = &case["expect"];
    keys(
        expect,
        &["ok", "connection", "error", "broadcast"],
        &[],
        "expect",
    )?;
    if expect.as_object().map_or(0, |m| m.len()) != 1 {
        return Err("expect needs exactly one of ok, connection, error, broadcast".into());
    }
    if let Some(e) = expect.get("error") {
        keys(e, ERROR_KEYS, &[], "expect.error")?;
    }
    if let Some(c) = expect.get("connection") {
        keys(c, CONNECTION_KEYS, CONNECTION_KEYS, "expect.connection")?;
    }
    if let Some(b) = expect.get("broadcast") {
        let all = ["delivered", "gone", "failed"];
        keys(b, &all, &all, "expect.broadcast")?;
        for f in b["failed"].as_array().into_iter().flatten() {
            keys(
                f,
                &[ERROR_KEYS, &["connection_id"]].concat(),
                &["connection_id"],
                "failed",
            )?;
        }
    }
    for r in case["expect_requests"].as_array().into_iter().flatten() {
        let all = ["method", "path", "body"];
        keys(r, &all, &all, "expect_requests")?;
        data_keys(&r["body"], "a request's body")?;
    }
    Ok(())
}

fn vector_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/vectors")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != "signing.json"))
        .collect();
    files.sort();
    files
}

fn data(v: &Value) -> Vec<u8> {
    if let Some(s) = v.get("utf8").and_then(Value::as_str) {
        return s.as_bytes().to_vec();
    }
    if let Some(s) = v.get("base64").and_then(Value::as_str) {
        return base64::engine::general_purpose::STANDARD
            .decode(s)
            .expect("base64 data");
    }
    let unit = v["repeat"].as_str().expect("data: utf8, base64 or repeat");
    unit.repeat(v["times"].as_u64().expect("times") as usize)
        .into_bytes()
}

fn client(endpoint: &str, opts: &Value) -> Result<Client, Error> {
    let text = |k: &str, default: &str| {
        opts.get(k)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_string()
    };
    let origin = endpoint.rsplit_once('/').map_or(endpoint, |(o, _)| o);
    let mut b = Client::builder()
        .endpoint(text("endpoint", endpoint).replace("{server}", origin))
        .region(text("region", "us-east-1"))
        .credentials(Credentials::new(KEY, SECRET, None));
    if let Some(p) = opts.get("proxy").and_then(Value::as_str) {
        b = b.proxy(p);
    }
    let ms = |k: &str| {
        opts.get(k)
            .and_then(Value::as_u64)
            .map(Duration::from_millis)
    };
    if let Some(n) = opts.get("max_attempts").and_then(Value::as_u64) {
        b = b.max_attempts(n as u32);
    }
    if let Some(d) = ms("retry_base_delay_ms") {
        b = b.retry_base_delay(d);
    }
    if let Some(d) = ms("timeout_ms") {
        b = b.timeout(d);
    }
    if let Some(d) = ms("connect_timeout_ms") {
        b = b.connect_timeout(d);
    }
    if let Some(r) = opts.get("retry_ambiguous").and_then(Value::as_bool) {
        b = b.retry_ambiguous(r);
    }
    if let Some(n) = opts.get("max_payload_bytes").and_then(Value::as_u64) {
        b = b.max_payload_bytes(n as usize);
    }
    b.build()
}

fn error_json(e: &Error) -> Value {
    json!({
        "kind": e.kind().as_str(),
        "code": e.code(),
        "status": e.status(),
        "message": e.message(),
        "request_id": e.request_id(),
        "attempts": e.attempts(),
        "retryable": e.is_retryable(),
    })
}

fn connection_json(c: &Connection) -> Value {
    json!({
        "connected_at": apigw_management::format_timestamp(c.connected_at),
        "last_active_at": apigw_management::format_timestamp(c.last_active_at),
        "source_ip": c.identity.source_ip,
        "user_agent": c.identity.user_agent,
    })
}

/// Compares an actual error with the expected fields (only those given).
fn check_error(actual: &Value, expected: &Value) -> Result<(), String> {
    for (k, want) in expected.as_object().expect("error expectation") {
        if k == "message_contains" {
            let msg = actual["message"].as_str().unwrap_or("");
            if !msg.contains(want.as_str().unwrap_or("")) {
                return Err(format!("message {msg:?} does not contain {want}"));
            }
            continue;
        }
        if k == "connection_id" {
            continue;
        }
        if &actual[k] != want {
            return Err(format!(
                "{k}: expected {want}, got {} (error {actual})",
                actual[k]
            ));
        }
    }
    Ok(())
}

async fn run_case(case: &Value) -> Result<(), String> {
    validate(case)?;
    let script = serde_json::to_string(&case["script"]).map_err(|e| e.to_string())?;
    let server = ScriptServer::start_json(&script, Verifier::new(KEY, SECRET))
        .await
        .map_err(|e| e.to_string())?;
    let call = &case["call"];
    let client = match client(&server.endpoint(), &case["client"]) {
        Ok(c) => c,
        Err(e) => return check_outcome(case, &server, Err(e)),
    };
    let id = call["connection_id"].as_str().unwrap_or("");
    let outcome: Result<Value, Error> = match call["op"].as_str().unwrap_or("") {
        "post_to_connection" => client
            .post_to_connection(id, data(&call["data"]))
            .await
            .map(|_| json!({"ok": true})),
        "get_connection" => client
            .get_connection(id)
            .await
            .map(|c| json!({"connection": connection_json(&c)})),
        "delete_connection" => client
            .delete_connection(id)
            .await
            .map(|_| json!({"ok": true})),
        op @ ("broadcast" | "post_many") => {
            let mut opts = BroadcastOptions::default();
            if let Some(n) = call.get("concurrency").and_then(Value::as_u64) {
                opts = opts.concurrency(n as usize);
            }
            let result = if op == "broadcast" {
                let ids: Vec<String> = call["connection_ids"]
                    .as_array()
                    .expect("connection_ids")
                    .iter()
                    .map(|v| v.as_str().unwrap_or("").to_string())
                    .collect();
                client.broadcast(ids, data(&call["data"]), opts).await
            } else {
                let items: Vec<(String, Vec<u8>)> = call["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|i| {
                        (
                            i["connection_id"].as_str().unwrap_or("").to_string(),
                            data(&i["data"]),
                        )
                    })
                    .collect();
                client.post_many(items, opts).await
            };
            result.map(|r| {
                json!({"broadcast": {
                    "delivered": r.delivered,
                    "gone": r.gone,
                    "failed": r.failed.iter().map(|(id, e)| {
                        let mut v = error_json(e);
                        v["connection_id"] = json!(id);
                        v
                    }).collect::<Vec<_>>(),
                }})
            })
        }
        other => return Err(format!("unknown op {other:?}")),
    };
    check_outcome(case, &server, outcome)
}

/// Compares a call's outcome and the requests the server saw with the case.
fn check_outcome(
    case: &Value,
    server: &ScriptServer,
    outcome: Result<Value, Error>,
) -> Result<(), String> {
    let expect = &case["expect"];
    match (&outcome, expect.get("error")) {
        (Err(e), Some(want)) => check_error(&error_json(e), want)?,
        (Err(e), None) => return Err(format!("unexpected error: {e}")),
        (Ok(v), Some(_)) => return Err(format!("expected an error, got {v}")),
        (Ok(v), None) => {
            if let Some(want) = expect.get("broadcast") {
                let got = &v["broadcast"];
                for k in ["delivered", "gone"] {
                    if got[k] != want[k] {
                        return Err(format!("{k}: expected {}, got {}", want[k], got[k]));
                    }
                }
                let (gf, wf) = (
                    got["failed"].as_array().unwrap(),
                    want["failed"].as_array().unwrap(),
                );
                if gf.len() != wf.len() {
                    return Err(format!("failed: expected {wf:?}, got {gf:?}"));
                }
                for (g, w) in gf.iter().zip(wf) {
                    if g["connection_id"] != w["connection_id"] {
                        return Err(format!("failed order: expected {wf:?}, got {gf:?}"));
                    }
                    check_error(g, w)?;
                }
            } else if v != expect {
                return Err(format!("expected {expect}, got {v}"));
            }
        }
    }
    check_requests(case, server)
}

/// Compares the requests the server saw with the case: count, bytes, signatures, gaps.
fn check_requests(case: &Value, server: &ScriptServer) -> Result<(), String> {
    let got: Vec<Value> = serde_json::from_str(&server.requests_json()).unwrap();
    if let Some(n) = case.get("expect_request_count").and_then(Value::as_u64)
        && got.len() as u64 != n
    {
        return Err(format!("expected {n} requests, got {}", got.len()));
    }
    if let Some(want) = case.get("expect_requests") {
        let seen: Vec<Value> = got
            .iter()
            .map(|r| json!({"method": r["method"], "path": r["path"], "body": r["body"]}))
            .collect();
        if &Value::from(seen.clone()) != want {
            return Err(format!("requests: expected {want}, got {seen:?}"));
        }
    }
    // Every request verifies unless the case names the ones that must not (in order).
    let signatures: Vec<Value> = got.iter().map(|r| r["signature_error"].clone()).collect();
    let want = case
        .get("expect_signature_errors")
        .cloned()
        .unwrap_or_else(|| Value::from(vec![Value::Null; got.len()]));
    if Value::from(signatures.clone()) != want {
        return Err(format!(
            "signature errors: expected {want}, got {signatures:?}"
        ));
    }
    if let Some(want) = case.get("expect_gaps_ms").and_then(Value::as_array) {
        let at: Vec<u64> = got
            .iter()
            .map(|r| r["received_ms"].as_u64().unwrap())
            .collect();
        let gaps: Vec<u64> = at.windows(2).map(|w| w[1] - w[0]).collect();
        let fits = gaps.len() == want.len()
            && gaps
                .iter()
                .zip(want)
                .all(|(g, w)| (w[0].as_u64().unwrap()..=w[1].as_u64().unwrap()).contains(g));
        if !fits {
            return Err(format!(
                "gaps between requests: expected within {want:?} ms, got {gaps:?}"
            ));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vector_passes() {
    let mut failures = Vec::new();
    let mut count = 0;
    for file in vector_files() {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for case in doc["cases"].as_array().expect("cases") {
            let skip = case["skip"]
                .as_array()
                .is_some_and(|l| l.iter().any(|v| v == "rust"));
            if skip {
                continue;
            }
            count += 1;
            let name = case["name"].as_str().unwrap_or("?");
            if let Err(e) = tokio::time::timeout(Duration::from_secs(20), run_case(case))
                .await
                .unwrap_or_else(|_| Err("the case did not finish within 20 s".into()))
            {
                failures.push(format!(
                    "{}: {name}: {e}",
                    file.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    assert!(count >= 40, "only {count} vectors found");
    assert!(
        failures.is_empty(),
        "{} of {count} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
