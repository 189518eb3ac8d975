//! The client: its builder, the three operations, and the attempt loop they share.

use crate::credentials::{CredentialCache, Credentials};
use crate::endpoint::{self, Endpoint, EventEndpoint, encode_connection_id};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{self, Connection};
use crate::retry::{self, Retry, RetryQuota};
use crate::signing;
use crate::transport;
use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

/// The service's limit on one message: 128 KiB.
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 131_072;
/// Attempts in all, the first included.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Base of the exponential backoff.
pub const DEFAULT_RETRY_BASE_DELAY: Duration = Duration::from_millis(100);
/// Connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Timeout of one attempt, from sending to the end of the response.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest clock offset accepted: a year, either way.
const MAX_CLOCK_OFFSET_MS: u64 = 366 * 24 * 3600 * 1000;

/// A boxed future, as the hooks return.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Called after every attempt (for logging): see [`ClientBuilder::on_attempt`].
pub type AttemptHook = Arc<dyn Fn(&AttemptInfo<'_>) + Send + Sync>;

/// Chooses the delay before a retry: see [`ClientBuilder::retry_delay_hook`].
pub type RetryDelayHook = Arc<dyn Fn(u32, &Error) -> BoxFuture<Option<Duration>> + Send + Sync>;

/// What one attempt did, for an [`AttemptHook`]. Never holds a secret.
#[derive(Debug)]
#[non_exhaustive]
pub struct AttemptInfo<'a> {
    /// `PostToConnection`, `GetConnection` or `DeleteConnection`.
    pub operation: &'static str,
    /// The connection id.
    pub connection_id: &'a str,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The response status, when a response arrived.
    pub status: Option<u16>,
    /// The attempt's error, if it failed.
    pub error: Option<&'a Error>,
    /// How long the attempt took.
    pub elapsed: Duration,
}

/// The three operations of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    Post,
    Get,
    Delete,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Post => "PostToConnection",
            Operation::Get => "GetConnection",
            Operation::Delete => "DeleteConnection",
        }
    }

    fn method(self) -> http::Method {
        match self {
            Operation::Post => http::Method::POST,
            Operation::Get => http::Method::GET,
            Operation::Delete => http::Method::DELETE,
        }
    }
}

/// A body and its SHA-256, hashed once and shared by every attempt (and, in a
/// broadcast, by every connection).
#[derive(Clone)]
pub(crate) struct Payload {
    pub body: Bytes,
    pub sha256: Arc<str>,
}

impl Payload {
    pub fn new(body: Bytes) -> Self {
        let sha256 = signing::payload_hash(&body).into();
        Payload { body, sha256 }
    }

    fn empty() -> Self {
        Payload {
            body: Bytes::new(),
            sha256: signing::EMPTY_SHA256.into(),
        }
    }
}

/// Something told about every throttling answer (the broadcast's send rate). When it
/// returns true it takes the message over: the call returns the 429 at once, without
/// retrying it or spending the retry quota.
pub(crate) trait ThrottleObserver: Send + Sync {
    fn throttled(&self, err: &Error) -> bool;
}

