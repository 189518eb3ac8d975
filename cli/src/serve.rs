//! `local`: serves the local gateway (or, with `--script`, the scripted server) until
//! Ctrl-C or SIGTERM. The first line of output names the WebSocket URL and the endpoint
//! URL, so that scripts can start it on port 0.

use crate::args::{Global, LocalArgs, Output};
use crate::failure::Failure;
use apigw_management_local::{
    DEFAULT_ACCESS_KEY_ID, Faults, LocalGateway, Script, ScriptServer, Verifier,
};
use serde_json::{Value, json};
use std::io::Write;
use std::time::Duration;

/// Runs the command.
pub async fn run(global: &Global, args: LocalArgs) -> Result<(), Failure> {
    let format = global.output.unwrap_or(Output::Text);
    let verifier = match (&args.access_key_id, &args.secret_access_key) {
        (Some(k), Some(s)) => Verifier::new(k.clone(), s.clone()),
        _ => Verifier::from_env(),
    };
    if let Some(path) = &args.script {
        return serve_script(path, verifier, format).await;
    }
    let mut builder = LocalGateway::builder()
        .port(args.port)
        .stage(&args.stage)
        .verify(!args.no_verify)
        .idle_timeout(seconds("--idle-timeout", args.idle_timeout)?)
        .max_duration(seconds("--max-duration", args.max_duration)?);
    if let (Some(k), Some(s)) = (&args.access_key_id, &args.secret_access_key) {
        builder = builder.credentials(k, s);
    }
    if let Some(region) = &global.region {
        builder = builder.region(region);
    }
    if let Some(url) = &args.integration_url {
        builder = builder.integration_url(url);
    }
    if let Some(path) = &args.template {
        builder = builder.template(load_template(global, path, &args)?);
    }
    if let Some(json) = &args.faults {
        builder = builder.faults(Faults::from_json(json).map_err(Failure::input)?);
    }
    let gateway = builder.start().await.map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidInput => Failure::input(e),
        _ => Failure::other(format!("cannot listen on 127.0.0.1:{}: {e}", args.port)),
    })?;
    let first = json!({
        "websocket_url": gateway.ws_url(),
        "endpoint_url": gateway.endpoint(),
        "stage": gateway.stage(),
        "port": gateway.port(),
        "access_key_id": gateway.access_key_id(),
        "verify": gateway.verifies_signatures(),
        "wss_url": gateway.wss_url(),
        "ca_file": gateway.ca_file(),
    });
    announce(&first, format);
    if format == Output::Text {
        let keys = if !gateway.verifies_signatures() {
            "signatures are not checked".to_string()
        } else if gateway.access_key_id() == DEFAULT_ACCESS_KEY_ID {
            format!(
                "sign with access key id {} and secret {}",
                gateway.access_key_id(),
                gateway.secret_access_key()
            )
        } else {
            format!(
                "sign with access key id {} and its secret",
                gateway.access_key_id()
            )
        };
        if let (Some(wss), Some(ca)) = (gateway.wss_url(), gateway.ca_file()) {
            println!("TLS: {wss} with the CA {}", ca.display());
        }
        println!("{keys}; stop with Ctrl-C");
    }
    shutdown_signal().await;
    gateway.stop();
    Ok(())
}

/// Reads `--template` with its overrides; prints what it does not emulate, one line each.
fn load_template(
    global: &Global,
    path: &str,
    args: &LocalArgs,
) -> Result<apigw_management_local::Template, Failure> {
    let overrides = args
        .parameter_overrides
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| {
                    Failure::input(format!("--parameter-overrides {kv:?} is not KEY=VALUE"))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let region = global
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()))
        .or_else(|| {
            std::env::var("AWS_DEFAULT_REGION")
                .ok()
                .filter(|r| !r.is_empty())
        })
        .unwrap_or_else(|| "us-east-1".to_string());
    let env_vars = args.env_vars.as_deref().map(std::path::Path::new);
    let t = apigw_management_local::Template::load(path.as_ref(), &overrides, env_vars, &region)
        .map_err(Failure::input)?;
    if !t.not_emulated.is_empty() {
        eprintln!("not emulated: {}", t.not_emulated.join(", "));
    }
    for note in &t.notes {
        eprintln!("{note}");
    }
    let routes: Vec<&str> = t.routes.keys().map(String::as_str).collect();
    eprintln!("routes: {}", routes.join(", "));
    Ok(t)
}

async fn serve_script(path: &str, verifier: Verifier, format: Output) -> Result<(), Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::input(format!("cannot read --script {path}: {e}")))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::input(format!("--script {path} is not JSON: {e}")))?;
    let script_value = match value.get("script") {
        Some(s) if value.get("responses").is_none() => s.clone(),
        _ => value,
    };
    let script: Script = serde_json::from_value(script_value)
        .map_err(|e| Failure::input(format!("--script {path} is not a script: {e}")))?;
    let server = ScriptServer::start(script, verifier)
        .await
        .map_err(|e| Failure::other(format!("cannot start the scripted server: {e}")))?;
    announce(
        &json!({ "websocket_url": Value::Null, "endpoint_url": server.endpoint(), "script": path }),
        format,
    );
    shutdown_signal().await;
    server.stop();
    println!("{}", server.requests_json());
    Ok(())
}

/// The first line: both URLs.
fn announce(v: &Value, format: Output) {
    let line = match format {
        Output::Json => v.to_string(),
        Output::Text => {
            let ws = v["websocket_url"]
                .as_str()
                .unwrap_or("none (scripted server)");
            let endpoint = v["endpoint_url"].as_str().unwrap_or_default();
            format!("WebSocket URL: {ws}  Endpoint URL: {endpoint}")
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn seconds(flag: &str, value: f64) -> Result<Duration, Failure> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            Failure::input(format!(
                "{flag} {value} is not a positive number of seconds"
            ))
        })
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
