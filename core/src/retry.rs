//! Retry rules: which failures are retried, how long to wait, and the retry quota that
//! keeps a dead endpoint from multiplying traffic.

use crate::error::{Error, ErrorKind};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The longest wait between two attempts.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// Whether a failed attempt may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Never (4xx other than 429, configuration, TLS, malformed responses).
    No,
    /// Safe: the request was not delivered (connect failure, 429, 500, 503).
    Safe,
    /// Ambiguous: the request may have been delivered (timeout or reset after writing,
    /// 502, 504). Retried for idempotent operations, and for posts unless
    /// `retry_ambiguous(false)`.
    Ambiguous,
}

/// Classifies an attempt's error.
pub(crate) fn classify(err: &Error, written: bool) -> Retry {
    match err.kind() {
        ErrorKind::LimitExceeded => Retry::Safe,
        ErrorKind::Service => match err.status() {
            Some(500 | 503) => Retry::Safe,
            Some(502 | 504) => Retry::Ambiguous,
            _ => Retry::No,
        },
        ErrorKind::Connect | ErrorKind::Timeout if !written => Retry::Safe,
        ErrorKind::Connect | ErrorKind::Timeout => Retry::Ambiguous,
        _ => Retry::No,
    }
}

/// The full-jitter delay before attempt `attempt + 1` (`attempt` ≥ 1 attempts made).
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let ceiling = exp.min(MAX_BACKOFF);
    ceiling.mul_f64(fastrand::f64())
}

/// Parses `Retry-After` (seconds, or an HTTP date), capped at [`MAX_BACKOFF`].
pub(crate) fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let v = value.trim();
    let d = if let Ok(secs) = v.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        Duration::from_secs_f64(secs.min(MAX_BACKOFF.as_secs_f64()))
    } else {
        let at = crate::model::parse_http_date(v)?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(d.min(MAX_BACKOFF))
}

/// A token bucket shared by all calls of one client: each retry spends tokens, each
/// success returns some. When it is empty, failures are returned without retrying.
pub(crate) struct RetryQuota {
    tokens: AtomicU32,
}

impl RetryQuota {
    pub const CAPACITY: u32 = 500;
    pub const RETRY_COST: u32 = 5;
    pub const TIMEOUT_COST: u32 = 10;

    pub fn new() -> Self {
        RetryQuota {
            tokens: AtomicU32::new(Self::CAPACITY),
        }
    }

    /// Takes `cost` tokens, or returns false when there are not enough.
    pub fn acquire(&self, cost: u32) -> bool {
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .is_ok()
    }

    /// Gives back `amount` tokens, up to the capacity.
    pub fn release(&self, amount: u32) {
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t < Self::CAPACITY).then(|| (t + amount).min(Self::CAPACITY))
            });
    }

    #[cfg(test)]
    pub fn available(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_and_capped() {
        let base = Duration::from_millis(100);
        for attempt in 1..40 {
            let d = backoff(base, attempt);
            let ceiling = (base * 2u32.pow((attempt - 1).min(20))).min(MAX_BACKOFF);
            assert!(d <= ceiling, "{attempt}: {d:?} > {ceiling:?}");
        }
    }

    /// Full jitter, checked on many draws: each attempt's delays spread evenly over
    /// `[0, min(base · 2^(attempt-1), cap)]` (mean half the ceiling, each quarter of the
    /// range about a quarter of the draws), so the mean doubles with each attempt until the
    /// cap. A zero, constant or non-growing backoff fails.
    #[test]
    fn backoff_grows_and_jitters_uniformly() {
        fastrand::seed(17);
        const N: usize = 4000;
        let base = Duration::from_millis(100);
        let mut means = Vec::new();
        for attempt in 1..=10 {
            let ceiling = (base * 2u32.pow(attempt - 1)).min(MAX_BACKOFF);
            let draws: Vec<f64> = (0..N)
                .map(|_| backoff(base, attempt).as_secs_f64() / ceiling.as_secs_f64())
                .collect();
            assert!(draws.iter().all(|d| (0.0..=1.0).contains(d)), "{attempt}");
            let mean = draws.iter().sum::<f64>() / N as f64;
            assert!(
                (mean - 0.5).abs() < 0.03,
                "{attempt}: mean {mean} of the ceiling"
            );
            let mut quarters = [0usize; 4];
            for d in &draws {
                quarters[((d * 4.0) as usize).min(3)] += 1;
            }
            for q in quarters {
                let share = q as f64 / N as f64;
                assert!(
                    (share - 0.25).abs() < 0.03,
                    "{attempt}: quarters {quarters:?}"
                );
            }
            means.push(mean * ceiling.as_secs_f64());
        }
        // 100 ms · 2^8 = 25.6 s: attempts 1 to 8 double, 9 and 10 sit at the 20 s cap.
        for (i, pair) in means.windows(2).enumerate() {
            let ratio = pair[1] / pair[0];
            let want = if i < 7 {
                2.0
            } else if i == 7 {
                20.0 / 12.8
            } else {
                1.0
            };
            assert!(
                (ratio - want).abs() < 0.15,
                "attempt {}: ratio {ratio}",
                i + 2
            );
        }
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let now = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("9999", now), Some(MAX_BACKOFF));
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        let date = "Mon, 12 Jan 1970 13:46:45 GMT"; // 1_000_005 s after the epoch
        assert_eq!(parse_retry_after(date, now), Some(Duration::from_secs(5)));
    }

    #[test]
    fn quota_empties_and_refills() {
        let q = RetryQuota::new();
        let mut n = 0;
        while q.acquire(RetryQuota::RETRY_COST) {
            n += 1;
        }
        assert_eq!(n, RetryQuota::CAPACITY / RetryQuota::RETRY_COST);
        q.release(RetryQuota::RETRY_COST);
        assert_eq!(q.available(), RetryQuota::RETRY_COST);
        assert!(q.acquire(RetryQuota::RETRY_COST));
    }
}
