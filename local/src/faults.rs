//! Fault injection on the management API: throttling (429), server errors (500), TCP
//! connections dropped before or after the message reached the client, and added
//! latency, drawn from a seeded schedule so that a test sees the same faults every run;
//! and an account-level rate limit (a token bucket, as the service's throttle).

use serde::{Deserialize, Serialize};
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Which faults the management API injects, and how often.
///
/// Each request to `@connections` draws its fault from the `n`-th value of a generator
/// seeded with `seed` (`n` counts requests since the faults were last set), so a test
/// that sends its requests one after another sees the same faults on every run. The rates
/// are probabilities between 0 and 1 whose sum is at most 1; latency is added before the
/// fault (if any) is answered.
///
/// `rate_limit` throttles like the service's account-level limit: a token bucket of
/// `burst` tokens (default: one second's worth) refilled at `rate_limit` per second;
/// every management request takes a token when it arrives, whatever its answer would
/// have been (a 410 included), and is answered 429 `LimitExceededException` when the
/// bucket is empty.
///
/// ```
/// use apigw_management_local::Faults;
///
/// let faults = Faults::from_json(r#"{"seed": 7, "throttle": 0.25, "latency_ms": 5}"#).unwrap();
/// assert_eq!(faults.throttle, 0.25);
/// assert!(Faults::default().is_none());
/// let limited = Faults::from_json(r#"{"rate_limit": 2000, "burst": 500}"#).unwrap();
/// assert_eq!((limited.rate_limit, limited.burst), (2000.0, 500));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Faults {
    /// Seed of the schedule.
    pub seed: u64,
    /// Share of requests answered 429 `LimitExceededException` (account throttling).
    pub throttle: f64,
    /// Share of requests answered 500 `InternalServerErrorException`.
    pub server_error: f64,
    /// Share of requests whose TCP connection is dropped before anything is done (a post
    /// is not delivered).
    pub drop_before: f64,
    /// Share of requests whose TCP connection is dropped after the operation was done (a
    /// post has reached the client): the caller cannot tell it succeeded.
    pub drop_after: f64,
    /// Latency added to every request, in milliseconds.
    pub latency_ms: u64,
    /// Up to this many more milliseconds, drawn from the schedule.
    pub latency_jitter_ms: u64,
    /// Management requests per second the account allows (0: no limit).
    pub rate_limit: f64,
    /// Requests the rate limit lets through at once (0: `rate_limit`, at least 1).
    pub burst: u64,
}

impl Faults {
    /// No faults: the default.
    pub fn none() -> Self {
        Faults::default()
    }

    /// Parses faults from JSON (`{"seed": 1, "throttle": 0.1, …}`; absent fields are 0).
    pub fn from_json(json: &str) -> io::Result<Faults> {
        let faults: Faults = serde_json::from_str(json).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("invalid faults: {e}"))
        })?;
        faults.validate()?;
        Ok(faults)
    }

    /// The faults as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the share of 429 answers.
    pub fn throttle(mut self, rate: f64) -> Self {
        self.throttle = rate;
        self
    }

    /// Sets the share of 500 answers.
    pub fn server_error(mut self, rate: f64) -> Self {
        self.server_error = rate;
        self
    }

    /// Sets the share of connections dropped before the operation.
    pub fn drop_before(mut self, rate: f64) -> Self {
        self.drop_before = rate;
        self
    }

    /// Sets the share of connections dropped after the operation.
    pub fn drop_after(mut self, rate: f64) -> Self {
        self.drop_after = rate;
        self
    }

    /// Sets the added latency and its random extra.
    pub fn latency(mut self, fixed: Duration, jitter: Duration) -> Self {
        self.latency_ms = fixed.as_millis().try_into().unwrap_or(u64::MAX);
        self.latency_jitter_ms = jitter.as_millis().try_into().unwrap_or(u64::MAX);
        self
    }

    /// Sets the account's rate limit (requests per second) and its burst.
    pub fn rate_limit(mut self, per_second: f64, burst: u64) -> Self {
        self.rate_limit = per_second;
        self.burst = burst;
        self
    }

    /// True when nothing is injected.
    pub fn is_none(&self) -> bool {
        self.rate_limit == 0.0
            && self.throttle == 0.0
            && self.server_error == 0.0
            && self.drop_before == 0.0
            && self.drop_after == 0.0
            && self.latency_ms == 0
            && self.latency_jitter_ms == 0
    }

    /// Checks that every rate is within 0..=1 and that they add up to at most 1.
    pub fn validate(&self) -> io::Result<()> {
        let rates = [
            ("throttle", self.throttle),
            ("server_error", self.server_error),
            ("drop_before", self.drop_before),
            ("drop_after", self.drop_after),
        ];
        for (name, rate) in rates {
            if !(0.0..=1.0).contains(&rate) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("invalid faults: `{name}` must be between 0 and 1, not {rate}"),
                ));
            }
        }
        if !(self.rate_limit.is_finite() && self.rate_limit >= 0.0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "invalid faults: `rate_limit` must be a number of requests per second \
                     (0 or more), not {}",
                    self.rate_limit
                ),
            ));
        }
        if self.burst > 0 && self.rate_limit == 0.0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid faults: `burst` needs a `rate_limit`",
            ));
        }
        let sum: f64 = rates.iter().map(|(_, r)| r).sum();
        if sum > 1.0 + 1e-9 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid faults: the rates add up to {sum}, more than 1"),
            ));
        }
        Ok(())
    }
}

