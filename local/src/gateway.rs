//! The local gateway's public API: [`LocalGateway::builder`] configures it,
//! [`GatewayBuilder::start`] binds it on loopback, and the [`Running`] handle reports its
//! URLs and connections, changes faults and stops it (also when dropped).

use crate::events::{EventHandler, Router, handler_fn};
use crate::faults::{FaultSchedule, Faults};
use crate::registry::{Conn, Connections};
use crate::server::{Limits, Shared, accept_loop};
use crate::template::Template;
use crate::template_api::{Bound, TemplateApi};
use crate::verify::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, Verifier};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The default stage, the first path segment of both URLs.
pub const DEFAULT_STAGE: &str = "prod";
/// The service's idle timeout: a connection with no traffic for this long is closed.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// The service's maximum connection duration.
pub const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(2 * 60 * 60);
/// Bytes of posted messages that may wait for a client that does not read before
/// PostToConnection answers 429 `LimitExceededException` ("Client side buffer is full").
pub const DEFAULT_CLIENT_BUFFER_BYTES: usize = 1 << 20;

/// The local API Gateway WebSocket stand-in.
///
/// ```no_run
/// use apigw_management::Client;
/// use apigw_management_local::LocalGateway;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let gateway = LocalGateway::builder().stage("dev").start().await?;
/// println!("clients connect to {}", gateway.ws_url());
/// let client = Client::builder()
///     .endpoint(gateway.endpoint())
///     .region("us-east-1")
///     .credentials(gateway.credentials())
///     .build()?;
/// for c in gateway.connections() {
///     client.post_to_connection(&c.connection_id, "hello").await?;
/// }
/// gateway.stop();
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct LocalGateway;

impl LocalGateway {
    /// A builder with the service's defaults: stage `prod`, signatures checked with the
    /// keys from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (else `AKIDLOCAL` /
    /// `local-secret`), a port chosen by the OS, no route integration, no faults.
    pub fn builder() -> GatewayBuilder {
        GatewayBuilder::default()
    }
}

/// Options of a [`LocalGateway`]; [`start`](GatewayBuilder::start) binds it.
#[derive(Clone)]
pub struct GatewayBuilder {
    port: u16,
    stage: String,
    verify: bool,
    credentials: Option<(String, String)>,
    region: Option<String>,
    integration_url: Option<String>,
    handler: Option<EventHandler>,
    faults: Faults,
    idle_timeout: Duration,
    max_duration: Duration,
    client_buffer_bytes: usize,
    api_id: Option<String>,
    template: Option<Template>,
}

impl Default for GatewayBuilder {
    fn default() -> Self {
        GatewayBuilder {
            port: 0,
            stage: DEFAULT_STAGE.into(),
            verify: true,
            credentials: None,
            region: None,
            integration_url: None,
            handler: None,
            faults: Faults::none(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_duration: DEFAULT_MAX_DURATION,
            client_buffer_bytes: DEFAULT_CLIENT_BUFFER_BYTES,
            api_id: None,
            template: None,
        }
    }
}

impl std::fmt::Debug for GatewayBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayBuilder")
            .field("port", &self.port)
            .field("stage", &self.stage)
            .field("verify", &self.verify)
            .field(
                "access_key_id",
                &self.credentials.as_ref().map(|(k, _)| k.as_str()),
            )
            .field("region", &self.region)
            .field("integration_url", &self.integration_url)
            .field("handler", &self.handler.is_some())
            .field("faults", &self.faults)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_duration", &self.max_duration)
            .field("client_buffer_bytes", &self.client_buffer_bytes)
            .field("template", &self.template.as_ref().map(|t| &t.api_id))
            .finish_non_exhaustive()
    }
}

impl GatewayBuilder {
    /// The port on 127.0.0.1 (default 0: the OS chooses; read it back from
    /// [`Running::addr`]).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The stage (default `prod`): letters, digits, `-` and `_`.
    pub fn stage(mut self, stage: impl Into<String>) -> Self {
        self.stage = stage.into();
        self
    }

    /// Whether SigV4 signatures are checked (default true).
    pub fn verify(mut self, verify: bool) -> Self {
        self.verify = verify;
        self
    }

