//! The builder of a [`Client`], its defaults, and the validation of every option.

use crate::attempt::{AttemptHook, MAX_CLOCK_OFFSET_MS, RetryDelayHook};
use crate::client::Client;
use crate::credentials::Credentials;
use crate::endpoint::{self, Endpoint, EventEndpoint};
use crate::error::{Error, Result};
use crate::transport;
use std::time::Duration;

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
            .field(
                "endpoint",
                &self
                    .endpoint
                    .as_deref()
                    .map(crate::endpoint::redact_userinfo),
            )
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

    /// Attempts in all, the first included (default: `AWS_MAX_ATTEMPTS`, else 3; at
    /// least 1).
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
        let endpoint = build_endpoint(self.endpoint)?;
        let region = build_region(self.region, &endpoint)?;
        if let Some(c) = &self.credentials {
            c.validate()?;
        }
        if self.clock_offset_ms.unsigned_abs() > MAX_CLOCK_OFFSET_MS {
            return Err(Error::config(format!(
                "clock_offset {} ms is beyond a year either way",
                self.clock_offset_ms
            )));
        }
        let max_attempts = match self.max_attempts {
            Some(n) => n,
            None => env_max_attempts()?.unwrap_or(DEFAULT_MAX_ATTEMPTS),
        };
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
        let config = Config {
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
            user_agent: build_user_agent(self.user_agent_suffix)?,
            danger_accept_invalid_certs: self.danger_accept_invalid_certs,
            on_attempt: self.on_attempt,
            retry_delay_hook: self.retry_delay_hook,
        };
        Ok(Client::from_config(config, self.clock_offset_ms))
    }
}

/// The options of a built client, every one checked.
pub(crate) struct Config {
    pub endpoint: Endpoint,
    pub path_prefix: String,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub credentials: Option<Credentials>,
    pub max_attempts: u32,
    pub retry_base_delay: Duration,
    pub retry_ambiguous: bool,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_payload_bytes: usize,
    pub proxy: Option<String>,
    pub user_agent: String,
    pub danger_accept_invalid_certs: bool,
    pub on_attempt: Option<AttemptHook>,
    pub retry_delay_hook: Option<RetryDelayHook>,
}

/// The endpoint given, else the one the environment names.
fn build_endpoint(given: Option<String>) -> Result<Endpoint> {
    let raw = match given {
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
    Ok(endpoint)
}

/// The region given, else the endpoint host's, else the environment's (the profile's is
/// read on first use).
fn build_region(given: Option<String>, endpoint: &Endpoint) -> Result<Option<String>> {
    let region = match given {
        Some(r) if r.trim().is_empty() => return Err(Error::config("region is empty")),
        Some(r) => Some(r),
        None => endpoint.host_region.clone().or_else(endpoint::env_region),
    };
    if let Some(r) = &region
        && !r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(Error::config(format!("invalid region {r:?}")));
    }
    Ok(region)
}

/// `AWS_MAX_ATTEMPTS`, as boto3 and SDK v3 read it (attempts in all), when set.
fn env_max_attempts() -> Result<Option<u32>> {
    let Ok(value) = std::env::var("AWS_MAX_ATTEMPTS") else {
        return Ok(None);
    };
    match value.trim() {
        "" => Ok(None),
        v => v.parse::<u32>().map(Some).map_err(|_| {
            Error::config(format!(
                "AWS_MAX_ATTEMPTS must be a whole number of attempts (got {v:?})"
            ))
        }),
    }
}

/// `apigw-management/{version}`, then the suffix if any.
fn build_user_agent(suffix: Option<String>) -> Result<String> {
    let mut user_agent = format!("apigw-management/{}", env!("CARGO_PKG_VERSION"));
    if let Some(s) = suffix.filter(|s| !s.is_empty()) {
        if s.chars().any(|c| c.is_control()) {
            return Err(Error::config(
                "user_agent_suffix contains a control character",
            ));
        }
        user_agent.push(' ');
        user_agent.push_str(&s);
    }
    Ok(user_agent)
}

fn positive(name: &str, value: Option<Duration>, default: Duration) -> Result<Duration> {
    match value {
        None => Ok(default),
        Some(d) if d.is_zero() => Err(Error::config(format!("{name} must be greater than zero"))),
        Some(d) => Ok(d),
    }
}
