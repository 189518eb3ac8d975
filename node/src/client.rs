//! `NativeClient`: the core `Client` with JS types in and out. `node/index.js` wraps it
//! in the public `Client` class.

use crate::abort::AbortToken;
use crate::error::{self, error_json, to_napi};
use apigw_management::{
    AttemptInfo, BroadcastOptions, BroadcastResult, Client, ClientBuilder, Credentials,
    EventEndpoint, Progress, RetryDelayHook,
};
use bytes::Bytes;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Options of the native client; `node/index.js` maps the public names onto these.
/// Durations are milliseconds.
#[napi(object)]
#[derive(Default)]
pub struct ClientOptions {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub max_attempts: Option<f64>,
    pub retry_base_delay: Option<f64>,
    pub retry_ambiguous: Option<bool>,
    pub connect_timeout: Option<f64>,
    pub timeout: Option<f64>,
    pub max_payload_bytes: Option<f64>,
    pub proxy: Option<String>,
    pub clock_offset: Option<f64>,
    pub user_agent_suffix: Option<String>,
    /// Collects the status, attempts and retry delay of successful calls (the SDK shims
    /// report them in `$metadata`).
    pub collect_metadata: Option<bool>,
}

/// What a retry-delay callback is given: the retry number (1 for the first retry) and
/// the error, encoded as the rejections are.
#[napi(object)]
pub struct RetryInfo {
    pub retry: u32,
    pub error: String,
}

/// Metadata of a successful call (only with `collectMetadata`).
#[napi(object)]
pub struct CallMetadata {
    pub http_status_code: Option<u32>,
    pub attempts: u32,
    pub total_retry_delay: f64,
}

/// `GetConnection`'s answer; times in milliseconds since the epoch.
#[napi(object)]
pub struct ConnectionInfo {
    pub connected_at: f64,
    pub last_active_at: f64,
    pub source_ip: String,
    pub user_agent: String,
    pub metadata: Option<CallMetadata>,
}

/// One connection that failed in a broadcast; `error` is encoded as rejections are.
#[napi(object)]
pub struct FailedDelivery {
    pub connection_id: String,
    pub error: String,
}

/// The outcome of a broadcast, in input order.
#[napi(object)]
pub struct BroadcastOutcome {
    pub delivered: u32,
    pub gone: Vec<String>,
    pub failed: Vec<FailedDelivery>,
}

/// Counts so far, given to `onProgress`.
#[napi(object)]
pub struct ProgressInfo {
    pub done: u32,
    pub total: u32,
    pub delivered: u32,
    pub gone: u32,
    pub failed: u32,
}

/// Options of a broadcast (milliseconds).
#[napi(object)]
#[derive(Default)]
pub struct BatchOptions {
    pub concurrency: Option<f64>,
    pub deadline: Option<f64>,
}

type RetryDelayFn = ThreadsafeFunction<RetryInfo, Option<f64>, RetryInfo, Status, false, true>;
type ProgressFnJs =
    ThreadsafeFunction<ProgressInfo, Unknown<'static>, ProgressInfo, Status, false, true>;

/// Data as JS hands it over: a string (UTF-8) or bytes.
type Data<'a> = Either<String, Uint8ArraySlice<'a>>;

fn to_bytes(data: Data<'_>) -> Bytes {
    match data {
        Either::A(s) => Bytes::from(s.into_bytes()),
        Either::B(b) => Bytes::copy_from_slice(&b),
    }
}

fn owned_bytes(data: Either<String, Uint8Array>) -> Bytes {
    match data {
        Either::A(s) => Bytes::from(s.into_bytes()),
        Either::B(b) => Bytes::copy_from_slice(&b),
    }
}

#[derive(Default)]
struct CallStats {
    status: Option<u16>,
    attempts: u32,
    in_attempts: Duration,
}

tokio::task_local! {
    static CALL: Arc<Mutex<CallStats>>;
}