/// Builds a [`Client`]. Every option is checked at [`build`](ClientBuilder::build), which
/// does no I/O.
///
/// ```
/// use apigw_management::{Client, Credentials};
/// use std::time::Duration;
///
/// let client = Client::builder()
///     .endpoint("https://abc123.execute-api.eu-west-1.amazonaws.com/prod")
///     .credentials(Credentials::new("AKIDEXAMPLE", "secret", None))
///     .max_attempts(5)
///     .timeout(Duration::from_secs(2))
///     .build()
///     .unwrap();
/// assert_eq!(client.region(), Some("eu-west-1"));
/// ```
#[derive(Clone, Default)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    region: Option<String>,
    profile: Option<String>,
    credentials: Option<Credentials>,
    max_attempts: Option<u32>,
    retry_base_delay: Option<Duration>,
    retry_ambiguous: Option<bool>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    max_payload_bytes: Option<usize>,
    proxy: Option<String>,
    clock_offset_ms: i64,
    user_agent_suffix: Option<String>,
    danger_accept_invalid_certs: bool,
    on_attempt: Option<AttemptHook>,
    retry_delay_hook: Option<RetryDelayHook>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("profile", &self.profile)
            .field("credentials", &self.credentials)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The endpoint: `https://{api}.execute-api.{region}.amazonaws.com/{stage}`, a custom
    /// domain with its base path, or `http://127.0.0.1:PORT/{stage}`. `wss://`/`ws://`
    /// mean `https://`/`http://`; a trailing `/@connections` is removed. Without one, the
    /// `AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI` then `AWS_ENDPOINT_URL` variables.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Uses the endpoint of an API Gateway WebSocket event (see
    /// [`endpoint_from_event`](crate::endpoint_from_event)), unless an
    /// `AWS_ENDPOINT_URL_*` variable names one (how tests point a handler at a local
    /// gateway).
    pub fn endpoint_from_event(
        mut self,
        event: &serde_json::Value,
        style: EventEndpoint,
    ) -> Result<Self> {
        let url = match endpoint::endpoint_from_env() {
            Some(url) => url,
            None => crate::endpoint_from_event(event, style, self.region.as_deref())?,
        };
        self.endpoint = Some(url);
        Ok(self)
    }

    /// The signing region. Otherwise: from an `execute-api` host, `AWS_REGION`,
    /// `AWS_DEFAULT_REGION`, then the profile's `region`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The shared-config profile for credentials and region (default: `AWS_PROFILE`).
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Static credentials; otherwise the default chain (environment, profiles, web
    /// identity, container, instance metadata), resolved on first use and cached.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Attempts in all, the first included (default 3; at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// Base of the full-jitter exponential backoff (default 100 ms, capped at 20 s).
    pub fn retry_base_delay(mut self, delay: Duration) -> Self {
        self.retry_base_delay = Some(delay);
        self
    }

    /// Whether a post that may already have been delivered (a timeout or reset after the
    /// request was written, 502, 504) is retried (default true: at least once). False
    /// gives at most once for such failures.
    pub fn retry_ambiguous(mut self, retry: bool) -> Self {
        self.retry_ambiguous = Some(retry);
        self
    }

    /// TCP (and TLS) connect timeout (default 3 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Timeout of one attempt (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Largest message accepted before sending (default 131072, the service's limit).
    pub fn max_payload_bytes(mut self, bytes: usize) -> Self {
        self.max_payload_bytes = Some(bytes);
        self
    }

    /// An HTTP(S) proxy URL; `NO_PROXY` is honoured. Without it, `HTTPS_PROXY`,
    /// `HTTP_PROXY` and `NO_PROXY` from the environment apply.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// Milliseconds added to the local clock when signing (negative if it runs fast).
    /// A skew reported by the service corrects it automatically.
    pub fn clock_offset(mut self, offset_ms: i64) -> Self {
        self.clock_offset_ms = offset_ms;
        self
    }

    /// Appended to the `User-Agent` header.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Accepts any TLS certificate. **Dangerous**: only for a test endpoint with a
    /// self-signed certificate. TLS is verified unless this is set.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.danger_accept_invalid_certs = accept;
        self
    }

    /// Called after every attempt, success or failure (bindings log through it).
    pub fn on_attempt(mut self, hook: AttemptHook) -> Self {
        self.on_attempt = Some(hook);
        self
    }

    /// Asked for the delay before each retry (attempt number, last error); `None` keeps
    /// the default backoff. The retry rules themselves do not change.
    pub fn retry_delay_hook(mut self, hook: RetryDelayHook) -> Self {
        self.retry_delay_hook = Some(hook);
        self
    }

    /// Checks every option and builds the client. No I/O.
    pub fn build(self) -> Result<Client> {
        let raw = match self.endpoint {
            Some(e) => e,
            None => endpoint::endpoint_from_env().ok_or_else(|| {
                Error::config(
                    "no endpoint: pass one (https://{api}.execute-api.{region}.amazonaws.com/{stage}) \
                     or set AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI",
                )
            })?,
        };
        let endpoint = Endpoint::parse(&raw)?;
        endpoint
            .authority
            .parse::<http::uri::Authority>()
            .map_err(|e| Error::config(format!("invalid endpoint {raw:?}: {e}")).with_source(e))?;
        let region = match self.region {
            Some(r) if r.trim().is_empty() => return Err(Error::config("region is empty")),
            Some(r) => Some(r),
            None => endpoint.host_region.clone().or_else(endpoint::env_region),
        };
        if let Some(r) = &region
            && !r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(Error::config(format!("invalid region {r:?}")));
        }
        if let Some(c) = &self.credentials {
            c.validate()?;
        }
        if self.clock_offset_ms.unsigned_abs() > MAX_CLOCK_OFFSET_MS {
            return Err(Error::config(format!(
                "clock_offset {} ms is beyond a year either way",
                self.clock_offset_ms
            )));
        }
        let max_attempts = self.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
        if max_attempts == 0 {
            return Err(Error::config("max_attempts must be at least 1"));
        }
        let connect_timeout = positive(
            "connect_timeout",
            self.connect_timeout,
            DEFAULT_CONNECT_TIMEOUT,
        )?;
        let timeout = positive("timeout", self.timeout, DEFAULT_TIMEOUT)?;
        let max_payload_bytes = self.max_payload_bytes.unwrap_or(DEFAULT_MAX_PAYLOAD_BYTES);
        if max_payload_bytes == 0 {
            return Err(Error::config("max_payload_bytes must be at least 1"));
        }
        let proxy = self.proxy.filter(|p| !p.trim().is_empty());
        if let Some(p) = &proxy {
            transport::proxy_matcher(p)?;
        }
        let mut user_agent = format!("apigw-management/{}", env!("CARGO_PKG_VERSION"));
        if let Some(s) = self.user_agent_suffix.filter(|s| !s.is_empty()) {
            if s.chars().any(|c| c.is_control()) {
                return Err(Error::config(
                    "user_agent_suffix contains a control character",
                ));
            }
            user_agent.push(' ');
            user_agent.push_str(&s);
        }
        Ok(Client {
            inner: Arc::new(Inner {
                path_prefix: endpoint.path_prefix(),
                endpoint,
                region,
                profile: self.profile.filter(|p| !p.is_empty()),
                credentials: self.credentials,
                max_attempts,
                retry_base_delay: self.retry_base_delay.unwrap_or(DEFAULT_RETRY_BASE_DELAY),
                retry_ambiguous: self.retry_ambiguous.unwrap_or(true),
                connect_timeout,
                timeout,
                max_payload_bytes,
                proxy,
                user_agent,
                danger_accept_invalid_certs: self.danger_accept_invalid_certs,
                clock_offset_ms: AtomicI64::new(self.clock_offset_ms),
                quota: RetryQuota::new(),
                on_attempt: self.on_attempt,
                retry_delay_hook: self.retry_delay_hook,
                transport: Mutex::new(None),
            }),
        })
    }
}

