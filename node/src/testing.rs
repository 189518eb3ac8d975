//! Test servers for JS: the local gateway, and the scripted server that replays
//! `tests/vectors`.

use crate::error;
use apigw_management_local::{Faults, LocalGateway, Running, Verifier};
use napi::bindgen_prelude::{Status, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// `apigw_management_local::ScriptServer`: answers from a script and records requests.
#[napi]
pub struct ScriptServer {
    inner: apigw_management_local::ScriptServer,
}

#[napi]
impl ScriptServer {
    /// Starts a server on 127.0.0.1 (port 0) for a script's JSON; signatures are checked
    /// against the given keys (default `AKIDLOCAL` / `local-secret`).
    #[napi(constructor, catch_unwind)]
    pub fn new(
        script_json: String,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
    ) -> napi::Result<Self> {
        let verifier = match (access_key_id, secret_access_key) {
            (Some(k), Some(s)) => Verifier::new(k, s),
            _ => Verifier::new(
                apigw_management_local::DEFAULT_ACCESS_KEY_ID,
                apigw_management_local::DEFAULT_SECRET_ACCESS_KEY,
            ),
        };
        let inner = apigw_management::runtime::block_on(
            apigw_management_local::ScriptServer::start_json(&script_json, verifier),
        )
        .map_err(|e| error::local("Config", format!("cannot start the script server: {e}")))?;
        Ok(ScriptServer { inner })
    }

    /// `http://127.0.0.1:PORT/{stage}`.
    #[napi(getter)]
    pub fn endpoint(&self) -> String {
        self.inner.endpoint()
    }

    /// Every request received so far, as JSON.
    #[napi]
    pub fn requests_json(&self) -> String {
        self.inner.requests_json()
    }

    /// Stops accepting and closes every connection.
    #[napi]
    pub fn stop(&self) {
        self.inner.stop();
    }
}

/// Options of the local gateway (durations in milliseconds; faults as JSON in the
/// `Faults` shape of `apigw-management-local`).
#[napi(object)]
#[derive(Default)]
pub struct GatewayOptions {
    pub port: Option<u32>,
    pub stage: Option<String>,
    pub verify: Option<bool>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub integration_url: Option<String>,
    pub faults_json: Option<String>,
    pub idle_timeout: Option<f64>,
    pub max_duration: Option<f64>,
    pub client_buffer_bytes: Option<f64>,
    pub api_id: Option<String>,
    /// Template mode: a SAM/CloudFormation WebSocket API (YAML or JSON file).
    pub template: Option<String>,
    /// Template parameters.
    pub parameter_overrides: Option<HashMap<String, String>>,
    /// A `sam local`-style `--env-vars` JSON file.
    pub env_vars: Option<String>,
    /// The template's region (default `AWS_REGION`, else us-east-1).
    pub region: Option<String>,
}

/// A route event handed to the JS handler; JS answers with [`NativeGateway::reply`].
#[napi(object)]
pub struct RouteEvent {
    pub id: u32,
    pub event: String,
}

type HandlerFn = ThreadsafeFunction<RouteEvent, Unknown<'static>, RouteEvent, Status, false, true>;

#[derive(Default)]
struct Pending {
    next: u32,
    waiting: HashMap<u32, oneshot::Sender<String>>,
}

/// `apigw_management_local::LocalGateway`, running.
#[napi]
pub struct NativeGateway {
    inner: Running,
    pending: Arc<Mutex<Pending>>,
}

fn millis_opt(name: &str, v: Option<f64>) -> napi::Result<Option<Duration>> {
    match v {
        None => Ok(None),
        Some(ms) if ms.is_finite() && ms > 0.0 => Ok(Some(Duration::from_secs_f64(ms / 1000.0))),
        Some(ms) => Err(error::local(
            "Config",
            format!("{name} must be a positive number of milliseconds (got {ms})"),
        )),
    }
}

/// Gives a route event to the JS handler and waits for its `reply`; 500 when it cannot
/// be called, 502 when its answer is not JSON.
async fn ask_handler(
    f: Arc<HandlerFn>,
    pending: Arc<Mutex<Pending>>,
    event: serde_json::Value,
) -> serde_json::Value {
    let (tx, rx) = oneshot::channel();
    let id = {
        let mut p = pending.lock().unwrap_or_else(|p| p.into_inner());
        p.next = p.next.wrapping_add(1);
        let id = p.next;
        p.waiting.insert(id, tx);
        id
    };
    let status = f.call(
        RouteEvent {
            id,
            event: event.to_string(),
        },
        ThreadsafeFunctionCallMode::NonBlocking,
    );
    if status != Status::Ok {
        pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .waiting
            .remove(&id);
        return serde_json::json!({ "statusCode": 500 });
    }
    match rx.await {
        Ok(answer) => serde_json::from_str(&answer)
            .unwrap_or_else(|_| serde_json::json!({ "statusCode": 502 })),
        Err(_) => serde_json::json!({ "statusCode": 500 }),
    }
}

fn faults(json: &str) -> napi::Result<Faults> {
    Faults::from_json(json).map_err(|e| error::local("Config", e.to_string()))
}

/// Reads the `template` option with its overrides.
fn load_template(path: &str, o: &GatewayOptions) -> napi::Result<apigw_management_local::Template> {
    let region = o
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()))
        .unwrap_or_else(|| "us-east-1".to_string());
    let overrides: Vec<(String, String)> = o
        .parameter_overrides
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let env_vars = o.env_vars.as_deref().map(std::path::Path::new);
    apigw_management_local::Template::load(path.as_ref(), &overrides, env_vars, &region)
        .map_err(|e| error::local("Config", e))
}