    /// The gateway's region: a signature scoped to another region is refused with 403,
    /// as a regional endpoint does (default: none, any region is accepted).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The key pair requests must be signed with.
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.credentials = Some((access_key_id.into(), secret_access_key.into()));
        self
    }

    /// Sends route events (`$connect`, `$disconnect`, `$default`) as JSON in an HTTP POST
    /// to this URL; its answer (a Lambda proxy answer, `{"statusCode": …}`) decides
    /// `$connect`.
    pub fn integration_url(mut self, url: impl Into<String>) -> Self {
        self.integration_url = Some(url.into());
        self
    }

    /// Sends route events to an in-process handler (before the integration URL, when
    /// both are set: the first non-2xx answer rejects a `$connect`).
    pub fn handler(mut self, handler: EventHandler) -> Self {
        self.handler = Some(handler);
        self
    }

    /// Like [`handler`](GatewayBuilder::handler), from an async closure.
    pub fn handler_fn<F, Fut>(self, f: F) -> Self
    where
        F: Fn(serde_json::Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = serde_json::Value> + Send + 'static,
    {
        self.handler(handler_fn(f))
    }

    /// Faults injected on the management API from the start (see [`Faults`]).
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Closes a connection without traffic for this long (default 10 minutes).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Closes every connection this long after it opened (default 2 hours).
    pub fn max_duration(mut self, duration: Duration) -> Self {
        self.max_duration = duration;
        self
    }

    /// Bytes that may wait for a client that does not read before a post answers 429
    /// (default 1 MiB; one message is always accepted into an empty queue).
    pub fn client_buffer_bytes(mut self, bytes: usize) -> Self {
        self.client_buffer_bytes = bytes;
        self
    }

    /// The `apiId` of route events (default: 10 random characters, as the service's).
    pub fn api_id(mut self, api_id: impl Into<String>) -> Self {
        self.api_id = Some(api_id.into());
        self
    }

    /// Runs a SAM/CloudFormation WebSocket API (template mode): its stage and API id, its
    /// routes and their Lambda handlers in worker processes, and TLS on the same port
    /// with a generated CA ([`Running::ca_file`]) so that handlers reach
    /// `https://{domainName}/{stage}` and `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`.
    /// Replaces [`stage`](GatewayBuilder::stage), [`api_id`](GatewayBuilder::api_id) and
    /// any handler or integration URL.
    ///
    /// ```no_run
    /// use apigw_management_local::{LocalGateway, Template};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let template = Template::load("template.yaml".as_ref(), &[], None, "us-east-1")?;
    /// let gateway = LocalGateway::builder().template(template).start().await?;
    /// println!("clients connect to {}", gateway.ws_url());
    /// # Ok(()) }
    /// ```
    pub fn template(mut self, template: Template) -> Self {
        self.stage = template.stage.clone();
        self.api_id = Some(template.api_id.clone());
        self.handler = None;
        self.integration_url = None;
        self.template = Some(template);
        self
    }

    /// Binds `127.0.0.1:{port}` and starts serving on the current tokio runtime.
    ///
    /// Fails with `InvalidInput` for a bad option (stage, integration URL, faults, zero
    /// timeouts), or with the bind error.
    pub async fn start(self) -> io::Result<Running> {
        let invalid = |m: String| io::Error::new(io::ErrorKind::InvalidInput, m);
        if self.stage.is_empty()
            || !self
                .stage
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(format!(
                "invalid stage {:?}: use letters, digits, '-' and '_'",
                self.stage
            )));
        }
        if let Some(url) = &self.integration_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(invalid(format!(
                "invalid integration URL {url:?}: it must start with http:// or https://"
            )));
        }
        if self.idle_timeout.is_zero() || self.max_duration.is_zero() {
            return Err(invalid(
                "the idle timeout and the maximum duration must be above zero".into(),
            ));
        }
        self.faults.validate()?;
        let (access_key_id, secret_access_key) = match self.credentials {
            Some((k, s)) if k.trim().is_empty() || s.is_empty() => {
                return Err(invalid(
                    "the access key id and the secret must not be empty".into(),
                ));
            }
            Some(pair) => pair,
            None => env_credentials(),
        };
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await?;
        let addr = listener.local_addr()?;
        let bound = (addr, access_key_id.as_str(), secret_access_key.as_str());
        let (template, tls) = start_template(self.template, bound)?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            stage: self.stage.as_str().into(),
            api_id: self
                .api_id
                .unwrap_or_else(crate::ids::new_api_id)
                .as_str()
                .into(),
            domain_name: addr.to_string().into(),
            verifier: self.verify.then(|| {
                let v = Verifier::new(access_key_id.clone(), secret_access_key.clone());
                match self.region {
                    Some(r) => v.region(r),
                    None => v,
                }
            }),
            connections: Connections::new(),
            faults: FaultSchedule::new(self.faults),
            router: Router::new(self.handler, self.integration_url).with_template(template.clone()),
            limits: Limits {
                idle_timeout: self.idle_timeout,
                max_duration: self.max_duration,
                client_buffer_bytes: self.client_buffer_bytes,
            },
            stop: stop_rx,
            tls,
        });
        if let Some(t) = &template {
            t.warm().await;
        }
        tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(Running {
            addr,
            access_key_id,
            secret_access_key,
            shared,
            stop: stop_tx,
            template,
        })
    }
}