fn record_attempt(info: &AttemptInfo<'_>) {
    let _ = CALL.try_with(|stats| {
        let mut s = stats.lock().unwrap_or_else(|p| p.into_inner());
        s.status = info.status;
        s.attempts = info.attempt;
        s.in_attempts += info.elapsed;
    });
}

/// Runs `fut` with attempt statistics collected, when asked to.
async fn with_metadata<T, F>(
    collect: bool,
    fut: F,
) -> (apigw_management::Result<T>, Option<CallMetadata>)
where
    F: Future<Output = apigw_management::Result<T>>,
{
    if !collect {
        return (fut.await, None);
    }
    let stats = Arc::new(Mutex::new(CallStats::default()));
    let started = Instant::now();
    let out = CALL.scope(stats.clone(), fut).await;
    let s = stats.lock().unwrap_or_else(|p| p.into_inner());
    let waited = started.elapsed().saturating_sub(s.in_attempts);
    let meta = CallMetadata {
        http_status_code: s.status.map(u32::from),
        attempts: s.attempts,
        total_retry_delay: if s.attempts > 1 { millis(waited) } else { 0.0 },
    };
    (out, Some(meta))
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round()
}

fn epoch_millis(t: SystemTime) -> f64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_millis() as f64,
        Err(e) => -(e.duration().as_millis() as f64),
    }
}

/// A number as JS shows it (`1e+300`, `NaN`, `Infinity`), for error messages.
fn shown(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if v.abs() >= 1e21 {
        format!("{v:e}").replace('e', "e+").replace("e+-", "e-")
    } else {
        format!("{v}")
    }
}

/// Milliseconds as a `Duration`, if they are finite, not negative and representable.
fn millis_to_duration(ms: f64) -> Option<Duration> {
    if ms.is_finite() && ms >= 0.0 {
        Duration::try_from_secs_f64(ms / 1000.0).ok()
    } else {
        None
    }
}

/// Milliseconds from JS as a `Duration`: finite, not negative and not absurdly large
/// (a NaN, negative or 1e300 value is `kind`'s error naming the option, never a panic).
fn duration(kind: &str, name: &str, ms: Option<f64>) -> Result<Option<Duration>> {
    match ms {
        None => Ok(None),
        Some(v) => millis_to_duration(v).map(Some).ok_or_else(|| {
            error::local(
                kind,
                format!(
                    "{name} must be a finite, non-negative number of milliseconds (got {})",
                    shown(v)
                ),
            )
        }),
    }
}

/// A whole number from 0 to `max` from JS (a fraction, NaN, negative or larger value is
/// `kind`'s error naming the option).
fn integer(kind: &str, name: &str, value: Option<f64>, max: f64) -> Result<Option<u64>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= max => Ok(Some(v as u64)),
        Some(v) => Err(error::local(
            kind,
            format!(
                "{name} must be a whole number from 0 to {max} (got {})",
                shown(v)
            ),
        )),
    }
}

/// A future that turns a panic while polling into [`error::panicked`]: a panicking task
/// would otherwise drop its deferred unsettled, and the promise would never settle.
struct CatchUnwind<F> {
    inner: std::pin::Pin<Box<F>>,
}

impl<V, F: Future<Output = Result<V>>> Future for CatchUnwind<F> {
    type Output = Result<V>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<V>> {
        let inner = self.inner.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || inner.poll(cx))) {
            Ok(p) => p,
            Err(payload) => std::task::Poll::Ready(Err(error::panicked(payload.as_ref()))),
        }
    }
}

/// Spawns `fut` on the core's runtime and returns a promise settled with its output (a
/// panic in `fut` rejects it with an ordinary error).
pub(crate) fn spawn<'env, V, F>(
    env: &'env Env,
    abort: Option<&AbortToken>,
    fut: F,
) -> Result<Object<'env>>
where
    V: ToNapiValue + Send + 'static,
    F: Future<Output = Result<V>> + Send + 'static,
{
    let (settler, promise) = crate::settle::promise::<V>(env)?;
    let watch = abort.map(AbortToken::watch);
    let fut = CatchUnwind {
        inner: Box::pin(fut),
    };
    apigw_management::runtime::spawn(async move {
        let out = match watch {
            Some(w) => w.run(fut).await.unwrap_or_else(|| Err(error::aborted())),
            None => fut.await,
        };
        settler.settle(out);
    });
    Ok(promise)
}