#[napi]
impl NativeGateway {
    /// Binds 127.0.0.1 and starts serving on the core's runtime. `handler({ id, event })`
    /// receives each route event as JSON and must answer with `reply(id, answerJson)`.
    #[napi(factory, catch_unwind)]
    pub fn start(
        opts: Option<GatewayOptions>,
        #[napi(ts_arg_type = "((event: RouteEvent) => void) | undefined | null")] handler: Option<
            HandlerFn,
        >,
    ) -> napi::Result<Self> {
        let o = opts.unwrap_or_default();
        let mut b = LocalGateway::builder();
        if let Some(path) = &o.template {
            b = b.template(load_template(path, &o)?);
        }
        if let Some(p) = o.port {
            let p = u16::try_from(p)
                .map_err(|_| error::local("Config", format!("invalid port {p}")))?;
            b = b.port(p);
        }
        if let Some(s) = o.stage {
            b = b.stage(s);
        }
        if let Some(v) = o.verify {
            b = b.verify(v);
        }
        match (o.access_key_id, o.secret_access_key) {
            (Some(k), Some(s)) => b = b.credentials(k, s),
            (None, None) => {}
            _ => {
                return Err(error::local(
                    "Config",
                    "credentials need both accessKeyId and secretAccessKey",
                ));
            }
        }
        if let Some(u) = o.integration_url {
            b = b.integration_url(u);
        }
        if let Some(j) = &o.faults_json {
            b = b.faults(faults(j)?);
        }
        if let Some(d) = millis_opt("idleTimeout", o.idle_timeout)? {
            b = b.idle_timeout(d);
        }
        if let Some(d) = millis_opt("maxDuration", o.max_duration)? {
            b = b.max_duration(d);
        }
        if let Some(n) = o.client_buffer_bytes {
            if !(n.is_finite() && n >= 0.0) {
                return Err(error::local(
                    "Config",
                    "clientBufferBytes must be a non-negative number",
                ));
            }
            b = b.client_buffer_bytes(n as usize);
        }
        if let Some(a) = o.api_id {
            b = b.api_id(a);
        }
        let pending: Arc<Mutex<Pending>> = Arc::default();
        if let Some(f) = handler.filter(|_| o.template.is_none()) {
            let f = Arc::new(f);
            let pending = pending.clone();
            b = b.handler_fn(move |event| ask_handler(f.clone(), pending.clone(), event));
        }
        let inner = apigw_management::runtime::block_on(b.start())
            .map_err(|e| error::local("Config", format!("cannot start the local gateway: {e}")))?;
        Ok(NativeGateway { inner, pending })
    }

