//! The client facade: the three operations, the per-process transport they share, and
//! the region they sign for. The builder is in `builder.rs`, the attempt loop in
//! `attempt.rs`.

use crate::attempt::Response;
use crate::builder::{ClientBuilder, Config};
use crate::credentials::CredentialCache;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Connection;
use crate::retry::RetryQuota;
use crate::signing;
use crate::transport;
use bytes::Bytes;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The three operations of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    Post,
    Get,
    Delete,
}

impl Operation {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Operation::Post => "PostToConnection",
            Operation::Get => "GetConnection",
            Operation::Delete => "DeleteConnection",
        }
    }

    pub(crate) fn method(self) -> http::Method {
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
    pub config: Config,
    pub clock_offset_ms: AtomicI64,
    pub quota: RetryQuota,
    /// The transport of the process that built it (see [`crate::runtime`] on `fork()`).
    transport: Mutex<Option<(u32, Arc<Transport>)>>,
}

/// What a process needs to send: the HTTP pool, credentials, the resolved region.
pub(crate) struct Transport {
    pub http: transport::Http,
    pub credentials: CredentialCache,
    region: tokio::sync::OnceCell<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.inner.config;
        f.debug_struct("Client")
            .field("endpoint", &c.endpoint.url())
            .field("region", &c.region)
            .field("credentials", &c.credentials)
            .field("max_attempts", &c.max_attempts)
            .finish_non_exhaustive()
    }
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

impl Client {
    /// A builder with every option at its default.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The client of checked options (see [`ClientBuilder::build`]).
    pub(crate) fn from_config(config: Config, clock_offset_ms: i64) -> Client {
        Client {
            inner: Arc::new(Inner {
                config,
                clock_offset_ms: AtomicI64::new(clock_offset_ms),
                quota: RetryQuota::new(),
                transport: Mutex::new(None),
            }),
        }
    }

    /// The endpoint URL requests go to (scheme, host, stage).
    pub fn endpoint(&self) -> String {
        self.inner.config.endpoint.url()
    }

    /// The signing region, when known without reading the shared config.
    pub fn region(&self) -> Option<&str> {
        self.inner.config.region.as_deref()
    }

    /// The largest message this client sends.
    pub fn max_payload_bytes(&self) -> usize {
        self.inner.config.max_payload_bytes
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
        if body.len() > self.inner.config.max_payload_bytes {
            return Err(Error::new(
                ErrorKind::PayloadTooLarge,
                format!(
                    "data is {} bytes, over the limit of {} bytes; nothing was sent",
                    body.len(),
                    self.inner.config.max_payload_bytes
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
        let i = &self.inner.config;
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
    pub(crate) async fn resolve_region<'t>(&self, t: &'t Transport) -> Result<&'t str> {
        t.region
            .get_or_try_init(|| async {
                if let Some(r) = &self.inner.config.region {
                    return Ok(r.clone());
                }
                let mut p = aws_config::profile::ProfileFileRegionProvider::builder();
                if let Some(name) = &self.inner.config.profile {
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
}
