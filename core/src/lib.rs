//! A fast, small client for the AWS API Gateway Management API: the WebSocket
//! `@connections` API (`PostToConnection`, `GetConnection`, `DeleteConnection`), plus
//! [`broadcast`](Client::broadcast) and [`post_many`](Client::post_many) to thousands of
//! connections in one call.
//!
//! ```no_run
//! use apigw_management::Client;
//!
//! # async fn run() -> Result<(), apigw_management::Error> {
//! let client = Client::builder()
//!     .endpoint("https://abc123.execute-api.eu-west-1.amazonaws.com/prod")
//!     .build()?;
//! client.post_to_connection("L0SM9cOFvHcCIhw=", "hello").await?;
//! let conn = client.get_connection("L0SM9cOFvHcCIhw=").await?;
//! println!("{} connected at {:?}", conn.identity.source_ip, conn.connected_at);
//! client.delete_connection("L0SM9cOFvHcCIhw=").await?;
//! # Ok(()) }
//! ```
//!
//! Requests are signed with SigV4 (service `execute-api`) through `aws-sigv4`;
//! credentials come from [`ClientBuilder::credentials`] or the standard AWS default chain
//! (through `aws-config`). Failures are retried as the AWS SDKs do (3 attempts, full
//! jitter) and reported as one [`Error`] type with a [`kind`](Error::kind).
//!
//! Delivery is at least once: a post that may already have been delivered (a timeout
//! after the request was written, a 502 or 504) is retried unless
//! [`retry_ambiguous(false)`](ClientBuilder::retry_ambiguous).

// Functions fit on a screen (the threshold is in clippy.toml).
#![warn(clippy::too_many_lines)]

mod attempt;
mod broadcast;
mod builder;
mod client;
mod credentials;
mod endpoint;
mod error;
mod model;
mod retry;
pub mod runtime;
mod send_rate;
mod signing;
mod transport;

#[cfg(test)]
mod fuzz;

pub use attempt::{AttemptHook, AttemptInfo, BoxFuture, RetryDelayHook};
pub use broadcast::{
    BroadcastOptions, BroadcastResult, DEFAULT_CONCURRENCY, DEFAULT_MAX_CONCURRENCY, Progress,
    ProgressFn,
};
pub use builder::{
    ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_PAYLOAD_BYTES,
    DEFAULT_RETRY_BASE_DELAY, DEFAULT_TIMEOUT,
};
pub use client::{Client, ResponseMetadata};
pub use credentials::Credentials;
pub use endpoint::{ENDPOINT_ENV_VARS, EventEndpoint, endpoint_from_event};
pub use error::{Error, ErrorKind, Result};
pub use model::{Connection, Identity, format_timestamp};
pub use signing::SERVICE;

/// Panics on purpose, in debug builds only: the bindings' tests call it to prove that a
/// Rust panic reaches Python or Node as an ordinary exception, never an abort.
#[cfg(debug_assertions)]
#[doc(hidden)]
pub fn debug_panic() -> ! {
    panic!("apigw-management: a deliberate panic (debug builds only)")
}

/// The README's example, compiled as a doctest so that it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The Rust blocks of the documentation (the other languages' blocks run in their
/// suites), compiled as doctests.
#[doc = include_str!("../../docs/getting-started-rust.md")]
#[cfg(doctest)]
pub struct DocsGettingStartedDoctests;

/// See [`DocsGettingStartedDoctests`].
#[doc = include_str!("../../docs/migration.md")]
#[cfg(doctest)]
pub struct DocsMigrationDoctests;

/// See [`DocsGettingStartedDoctests`].
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ProjectReadmeDoctests;