/// Template mode's TLS (a fresh CA, a certificate for the API's names) and its API;
/// nothing without a template.
#[allow(clippy::type_complexity)]
fn start_template(
    template: Option<Template>,
    (addr, access_key_id, secret_access_key): (SocketAddr, &str, &str),
) -> io::Result<(Option<Arc<TemplateApi>>, Option<tokio_rustls::TlsAcceptor>)> {
    let Some(template) = template else {
        return Ok((None, None));
    };
    let names = vec![
        "127.0.0.1".to_string(),
        "localhost".to_string(),
        crate::template_api::api_host(&template),
    ];
    let tls = crate::tls::generate(&names)?;
    let bound = Bound {
        addr,
        access_key_id,
        secret_access_key,
        ca_pem: &tls.ca_pem,
    };
    let api = TemplateApi::new(template, &bound)?;
    Ok((Some(Arc::new(api)), Some(tls.acceptor)))
}

/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, else the documented local pair.
fn env_credentials() -> (String, String) {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(k), Some(s)) => (k, s),
        _ => (
            DEFAULT_ACCESS_KEY_ID.to_string(),
            DEFAULT_SECRET_ACCESS_KEY.to_string(),
        ),
    }
}

/// A connected WebSocket client, as [`Running::connections`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionInfo {
    /// The connection id (`V-M0CclhjoECETA=`).
    pub connection_id: String,
    /// When the client connected.
    pub connected_at: SystemTime,
    /// When the client last sent a message.
    pub last_active_at: SystemTime,
    /// The client's IP address.
    pub source_ip: String,
    /// The client's `User-Agent` (empty when it sent none).
    pub user_agent: String,
}

impl ConnectionInfo {
    fn from_conn(c: &Conn) -> Self {
        ConnectionInfo {
            connection_id: c.id.clone(),
            connected_at: c.connected_at,
            last_active_at: c.last_active_at(),
            source_ip: c.source_ip.clone(),
            user_agent: c.user_agent.clone(),
        }
    }

    /// GetConnection's JSON plus the id: `{"connectionId", "connectedAt", "identity":
    /// {"sourceIp", "userAgent"}, "lastActiveAt"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "connectionId": self.connection_id,
            "connectedAt": apigw_management::format_timestamp(self.connected_at),
            "identity": { "sourceIp": self.source_ip, "userAgent": self.user_agent },
            "lastActiveAt": apigw_management::format_timestamp(self.last_active_at),
        })
    }
}

/// A running gateway. Stops when dropped (or on [`stop`](Running::stop)): the listener
/// closes and every client is sent a close frame (1001, "Going away").
pub struct Running {
    addr: SocketAddr,
    access_key_id: String,
    secret_access_key: String,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    template: Option<Arc<TemplateApi>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addr", &self.addr)
            .field("stage", &&*self.shared.stage)
            .field("access_key_id", &self.access_key_id)
            .field("verify", &self.shared.verifier.is_some())
            .finish_non_exhaustive()
    }
}

impl Running {
    /// The bound address (`127.0.0.1:PORT`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The stage.
    pub fn stage(&self) -> &str {
        &self.shared.stage
    }