/// What one request gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    None,
    Throttle,
    ServerError,
    DropBefore,
    DropAfter,
}

/// How many faults of each kind were injected since the gateway started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultCounts {
    /// Management requests received (with or without a fault).
    pub requests: u64,
    /// Requests answered 429 because the rate limit was exceeded.
    pub rate_limited: u64,
    /// The most management requests being answered at once.
    pub max_in_flight: u64,
    /// Requests answered 429 by the `throttle` share.
    pub throttled: u64,
    /// Requests answered 500.
    pub server_errors: u64,
    /// Requests whose TCP connection was dropped before the message was delivered.
    pub dropped_before: u64,
    /// Requests whose TCP connection was dropped after the message was delivered.
    pub dropped_after: u64,
}

/// The account's token bucket: `capacity` tokens, refilled at `rate` per second.
#[derive(Debug)]
struct Bucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket for these faults, or none without a rate limit.
    fn of(faults: &Faults) -> Option<Bucket> {
        if faults.rate_limit <= 0.0 {
            return None;
        }
        let capacity = match faults.burst {
            0 => faults.rate_limit.ceil().max(1.0),
            b => b as f64,
        };
        Some(Bucket {
            rate: faults.rate_limit,
            capacity,
            tokens: capacity,
            at: Instant::now(),
        })
    }

    /// Takes a token if there is one.
    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The faults in force, the number of requests drawn since they were set, the rate
/// limit's bucket and the counts of what was injected.
pub(crate) struct FaultSchedule {
    state: Mutex<(Faults, u64)>,
    bucket: Mutex<Option<Bucket>>,
    counts: Mutex<FaultCounts>,
    in_flight: AtomicU64,
}

/// One management request being answered; counted out when dropped.
pub(crate) struct InFlight<'a>(&'a AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl FaultSchedule {
    pub(crate) fn new(faults: Faults) -> Self {
        FaultSchedule {
            bucket: Mutex::new(Bucket::of(&faults)),
            state: Mutex::new((faults, 0)),
            counts: Mutex::new(FaultCounts::default()),
            in_flight: AtomicU64::new(0),
        }
    }

    /// Counts a management request in until the guard is dropped.
    pub(crate) fn enter(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        c.max_in_flight = c.max_in_flight.max(now);
        InFlight(&self.in_flight)
    }

    /// Counts a request as it arrives and takes its token from the rate limit's bucket:
    /// false when the account's rate is exceeded.
    pub(crate) fn admit(&self) -> bool {
        let admitted = self
            .bucket
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
            .is_none_or(|b| b.take(Instant::now()));
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        c.requests += 1;
        if !admitted {
            c.rate_limited += 1;
        }
        admitted
    }

    /// The fixed added latency (what a rate-limited request waits before its 429).
    pub(crate) fn fixed_latency(&self) -> Duration {
        Duration::from_millis(
            self.state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .0
                .latency_ms,
        )
    }

    /// What was injected so far.
    pub(crate) fn counts(&self) -> FaultCounts {
        *self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn set(&self, faults: Faults) {
        *self.bucket.lock().unwrap_or_else(|p| p.into_inner()) = Bucket::of(&faults);
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = (faults, 0);
    }

    pub(crate) fn get(&self) -> Faults {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .clone()
    }

    /// The next request's fault and added latency.
    pub(crate) fn draw(&self) -> (Fault, Duration) {
        let (faults, n) = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if state.0.is_none() {
                return (Fault::None, Duration::ZERO);
            }
            let n = state.1;
            state.1 += 1;
            (state.0.clone(), n)
        };
        let (fault, latency) = draw(&faults, n);
        if fault != Fault::None {
            let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
            match fault {
                Fault::Throttle => c.throttled += 1,
                Fault::ServerError => c.server_errors += 1,
                Fault::DropBefore => c.dropped_before += 1,
                Fault::DropAfter => c.dropped_after += 1,
                Fault::None => {}
            }
        }
        (fault, latency)
    }
}

