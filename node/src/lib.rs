//! The Node addon of `apigw-management`: type conversion and error encoding only.
//!
//! Every behaviour (validation, retries, signing, broadcast) lives in the core crate;
//! the thin JS in `node/` maps the structured errors encoded here to its error classes.
//! Work runs on the core's shared tokio runtime; promises settle through one N-API
//! threadsafe function per JS thread (`settle`), so the event loop is never blocked, and
//! nothing here keeps it alive while no call is in flight.

// Functions fit on a screen (the threshold is in clippy.toml).
#![warn(clippy::too_many_lines)]

mod abort;
mod client;
mod error;
mod settle;
mod testing;

pub use abort::AbortToken;
pub use client::NativeClient;
pub use testing::{NativeGateway, ScriptServer};

/// Panics in the core (`apigw_management::debug_panic`), debug builds only, for the tests
/// that check that a Rust panic reaches JS as an ordinary thrown `Error` (napi's
/// `catch_unwind`). Hidden: not in the typings, not re-exported by `index.js`.
#[cfg(debug_assertions)]
#[napi_derive::napi(js_name = "_debugPanic", catch_unwind, skip_typescript)]
pub fn debug_panic() -> napi::Result<()> {
    apigw_management::debug_panic()
}

/// The same on the path of every client call (a task on the core's runtime): the
/// promise rejects with an ordinary error. Debug builds only; hidden.
#[cfg(debug_assertions)]
#[napi_derive::napi(js_name = "_debugPanicAsync", catch_unwind, skip_typescript)]
pub fn debug_panic_async(env: &napi::Env) -> napi::Result<napi::bindgen_prelude::Object<'_>> {
    fn boom() -> napi::Result<()> {
        apigw_management::debug_panic()
    }
    client::spawn(env, None, async { boom() })
}
