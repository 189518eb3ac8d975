//! Sending to many connections in one call: a send rate that adapts to the account's
//! throttling and an in-flight count that follows the round trip (see
//! [`send_rate`](crate::send_rate)), an optional deadline, progress reports that end with
//! `done == total`, cancellation that stops the sends, and a result in input order.

use crate::attempt::ThrottleObserver;
use crate::client::{Client, Operation, Payload};
use crate::error::{Error, ErrorKind, Result};
use crate::send_rate::{SendRate, is_account_throttle};
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::task::JoinSet;

/// Default number of requests in flight at the start (and per 5 ms of round trip).
pub const DEFAULT_CONCURRENCY: usize = 64;

/// Default most requests in flight when the round trip is long.
pub const DEFAULT_MAX_CONCURRENCY: usize = 1024;

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
    /// Requests in flight at the start (default 64); more when the round trip is longer
    /// than 5 ms (64 per 5 ms), up to `max_concurrency`.
    pub concurrency: usize,
    /// Most requests in flight (default 1,024).
    pub max_concurrency: usize,
    /// Bounds the whole call; connections not confirmed by then fail with `Timeout`.
    pub deadline: Option<Duration>,
    /// Progress callback.
    pub progress: Option<ProgressFn>,
}

impl Default for BroadcastOptions {
    fn default() -> Self {
        BroadcastOptions {
            concurrency: DEFAULT_CONCURRENCY,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            deadline: None,
            progress: None,
        }
    }
}

impl std::fmt::Debug for BroadcastOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastOptions")
            .field("concurrency", &self.concurrency)
            .field("max_concurrency", &self.max_concurrency)
            .field("deadline", &self.deadline)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl BroadcastOptions {
    /// Sets a fixed number of requests in flight (at least 1): both `concurrency` and
    /// `max_concurrency`.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self.max_concurrency = n;
        self
    }

    /// Sets the most requests in flight when the round trip is long (at least
    /// `concurrency`).
    pub fn max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = n;
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

impl ThrottleObserver for SendRate {
    /// The account's throttles are the pace's to handle (the send task tells it).
    fn throttled(&self, err: &Error) -> bool {
        is_account_throttle(err)
    }
}

/// How often one message may be throttled by the account before it fails.
const MAX_THROTTLED: u32 = 50;

impl Client {
    /// Sends the same message to every connection, `opts.concurrency` at a time at first
    /// (more when the round trip is long), at the pace the account allows: a message the
    /// account throttles (429) is sent again later, without spending attempts.
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
        if opts.max_concurrency < opts.concurrency {
            return Err(Error::invalid_input(format!(
                "max_concurrency ({}) must be at least concurrency ({})",
                opts.max_concurrency, opts.concurrency
            )));
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
        (&mut task.handle)
            .await
            .unwrap_or_else(|_| Err(internal("the broadcast task failed")))
    }

