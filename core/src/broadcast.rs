//! Sending to many connections in one call: bounded concurrency that backs off on
//! account-level throttling (additive increase, multiplicative decrease), an optional
//! deadline, progress reports, and a result in input order.

use crate::client::{Client, Operation, Payload, ThrottleObserver};
use crate::error::{Error, ErrorKind, Result};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Default number of requests in flight.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// Called after each connection's outcome is known.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Options of [`Client::broadcast`] and [`Client::post_many`].
///
/// ```
/// use apigw_management::BroadcastOptions;
/// use std::time::Duration;
///
/// let opts = BroadcastOptions::default()
///     .concurrency(128)
///     .deadline(Duration::from_secs(5))
///     .on_progress(|p| eprintln!("{}/{}", p.done, p.total));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct BroadcastOptions {
    /// Most requests in flight (default 64); lowered while the account is throttled.
    pub concurrency: usize,
    /// Bounds the whole call; connections not confirmed by then fail with `Timeout`.
    pub deadline: Option<Duration>,
    /// Progress callback.
    pub progress: Option<ProgressFn>,
}

impl Default for BroadcastOptions {
    fn default() -> Self {
        BroadcastOptions {
            concurrency: DEFAULT_CONCURRENCY,
            deadline: None,
            progress: None,
        }
    }
}

impl std::fmt::Debug for BroadcastOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastOptions")
            .field("concurrency", &self.concurrency)
            .field("deadline", &self.deadline)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl BroadcastOptions {
    /// Sets the most requests in flight (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// Sets the overall deadline.
    pub fn deadline(mut self, d: Duration) -> Self {
        self.deadline = Some(d);
        self
    }

    /// Sets the progress callback.
    pub fn on_progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }
}

/// Counts so far, passed to the progress callback.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Connections whose outcome is known.
    pub done: usize,
    /// Connections in the call.
    pub total: usize,
    /// Messages delivered.
    pub delivered: usize,
    /// Connections that answered 410.
    pub gone: usize,
    /// Connections that failed otherwise.
    pub failed: usize,
}

/// The outcome of a broadcast: every connection is counted exactly once, in input order.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct BroadcastResult {
    /// Messages delivered.
    pub delivered: usize,
    /// Connections that are gone (410), in input order.
    pub gone: Vec<String>,
    /// Connections that failed otherwise, with their errors, in input order.
    pub failed: Vec<(String, Error)>,
}