/// The `n`-th draw of a schedule: a pure function of the seed and `n`.
fn draw(faults: &Faults, n: u64) -> (Fault, Duration) {
    let mut rng = fastrand::Rng::with_seed(
        faults
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(n.wrapping_mul(0xD1B5_4A32_D192_ED03)),
    );
    let r = rng.f64();
    let jitter = match faults.latency_jitter_ms {
        0 => 0,
        j => rng.u64(0..=j),
    };
    let latency = Duration::from_millis(faults.latency_ms.saturating_add(jitter));
    let mut edge = 0.0;
    for (rate, fault) in [
        (faults.throttle, Fault::Throttle),
        (faults.server_error, Fault::ServerError),
        (faults.drop_before, Fault::DropBefore),
        (faults.drop_after, Fault::DropAfter),
    ] {
        edge += rate;
        if r < edge {
            return (fault, latency);
        }
    }
    (Fault::None, latency)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_reproducible() {
        let faults = Faults::none()
            .seed(42)
            .throttle(0.2)
            .server_error(0.2)
            .drop_before(0.1)
            .drop_after(0.1);
        let a: Vec<_> = (0..200).map(|n| draw(&faults, n)).collect();
        let b: Vec<_> = (0..200).map(|n| draw(&faults, n)).collect();
        assert_eq!(a, b);
        for f in [
            Fault::None,
            Fault::Throttle,
            Fault::ServerError,
            Fault::DropBefore,
            Fault::DropAfter,
        ] {
            assert!(a.iter().any(|(x, _)| *x == f), "{f:?} never drawn");
        }
        let other: Vec<_> = (0..200)
            .map(|n| draw(&faults.clone().seed(43), n))
            .collect();
        assert_ne!(a, other);
    }

    #[test]
    fn setting_faults_restarts_the_schedule() {
        let faults = Faults::none().seed(1).throttle(0.5);
        let s = FaultSchedule::new(faults.clone());
        let first: Vec<_> = (0..20).map(|_| s.draw()).collect();
        s.set(faults);
        let again: Vec<_> = (0..20).map(|_| s.draw()).collect();
        assert_eq!(first, again);
        s.set(Faults::none());
        assert_eq!(s.draw(), (Fault::None, Duration::ZERO));
    }

    #[test]
    fn the_bucket_allows_its_burst_then_its_rate() {
        let faults = Faults::none().rate_limit(64.0, 5);
        let mut b = Bucket::of(&faults).expect("a bucket");
        let t0 = b.at;
        let first: usize = (0..20).filter(|_| b.take(t0)).count();
        assert_eq!(first, 5);
        // 62.5 ms later: 4 more tokens.
        let t1 = t0 + Duration::from_micros(62_500);
        assert_eq!((0..20).filter(|_| b.take(t1)).count(), 4);
        // Never more than the burst, however long the pause.
        let t2 = t1 + Duration::from_secs(60);
        assert_eq!((0..20).filter(|_| b.take(t2)).count(), 5);
        assert!(Bucket::of(&Faults::none()).is_none());
        let default_burst = Bucket::of(&Faults::none().rate_limit(250.0, 0)).expect("bucket");
        assert_eq!(default_burst.capacity, 250.0);
    }

    #[test]
    fn the_schedule_counts_every_request_and_the_rate_limited_ones() {
        let s = FaultSchedule::new(Faults::none().rate_limit(0.001, 3));
        let admitted = (0..10).filter(|_| s.admit()).count();
        assert_eq!(admitted, 3);
        let c = s.counts();
        assert_eq!((c.requests, c.rate_limited), (10, 7));
        s.set(Faults::none());
        assert!((0..10).all(|_| s.admit()));
    }

    #[test]
    fn invalid_rates_are_refused() {
        assert!(Faults::from_json(r#"{"rate_limit": -1}"#).is_err());
        assert!(Faults::from_json(r#"{"burst": 5}"#).is_err());
        assert!(Faults::from_json(r#"{"rate_limit": 10, "burst": 5}"#).is_ok());
        assert!(Faults::from_json(r#"{"throttle": 1.5}"#).is_err());
        assert!(Faults::from_json(r#"{"throttle": 0.6, "server_error": 0.6}"#).is_err());
        assert!(Faults::from_json(r#"{"nope": 1}"#).is_err());
        assert!(Faults::from_json(r#"{"throttle": 1}"#).is_ok());
    }
}