fn positive(name: &str, value: Option<Duration>, default: Duration) -> Result<Duration> {
    match value {
        None => Ok(default),
        Some(d) if d.is_zero() => Err(Error::config(format!("{name} must be greater than zero"))),
        Some(d) => Ok(d),
    }
}

/// A client for one API's `@connections` endpoint. Cheap to clone (one shared
/// connection pool and credential cache inside).
///
/// ```no_run
/// # async fn run() -> Result<(), apigw_management::Error> {
/// use apigw_management::{Client, ErrorKind};
///
/// let client = Client::builder()
///     .endpoint("https://abc123.execute-api.eu-west-1.amazonaws.com/prod")
///     .build()?;
/// match client.post_to_connection("L0SM9cOFvHcCIhw=", "hello").await {
///     Ok(meta) => println!("sent in {} attempt(s)", meta.attempts),
///     Err(e) if e.kind() == ErrorKind::Gone => { /* forget this connection */ }
///     Err(e) => return Err(e),
/// }
/// let result = client.broadcast(["a=", "b="], "to all", Default::default()).await?;
/// println!("{} delivered, {} gone", result.delivered, result.gone.len());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    endpoint: Endpoint,
    path_prefix: String,
    region: Option<String>,
    profile: Option<String>,
    credentials: Option<Credentials>,
    max_attempts: u32,
    retry_base_delay: Duration,
    retry_ambiguous: bool,
    connect_timeout: Duration,
    timeout: Duration,
    pub(crate) max_payload_bytes: usize,
    proxy: Option<String>,
    user_agent: String,
    danger_accept_invalid_certs: bool,
    clock_offset_ms: AtomicI64,
    quota: RetryQuota,
    on_attempt: Option<AttemptHook>,
    retry_delay_hook: Option<RetryDelayHook>,
    /// The transport of the process that built it (see [`crate::runtime`] on `fork()`).
    transport: Mutex<Option<(u32, Arc<Transport>)>>,
}

/// What a process needs to send: the HTTP pool, credentials, the resolved region.
pub(crate) struct Transport {
    http: transport::Http,
    credentials: CredentialCache,
    region: tokio::sync::OnceCell<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.url())
            .field("region", &self.inner.region)
            .field("credentials", &self.inner.credentials)
            .field("max_attempts", &self.inner.max_attempts)
            .finish_non_exhaustive()
    }
}