impl BroadcastResult {
    /// True when nothing failed (gone connections are not failures).
    pub fn is_ok(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Additive increase, multiplicative decrease of the number of requests in flight.
struct Aimd {
    state: Mutex<AimdState>,
    max: f64,
}

struct AimdState {
    limit: f64,
    last_decrease: Option<Instant>,
}

impl Aimd {
    /// Throttling answers within this window count as one signal.
    const WINDOW: Duration = Duration::from_millis(100);

    fn new(max: usize) -> Self {
        Aimd {
            state: Mutex::new(AimdState {
                limit: max as f64,
                last_decrease: None,
            }),
            max: max as f64,
        }
    }

    fn limit(&self) -> usize {
        self.lock().limit.floor().max(1.0) as usize
    }

    fn success(&self) {
        let mut s = self.lock();
        s.limit = (s.limit + 1.0 / s.limit.max(1.0)).min(self.max);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AimdState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ThrottleObserver for Aimd {
    fn throttled(&self, err: &Error) {
        // One slow client's full buffer is that connection's problem, not the account's.
        if err
            .message()
            .to_ascii_lowercase()
            .contains("buffer is full")
        {
            return;
        }
        let mut s = self.lock();
        let now = Instant::now();
        if s.last_decrease
            .is_none_or(|t| now.duration_since(t) >= Self::WINDOW)
        {
            s.limit = (s.limit / 2.0).max(1.0);
            s.last_decrease = Some(now);
        }
    }
}

impl Client {
    /// Sends the same message to every connection, at most `opts.concurrency` at a time.
    ///
    /// Returns an error only for what fails the whole call before anything is sent
    /// (data over the limit, no credentials, no region); each connection's own failure
    /// is in the result.
    pub async fn broadcast<I, S>(
        &self,
        connection_ids: I,
        data: impl Into<Bytes>,
        opts: BroadcastOptions,
    ) -> Result<BroadcastResult>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let payload = self.payload(data.into())?;
        let items = connection_ids
            .into_iter()
            .map(|id| (id.into(), Ok(payload.clone())))
            .collect();
        self.run_batch(items, opts).await
    }

    /// Sends a message of its own to each connection; the same rules as
    /// [`broadcast`](Client::broadcast). A message over the limit fails that connection
    /// only.
    pub async fn post_many<I, S, D>(
        &self,
        items: I,
        opts: BroadcastOptions,
    ) -> Result<BroadcastResult>
    where
        I: IntoIterator<Item = (S, D)>,
        S: Into<String>,
        D: Into<Bytes>,
    {
        let items = items
            .into_iter()
            .map(|(id, data)| (id.into(), self.payload(data.into())))
            .collect();
        self.run_batch(items, opts).await
    }

    async fn run_batch(
        &self,
        items: Vec<(String, Result<Payload>)>,
        opts: BroadcastOptions,
    ) -> Result<BroadcastResult> {
        if opts.concurrency == 0 {
            return Err(Error::invalid_input("concurrency must be at least 1"));
        }
        if items.is_empty() {
            return Ok(BroadcastResult::default());
        }
        // The deadline covers resolving credentials and region too.
        let deadline = opts.deadline.map(|d| tokio::time::Instant::now() + d);
        match deadline {
            Some(d) => tokio::time::timeout_at(d, self.prepare())
                .await
                .unwrap_or_else(|_| Err(deadline_error("while credentials were resolved")))?,
            None => self.prepare().await?,
        }
        // The driver runs as a task of the runtime, beside the sends it spawns and the
        // connections they use: completions then wake no thread outside the runtime. The
        // guard aborts it when this future is dropped (the caller cancelled).
        let client = self.clone();
        let cancelled = Arc::new(AtomicBool::new(false));
        let flag = cancelled.clone();
        let mut task = CancelOnDrop {
            handle: tokio::spawn(async move { client.drive(items, opts, deadline, flag).await }),
            cancelled,
        };
        (&mut task.handle).await.unwrap_or_else(|_| {
            Err(Error::new(
                ErrorKind::Protocol,
                "internal error: the broadcast task failed",
            ))
        })
    }

    async fn drive(
        &self,
        items: Vec<(String, Result<Payload>)>,
        opts: BroadcastOptions,
        deadline: Option<tokio::time::Instant>,
        cancelled: Arc<AtomicBool>,
    ) -> Result<BroadcastResult> {
        let total = items.len();
        let report = |p: &Progress| {
            if let Some(cb) = &opts.progress
                && !cancelled.load(Ordering::Acquire)
            {
                // A callback that panics loses no outcome: the call goes on without it.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(p)));
            }
        };
        let aimd = Arc::new(Aimd::new(opts.concurrency));
        let mut ids: Vec<String> = Vec::with_capacity(total);
        let mut outcomes: Vec<Option<Result<()>>> = Vec::with_capacity(total);
        let mut pending = Vec::with_capacity(total);
        for (index, (id, payload)) in items.into_iter().enumerate() {
            match payload {
                Ok(p) => {
                    pending.push((index, p));
                    outcomes.push(None);
                }
                Err(e) => outcomes.push(Some(Err(e))),
            }
            ids.push(id);
        }
        let mut progress = Progress {
            total,
            ..Progress::default()
        };
        for o in outcomes.iter().flatten() {
            count(&mut progress, o);
        }
        let mut tasks = JoinSet::new();
        let mut task_index: HashMap<tokio::task::Id, usize> = HashMap::new();
        let mut queue = pending.into_iter();
        loop {
            while tasks.len() < aimd.limit() {
                let Some((index, payload)) = queue.next() else {
                    break;
                };
                if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                    let o = Err(deadline_error("before it was sent"));
                    count(&mut progress, &o);
                    outcomes[index] = Some(o);
                    continue;
                }
                if cancelled.load(Ordering::Acquire) {
                    break;
                }
                let client = self.clone();
                let id = ids[index].clone();
                let aimd = aimd.clone();
                let cancelled = cancelled.clone();
                let handle = tasks.spawn(async move {
                    if cancelled.load(Ordering::Acquire) {
                        return Err(Error::new(
                            ErrorKind::Timeout,
                            "the broadcast was cancelled",
                        ));
                    }
                    let call = client.execute(Operation::Post, &id, &payload, Some(aimd.as_ref()));
                    let result = match deadline {
                        Some(d) => match tokio::time::timeout_at(d, call).await {
                            Ok(r) => r,
                            Err(_) => Err(deadline_error("before the service confirmed it")),
                        },
                        None => call.await,
                    };
                    if result.is_ok() {
                        aimd.success();
                    }
                    result.map(drop)
                });
                task_index.insert(handle.id(), index);
            }
            let Some(joined) = tasks.join_next_with_id().await else {
                break;
            };
            let (task, result) = match joined {
                Ok((task, r)) => (task, r),
                Err(e) => (
                    e.id(),
                    Err(Error::new(
                        ErrorKind::Protocol,
                        "internal error: a send task failed",
                    )),
                ),
            };
            if let Some(index) = task_index.remove(&task) {
                count(&mut progress, &result);
                outcomes[index] = Some(result);
                if progress.done < total {
                    report(&progress);
                }
            }
        }
        // The final report always comes, also when the last outcomes needed no request.
        report(&progress);
        let mut out = BroadcastResult::default();
        for (id, outcome) in ids.into_iter().zip(outcomes) {
            match outcome {
                Some(Ok(())) => out.delivered += 1,
                Some(Err(e)) if e.kind() == ErrorKind::Gone => out.gone.push(id),
                Some(Err(e)) => out.failed.push((id, e)),
                None => out.failed.push((
                    id,
                    Error::new(
                        ErrorKind::Protocol,
                        "internal error: no outcome was recorded",
                    ),
                )),
            }
        }
        Ok(out)
    }
}

/// A broadcast's task, aborted when the future waiting for it is dropped: no send starts
/// and no progress report comes once the caller has cancelled.
struct CancelOnDrop {
    handle: tokio::task::JoinHandle<Result<BroadcastResult>>,
    cancelled: Arc<AtomicBool>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Release);
        self.handle.abort();
    }
}