    /// The `apiId` of route events.
    pub fn api_id(&self) -> &str {
        &self.shared.api_id
    }

    /// Where WebSocket clients connect: `ws://127.0.0.1:PORT/{stage}`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/{}", self.addr, self.shared.stage)
    }

    /// The management API endpoint to give a client: `http://127.0.0.1:PORT/{stage}`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/{}", self.addr, self.shared.stage)
    }

    /// The access key id requests must be signed with.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret requests must be signed with (a local test secret, never a real one).
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The accepted key pair as the core client's credentials.
    pub fn credentials(&self) -> apigw_management::Credentials {
        apigw_management::Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.clone(),
            None,
        )
    }

    /// Template mode's CA certificate (PEM file): `wss://` clients trust it to connect to
    /// [`wss_url`](Running::wss_url). `None` outside template mode.
    pub fn ca_file(&self) -> Option<std::path::PathBuf> {
        self.template.as_ref().map(|t| t.ca_file())
    }

    /// Where `wss://` clients connect in template mode: `wss://127.0.0.1:PORT/{stage}`.
    pub fn wss_url(&self) -> Option<String> {
        self.template
            .as_ref()
            .map(|_| format!("wss://{}/{}", self.addr, self.shared.stage))
    }

    /// Whether signatures are checked.
    pub fn verifies_signatures(&self) -> bool {
        self.shared.verifier.is_some()
    }

    /// Every connection `$connect` accepted and not yet closed, oldest first.
    pub fn connections(&self) -> Vec<ConnectionInfo> {
        let mut list: Vec<ConnectionInfo> = self
            .shared
            .connections
            .accepted()
            .iter()
            .map(|c| ConnectionInfo::from_conn(c))
            .collect();
        list.sort_by(|a, b| {
            a.connected_at
                .cmp(&b.connected_at)
                .then_with(|| a.connection_id.cmp(&b.connection_id))
        });
        list
    }

    /// The ids of [`connections`](Running::connections).
    pub fn connection_ids(&self) -> Vec<String> {
        self.connections()
            .into_iter()
            .map(|c| c.connection_id)
            .collect()
    }

    /// The number of open connections.
    pub fn connection_count(&self) -> usize {
        *self.shared.connections.watch_count().borrow()
    }

    /// [`connections`](Running::connections) as a JSON array (see
    /// [`ConnectionInfo::to_json`]).
    pub fn connections_json(&self) -> String {
        serde_json::Value::Array(
            self.connections()
                .iter()
                .map(ConnectionInfo::to_json)
                .collect(),
        )
        .to_string()
    }

    /// Waits until at least `n` connections are open; false if `timeout` passed first.
    pub async fn wait_for_connections(&self, n: usize, timeout: Duration) -> bool {
        let mut count = self.shared.connections.watch_count();
        tokio::time::timeout(timeout, count.wait_for(|c| *c >= n))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Closes one connection from the server side, as DeleteConnection does; false if it
    /// is not open.
    pub fn disconnect(&self, connection_id: &str) -> bool {
        let connections = &self.shared.connections;
        match connections.get(connection_id).filter(|c| c.is_accepted()) {
            Some(conn) => {
                connections.remove(connection_id);
                conn.request_close(1000, "Connection deleted");
                true
            }
            None => false,
        }
    }

    /// Replaces the injected faults; their schedule starts again from its first draw.
    pub fn set_faults(&self, faults: Faults) -> io::Result<()> {
        faults.validate()?;
        self.shared.faults.set(faults);
        Ok(())
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        self.shared.faults.get()
    }

    /// How many faults of each kind were injected since the gateway started.
    pub fn fault_counts(&self) -> crate::faults::FaultCounts {
        self.shared.faults.counts()
    }

    /// Stops accepting, closes every client (1001) and every HTTP connection. Idempotent.
    pub fn stop(&self) {
        self.stop.send_replace(true);
        if let Some(t) = &self.template {
            t.shutdown();
        }
        for conn in self.shared.connections.all() {
            if !conn.is_accepted() {
                self.shared.connections.remove(&conn.id);
            }
        }
    }

    /// True once [`stop`](Running::stop) was called.
    pub fn is_stopped(&self) -> bool {
        *self.stop.borrow()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}
