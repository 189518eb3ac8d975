//! The Node addon of `apigw-management`: type conversion and error encoding only.
//!
//! Every behaviour (validation, retries, signing, broadcast) lives in the core crate;
//! the thin JS in `node/` maps the structured errors encoded here to its error classes.
//! Work runs on the core's shared tokio runtime; promises settle through N-API
//! threadsafe functions, so the event loop is never blocked, and nothing here keeps it
//! alive while no call is in flight.

mod abort;
mod client;
mod error;
mod testing;

pub use abort::AbortToken;
pub use client::NativeClient;
pub use testing::{NativeGateway, ScriptServer};
