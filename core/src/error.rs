//! The one error type of the crate: a [`ErrorKind`] plus everything the service or the
//! transport said about the failure.

use std::fmt;
use std::time::Duration;

/// What went wrong, in the terms a caller branches on.
///
/// Bindings map each kind to a language class (`GoneException`, `TransportError`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 410 `GoneException`: the connection is closed or unknown.
    Gone,
    /// 403 `ForbiddenException` or `InvalidSignatureException` (see [`Error::code`]).
    Forbidden,
    /// 429 `LimitExceededException`: account throttling or one client's full buffer.
    LimitExceeded,
    /// 413 `PayloadTooLargeException`, or data over `max_payload_bytes` before sending.
    PayloadTooLarge,
    /// Any other error answered by the service; keeps its status and code.
    Service,
    /// A connect timeout, a per-attempt timeout or a broadcast deadline.
    Timeout,
    /// The TCP connection could not be made, or broke before a response arrived.
    Connect,
    /// The TLS handshake failed (for example an untrusted certificate).
    Tls,
    /// A malformed or unexpected response.
    Protocol,
    /// No credentials could be found or refreshed.
    Credentials,
    /// The client's configuration is invalid (endpoint, region, options).
    Config,
    /// An argument is invalid (empty connection id, …); nothing was sent.
    InvalidInput,
}

impl ErrorKind {
    /// A stable, short name for the kind (`"Gone"`, `"Timeout"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Gone => "Gone",
            ErrorKind::Forbidden => "Forbidden",
            ErrorKind::LimitExceeded => "LimitExceeded",
            ErrorKind::PayloadTooLarge => "PayloadTooLarge",
            ErrorKind::Service => "Service",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::Connect => "Connect",
            ErrorKind::Tls => "Tls",
            ErrorKind::Protocol => "Protocol",
            ErrorKind::Credentials => "Credentials",
            ErrorKind::Config => "Config",
            ErrorKind::InvalidInput => "InvalidInput",
        }
    }

    /// True for kinds answered by the service with an HTTP status.
    pub fn is_service(self) -> bool {
        matches!(
            self,
            ErrorKind::Gone
                | ErrorKind::Forbidden
                | ErrorKind::LimitExceeded
                | ErrorKind::PayloadTooLarge
                | ErrorKind::Service
        )
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error from any operation, with the response metadata that explains it.
///
/// `Display` prints the code, status, message, request id and attempts; it never
/// prints a secret.
///
/// ```
/// use apigw_management::{Error, ErrorKind};
///
/// fn describe(err: &Error) -> String {
///     match err.kind() {
///         ErrorKind::Gone => format!("connection gone (request {:?})", err.request_id()),
///         _ if err.is_retryable() => format!("transient after {} attempts: {err}", err.attempts()),
///         _ => err.to_string(),
///     }
/// }
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    code: Option<String>,
    message: String,
    status: Option<u16>,
    request_id: Option<String>,
    attempts: u32,
    retryable: bool,
    total_retry_delay: Duration,
    source: Option<Source>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                code: None,
                message: message.into(),
                status: None,
                request_id: None,
                attempts: 0,
                retryable: false,
                total_retry_delay: Duration::ZERO,
                source: None,
            }),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    pub(crate) fn service(
        kind: ErrorKind,
        status: u16,
        code: Option<String>,
        message: String,
        request_id: Option<String>,
    ) -> Self {
        let mut err = Error::new(kind, message);
        err.inner.status = Some(status);
        err.inner.code = code;
        err.inner.request_id = request_id;
        err
    }

    pub(crate) fn with_code(mut self, code: impl Into<String>) -> Self {
        self.inner.code = Some(code.into());
        self
    }

    pub(crate) fn with_source(mut self, source: impl Into<Source>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    pub(crate) fn with_retryable(mut self, retryable: bool) -> Self {
        self.inner.retryable = retryable;
        self
    }

    pub(crate) fn set_attempts(&mut self, attempts: u32, total_retry_delay: Duration) {
        self.inner.attempts = attempts;
        self.inner.total_retry_delay = total_retry_delay;
    }

    pub(crate) fn set_response(&mut self, status: u16, request_id: Option<String>) {
        self.inner.status = Some(status);
        self.inner.request_id = request_id;
    }

    pub(crate) fn append_message(&mut self, extra: &str) {
        self.inner.message.push_str(extra);
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The service's error name (`GoneException`, `InvalidSignatureException`, …), when
    /// it answered with one; for a bare status the usual name for it.
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// The human-readable message (the service's `message` for service errors).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP status of the last response, if one arrived.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The `x-amzn-RequestId` of the last response, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// How many requests were sent (0 when the error was raised before any I/O).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The total time spent waiting between attempts.
    pub fn total_retry_delay(&self) -> Duration {
        self.inner.total_retry_delay
    }

    /// Whether this failure is transient (throttling, 5xx, network): the client retries
    /// such errors until its attempts run out.
    pub fn is_retryable(&self) -> bool {
        self.inner.retryable
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        match (&i.code, i.status) {
            (Some(code), Some(status)) => write!(f, "{code} (HTTP {status}): {}", i.message)?,
            (None, Some(status)) => write!(f, "HTTP {status}: {}", i.message)?,
            (Some(code), None) => write!(f, "{code}: {}", i.message)?,
            (None, None) => write!(f, "{} error: {}", i.kind.as_str(), i.message)?,
        }
        let mut extra = Vec::new();
        if let Some(id) = &i.request_id {
            extra.push(format!("request id {id}"));
        }
        if i.attempts > 0 {
            extra.push(format!(
                "{} attempt{}",
                i.attempts,
                if i.attempts == 1 { "" } else { "s" }
            ));
        }
        if let Some(src) = &i.source {
            extra.push(format!("caused by: {}", source_chain(src.as_ref())));
        }
        if !extra.is_empty() {
            write!(f, " [{}]", extra.join("; "))?;
        }
        Ok(())
    }
}

/// Joins an error and its sources into one line, skipping repeats.
fn source_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = e.source();
    }
    parts.join(": ")
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind)
            .field("code", &i.code)
            .field("message", &i.message)
            .field("status", &i.status)
            .field("request_id", &i.request_id)
            .field("attempts", &i.attempts)
            .field("retryable", &i.retryable);
        if let Some(src) = &i.source {
            d.field("source", &source_chain(src.as_ref()));
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_code_status_message_request_id_and_attempts() {
        let mut e = Error::service(
            ErrorKind::Gone,
            410,
            Some("GoneException".into()),
            "Connection gone".into(),
            Some("req-1".into()),
        );
        e.set_attempts(1, Duration::ZERO);
        assert_eq!(
            e.to_string(),
            "GoneException (HTTP 410): Connection gone [request id req-1; 1 attempt]"
        );
    }

    #[test]
    fn display_of_local_error_names_kind() {
        let e = Error::invalid_input("connection id is empty");
        assert_eq!(e.to_string(), "InvalidInput error: connection id is empty");
        assert_eq!(e.attempts(), 0);
        assert_eq!(e.status(), None);
    }
}
