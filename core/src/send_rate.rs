//! The pace of a broadcast: a client-side token bucket driven by the account-level
//! throttling it sees (the idea of the SDKs' "adaptive" retry mode), and an in-flight
//! limit that follows the round trip.
//!
//! Until the account throttles nothing is paced. When at least a tenth of the answers
//! of the last half second (and at least five) are account-level 429s of requests sent
//! since the last drop, pacing starts, or the rate drops, at 95% of the lower of the
//! rate and the measured rate of answers that got through (at most once per window),
//! and sends waiting for a token queue again. Each window with under a tenth of its
//! answers throttled raises the rate by a twentieth, so the rate keeps probing and
//! settles close to the account's limit, and sporadic 429s do not slow it. A throttled
//! message is sent again later by the broadcast (no attempt and no retry quota spent on
//! it). A 429 "client side buffer is full" is one slow connection's problem and changes
//! nothing here.

use crate::error::{Error, ErrorKind};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// One measurement window: throttling answers within it count once.
const WINDOW: Duration = Duration::from_millis(100);
/// Answers are measured over this many windows.
const WINDOWS: usize = 5;
/// The share of throttled answers that lowers the rate.
const THROTTLED_SHARE: f64 = 0.1;
/// Fewer throttles than this in the measured windows are sporadic.
const MIN_THROTTLES: u64 = 5;
/// A drop goes to this share of the lower of the rate and the measured rate of answers
/// that got through.
const BETA: f64 = 0.95;
/// Each window with under a tenth throttled raises the rate by this factor.
const GROWTH: f64 = 1.05;
/// The slowest pace (requests per second).
const MIN_RATE: f64 = 10.0;
/// The round trip that the configured concurrency is meant for: the in-flight limit is
/// the configured concurrency per this much of the shortest round trip seen (a limit on
/// in-flight requests alone cannot hold a rate: the token bucket does that).
const REFERENCE_RTT: Duration = Duration::from_millis(5);

/// True for the account's throttling (not one connection's full buffer).
pub(crate) fn is_account_throttle(err: &Error) -> bool {
    err.kind() == ErrorKind::LimitExceeded
        && !err
            .message()
            .to_ascii_lowercase()
            .contains("buffer is full")
}

/// The pace and in-flight limit of one broadcast.
pub(crate) struct SendRate {
    state: Mutex<State>,
    concurrency: usize,
    max_concurrency: usize,
}

struct State {
    /// `None` until the first account-level throttle: no pacing.
    rate: Option<f64>,
    /// Tokens in the bucket; negative when sends are queued for tokens.
    tokens: f64,
    refilled: Instant,
    /// Answers per window (other answers, throttles), newest last, and when the newest
    /// window started.
    windows: VecDeque<(u64, u64)>,
    window_start: Instant,
    started: Instant,
    dropped_in_window: bool,
    /// Counts the drops: a send that waited through one asks for its token again.
    generation: u64,
    last_drop: Option<Instant>,
    shortest_rtt: Option<Duration>,
}

impl SendRate {
    pub(crate) fn new(concurrency: usize, max_concurrency: usize) -> Self {
        let now = Instant::now();
        SendRate {
            state: Mutex::new(State {
                rate: None,
                tokens: 0.0,
                refilled: now,
                windows: VecDeque::from([(0, 0)]),
                window_start: now,
                started: now,
                dropped_in_window: false,
                generation: 0,
                last_drop: None,
                shortest_rtt: None,
            }),
            concurrency,
            max_concurrency,
        }
    }

    /// The current send rate, once throttling was seen.
    #[cfg(test)]
    pub(crate) fn rate(&self) -> Option<f64> {
        let mut s = self.lock();
        s.advance(Instant::now());
        s.rate
    }

    /// Waits until the pace lets one more request go.
    pub(crate) async fn ready(&self) {
        loop {
            let (wait, generation) = self.reserve();
            if wait.is_zero() {
                return;
            }
            tokio::time::sleep(wait).await;
            if self.lock().generation == generation {
                return;
            }
        }
    }