    /// The answer of the JS handler to route event `id` (a Lambda proxy answer as JSON).
    #[napi]
    pub fn reply(&self, id: u32, answer_json: String) {
        let tx = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .waiting
            .remove(&id);
        if let Some(tx) = tx {
            let _ = tx.send(answer_json);
        }
    }

    /// Template mode: `wss://127.0.0.1:PORT/{stage}`.
    #[napi(getter)]
    pub fn wss_url(&self) -> Option<String> {
        self.inner.wss_url()
    }

    /// Template mode: the generated CA's PEM file, for `wss://` clients.
    #[napi(getter)]
    pub fn ca_file(&self) -> Option<String> {
        self.inner.ca_file().map(|p| p.display().to_string())
    }

    /// `http://127.0.0.1:PORT/{stage}`: the management endpoint.
    #[napi(getter)]
    pub fn endpoint(&self) -> String {
        self.inner.endpoint()
    }

    /// `ws://127.0.0.1:PORT/{stage}`: where WebSocket clients connect.
    #[napi(getter)]
    pub fn ws_url(&self) -> String {
        self.inner.ws_url()
    }

    /// The bound port.
    #[napi(getter)]
    pub fn port(&self) -> u32 {
        u32::from(self.inner.port())
    }

    /// The stage.
    #[napi(getter)]
    pub fn stage(&self) -> String {
        self.inner.stage().to_string()
    }

    /// The `apiId` of route events.
    #[napi(getter)]
    pub fn api_id(&self) -> String {
        self.inner.api_id().to_string()
    }

    /// The access key id requests must be signed with.
    #[napi(getter)]
    pub fn access_key_id(&self) -> String {
        self.inner.access_key_id().to_string()
    }

    /// The (local, test-only) secret requests must be signed with.
    #[napi(getter)]
    pub fn secret_access_key(&self) -> String {
        self.inner.secret_access_key().to_string()
    }

    /// Whether signatures are checked.
    #[napi(getter)]
    pub fn verifies_signatures(&self) -> bool {
        self.inner.verifies_signatures()
    }

    /// Open connections as JSON (`[{connectionId, connectedAt, identity, lastActiveAt}]`).
    #[napi]
    pub fn connections_json(&self) -> String {
        self.inner.connections_json()
    }

    /// Ids of the open connections, oldest first.
    #[napi]
    pub fn connection_ids(&self) -> Vec<String> {
        self.inner.connection_ids()
    }

    /// The number of open connections.
    #[napi(getter)]
    pub fn connection_count(&self) -> u32 {
        self.inner.connection_count() as u32
    }

    /// Closes one connection from the server side; false if it is not open.
    #[napi]
    pub fn disconnect(&self, connection_id: String) -> bool {
        self.inner.disconnect(&connection_id)
    }

    /// Replaces the injected faults (JSON in the `Faults` shape).
    #[napi(catch_unwind)]
    pub fn set_faults(&self, faults_json: String) -> napi::Result<()> {
        self.inner
            .set_faults(faults(&faults_json)?)
            .map_err(|e| error::local("Config", e.to_string()))
    }

    /// The faults in force, as JSON.
    #[napi]
    pub fn faults_json(&self) -> String {
        self.inner.faults().to_json()
    }

    /// Stops serving: closes every client (1001) and the listener. Idempotent.
    #[napi]
    pub fn stop(&self) {
        self.inner.stop();
        let mut p = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        p.waiting.clear();
    }
}
