//! A template's API at run time: each route event selects its route, passes its
//! authorizer, runs its function in a worker, and is answered as API Gateway answers
//! (a refused handshake, the route response's body, or the service's error frames).

use crate::authorizers::{self, Decision};
use crate::events::RouteAnswer;
use crate::template::Template;
use crate::workers::{Failure, Workers};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;

/// A running template: its routes, workers and the authorizer context of each connection.
pub(crate) struct TemplateApi {
    template: Template,
    workers: Workers,
    /// `requestContext.authorizer` by connection id.
    authorized: Mutex<HashMap<String, Value>>,
    /// Holds the runtime shims and the CA files; removed on drop.
    dir: PathBuf,
}

/// What the gateway tells template mode once it is bound.
pub(crate) struct Bound<'a> {
    pub addr: SocketAddr,
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    /// The CA's PEM, which workers trust.
    pub ca_pem: &'a str,
}

impl TemplateApi {
    /// Writes the runtime shims and CA files and prepares the workers' environment.
    pub(crate) fn new(template: Template, bound: &Bound<'_>) -> io::Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "apigw-management-local-{}-{}",
            std::process::id(),
            crate::ids::new_api_id()
        ));
        std::fs::create_dir_all(&dir)?;
        let ca_file = dir.join("ca.pem");
        std::fs::write(&ca_file, bound.ca_pem)?;
        // The CA plus the system's roots: handlers may reach real HTTPS services too.
        let mut bundle = bound.ca_pem.to_string();
        if let Ok(system) = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt") {
            bundle.push_str(&system);
        }
        let bundle_file = dir.join("ca-bundle.pem");
        std::fs::write(&bundle_file, bundle)?;
        let env = worker_env(&template, bound, &ca_file, &bundle_file);
        let workers = Workers::new(&template.functions, &template.region, env, &dir)?;
        Ok(TemplateApi {
            template,
            workers,
            authorized: Mutex::new(HashMap::new()),
            dir,
        })
    }

    /// The generated CA's file (PEM), for `wss://` clients.
    pub(crate) fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// Starts one worker per function.
    pub(crate) async fn warm(&self) {
        self.workers.warm().await;
    }

    /// Stops the idle workers.
    pub(crate) fn shutdown(&self) {
        self.workers.shutdown();
    }

    /// Handles one route event.
    pub(crate) async fn deliver(&self, mut event: Value) -> RouteAnswer {
        if !self.template.stage_variables.is_empty() {
            event["stageVariables"] = json!(self.template.stage_variables);
        }
        let id = event["requestContext"]["connectionId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        match event["requestContext"]["eventType"].as_str() {
            Some("CONNECT") => self.connect(event, &id).await,
            Some("DISCONNECT") => {
                self.with_authorizer(&mut event, &id);
                crate::workers::lock(&self.authorized).remove(&id);
                self.run_route("$disconnect", event).await;
                RouteAnswer::status(200)
            }
            _ => self.message(event, &id).await,
        }
    }

    async fn connect(&self, mut event: Value, id: &str) -> RouteAnswer {
        let route = self.template.routes.get("$connect");
        if let Some(a) = route.and_then(|r| r.authorizer.as_ref()) {
            if let Some(source) = authorizers::missing_identity(a, &event) {
                eprintln!("[{}] $connect refused (401): no {source}", a.name);
                return RouteAnswer::status(401);
            }
            let request = authorizers::request_event(&event, &self.template.region);
            let decision = match self.workers.invoke(&a.function, request).await {
                Ok(answer) => authorizers::decide(&answer),
                Err(Failure::Error(_, m)) if m == "Unauthorized" => Decision::Refuse(401),
                Err(e) => {
                    eprintln!("[{}] authorizer failed: {e}", a.function);
                    Decision::Refuse(500)
                }
            };
            match decision {
                Decision::Allow(ctx) => {
                    event["requestContext"]["authorizer"] = ctx.clone();
                    crate::workers::lock(&self.authorized).insert(id.to_string(), ctx);
                }
                Decision::Refuse(status) => return RouteAnswer::status(status),
            }
        }
        if route.is_none() {
            return RouteAnswer::status(200);
        }
        let answer = match self.run_route("$connect", event).await {
            Some(Ok(v)) => RouteAnswer::from_value(&v),
            _ => RouteAnswer::status(500),
        };
        if !answer.is_success() {
            crate::workers::lock(&self.authorized).remove(id);
        }
        answer
    }

    async fn message(&self, mut event: Value, id: &str) -> RouteAnswer {
        let body = event["body"].as_str().unwrap_or_default().to_string();
        let routes = &self.template.routes;
        let selected = crate::route_selection::select(&self.template.route_selection, &body, |k| {
            routes.contains_key(k) && !matches!(k, "$connect" | "$disconnect")
        });
        let request_id = event["requestContext"]["requestId"].clone();
        let Some(key) = selected else {
            return RouteAnswer::reply(error_frame("Forbidden", id, &request_id));
        };
        event["requestContext"]["routeKey"] = json!(key);
        self.with_authorizer(&mut event, id);
        let responds = routes.get(key.as_ref()).is_some_and(|r| r.responds);
        match self.run_route(&key, event).await {
            Some(Ok(v)) if responds => match body_of(&v) {
                Some(b) => RouteAnswer::reply(b),
                None => RouteAnswer::status(200),
            },
            Some(Ok(_)) | None => RouteAnswer::status(200),
            Some(Err(())) => {
                RouteAnswer::reply(error_frame("Internal server error", id, &request_id))
            }
        }
    }

    fn with_authorizer(&self, event: &mut Value, id: &str) {
        if let Some(ctx) = crate::workers::lock(&self.authorized).get(id) {
            event["requestContext"]["authorizer"] = ctx.clone();
        }
    }

    /// Runs a route's function; `None` when the route does not exist, `Err` when the
    /// function failed (reported on stderr, one line).
    async fn run_route(&self, key: &str, event: Value) -> Option<Result<Value, ()>> {
        let route = self.template.routes.get(key)?;
        Some(
            self.workers
                .invoke(&route.function, event)
                .await
                .map_err(|e| {
                    eprintln!("[{}] {key} failed: {e}", route.function);
                }),
        )
    }
}