fn outcome(r: BroadcastResult) -> BroadcastOutcome {
    BroadcastOutcome {
        delivered: r.delivered as u32,
        gone: r.gone,
        failed: r
            .failed
            .iter()
            .map(|(id, e)| FailedDelivery {
                connection_id: id.clone(),
                error: error_json(e),
            })
            .collect(),
    }
}

fn batch_options(
    opts: Option<BatchOptions>,
    progress: Option<ProgressFnJs>,
) -> Result<BroadcastOptions> {
    let opts = opts.unwrap_or_default();
    let mut out = BroadcastOptions::default();
    // Call arguments: a bad value is InvalidInput (a bad client option is Config).
    if let Some(n) = integer(
        "InvalidInput",
        "concurrency",
        opts.concurrency,
        u32::MAX as f64,
    )? {
        out = out.concurrency(n as usize);
    }
    if let Some(d) = duration("InvalidInput", "deadline", opts.deadline)? {
        out = out.deadline(d);
    }
    if let Some(f) = progress {
        out = out.on_progress(move |p: &Progress| {
            f.call(
                ProgressInfo {
                    done: p.done as u32,
                    total: p.total as u32,
                    delivered: p.delivered as u32,
                    gone: p.gone as u32,
                    failed: p.failed as u32,
                },
                ThreadsafeFunctionCallMode::NonBlocking,
            );
        });
    }
    Ok(out)
}

/// The core client with JS types.
#[napi]
pub struct NativeClient {
    client: Client,
    collect: bool,
}

fn builder(opts: &ClientOptions, retry_delay: Option<RetryDelayFn>) -> Result<ClientBuilder> {
    let mut b = Client::builder();
    if let Some(v) = &opts.endpoint {
        b = b.endpoint(v.clone());
    }
    if let Some(v) = &opts.region {
        b = b.region(v.clone());
    }
    if let Some(v) = &opts.profile {
        b = b.profile(v.clone());
    }
    if let Some(c) = credentials(opts)? {
        b = b.credentials(c);
    }
    if let Some(n) = integer("Config", "maxAttempts", opts.max_attempts, u32::MAX as f64)? {
        b = b.max_attempts(n as u32);
    }
    if let Some(d) = duration("Config", "retryBaseDelay", opts.retry_base_delay)? {
        b = b.retry_base_delay(d);
    }
    if let Some(v) = opts.retry_ambiguous {
        b = b.retry_ambiguous(v);
    }
    if let Some(d) = duration("Config", "connectTimeout", opts.connect_timeout)? {
        b = b.connect_timeout(d);
    }
    if let Some(d) = duration("Config", "timeout", opts.timeout)? {
        b = b.timeout(d);
    }
    if let Some(n) = integer(
        "Config",
        "maxPayloadBytes",
        opts.max_payload_bytes,
        9_007_199_254_740_991.0,
    )? {
        b = b.max_payload_bytes(n as usize);
    }
    if let Some(v) = &opts.proxy {
        b = b.proxy(v.clone());
    }
    if let Some(ms) = opts.clock_offset {
        b = b.clock_offset(clock_offset(ms)?);
    }
    if let Some(v) = &opts.user_agent_suffix {
        b = b.user_agent_suffix(v.clone());
    }
    if opts.collect_metadata == Some(true) {
        b = b.on_attempt(Arc::new(record_attempt));
    }
    if let Some(f) = retry_delay {
        b = b.retry_delay_hook(retry_delay_hook(f));
    }
    Ok(b)
}