    /// Reserves a token: how long to wait for it (zero: go now), and the generation the
    /// reservation belongs to.
    fn reserve(&self) -> (Duration, u64) {
        let mut s = self.lock();
        let now = Instant::now();
        s.advance(now);
        let Some(rate) = s.rate else {
            return (Duration::ZERO, s.generation);
        };
        s.refill(now, rate);
        s.tokens -= 1.0;
        let wait = if s.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-s.tokens / rate)
        };
        (wait, s.generation)
    }

    /// Most requests in flight: the configured concurrency per [`REFERENCE_RTT`] of the
    /// shortest round trip seen, at most `max_concurrency`.
    pub(crate) fn in_flight_limit(&self) -> usize {
        let Some(rtt) = self.lock().shortest_rtt else {
            return self.concurrency;
        };
        let scale = (rtt.as_secs_f64() / REFERENCE_RTT.as_secs_f64()).max(1.0);
        let limit = (self.concurrency as f64 * scale).ceil() as usize;
        limit.min(self.max_concurrency)
    }

    /// Records an answer that was not an account throttle and how long it took.
    pub(crate) fn answered(&self, rtt: Duration) {
        let mut s = self.lock();
        s.advance(Instant::now());
        if let Some(w) = s.windows.back_mut() {
            w.0 += 1;
        }
        if s.shortest_rtt.is_none_or(|r| rtt < r) {
            s.shortest_rtt = Some(rtt);
        }
    }

    /// Records an account-level throttle of a request sent at `sent`; starts pacing, or
    /// lowers the rate when throttles are a tenth of the answers (once per window, and
    /// only for requests sent after the last drop: older ones were sent too fast already).
    pub(crate) fn throttled(&self, sent: Instant) {
        let mut s = self.lock();
        let now = Instant::now();
        s.advance(now);
        if let Some(w) = s.windows.back_mut() {
            w.1 += 1;
        }
        let (passed, throttled) = s.totals();
        let share = throttled as f64 / (passed + throttled) as f64;
        let stale = s.last_drop.is_some_and(|d| sent < d);
        let sporadic = share < THROTTLED_SHARE || throttled < MIN_THROTTLES;
        if stale || s.dropped_in_window || sporadic {
            return;
        }
        s.last_drop = Some(now);
        s.dropped_in_window = true;
        let got_through = passed as f64 / s.span(now);
        let old = s.rate.unwrap_or(got_through);
        let rate = (old.min(got_through) * BETA).max(MIN_RATE);
        s.rate = Some(rate);
        // No saved-up burst after a throttle (the account has none left either), and the
        // sends waiting for tokens take their turn again at the new rate.
        s.tokens = 0.0;
        s.refilled = now;
        s.generation += 1;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    /// Moves to the window of `now`; each window that ended with under a tenth of its
    /// answers throttled raises the rate.
    fn advance(&mut self, now: Instant) {
        while now.duration_since(self.window_start) >= WINDOW {
            self.window_start += WINDOW;
            let throttled = self
                .windows
                .back()
                .is_some_and(|&(p, t)| t > 0 && t as f64 >= THROTTLED_SHARE * (p + t) as f64);
            if !throttled && let Some(rate) = self.rate {
                self.refill(self.window_start, rate);
                self.rate = Some(rate * GROWTH);
            }
            self.dropped_in_window = false;
            self.windows.push_back((0, 0));
            if self.windows.len() > WINDOWS {
                self.windows.pop_front();
            }
        }
    }

    /// Answers that got through and throttles, over the measured windows.
    fn totals(&self) -> (u64, u64) {
        self.windows
            .iter()
            .fold((0, 0), |(p, t), (wp, wt)| (p + wp, t + wt))
    }

    /// Seconds the measured windows cover (less at the start).
    fn span(&self, now: Instant) -> f64 {
        let full = (self.windows.len() - 1) as f64 * WINDOW.as_secs_f64();
        (full + now.duration_since(self.window_start).as_secs_f64())
            .min(now.duration_since(self.started).as_secs_f64())
            .max(0.001)
    }

    fn refill(&mut self, now: Instant, rate: f64) {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        // At most one window's worth of tokens saved up.
        self.tokens = (self.tokens + elapsed * rate).min(rate * WINDOW.as_secs_f64());
        self.refilled = self.refilled.max(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(message: &str) -> Error {
        Error::new(ErrorKind::LimitExceeded, message)
    }

    #[test]
    fn a_full_client_buffer_is_not_the_accounts_throttle() {
        assert!(is_account_throttle(&throttle("Rate exceeded")));
        assert!(!is_account_throttle(&throttle(
            "Client side buffer is full"
        )));
        assert!(!is_account_throttle(&Error::new(ErrorKind::Service, "x")));
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_paced_until_a_throttle() {
        let r = SendRate::new(64, 1024);
        for _ in 0..10_000 {
            assert_eq!(r.reserve().0, Duration::ZERO);
        }
        assert_eq!(r.rate(), None);
    }

    /// A pace that saw 1,000 answers a second for half a second, then throttles.
    async fn throttled_at_1000() -> SendRate {
        let r = SendRate::new(64, 1024);
        for _ in 0..500 {
            r.answered(Duration::from_millis(1));
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        // The last half second holds 400 answers: 44 throttles are under a tenth.
        for _ in 0..44 {
            r.throttled(Instant::now());
        }
        assert_eq!(r.rate(), None, "sporadic throttles start no pacing");
        r.throttled(Instant::now());
        r
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_sets_the_rate_to_what_got_through_and_it_grows_back() {
        let r = throttled_at_1000().await;
        // Pacing starts at 95% of the 1,000 a second that got through.
        let rate = r.rate().expect("pacing");
        assert!((900.0..=1000.0).contains(&rate), "{rate}");
        // Throttles within the same window count once.
        r.throttled(Instant::now());
        assert_eq!(r.rate(), Some(rate));
        // Sends are spaced at the rate: the 100th waits about 0.1 s.
        let waits: Vec<Duration> = (0..100).map(|_| r.reserve().0).collect();
        assert!(waits[99] > Duration::from_millis(95), "{:?}", waits[99]);
        // A second without throttling: the rate has grown by about 1.05^10.
        tokio::time::advance(Duration::from_secs(1)).await;
        r.answered(Duration::from_millis(1));
        let grown = r.rate().expect("pacing");
        assert!(grown > rate * 1.5 && grown < rate * 1.7, "{rate} → {grown}");
    }

    #[tokio::test(start_paused = true)]
    async fn sporadic_and_stale_throttles_do_not_lower_the_rate() {
        let r = throttled_at_1000().await;
        let drop_time = Instant::now();
        for _ in 0..500 {
            r.answered(Duration::from_millis(1));
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        let rate = r.rate().expect("pacing");
        // Under a tenth of the answers of the last half second: sporadic.
        for _ in 0..20 {
            r.throttled(Instant::now());
        }
        assert_eq!(r.rate(), Some(rate));
        // Sent before the last drop: they were sent too fast already.
        for _ in 0..500 {
            r.throttled(drop_time - Duration::from_millis(1));
        }
        assert_eq!(r.rate(), Some(rate));
        // Sent after it, with throttles over a tenth of the answers: the rate drops.
        r.throttled(Instant::now());
        assert!(r.rate().expect("pacing") < rate);
    }

    #[tokio::test(start_paused = true)]
    async fn the_in_flight_limit_follows_the_shortest_round_trip() {
        let r = SendRate::new(64, 1024);
        assert_eq!(r.in_flight_limit(), 64);
        r.answered(Duration::from_micros(300));
        assert_eq!(r.in_flight_limit(), 64);
        let r = SendRate::new(64, 1024);
        r.answered(Duration::from_millis(25));
        r.answered(Duration::from_millis(20));
        assert_eq!(r.in_flight_limit(), 256);
        r.answered(Duration::from_secs(30));
        assert_eq!(r.in_flight_limit(), 256);
        let r = SendRate::new(64, 1024);
        r.answered(Duration::from_secs(1));
        assert_eq!(r.in_flight_limit(), 1024);
        let fixed = SendRate::new(8, 8);
        fixed.answered(Duration::from_millis(50));
        assert_eq!(fixed.in_flight_limit(), 8);
    }
}