impl Drop for TemplateApi {
    fn drop(&mut self) {
        self.workers.shutdown();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The environment every worker gets: the gateway's keys, region, endpoint and CA.
fn worker_env(
    t: &Template,
    bound: &Bound<'_>,
    ca_file: &std::path::Path,
    bundle: &std::path::Path,
) -> Vec<(String, String)> {
    let path = |p: &std::path::Path| p.display().to_string();
    vec![
        ("AWS_REGION".into(), t.region.clone()),
        ("AWS_DEFAULT_REGION".into(), t.region.clone()),
        ("AWS_ACCESS_KEY_ID".into(), bound.access_key_id.into()),
        (
            "AWS_SECRET_ACCESS_KEY".into(),
            bound.secret_access_key.into(),
        ),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        (
            "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI".into(),
            format!("http://{}/{}", bound.addr, t.stage),
        ),
        ("NODE_EXTRA_CA_CERTS".into(), path(ca_file)),
        ("AWS_CA_BUNDLE".into(), path(bundle)),
        ("SSL_CERT_FILE".into(), path(bundle)),
        ("REQUESTS_CA_BUNDLE".into(), path(bundle)),
        ("APIGW_LOCAL_GATEWAY".into(), bound.addr.to_string()),
        ("APIGW_LOCAL_API_HOSTS".into(), api_host(t)),
    ]
}

/// `{apiId}.execute-api.{region}.amazonaws.com`.
pub(crate) fn api_host(t: &Template) -> String {
    format!("{}.execute-api.{}.amazonaws.com", t.api_id, t.region)
}

/// The frame API Gateway sends a client when a message fails.
fn error_frame(message: &str, connection_id: &str, request_id: &Value) -> String {
    json!({ "message": message, "connectionId": connection_id, "requestId": request_id })
        .to_string()
}

/// A Lambda proxy answer's `body` (an answer that is not an object is its own body).
fn body_of(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => m.get("body").map(|b| match b {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}
