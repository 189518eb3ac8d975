//! The attempt loop every operation shares: sign and send, then decide what a failure
//! means (retry or not, clock-skew correction, the retry quota) and how long to wait.

use crate::client::{Client, Operation, Payload, Transport};
use crate::endpoint::encode_connection_id;
use crate::error::{Error, ErrorKind, Result};
use crate::model;
use crate::retry::{self, Retry, RetryQuota};
use crate::signing;
use bytes::Bytes;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

/// The largest clock offset accepted: a year, either way.
pub(crate) const MAX_CLOCK_OFFSET_MS: u64 = 366 * 24 * 3600 * 1000;

/// A boxed future, as the hooks return.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Called after every attempt (for logging): see
/// [`ClientBuilder::on_attempt`](crate::ClientBuilder::on_attempt).
pub type AttemptHook = Arc<dyn Fn(&AttemptInfo<'_>) + Send + Sync>;

/// Chooses the delay before a retry: see
/// [`ClientBuilder::retry_delay_hook`](crate::ClientBuilder::retry_delay_hook).
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

/// Something told about every throttling answer (the broadcast's send rate). When it
/// returns true it takes the message over: the call returns the 429 at once, without
/// retrying it or spending the retry quota.
pub(crate) trait ThrottleObserver: Send + Sync {
    fn throttled(&self, err: &Error) -> bool;
}

/// A successful response.
pub(crate) struct Response {
    pub status: u16,
    pub request_id: Option<String>,
    pub body: Bytes,
    pub attempts: u32,
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

/// What a successful attempt returned: status, request id, body.
type Answer = (u16, Option<String>, Bytes);

/// The count of one call's attempts and what its retries have used so far.
#[derive(Default)]
struct Attempts {
    made: u32,
    total_delay: Duration,
    skew_corrected: bool,
    quota_spent: u32,
}

impl Client {
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
        let transport = self.transport()?;
        let region = self.resolve_region(&transport).await?;
        // Credentials that cannot be had fail the call before any request (0 attempts).
        transport.credentials.identity().await?;
        let path = format!("{}{}", self.inner.config.path_prefix, encoded);
        let mut attempts = Attempts::default();
        loop {
            attempts.made += 1;
            let started = Instant::now();
            let result = self.attempt(&transport, region, op, &path, payload).await;
            self.report_attempt(op, connection_id, attempts.made, &result, started);
            match result {
                Ok(answer) => return Ok(self.succeeded(answer, &attempts)),
                Err(failure) => {
                    if let ControlFlow::Break(error) = self
                        .after_failure(op, failure, &mut attempts, observer)
                        .await
                    {
                        return Err(error);
                    }
                }
            }
        }
    }

    /// Tells the attempt hook what an attempt did.
    fn report_attempt(
        &self,
        op: Operation,
        connection_id: &str,
        attempt: u32,
        result: &std::result::Result<Answer, AttemptError>,
        started: Instant,
    ) {
        let Some(hook) = &self.inner.config.on_attempt else {
            return;
        };
        hook(&AttemptInfo {
            operation: op.name(),
            connection_id,
            attempt,
            status: match result {
                Ok((status, _, _)) => Some(*status),
                Err(a) => a.error.status(),
            },
            error: result.as_ref().err().map(|a| &a.error),
            elapsed: started.elapsed(),
        });
    }

    /// The response of a successful attempt; gives back the quota its retries took.
    fn succeeded(&self, (status, request_id, body): Answer, attempts: &Attempts) -> Response {
        tracing::debug!(attempt = attempts.made, status, "ok");
        self.inner.quota.release(attempts.quota_spent.max(1));
        Response {
            status,
            request_id,
            body,
            attempts: attempts.made,
            total_retry_delay: attempts.total_delay,
        }
    }

    /// Decides what follows a failed attempt: another attempt (after any wait), or the
    /// call's error.
    async fn after_failure(
        &self,
        op: Operation,
        failure: AttemptError,
        attempts: &mut Attempts,
        observer: Option<&dyn ThrottleObserver>,
    ) -> ControlFlow<Error> {
        let AttemptError {
            mut error,
            written,
            retry_after,
            server_date,
        } = failure;
        tracing::debug!(attempt = attempts.made, status = error.status(), error = %error.message(), "attempt failed");
        if error.kind() == ErrorKind::LimitExceeded && observer.is_some_and(|o| o.throttled(&error))
        {
            error = error.with_retryable(true);
            error.set_attempts(attempts.made, attempts.total_delay);
            return ControlFlow::Break(error);
        }
        if self.correct_clock_skew(&error, server_date, attempts) {
            return ControlFlow::Continue(());
        }
        let config = &self.inner.config;
        let class = retry::classify(&error, written);
        let may_retry = match class {
            Retry::No => false,
            Retry::Safe => true,
            Retry::Ambiguous => op != Operation::Post || config.retry_ambiguous,
        };
        if may_retry && attempts.made < config.max_attempts {
            if let Some(delay) = self.retry_delay(&error, retry_after, attempts).await {
                tokio::time::sleep(delay).await;
                attempts.total_delay += delay;
                return ControlFlow::Continue(());
            }
            error.append_message(" (not retried: the client's retry quota is exhausted)");
        } else if class == Retry::Ambiguous && !may_retry {
            error.append_message(
                " (not retried: the message may have been delivered and retry_ambiguous is off)",
            );
        }
        // Transient failures stay retryable when attempts ran out or retrying was off.
        error = error.with_retryable(class != Retry::No);
        error.set_attempts(attempts.made, attempts.total_delay);
        ControlFlow::Break(error)
    }

    /// On the first signature-expired answer with a `Date`, takes the clock offset from
    /// it; true when the call should simply try again.
    fn correct_clock_skew(
        &self,
        error: &Error,
        server_date: Option<SystemTime>,
        attempts: &mut Attempts,
    ) -> bool {
        if attempts.skew_corrected || !is_clock_skew(error) {
            return false;
        }
        let Some(server) = server_date else {
            return false;
        };
        attempts.skew_corrected = true;
        let offset = signed_millis(server, SystemTime::now())
            .clamp(-(MAX_CLOCK_OFFSET_MS as i64), MAX_CLOCK_OFFSET_MS as i64);
        self.inner.clock_offset_ms.store(offset, Ordering::Relaxed);
        tracing::debug!(
            offset_ms = offset,
            "clock skew corrected from the response Date"
        );
        true
    }

    /// The wait before the next attempt, or `None` when the retry quota is spent.
    async fn retry_delay(
        &self,
        error: &Error,
        retry_after: Option<Duration>,
        attempts: &mut Attempts,
    ) -> Option<Duration> {
        let config = &self.inner.config;
        let cost = if error.kind() == ErrorKind::Timeout {
            RetryQuota::TIMEOUT_COST
        } else {
            RetryQuota::RETRY_COST
        };
        if !self.inner.quota.acquire(cost) {
            return None;
        }
        attempts.quota_spent += cost;
        let mut delay =
            retry_after.unwrap_or_else(|| retry::backoff(config.retry_base_delay, attempts.made));
        if let Some(hook) = &config.retry_delay_hook
            && let Some(d) = hook(attempts.made, error).await
        {
            delay = d.min(retry::MAX_BACKOFF);
        }
        Some(delay)
    }

    /// One signed request.
    async fn attempt(
        &self,
        t: &Transport,
        region: &str,
        op: Operation,
        path: &str,
        payload: &Payload,
    ) -> std::result::Result<Answer, AttemptError> {
        let config = &self.inner.config;
        let identity = t.credentials.identity().await?;
        let now = SystemTime::now();
        let offset = self.inner.clock_offset_ms.load(Ordering::Relaxed);
        let headers = signing::sign_headers(
            &identity,
            region,
            op.method().as_str(),
            &config.endpoint.authority,
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