fn count(p: &mut Progress, outcome: &Result<()>) {
    p.done += 1;
    match outcome {
        Ok(()) => p.delivered += 1,
        Err(e) if e.kind() == ErrorKind::Gone => p.gone += 1,
        Err(_) => p.failed += 1,
    }
}

fn deadline_error(when: &str) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!("the broadcast deadline passed {when}"),
    )
    .with_retryable(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(message: &str) -> Error {
        Error::new(ErrorKind::LimitExceeded, message)
    }

    #[test]
    fn account_throttling_halves_and_success_grows_back() {
        let aimd = Aimd::new(64);
        assert_eq!(aimd.limit(), 64);
        aimd.throttled(&throttle("Rate exceeded"));
        assert_eq!(aimd.limit(), 32);
        // A burst within the window counts once.
        aimd.throttled(&throttle("Rate exceeded"));
        assert_eq!(aimd.limit(), 32);
        // Additive increase: about one more per `limit` successes.
        for _ in 0..40 {
            aimd.success();
        }
        assert!((33..=35).contains(&aimd.limit()), "{}", aimd.limit());
        for _ in 0..10_000 {
            aimd.success();
        }
        assert_eq!(aimd.limit(), 64);
    }

    #[test]
    fn one_full_client_buffer_does_not_slow_the_rest() {
        let aimd = Aimd::new(64);
        aimd.throttled(&throttle("client side buffer is full"));
        assert_eq!(aimd.limit(), 64);
    }

    #[test]
    fn never_below_one() {
        let aimd = Aimd::new(4);
        for _ in 0..10 {
            aimd.state.lock().unwrap().last_decrease = None;
            aimd.throttled(&throttle("Rate exceeded"));
        }
        assert_eq!(aimd.limit(), 1);
    }
}