/// A successful response.
pub(crate) struct Response {
    status: u16,
    request_id: Option<String>,
    body: Bytes,
    attempts: u32,
    total_retry_delay: Duration,
}

impl Response {
    fn metadata(self) -> ResponseMetadata {
        ResponseMetadata {
            status: self.status,
            request_id: self.request_id,
            attempts: self.attempts,
            total_retry_delay: self.total_retry_delay,
        }
    }
}

/// What a successful call's response said besides its result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseMetadata {
    /// The HTTP status (200, or 204 for a delete).
    pub status: u16,
    /// The `x-amzn-RequestId` of the response.
    pub request_id: Option<String>,
    /// Requests sent, the successful one included.
    pub attempts: u32,
    /// Time spent waiting between attempts.
    pub total_retry_delay: Duration,
}

/// What one failed attempt left behind, for the retry decision.
struct AttemptError {
    error: Error,
    written: bool,
    retry_after: Option<Duration>,
    server_date: Option<SystemTime>,
}

impl From<Error> for AttemptError {
    fn from(error: Error) -> Self {
        AttemptError {
            error,
            written: false,
            retry_after: None,
            server_date: None,
        }
    }
}

impl Client {
    /// A builder with every option at its default.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The endpoint URL requests go to (scheme, host, stage).
    pub fn endpoint(&self) -> String {
        self.inner.endpoint.url()
    }

    /// The signing region, when known without reading the shared config.
    pub fn region(&self) -> Option<&str> {
        self.inner.region.as_deref()
    }

    /// The largest message this client sends.
    pub fn max_payload_bytes(&self) -> usize {
        self.inner.max_payload_bytes
    }

    /// Sends `data` to a connection as one message.
    pub async fn post_to_connection(
        &self,
        connection_id: &str,
        data: impl Into<Bytes>,
    ) -> Result<ResponseMetadata> {
        let payload = self.payload(data.into())?;
        self.execute(Operation::Post, connection_id, &payload, None)
            .await
            .map(|r| r.metadata())
    }

    /// Describes a connection.
    pub async fn get_connection(&self, connection_id: &str) -> Result<Connection> {
        self.get_connection_with_metadata(connection_id)
            .await
            .map(|(c, _)| c)
    }

    /// Describes a connection, with the response's metadata.
    pub async fn get_connection_with_metadata(
        &self,
        connection_id: &str,
    ) -> Result<(Connection, ResponseMetadata)> {
        let resp = self
            .execute(Operation::Get, connection_id, &Payload::empty(), None)
            .await?;
        match Connection::from_json(&resp.body) {
            Ok(c) => Ok((c, resp.metadata())),
            Err(mut e) => {
                e.set_response(resp.status, resp.request_id);
                e.set_attempts(resp.attempts, resp.total_retry_delay);
                Err(e)
            }
        }
    }

    /// Closes a connection.
    pub async fn delete_connection(&self, connection_id: &str) -> Result<ResponseMetadata> {
        self.execute(Operation::Delete, connection_id, &Payload::empty(), None)
            .await
            .map(|r| r.metadata())
    }

    /// Checks the size of a body and hashes it once.
    pub(crate) fn payload(&self, body: Bytes) -> Result<Payload> {
        if body.len() > self.inner.max_payload_bytes {
            return Err(Error::new(
                ErrorKind::PayloadTooLarge,
                format!(
                    "data is {} bytes, over the limit of {} bytes; nothing was sent",
                    body.len(),
                    self.inner.max_payload_bytes
                ),
            )
            .with_code("PayloadTooLargeException"));
        }
        Ok(Payload::new(body))
    }

    /// The transport of this process, built on first use and again after `fork()`.
    pub(crate) fn transport(&self) -> Result<Arc<Transport>> {
        let pid = std::process::id();
        let mut slot = self
            .inner
            .transport
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some((owner, t)) = slot.as_ref()
            && *owner == pid
        {
            return Ok(t.clone());
        }
        let t = Arc::new(self.build_transport()?);
        if let Some(parent) = slot.replace((pid, t.clone())) {
            // The parent's pool holds sockets and tasks of a runtime this child does not
            // have: dropping it could block or close the parent's connections.
            std::mem::forget(parent);
        }
        Ok(t)
    }