/// Static credentials when both keys are given; an error when only one is.
fn credentials(opts: &ClientOptions) -> Result<Option<Credentials>> {
    match (&opts.access_key_id, &opts.secret_access_key) {
        (Some(k), Some(s)) => Ok(Some(Credentials::new(
            k.clone(),
            s.clone(),
            opts.session_token.clone(),
        ))),
        (None, None) => Ok(None),
        _ => Err(error::local(
            "Config",
            "credentials need both accessKeyId and secretAccessKey",
        )),
    }
}

/// `clockOffset` in whole milliseconds.
fn clock_offset(ms: f64) -> Result<i64> {
    // `as i64` would saturate silently: a value beyond i64 is refused instead.
    if !(ms.is_finite() && ms.abs() < i64::MAX as f64) {
        return Err(error::local(
            "Config",
            format!(
                "clockOffset must be a finite number of milliseconds (got {})",
                shown(ms)
            ),
        ));
    }
    Ok(ms.trunc() as i64)
}

/// The core's retry-delay hook, asking the JS callback.
fn retry_delay_hook(f: RetryDelayFn) -> RetryDelayHook {
    let f = Arc::new(f);
    Arc::new(move |attempt, err| {
        let f = f.clone();
        let info = RetryInfo {
            retry: attempt,
            error: error_json(err),
        };
        Box::pin(async move {
            // A callback's NaN, negative or absurd answer keeps the default backoff.
            match f.call_async(info).await {
                Ok(Some(ms)) => millis_to_duration(ms),
                _ => None,
            }
        })
    })
}

