//! `broadcast`: the same data to every connection id of a file or stdin, with progress
//! and a summary; exit status 1 when any connection failed.

use crate::args::{BroadcastArgs, Global, Output};
use crate::failure::{self, Failure};
use crate::progress::ProgressBar;
use crate::{data, operations, output};
use apigw_management::{BroadcastOptions, BroadcastResult};
use serde_json::json;
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs the command.
pub async fn run(global: &Global, args: BroadcastArgs) -> Result<(), Failure> {
    let from_stdin = args.connection_ids.as_deref().is_none_or(|p| p == "-");
    if from_stdin && args.data == "-" {
        return Err(Failure::input(
            "--data - and the connection ids cannot both come from stdin; pass --connection-ids FILE",
        ));
    }
    let ids = read_ids(args.connection_ids.as_deref())?;
    let body = data::read(&args.data, args.cli_binary_format)?;
    if args.concurrency == 0 {
        return Err(Failure::input("--concurrency must be at least 1"));
    }
    let mut opts = BroadcastOptions::default().concurrency(args.concurrency);
    if let Some(secs) = args.deadline {
        let deadline = Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                Failure::input(format!(
                    "--deadline {secs} is not a positive number of seconds"
                ))
            })?;
        opts = opts.deadline(deadline);
    }
    let bar = Arc::new(ProgressBar::new("broadcast"));
    let on_progress = bar.clone();
    opts = opts.on_progress(move |p| on_progress.update(p));
    let client = operations::client(global)?;
    let started = Instant::now();
    let result = client
        .broadcast(ids, body, opts)
        .await
        .map_err(|e| Failure::call("PostToConnection", &e))?;
    report(
        &result,
        started.elapsed(),
        global.output.unwrap_or(Output::Text),
    );
    if result.is_ok() {
        Ok(())
    } else {
        Err(Failure::silent(failure::PARTIAL))
    }
}

/// Connection ids, one a line; blank lines and `#` comments skipped.
fn read_ids(source: Option<&str>) -> Result<Vec<String>, Failure> {
    let (text, name) = match source {
        Some(path) if path != "-" => (
            std::fs::read_to_string(path)
                .map_err(|e| Failure::input(format!("cannot read --connection-ids {path}: {e}")))?,
            path.to_string(),
        ),
        _ => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                Failure::input(format!("cannot read connection ids from stdin: {e}"))
            })?;
            (text, "stdin".to_string())
        }
    };
    let ids: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    if ids.is_empty() {
        return Err(Failure::input(format!("no connection ids in {name}")));
    }
    Ok(ids)
}

fn report(result: &BroadcastResult, elapsed: Duration, format: Output) {
    match format {
        Output::Json => {
            let failed: Vec<_> = result
                .failed
                .iter()
                .map(|(id, e)| {
                    json!({
                        "ConnectionId": id,
                        "Code": e.code().unwrap_or(e.kind().as_str()),
                        "Message": e.message(),
                        "StatusCode": e.status(),
                    })
                })
                .collect();
            let v = json!({
                "Delivered": result.delivered,
                "Gone": result.gone,
                "Failed": failed,
                "ElapsedSeconds": elapsed.as_secs_f64(),
            });
            println!("{}", output::pretty(&v));
        }
        Output::Text => {
            println!(
                "delivered {}, gone {}, failed {} in {:.3} s",
                result.delivered,
                result.gone.len(),
                result.failed.len(),
                elapsed.as_secs_f64()
            );
            for id in &result.gone {
                println!("GONE\t{id}");
            }
            for (id, e) in &result.failed {
                println!("FAILED\t{id}\t{}", failure::one_line(&e.to_string()));
            }
        }
    }
}