    fn build_transport(&self) -> Result<Transport> {
        let i = &self.inner;
        let http = transport::Http::new(&transport::Options {
            endpoint: &i.endpoint,
            proxy: i.proxy.as_deref(),
            connect_timeout: i.connect_timeout,
            timeout: i.timeout,
            user_agent: &i.user_agent,
            danger_accept_invalid_certs: i.danger_accept_invalid_certs,
        })?;
        Ok(Transport {
            http,
            credentials: CredentialCache::new(
                i.credentials.as_ref(),
                i.profile.clone(),
                i.region.clone(),
            ),
            region: tokio::sync::OnceCell::new(),
        })
    }

    /// The region: configured, or the profile's `region` (read once).
    async fn resolve_region<'t>(&self, t: &'t Transport) -> Result<&'t str> {
        t.region
            .get_or_try_init(|| async {
                if let Some(r) = &self.inner.region {
                    return Ok(r.clone());
                }
                let mut p = aws_config::profile::ProfileFileRegionProvider::builder();
                if let Some(name) = &self.inner.profile {
                    p = p.profile_name(name);
                }
                use aws_config::meta::region::ProvideRegion;
                p.build()
                    .region()
                    .await
                    .map(|r| r.to_string())
                    .ok_or_else(|| {
                        Error::config(
                            "no region: pass one, use an execute-api endpoint host \
                             ({api}.execute-api.{region}.amazonaws.com), set AWS_REGION or \
                             AWS_DEFAULT_REGION, or set `region` in the profile of the shared config",
                        )
                    })
            })
            .await
            .map(String::as_str)
    }

    /// Resolves what every request needs before a batch starts (credentials, region).
    pub(crate) async fn prepare(&self) -> Result<()> {
        let t = self.transport()?;
        self.resolve_region(&t).await?;
        t.credentials.identity().await?;
        Ok(())
    }

    /// Sends one operation with retries; returns the response body.
    pub(crate) async fn execute(
        &self,
        op: Operation,
        connection_id: &str,
        payload: &Payload,
        observer: Option<&dyn ThrottleObserver>,
    ) -> Result<Response> {
        let encoded = encode_connection_id(connection_id)?;
        let span = tracing::debug_span!("apigw_management", operation = op.name(), connection_id);
        self.execute_encoded(op, connection_id, &encoded, payload, observer)
            .instrument(span)
            .await
    }

    async fn execute_encoded(
        &self,
        op: Operation,
        connection_id: &str,
        encoded: &str,
        payload: &Payload,
        observer: Option<&dyn ThrottleObserver>,
    ) -> Result<Response> {
        let i = &self.inner;
        let transport = self.transport()?;
        let region = self.resolve_region(&transport).await?;
        // Credentials that cannot be had fail the call before any request (0 attempts).
        transport.credentials.identity().await?;
        let path = format!("{}{}", i.path_prefix, encoded);
        let idempotent = op != Operation::Post;
        let mut attempt = 0u32;
        let mut total_delay = Duration::ZERO;
        let mut skew_corrected = false;
        let mut spent = 0u32;
        loop {
            attempt += 1;
            let started = Instant::now();
            let result = self.attempt(&transport, region, op, &path, payload).await;
            if let Some(hook) = &i.on_attempt {
                hook(&AttemptInfo {
                    operation: op.name(),
                    connection_id,
                    attempt,
                    status: match &result {
                        Ok((status, _, _)) => Some(*status),
                        Err(a) => a.error.status(),
                    },
                    error: result.as_ref().err().map(|a| &a.error),
                    elapsed: started.elapsed(),
                });
            }
            let failure = match result {
                Ok((status, request_id, body)) => {
                    tracing::debug!(attempt, status, "ok");
                    i.quota.release(spent.max(1));
                    return Ok(Response {
                        status,
                        request_id,
                        body,
                        attempts: attempt,
                        total_retry_delay: total_delay,
                    });
                }
                Err(f) => f,
            };
            let AttemptError {
                mut error,
                written,
                retry_after,
                server_date,
            } = failure;
            tracing::debug!(attempt, status = error.status(), error = %error.message(), "attempt failed");
            if error.kind() == ErrorKind::LimitExceeded
                && observer.is_some_and(|o| o.throttled(&error))
            {
                error = error.with_retryable(true);
                error.set_attempts(attempt, total_delay);
                return Err(error);
            }
            if !skew_corrected
                && is_clock_skew(&error)
                && let Some(server) = server_date
            {
                skew_corrected = true;
                let offset = signed_millis(server, SystemTime::now())
                    .clamp(-(MAX_CLOCK_OFFSET_MS as i64), MAX_CLOCK_OFFSET_MS as i64);
                i.clock_offset_ms.store(offset, Ordering::Relaxed);
                tracing::debug!(
                    offset_ms = offset,
                    "clock skew corrected from the response Date"
                );
                continue;
            }
            let class = retry::classify(&error, written);
            let may_retry = match class {
                Retry::No => false,
                Retry::Safe => true,
                Retry::Ambiguous => idempotent || i.retry_ambiguous,
            };
            if may_retry && attempt < i.max_attempts {
                let cost = if error.kind() == ErrorKind::Timeout {
                    RetryQuota::TIMEOUT_COST
                } else {
                    RetryQuota::RETRY_COST
                };
                if i.quota.acquire(cost) {
                    spent += cost;
                    let mut delay =
                        retry_after.unwrap_or_else(|| retry::backoff(i.retry_base_delay, attempt));
                    if let Some(hook) = &i.retry_delay_hook
                        && let Some(d) = hook(attempt, &error).await
                    {
                        delay = d.min(retry::MAX_BACKOFF);
                    }
                    tokio::time::sleep(delay).await;
                    total_delay += delay;
                    continue;
                }
                error.append_message(" (not retried: the client's retry quota is exhausted)");
            } else if class == Retry::Ambiguous && !may_retry {
                error.append_message(
                    " (not retried: the message may have been delivered and retry_ambiguous is off)",
                );
            }
            // Transient failures stay retryable when attempts ran out or retrying was off.
            error = error.with_retryable(class != Retry::No);
            error.set_attempts(attempt, total_delay);
            return Err(error);
        }
    }

    /// One signed request.
    async fn attempt(
        &self,
        t: &Transport,
        region: &str,
        op: Operation,
        path: &str,
        payload: &Payload,
    ) -> std::result::Result<(u16, Option<String>, Bytes), AttemptError> {
        let i = &self.inner;
        let identity = t.credentials.identity().await?;
        let now = SystemTime::now();
        let offset = i.clock_offset_ms.load(Ordering::Relaxed);
        let headers = signing::sign_headers(
            &identity,
            region,
            op.method().as_str(),
            &i.endpoint.authority,
            path,
            &payload.sha256,
            shift(now, offset),
        )?;
        let body = if op == Operation::Post {
            payload.body.clone()
        } else {
            Bytes::new()
        };
        let resp = t
            .http
            .send(op.method(), path, headers, body)
            .await
            .map_err(|f| AttemptError {
                error: f.error,
                written: f.written,
                retry_after: None,
                server_date: None,
            })?;
        let header = |name: &str| {
            resp.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        if (200..300).contains(&resp.status) {
            return Ok((resp.status, header("x-amzn-requestid"), resp.body));
        }
        Err(AttemptError {
            error: model::service_error(
                resp.status,
                header("x-amzn-errortype").as_deref(),
                header("x-amzn-requestid"),
                &resp.body,
            ),
            written: true,
            retry_after: header("retry-after").and_then(|v| retry::parse_retry_after(&v, now)),
            server_date: header("date").and_then(|v| model::parse_http_date(&v)),
        })
    }
}

fn is_clock_skew(e: &Error) -> bool {
    e.code() == Some("InvalidSignatureException")
        && (e.message().contains("Signature expired") || e.message().contains("not yet current"))
}

/// `t` moved by `offset_ms`, at most a year either way (what signing can format).
fn shift(t: SystemTime, offset_ms: i64) -> SystemTime {
    let d = Duration::from_millis(offset_ms.unsigned_abs().min(MAX_CLOCK_OFFSET_MS));
    let moved = if offset_ms >= 0 {
        t.checked_add(d)
    } else {
        t.checked_sub(d)
    };
    moved.unwrap_or(t)
}

fn signed_millis(a: SystemTime, b: SystemTime) -> i64 {
    match a.duration_since(b) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_offsets_never_overflow() {
        let now = SystemTime::now();
        let year = Duration::from_millis(MAX_CLOCK_OFFSET_MS);
        assert_eq!(shift(now, i64::MAX), now + year);
        assert_eq!(shift(now, i64::MIN), now - year);
        assert_eq!(shift(now, 1000), now + Duration::from_secs(1));
        let e = Client::builder()
            .endpoint("http://127.0.0.1:1/prod")
            .clock_offset(i64::MAX)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("clock_offset"), "{e}");
    }
}