    async fn drive(
        &self,
        items: Vec<(String, Result<Payload>)>,
        opts: BroadcastOptions,
        deadline: Option<tokio::time::Instant>,
        cancelled: Arc<AtomicBool>,
    ) -> Result<BroadcastResult> {
        let report = |p: &Progress| {
            if let Some(cb) = &opts.progress
                && !cancelled.load(Ordering::Acquire)
            {
                // A callback that panics loses no outcome: the call goes on without it.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(p)));
            }
        };
        let pace = Arc::new(SendRate::new(opts.concurrency, opts.max_concurrency));
        let (mut batch, mut queue) = Batch::new(items);
        let mut tasks = JoinSet::new();
        let mut in_flight: HashMap<tokio::task::Id, Pending> = HashMap::new();
        loop {
            while tasks.len() < pace.in_flight_limit() && !cancelled.load(Ordering::Acquire) {
                let Some((index, payload, throttled)) = queue.pop_front() else {
                    break;
                };
                if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                    batch.record(index, Err(deadline_error("before it was sent")));
                    continue;
                }
                let send =
                    self.send_one(batch.ids[index].clone(), payload.clone(), &pace, deadline);
                let handle = tasks.spawn(send);
                in_flight.insert(handle.id(), (index, payload, throttled));
            }
            let Some(joined) = tasks.join_next_with_id().await else {
                break;
            };
            let (task, result) = match joined {
                Ok((task, r)) => (task, r),
                Err(e) => (e.id(), Err(internal("a send task failed"))),
            };
            let Some((index, payload, throttled)) = in_flight.remove(&task) else {
                continue;
            };
            // The account throttled it: it goes again when the pace allows.
            if let Err(e) = &result
                && is_account_throttle(e)
                && e.attempts() > 0
                && throttled + 1 < MAX_THROTTLED
            {
                queue.push_front((index, payload, throttled + 1));
                continue;
            }
            batch.record(index, result);
            if batch.progress.done < batch.progress.total {
                report(&batch.progress);
            }
        }
        // The final report always comes, also when the last outcomes needed no request.
        report(&batch.progress);
        Ok(batch.finish())
    }

    /// One post of a broadcast: waits for its turn in the pace, then sends.
    fn send_one(
        &self,
        id: String,
        payload: Payload,
        pace: &Arc<SendRate>,
        deadline: Option<tokio::time::Instant>,
    ) -> impl std::future::Future<Output = Result<()>> + Send + 'static {
        let (client, pace) = (self.clone(), pace.clone());
        async move {
            let send = async {
                pace.ready().await;
                let started = tokio::time::Instant::now();
                let result = client
                    .execute(Operation::Post, &id, &payload, Some(pace.as_ref()))
                    .await;
                if result.as_ref().is_err_and(is_account_throttle) {
                    pace.throttled(started);
                } else {
                    pace.answered(started.elapsed());
                }
                result
            };
            let result = match deadline {
                Some(d) => match tokio::time::timeout_at(d, send).await {
                    Ok(r) => r,
                    Err(_) => Err(deadline_error("before the service confirmed it")),
                },
                None => send.await,
            };
            result.map(drop)
        }
    }
}

/// A send waiting its turn: the input index, the message, how often it was throttled.
type Pending = (usize, Payload, u32);

/// A batch's ids, each one's outcome once known, and the running counts.
struct Batch {
    ids: Vec<String>,
    outcomes: Vec<Option<Result<()>>>,
    progress: Progress,
}

impl Batch {
    /// The batch, and the posts to send (those whose message was valid), in order.
    fn new(items: Vec<(String, Result<Payload>)>) -> (Batch, VecDeque<Pending>) {
        let total = items.len();
        let mut batch = Batch {
            ids: Vec::with_capacity(total),
            outcomes: Vec::with_capacity(total),
            progress: Progress {
                total,
                ..Progress::default()
            },
        };
        let mut pending = VecDeque::with_capacity(total);
        for (index, (id, payload)) in items.into_iter().enumerate() {
            batch.ids.push(id);
            batch.outcomes.push(None);
            match payload {
                Ok(p) => pending.push_back((index, p, 0)),
                Err(e) => batch.record(index, Err(e)),
            }
        }
        (batch, pending)
    }

    fn record(&mut self, index: usize, outcome: Result<()>) {
        count(&mut self.progress, &outcome);
        self.outcomes[index] = Some(outcome);
    }

    /// The result, in input order.
    fn finish(self) -> BroadcastResult {
        let mut out = BroadcastResult::default();
        for (id, outcome) in self.ids.into_iter().zip(self.outcomes) {
            match outcome {
                Some(Ok(())) => out.delivered += 1,
                Some(Err(e)) if e.kind() == ErrorKind::Gone => out.gone.push(id),
                Some(Err(e)) => out.failed.push((id, e)),
                None => out.failed.push((id, internal("no outcome was recorded"))),
            }
        }
        out
    }
}

fn internal(what: &str) -> Error {
    Error::new(ErrorKind::Protocol, format!("internal error: {what}"))
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