#[napi]
impl NativeClient {
    /// Builds a client (no I/O). `retryDelay(info)` may return the delay in ms before a
    /// retry; anything else keeps the default backoff.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        opts: Option<ClientOptions>,
        #[napi(
            ts_arg_type = "((info: RetryInfo) => number | undefined | null) | undefined | null"
        )]
        retry_delay: Option<RetryDelayFn>,
    ) -> Result<Self> {
        let opts = opts.unwrap_or_default();
        let collect = opts.collect_metadata == Some(true);
        let client = builder(&opts, retry_delay)?
            .build()
            .map_err(|e| to_napi(&e))?;
        Ok(NativeClient { client, collect })
    }

    /// A client for the API that sent a Lambda event (`eventJson` holds at least its
    /// `requestContext`); `domainName` uses `requestContext.domainName` as given.
    #[napi(factory, catch_unwind)]
    pub fn from_event(
        event_json: String,
        domain_name: bool,
        opts: Option<ClientOptions>,
        #[napi(
            ts_arg_type = "((info: RetryInfo) => number | undefined | null) | undefined | null"
        )]
        retry_delay: Option<RetryDelayFn>,
    ) -> Result<Self> {
        let opts = opts.unwrap_or_default();
        let collect = opts.collect_metadata == Some(true);
        let event: serde_json::Value = serde_json::from_str(&event_json)
            .map_err(|e| error::local("InvalidInput", format!("the event is not JSON: {e}")))?;
        let style = if domain_name {
            EventEndpoint::DomainName
        } else {
            EventEndpoint::ApiId
        };
        let client = builder(&opts, retry_delay)?
            .endpoint_from_event(&event, style)
            .and_then(ClientBuilder::build)
            .map_err(|e| to_napi(&e))?;
        Ok(NativeClient { client, collect })
    }

    /// The endpoint URL requests go to.
    #[napi(getter)]
    pub fn endpoint(&self) -> String {
        self.client.endpoint()
    }

    /// The signing region, when known without reading the shared config.
    #[napi(getter)]
    pub fn region(&self) -> Option<String> {
        self.client.region().map(str::to_string)
    }

    /// The largest message this client sends.
    #[napi(getter)]
    pub fn max_payload_bytes(&self) -> f64 {
        self.client.max_payload_bytes() as f64
    }

    /// PostToConnection. Resolves to `undefined`, or metadata with `collectMetadata`.
    #[napi(catch_unwind, ts_return_type = "Promise<CallMetadata | undefined>")]
    pub fn post<'env>(
        &self,
        env: &'env Env,
        connection_id: String,
        #[napi(ts_arg_type = "string | Uint8Array")] data: Data<'_>,
        abort: Option<&AbortToken>,
    ) -> Result<Object<'env>> {
        let client = self.client.clone();
        let body = to_bytes(data);
        let collect = self.collect;
        spawn(env, abort, async move {
            let (r, meta) =
                with_metadata(collect, client.post_to_connection(&connection_id, body)).await;
            r.map(|_| meta).map_err(|e| to_napi(&e))
        })
    }

    /// GetConnection.
    #[napi(catch_unwind, ts_return_type = "Promise<ConnectionInfo>")]
    pub fn get<'env>(
        &self,
        env: &'env Env,
        connection_id: String,
        abort: Option<&AbortToken>,
    ) -> Result<Object<'env>> {
        let client = self.client.clone();
        let collect = self.collect;
        spawn(env, abort, async move {
            let (r, metadata) = with_metadata(collect, client.get_connection(&connection_id)).await;
            let c = r.map_err(|e| to_napi(&e))?;
            Ok(ConnectionInfo {
                connected_at: epoch_millis(c.connected_at),
                last_active_at: epoch_millis(c.last_active_at),
                source_ip: c.identity.source_ip,
                user_agent: c.identity.user_agent,
                metadata,
            })
        })
    }

    /// DeleteConnection. Resolves to `undefined`, or metadata with `collectMetadata`.
    #[napi(catch_unwind, ts_return_type = "Promise<CallMetadata | undefined>")]
    pub fn delete<'env>(
        &self,
        env: &'env Env,
        connection_id: String,
        abort: Option<&AbortToken>,
    ) -> Result<Object<'env>> {
        let client = self.client.clone();
        let collect = self.collect;
        spawn(env, abort, async move {
            let (r, meta) = with_metadata(collect, client.delete_connection(&connection_id)).await;
            r.map(|_| meta).map_err(|e| to_napi(&e))
        })
    }

    /// The same message to every connection, in the core.
    #[napi(catch_unwind, ts_return_type = "Promise<BroadcastOutcome>")]
    pub fn broadcast<'env>(
        &self,
        env: &'env Env,
        connection_ids: Vec<String>,
        #[napi(ts_arg_type = "string | Uint8Array")] data: Data<'_>,
        opts: Option<BatchOptions>,
        #[napi(ts_arg_type = "((progress: ProgressInfo) => void) | undefined | null")]
        on_progress: Option<ProgressFnJs>,
        abort: Option<&AbortToken>,
    ) -> Result<Object<'env>> {
        let client = self.client.clone();
        let body = to_bytes(data);
        let opts = batch_options(opts, on_progress)?;
        spawn(env, abort, async move {
            client
                .broadcast(connection_ids, body, opts)
                .await
                .map(outcome)
                .map_err(|e| to_napi(&e))
        })
    }

    /// A message of its own to each connection (`data[i]` to `connectionIds[i]`).
    #[napi(catch_unwind, ts_return_type = "Promise<BroadcastOutcome>")]
    pub fn post_many<'env>(
        &self,
        env: &'env Env,
        connection_ids: Vec<String>,
        data: Vec<Either<String, Uint8Array>>,
        opts: Option<BatchOptions>,
        #[napi(ts_arg_type = "((progress: ProgressInfo) => void) | undefined | null")]
        on_progress: Option<ProgressFnJs>,
        abort: Option<&AbortToken>,
    ) -> Result<Object<'env>> {
        if connection_ids.len() != data.len() {
            return Err(error::local(
                "InvalidInput",
                "postMany: every item needs a connection id and data",
            ));
        }
        let client = self.client.clone();
        let items: Vec<(String, Bytes)> = connection_ids
            .into_iter()
            .zip(data.into_iter().map(owned_bytes))
            .collect();
        let opts = batch_options(opts, on_progress)?;
        spawn(env, abort, async move {
            client
                .post_many(items, opts)
                .await
                .map(outcome)
                .map_err(|e| to_napi(&e))
        })
    }
}
